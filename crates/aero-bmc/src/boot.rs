//! Boot override: the device a machine boots from next (or always), and its firmware mode.

use std::fmt;
use std::str::FromStr;

use crate::ParseValueError;

/// A boot device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BootTarget {
    /// Virtual or physical CD/DVD (virtual media).
    Cd,
    /// Network (PXE).
    Pxe,
    /// Local disk.
    Hdd,
    /// UEFI HTTP boot.
    UefiHttp,
    /// Firmware setup.
    BiosSetup,
    /// A USB device.
    Usb,
    /// No override: the firmware's own boot order.
    None,
    /// Any other device the BMC names (e.g. Redfish `SDCard`, `UsbCd`).
    Other(String),
}

impl BootTarget {
    /// The name: `Cd`, `Pxe`, `Hdd`, `UefiHttp`, `BiosSetup`, `Usb`, `None` or the other value.
    pub fn as_str(&self) -> &str {
        match self {
            BootTarget::Cd => "Cd",
            BootTarget::Pxe => "Pxe",
            BootTarget::Hdd => "Hdd",
            BootTarget::UefiHttp => "UefiHttp",
            BootTarget::BiosSetup => "BiosSetup",
            BootTarget::Usb => "Usb",
            BootTarget::None => "None",
            BootTarget::Other(value) => value,
        }
    }

    /// The target a name means; unknown names become [`BootTarget::Other`].
    pub fn from_name(name: &str) -> BootTarget {
        match name.to_ascii_lowercase().as_str() {
            "cd" | "dvd" => BootTarget::Cd,
            "pxe" | "network" => BootTarget::Pxe,
            "hdd" | "disk" => BootTarget::Hdd,
            "uefihttp" | "http" => BootTarget::UefiHttp,
            "biossetup" | "bios" => BootTarget::BiosSetup,
            "usb" => BootTarget::Usb,
            "none" => BootTarget::None,
            _ => BootTarget::Other(name.to_string()),
        }
    }
}

impl fmt::Display for BootTarget {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// How long an override lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BootPersistence {
    /// The next boot only.
    Once,
    /// Every boot until changed.
    Continuous,
}

impl BootPersistence {
    /// `Once` or `Continuous`.
    pub fn as_str(self) -> &'static str {
        match self {
            BootPersistence::Once => "Once",
            BootPersistence::Continuous => "Continuous",
        }
    }
}

impl fmt::Display for BootPersistence {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for BootPersistence {
    type Err = ParseValueError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "once" => Ok(BootPersistence::Once),
            "continuous" | "persistent" => Ok(BootPersistence::Continuous),
            _ => Err(ParseValueError::new(
                "boot persistence",
                value,
                "once or continuous",
            )),
        }
    }
}

/// Firmware boot mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BootMode {
    /// UEFI.
    Uefi,
    /// Legacy BIOS.
    Legacy,
}

impl BootMode {
    /// `UEFI` or `Legacy`.
    pub fn as_str(self) -> &'static str {
        match self {
            BootMode::Uefi => "UEFI",
            BootMode::Legacy => "Legacy",
        }
    }
}

impl fmt::Display for BootMode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for BootMode {
    type Err = ParseValueError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "uefi" => Ok(BootMode::Uefi),
            "legacy" | "bios" => Ok(BootMode::Legacy),
            _ => Err(ParseValueError::new("boot mode", value, "uefi or legacy")),
        }
    }
}

/// The boot override as the BMC reports it, with the values it allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootSettings {
    /// The override device; `None` when the BMC reports none.
    pub target: Option<BootTarget>,
    /// How long it lasts; `None` when the override is disabled or not reported.
    pub persistence: Option<BootPersistence>,
    /// The firmware mode; `None` on BMCs that leave it to the BIOS settings.
    pub mode: Option<BootMode>,
    /// Devices the BMC allows (empty: it does not say).
    pub allowed_targets: Vec<BootTarget>,
    /// Modes the BMC allows (empty: it does not say).
    pub allowed_modes: Vec<BootMode>,
}

/// A boot override a step asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOverride {
    /// The device.
    pub target: BootTarget,
    /// Next boot only, or every boot.
    pub persistence: BootPersistence,
    /// The firmware mode, when it matters.
    pub mode: Option<BootMode>,
}

/// What [`crate::Bmc::set_boot_override`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootApplied {
    /// The device value the BMC was given (may be a vendor alias, e.g. `UsbCd` for `Cd`, or
    /// `VCD-DVD` through a vendor job).
    pub target: String,
    /// The persistence in effect.
    pub persistence: BootPersistence,
    /// The mode set, if any.
    pub mode: Option<BootMode>,
    /// `Continuous` was refused and `Once` applied: set the override again before every boot.
    pub fell_back_to_once: bool,
    /// Whether [`crate::Bmc::boot_override`] shows the change. False when the BMC applied it
    /// through another mechanism (iDRAC: a one-time virtual CD boot through a configuration
    /// job), so a step must not wait for the override to read back.
    pub reads_back: bool,
    /// Remarks for the operator (e.g. a mode the BMC cannot set).
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for target in [
            BootTarget::Cd,
            BootTarget::Pxe,
            BootTarget::Hdd,
            BootTarget::UefiHttp,
            BootTarget::BiosSetup,
            BootTarget::Usb,
            BootTarget::None,
            BootTarget::Other("SDCard".to_string()),
        ] {
            assert_eq!(BootTarget::from_name(target.as_str()), target);
        }
        assert_eq!("Continuous".parse(), Ok(BootPersistence::Continuous));
        assert_eq!("UEFI".parse(), Ok(BootMode::Uefi));
        assert!("efi".parse::<BootMode>().is_err());
    }
}
