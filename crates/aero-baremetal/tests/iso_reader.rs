//! The ISO reader on hostile bytes: truncated images, garbage, random mutations of a
//! real image and a crafted directory loop all end in a result, never a panic or a hang.

use aero_baremetal::{CIDATA_LABEL, ImageTime, IsoImage, IsoReadError, write_image};
use proptest::prelude::*;

const SECTOR: usize = 2048;

fn image() -> Vec<u8> {
    write_image(
        CIDATA_LABEL,
        &[
            ("user-data", b"#cloud-config\nhostname: n1\n".as_slice()),
            ("meta-data", b"instance-id: n1-0\n".as_slice()),
            ("network-config", b"network:\n  version: 2\n".as_slice()),
        ],
        ImageTime::DEFAULT,
    )
    .unwrap()
}

/// Everything a caller may do with an image; the results do not matter, only that
/// there are results.
fn exercise(bytes: &[u8]) {
    if let Ok(image) = IsoImage::parse(bytes) {
        let _ = image.label();
        let _ = image.entries();
        let _ = image.read("user-data");
        let _ = image.read("a/b/c");
        let _ = image.read("/");
    }
}

#[test]
fn every_truncation_fails_cleanly_or_reads() {
    let bytes = image();
    let mut lengths: Vec<usize> = (0..bytes.len()).step_by(97).collect();
    for sector in 0..bytes.len() / SECTOR {
        lengths.extend([
            sector * SECTOR,
            sector * SECTOR + 1,
            (sector + 1) * SECTOR - 1,
        ]);
    }
    for length in lengths {
        exercise(&bytes[..length.min(bytes.len())]);
    }
    assert_eq!(
        IsoImage::parse(&bytes[..16 * SECTOR]).unwrap_err(),
        IsoReadError::NotIso9660
    );
    // Cut inside the user-data file: the descriptors and directory read, the file does not.
    let user_data_end = find(&bytes, b"hostname: n1\n").unwrap() + 5;
    let cut = IsoImage::parse(&bytes[..user_data_end]).unwrap();
    assert!(matches!(
        cut.read("user-data"),
        Err(IsoReadError::Malformed { .. })
    ));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[test]
fn a_directory_that_contains_itself_is_an_error_not_a_hang() {
    let mut bytes = image();
    let root = IsoImage::parse(&bytes).unwrap();
    assert_eq!(root.entries().unwrap().len(), 3);
    // Turn the user-data record into a directory whose extent is the root directory.
    let root_record = 16 * SECTOR + 156;
    let root_extent: [u8; 8] = bytes[root_record + 2..root_record + 10].try_into().unwrap();
    let root_size: [u8; 8] = bytes[root_record + 10..root_record + 18]
        .try_into()
        .unwrap();
    let root_start = u32::from_le_bytes(root_extent[..4].try_into().unwrap()) as usize;
    let directory = &bytes[root_start * SECTOR..(root_start + 1) * SECTOR];
    let mut position = 0;
    let mut record_at = None;
    while position < directory.len() && directory[position] != 0 {
        let length = directory[position] as usize;
        let name_length = directory[position + 32] as usize;
        if &directory[position + 33..position + 33 + name_length] == b"USER_DATA.;1" {
            record_at = Some(root_start * SECTOR + position);
        }
        position += length;
    }
    let record = record_at.expect("the user-data record");
    bytes[record + 2..record + 10].copy_from_slice(&root_extent);
    bytes[record + 10..record + 18].copy_from_slice(&root_size);
    bytes[record + 25] |= 0x02;
    let image = IsoImage::parse(&bytes).unwrap();
    assert!(matches!(
        image.entries(),
        Err(IsoReadError::Malformed {
            what: "directory loop",
            ..
        })
    ));
    // Looked up by path, each step is bounded too.
    assert!(image.read("user-data/user-data/user-data/x").is_err());
}

#[test]
fn plain_garbage_is_not_an_image() {
    assert_eq!(IsoImage::parse(&[]).unwrap_err(), IsoReadError::NotIso9660);
    assert_eq!(
        IsoImage::parse(&vec![0u8; 100 * SECTOR]).unwrap_err(),
        IsoReadError::NotIso9660
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_mutations_of_a_real_image_never_panic(
        changes in proptest::collection::vec((0usize..40 * SECTOR, any::<u8>()), 1..64)
    ) {
        let mut bytes = image();
        for (offset, value) in changes {
            if let Some(byte) = bytes.get_mut(offset) {
                *byte = value;
            }
        }
        exercise(&bytes);
    }

    #[test]
    fn garbage_behind_a_valid_signature_never_panics(
        mut bytes in proptest::collection::vec(any::<u8>(), 17 * SECTOR..24 * SECTOR),
        terminator in any::<bool>(),
    ) {
        bytes[16 * SECTOR..16 * SECTOR + 7].copy_from_slice(b"\x01CD001\x01");
        bytes[16 * SECTOR + 128..16 * SECTOR + 130].copy_from_slice(&2048u16.to_le_bytes());
        if terminator && bytes.len() >= 18 * SECTOR {
            bytes[17 * SECTOR..17 * SECTOR + 7].copy_from_slice(b"\xffCD001\x01");
        }
        exercise(&bytes);
    }
}
