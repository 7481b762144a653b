//! Config (cidata) images: ISO 9660 with Rock Ridge and Joliet names, volume label
//! `cidata`, every timestamp fixed, named by their SHA-256; and a reader for them.
//!
//! # Why hadris-iso 3
//!
//! The image must be the same bytes on every worker for the same node and revision, so
//! the writer may read no clock and no file system. `hadris-iso` 3.0 writes Rock Ridge
//! and Joliet in pure Rust and is reproducible by design: it reads no clock and dates the
//! volume and every entry with the time it is given (2.5 stamped the current time, which
//! ruled it out). The alternative, driving Debian's `xorriso -as mkisofs` with
//! `SOURCE_DATE_EPOCH` and `--modification-date`, would make every worker depend on a
//! system package and an external process, with bytes that may change with the package's
//! version. The crate is pinned exactly (`=3.0.0-rc.2`) because the bytes are part of the
//! contract; [`tests`] hold a known image digest that any layout change would break.
//! Images are checked with `isoinfo`, `blkid` and cloud-init's expectations in the
//! crate's tests.
//!
//! # Reading
//!
//! [`IsoImage`] is a small, bounds-checked reader written here, not the writer crate's:
//! the lab's node stand-in reads `user-data` from whatever image a BMC was given, so
//! the reader must survive hostile bytes (no panics, no unbounded loops or allocations),
//! and only needs to list and extract files.

mod read;

use std::fmt;

use hadris_fs::{Content, DateTime, Node as TreeNode, Tree};
use hadris_iso::{IsoId, IsoLevel, IsoOptions};
use hadris_storage::{BlockSize, MemDevice};
use sha2::{Digest, Sha256};

use crate::config::{ConfigPart, NodeConfig};
use crate::error::ImageError;
use crate::model::Sha256Digest;

pub use read::{IsoEntry, IsoImage, IsoReadError, NameSource};

/// The volume label cloud-init's NoCloud datasource looks for.
pub const CIDATA_LABEL: &str = "cidata";

/// The time every timestamp of an image carries, in seconds since the Unix epoch (UTC).
///
/// The caller chooses it: the workflow passes the action's pinned time, so the image of
/// a node at a revision is the same on every worker. [`ImageTime::DEFAULT`] is
/// 1980-01-01T00:00:00Z, the earliest time every common format (FAT, zip, ISO 9660)
/// stores, which reproducible builds use when no source date is given; it depends on
/// nothing, so it is deterministic too. Times outside what ISO 9660 records can hold
/// (1970 to 2155) are clamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageTime(i64);

impl ImageTime {
    /// 1980-01-01T00:00:00Z.
    pub const DEFAULT: ImageTime = ImageTime(315_532_800);

    /// The latest time a directory record holds (2155-12-31T23:59:59Z).
    const MAX_SECONDS: i64 = 5_917_651_199;

    /// A time in seconds since the Unix epoch, clamped to 1970..=2155.
    pub fn from_unix_seconds(seconds: i64) -> ImageTime {
        ImageTime(seconds.clamp(0, Self::MAX_SECONDS))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }
}

impl Default for ImageTime {
    fn default() -> Self {
        ImageTime::DEFAULT
    }
}

/// A node's config image.
#[derive(Clone)]
pub struct ConfigImage {
    bytes: Vec<u8>,
    sha256: Sha256Digest,
}

impl fmt::Debug for ConfigImage {
    /// Size and digest only: the image holds the node's token.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "ConfigImage({} bytes, sha256 {})",
            self.bytes.len(),
            self.sha256
        )
    }
}

impl ConfigImage {
    /// The image of a node's config: `user-data`, `meta-data` and `network-config` at
    /// the root, label `cidata`, every timestamp `time`.
    pub fn build(config: &NodeConfig, time: ImageTime) -> Result<ConfigImage, ImageError> {
        let files: Vec<(&str, &[u8])> = ConfigPart::ALL
            .iter()
            .map(|part| (part.file_name(), config.part(*part).as_bytes()))
            .collect();
        let bytes = write_image(CIDATA_LABEL, &files, time)?;
        let sha256 = Sha256Digest(Sha256::digest(&bytes).into());
        Ok(ConfigImage { bytes, sha256 })
    }

    /// The image.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The image, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Its SHA-256.
    pub fn sha256(&self) -> Sha256Digest {
        self.sha256
    }

    /// The name it is stored and served under: `<sha256>.iso`.
    pub fn file_name(&self) -> String {
        format!("{}.iso", self.sha256)
    }
}

/// An ISO 9660 image (level 2 names, Rock Ridge, Joliet) with `files` at the root under
/// volume label `label`, every timestamp `time`. The same arguments give the same bytes.
pub fn write_image(
    label: &str,
    files: &[(&str, &[u8])],
    time: ImageTime,
) -> Result<Vec<u8>, ImageError> {
    let failed = |reason: String| ImageError { reason };
    let time = DateTime::new(time.unix_seconds(), 0)
        .map_err(|error| failed(format!("time {}: {error:?}", time.unix_seconds())))?;
    let mut tree = Tree::new();
    for (name, content) in files {
        tree.insert(*name, TreeNode::file(Content::bytes(content.to_vec())))
            .map_err(|error| failed(format!("{name}: {error}")))?;
    }
    let options = IsoOptions::new()
        .with_id(IsoId::Volume, label)
        .with_id(IsoId::Application, "AEROSTAT")
        .with_level(IsoLevel::L2)
        .with_joliet()
        .with_rock_ridge()
        .with_time(time);
    let size = hadris_iso::plan(&tree, &options)
        .map_err(|error| failed(error.to_string()))?
        .size();
    let size = usize::try_from(size).map_err(|_| failed(format!("{size} bytes is too large")))?;
    let block_size = BlockSize::new(2048).ok_or_else(|| failed("block size 2048".into()))?;
    let mut device = MemDevice::new(vec![0u8; size], block_size);
    hadris_iso::sync::write(&mut device, &tree, &options)
        .map_err(|error| failed(error.to_string()))?;
    Ok(device.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(time: ImageTime) -> Vec<u8> {
        write_image(
            CIDATA_LABEL,
            &[
                ("user-data", b"#cloud-config\nhostname: n1\n"),
                ("meta-data", b"instance-id: n1-0\n"),
                ("network-config", b"version: 2\n"),
            ],
            time,
        )
        .unwrap()
    }

    #[test]
    fn the_same_input_gives_the_same_bytes_and_the_time_is_an_input() {
        let first = sample(ImageTime::DEFAULT);
        assert_eq!(first, sample(ImageTime::DEFAULT));
        assert_ne!(first, sample(ImageTime::from_unix_seconds(1_700_000_000)));
        assert_eq!(first.len() % 2048, 0);
    }

    #[test]
    fn a_known_image_keeps_its_digest() {
        // The bytes are a contract between workers: a writer upgrade that lays images out
        // differently must be a deliberate change of this digest.
        let digest = Sha256Digest(Sha256::digest(sample(ImageTime::DEFAULT)).into());
        assert_eq!(
            digest.to_string(),
            "4ab96dd9e35c9b74a497f60f49be77eac452958bd6e8305ee5e46a93b4847bfa"
        );
    }

    #[test]
    fn times_are_clamped_to_what_records_hold() {
        assert_eq!(ImageTime::from_unix_seconds(-5).unix_seconds(), 0);
        assert_eq!(
            ImageTime::from_unix_seconds(i64::MAX).unix_seconds(),
            ImageTime::MAX_SECONDS
        );
        let late = sample(ImageTime::from_unix_seconds(i64::MAX));
        assert!(IsoImage::parse(&late).is_ok());
    }

    #[test]
    fn the_reader_reads_what_the_writer_wrote() {
        let bytes = sample(ImageTime::DEFAULT);
        let image = IsoImage::parse(&bytes).unwrap();
        assert_eq!(image.label(), CIDATA_LABEL);
        assert_eq!(image.name_source(), NameSource::RockRidge);
        let names: Vec<String> = image
            .entries()
            .unwrap()
            .into_iter()
            .map(|entry| entry.path)
            .collect();
        assert_eq!(names, ["meta-data", "network-config", "user-data"]);
        assert_eq!(
            image.read("user-data").unwrap(),
            b"#cloud-config\nhostname: n1\n"
        );
        assert_eq!(image.read("/meta-data").unwrap(), b"instance-id: n1-0\n");
    }
}
