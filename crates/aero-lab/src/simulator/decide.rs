//! When the machine "boots": a pure decision from what the node simulator observed at its
//! emulated BMC and what it booted last.
//!
//! A real machine boots from its virtual CD when it is powered on with the boot override
//! on `Cd` and media in the drive. The simulator boots once per power-on and medium: a
//! machine that stays on with the same CD does not boot again, one given another CD
//! while on boots that one (the emulator applies a restart's "off" for a short moment,
//! which a poll can miss, so a new medium is taken as proof of a restart), and powering
//! off resets it.

/// What the simulator read from its emulated BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observed {
    /// `PowerState` of the System (`On`, `Off`, `PoweringOn`...).
    pub(crate) power: String,
    /// `Boot.BootSourceOverrideTarget`, if reported.
    pub(crate) boot_target: Option<String>,
    /// The image URL in the `Cd` slot, when one is inserted (read only when it matters:
    /// the machine is on and set to boot from CD).
    pub(crate) cd_image: Option<String>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Boot from the CD holding this image.
    Boot {
        /// The image URL.
        image: String,
    },
    /// The machine is off: forget the boot (stop one in progress).
    Reset,
    /// Nothing changes.
    Wait,
}

impl Observed {
    /// Whether the machine runs.
    pub(crate) fn is_on(&self) -> bool {
        self.power == "On"
    }

    /// Whether it would boot from a CD now (the CD slot is worth reading).
    pub(crate) fn boots_from_cd(&self) -> bool {
        self.is_on()
            && self
                .boot_target
                .as_deref()
                .is_some_and(|target| target.eq_ignore_ascii_case("Cd"))
    }
}

/// The decision for `observed`, given the image booted this power-on (`None`: not
/// booted since the last power-off).
pub(crate) fn decide(observed: &Observed, booted: Option<&str>) -> Decision {
    if !observed.is_on() {
        return if booted.is_some() {
            Decision::Reset
        } else {
            Decision::Wait
        };
    }
    match (&observed.cd_image, observed.boots_from_cd()) {
        (Some(image), true) if booted != Some(image.as_str()) => Decision::Boot {
            image: image.clone(),
        },
        _ => Decision::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(
        power: &str,
        target: Option<&str>,
        cd: Option<&str>,
        booted: Option<&str>,
        expected: Decision,
    ) {
        let observed = Observed {
            power: power.to_string(),
            boot_target: target.map(str::to_string),
            cd_image: cd.map(str::to_string),
        };
        assert_eq!(decide(&observed, booted), expected);
    }

    fn boot(image: &str) -> Decision {
        Decision::Boot {
            image: image.to_string(),
        }
    }

    #[test]
    fn boots_once_per_power_on_and_medium() {
        let iso = Some("http://127.0.0.1:1/os.iso");
        // Powered on, CD target, media in: boots.
        check(
            "On",
            Some("Cd"),
            iso,
            None,
            boot("http://127.0.0.1:1/os.iso"),
        );
        // The same medium, still on: already booted.
        check("On", Some("Cd"), iso, iso, Decision::Wait);
        // Another medium while on: a restart the poll missed; boots it.
        check(
            "On",
            Some("Cd"),
            Some("http://x/other.iso"),
            iso,
            boot("http://x/other.iso"),
        );
        // Target is not the CD, or nothing inserted: the machine boots elsewhere.
        check("On", Some("Hdd"), iso, None, Decision::Wait);
        check("On", Some("Pxe"), iso, None, Decision::Wait);
        check("On", None, iso, None, Decision::Wait);
        check("On", Some("Cd"), None, None, Decision::Wait);
        // Case of the target as some BMCs spell it.
        check(
            "On",
            Some("CD"),
            iso,
            None,
            boot("http://127.0.0.1:1/os.iso"),
        );
        // Off: resets a booted machine, else nothing to do.
        check("Off", Some("Cd"), iso, iso, Decision::Reset);
        check("Off", Some("Cd"), iso, None, Decision::Wait);
        check("PoweringOn", Some("Cd"), iso, None, Decision::Wait);
        check("PoweringOff", Some("Cd"), iso, iso, Decision::Reset);
    }
}
