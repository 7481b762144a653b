//! What a machine is: identity (manufacturer, model, serial number, UUID), network
//! interfaces with their MAC addresses, firmware versions, and its current power and boot
//! settings.

use std::fmt;
use std::str::FromStr;

use crate::ParseValueError;
use crate::boot::BootSettings;
use crate::power::PowerState;

/// A MAC address. Parses `52:54:00:aa:bb:cc`, `52-54-00-AA-BB-CC` and `5254.00aa.bbcc`;
/// prints lower-case with colons, so addresses from documents and BMCs compare equal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress(pub [u8; 6]);

impl FromStr for MacAddress {
    type Err = ParseValueError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            ParseValueError::new(
                "MAC address",
                value,
                "six hex bytes such as 52:54:00:aa:bb:cc",
            )
        };
        let digits: String = value
            .trim()
            .chars()
            .filter(|character| !matches!(character, ':' | '-' | '.'))
            .collect();
        if digits.len() != 12 || !digits.chars().all(|digit| digit.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let mut bytes = [0u8; 6];
        for (index, byte) in bytes.iter_mut().enumerate() {
            let pair = digits.get(index * 2..index * 2 + 2).ok_or_else(invalid)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(MacAddress(bytes))
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, f] = self.0;
        write!(formatter, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
    }
}

impl fmt::Debug for MacAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "MacAddress({self})")
    }
}

/// A network interface of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// The BMC's id for it.
    pub id: String,
    /// The current MAC address (`None` when absent or unreadable; see
    /// [`Inventory::warnings`]).
    pub mac: Option<MacAddress>,
    /// The factory MAC address, when reported.
    pub permanent_mac: Option<MacAddress>,
    /// Whether the link is up, when reported.
    pub link_up: Option<bool>,
}

/// The inventory of a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// The system's id on its BMC.
    pub system_id: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// The system UUID as the BMC reports it (SMBIOS; some firmware reports the first three
    /// fields byte-swapped, so compare with care).
    pub uuid: Option<String>,
    /// The power state.
    pub power_state: PowerState,
    /// Network interfaces.
    pub nics: Vec<Nic>,
    /// The boot override.
    pub boot: BootSettings,
    /// BIOS (host firmware) version.
    pub bios_version: Option<String>,
    /// BMC firmware version.
    pub bmc_firmware: Option<String>,
    /// Parts that could not be read (the rest of the inventory is still valid).
    pub warnings: Vec<String>,
}

impl Inventory {
    /// The current MAC addresses of every interface that has one, in interface order.
    pub fn macs(&self) -> Vec<MacAddress> {
        self.nics.iter().filter_map(|nic| nic.mac).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_normalise() {
        let expected = MacAddress([0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc]);
        for text in [
            "52:54:00:aa:bb:cc",
            "52-54-00-AA-BB-CC",
            "5254.00aa.bbcc",
            " 525400AABBCC ",
        ] {
            assert_eq!(text.parse::<MacAddress>(), Ok(expected), "{text}");
        }
        assert_eq!(expected.to_string(), "52:54:00:aa:bb:cc");
        assert!("52:54:00:aa:bb".parse::<MacAddress>().is_err());
        assert!("52:54:00:aa:bb:zz".parse::<MacAddress>().is_err());
        assert!("52:54:00:aa:bb:cç".parse::<MacAddress>().is_err());
    }
}
