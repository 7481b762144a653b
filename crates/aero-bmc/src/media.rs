//! Virtual media slots: what each takes, what it holds, and which to use for the operating
//! system image and for a second (configuration) image.

use std::fmt;

/// A kind of media a slot takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// CD image.
    Cd,
    /// DVD image.
    Dvd,
    /// Floppy (disk) image.
    Floppy,
    /// USB stick (disk) image.
    UsbStick,
    /// Anything else the BMC names.
    Other(String),
}

impl MediaType {
    /// The type a BMC's name means (`CD`, `DVD`, `Floppy`, `USBStick`; case-insensitive).
    pub fn from_name(name: &str) -> MediaType {
        match name.to_ascii_lowercase().as_str() {
            "cd" => MediaType::Cd,
            "dvd" => MediaType::Dvd,
            "floppy" => MediaType::Floppy,
            "usbstick" | "usb" => MediaType::UsbStick,
            _ => MediaType::Other(name.to_string()),
        }
    }

    /// `CD`, `DVD`, `Floppy`, `USBStick` or the other name.
    pub fn as_str(&self) -> &str {
        match self {
            MediaType::Cd => "CD",
            MediaType::Dvd => "DVD",
            MediaType::Floppy => "Floppy",
            MediaType::UsbStick => "USBStick",
            MediaType::Other(name) => name,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A virtual media slot and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSlot {
    /// The id a step names the slot by (Redfish: the slot's `Id`, e.g. `Cd`, `Floppy`,
    /// `CD`, `RemovableDisk`, `1`).
    pub id: String,
    /// A display name, when the BMC gives one.
    pub name: Option<String>,
    /// The media the slot takes.
    pub media_types: Vec<MediaType>,
    /// The image it holds (a URL, or only a file name on some BMCs).
    pub image: Option<String>,
    /// Whether media is inserted (connected).
    pub inserted: bool,
    /// Whether the media is write protected, when reported.
    pub write_protected: Option<bool>,
    /// Whether the BMC offers a way to insert media into this slot.
    pub can_insert: bool,
    /// Whether the machine boots a CD image from this slot: it takes CD/DVD, can be
    /// inserted into, and no vendor rule excludes it (iDRAC 10 boots only from slot `1`).
    pub boots_cd: bool,
}

impl MediaSlot {
    /// Whether the slot takes CD or DVD images.
    pub fn takes_cd(&self) -> bool {
        self.media_types
            .iter()
            .any(|media| matches!(media, MediaType::Cd | MediaType::Dvd))
    }

    /// Whether the slot takes disk images (floppy or USB stick).
    pub fn takes_disk(&self) -> bool {
        self.media_types
            .iter()
            .any(|media| matches!(media, MediaType::Floppy | MediaType::UsbStick))
    }

    /// Whether the slot reports `image_url` inserted (or only its file name, as some BMCs do).
    pub fn holds(&self, image_url: &str) -> bool {
        self.inserted
            && match &self.image {
                None => true,
                Some(image) => {
                    image == image_url
                        || image_url
                            .rsplit('/')
                            .next()
                            .is_some_and(|file| file == image)
                }
            }
    }
}

/// The slots to use for a deployment: one for the operating system image, one for a
/// configuration image (see [`pick_slots`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotChoice {
    /// The slot the machine boots the OS image from.
    pub os: Option<String>,
    /// A second slot for the configuration image, when the BMC has one.
    pub config: Option<String>,
}

/// Picks the slots for an OS image and a configuration image, in the order the BMC lists
/// them: the OS image goes in the first slot the machine boots CDs from; the configuration
/// image in the first other slot that takes disk images (sushy's `Floppy`, iDRAC's
/// `RemovableDisk`), else in another slot that can be inserted into (a second CD slot).
/// Pure: no I/O.
pub fn pick_slots(slots: &[MediaSlot]) -> SlotChoice {
    let os = slots.iter().find(|slot| slot.boots_cd).map(|slot| &slot.id);
    let others = || {
        slots
            .iter()
            .filter(|slot| slot.can_insert && Some(&slot.id) != os)
    };
    let config = others()
        .find(|slot| slot.takes_disk())
        .or_else(|| others().next())
        .map(|slot| slot.id.clone());
    SlotChoice {
        os: os.cloned(),
        config,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(id: &str, types: &[&str], boots_cd: bool) -> MediaSlot {
        MediaSlot {
            id: id.to_string(),
            name: None,
            media_types: types
                .iter()
                .map(|name| MediaType::from_name(name))
                .collect(),
            image: None,
            inserted: false,
            write_protected: None,
            can_insert: true,
            boots_cd,
        }
    }

    #[track_caller]
    fn check(slots: &[MediaSlot], os: Option<&str>, config: Option<&str>) {
        let choice = pick_slots(slots);
        assert_eq!(choice.os.as_deref(), os);
        assert_eq!(choice.config.as_deref(), config);
    }

    #[test]
    fn os_in_a_cd_slot_config_in_a_second_slot() {
        // sushy-emulator: Cd (CD, DVD) and Floppy (Floppy, USBStick).
        check(
            &[
                slot("Cd", &["CD", "DVD"], true),
                slot("Floppy", &["Floppy", "USBStick"], false),
            ],
            Some("Cd"),
            Some("Floppy"),
        );
        // iDRAC 9: CD and RemovableDisk, listed disk first.
        check(
            &[
                slot("RemovableDisk", &["Floppy", "USBStick"], false),
                slot("CD", &["CD", "DVD"], true),
            ],
            Some("CD"),
            Some("RemovableDisk"),
        );
        // iDRAC 10: two CD slots, only slot 1 boots.
        check(
            &[
                slot("2", &["CD", "DVD", "USBStick"], false),
                slot("1", &["CD", "DVD", "USBStick"], true),
            ],
            Some("1"),
            Some("2"),
        );
        // One slot only: no second image.
        check(&[slot("CD1", &["CD"], true)], Some("CD1"), None);
        // Nothing bootable.
        let mut read_only = slot("CD1", &["CD"], false);
        read_only.can_insert = false;
        check(&[read_only], None, None);
    }

    #[test]
    fn holds_matches_url_or_file_name() {
        let mut cd = slot("Cd", &["CD"], true);
        assert!(!cd.holds("http://x/a.iso"));
        cd.inserted = true;
        cd.image = Some("a.iso".to_string());
        assert!(cd.holds("http://x/a.iso"));
        assert!(!cd.holds("http://x/b.iso"));
        assert!(!cd.holds("http://x/aa.iso"));
        cd.image = Some("http://x/a.iso".to_string());
        assert!(cd.holds("http://x/a.iso"));
        assert!(cd.takes_cd() && !cd.takes_disk());
    }
}
