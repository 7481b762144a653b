//! A small ISO 9660 reader: list and extract the files of an image held in memory, by
//! their Rock Ridge names, else Joliet names, else plain ISO 9660 names.
//!
//! Written for hostile input: every offset and length is checked against the image
//! before use (no indexing that can panic, no arithmetic that can overflow), directory
//! walks are bounded in depth, entries and visited extents, and Rock Ridge continuation
//! areas in hops. Anything that does not add up is an [`IsoReadError`], never a panic.
//!
//! Not read: multi-extent files (over 4 GiB), Rock Ridge directory relocation (deep
//! trees), El Torito and the ISO 9660:1999 tree; config images use none of them.

use std::collections::BTreeSet;

use aero_error::{Classify, ErrorClass};

/// ISO 9660 logical sector size (the only block size read).
const SECTOR: usize = 2048;
/// The volume descriptor set starts at sector 16.
const FIRST_DESCRIPTOR: usize = 16;
/// Descriptors looked at before giving up on a terminator.
const MAX_DESCRIPTORS: usize = 64;
/// Directory depth walked at most.
const MAX_DEPTH: usize = 32;
/// Entries listed at most.
const MAX_ENTRIES: usize = 65_536;
/// Rock Ridge continuation areas followed per record at most.
const MAX_CONTINUATIONS: usize = 16;
/// Directory bytes a listing reads at most (overlapping directories of a hostile image
/// could otherwise make it read the image many times over).
const MAX_DIRECTORY_BYTES: u64 = 64 << 20;
/// Size of a directory record without its name.
const RECORD_HEADER: usize = 33;

/// Why an image could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsoReadError {
    /// No ISO 9660 volume descriptor at sector 16.
    #[error("not an ISO 9660 image (no CD001 volume descriptor at sector 16)")]
    NotIso9660,
    /// A structure is malformed or points outside the image.
    #[error("malformed ISO 9660 image: {what} (at byte {offset})")]
    Malformed {
        /// What is wrong.
        what: &'static str,
        /// Where, in bytes from the start of the image.
        offset: u64,
    },
    /// Something the reader does not handle.
    #[error("unsupported ISO 9660 feature: {what}")]
    Unsupported {
        /// What.
        what: &'static str,
    },
    /// A walk limit was reached (a hostile or looping tree).
    #[error("ISO 9660 tree too large or looping: more than {limit} {what}")]
    Limit {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// No such file.
    #[error("no file `{path}` in the image")]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// The path names a directory.
    #[error("`{path}` is a directory")]
    IsDirectory {
        /// The path asked for.
        path: String,
    },
}

impl Classify for IsoReadError {
    fn class(&self) -> ErrorClass {
        match self {
            IsoReadError::NotFound { .. } | IsoReadError::IsDirectory { .. } => {
                ErrorClass::NotFound
            }
            _ => ErrorClass::InvalidInput,
        }
    }
}

/// Which names the reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    /// Rock Ridge `NM` names over the primary tree.
    RockRidge,
    /// The Joliet tree's UCS-2 names.
    Joliet,
    /// The primary tree's ISO 9660 names, version (`;1`) removed.
    Plain,
}

/// A file or directory of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoEntry {
    /// Its path from the root, `/`-separated, without a leading `/`.
    pub path: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Size in bytes (of a directory: of its records).
    pub size: u64,
}

/// An ISO 9660 image in memory, its descriptors read.
#[derive(Clone)]
pub struct IsoImage<'a> {
    bytes: &'a [u8],
    label: String,
    names: NameSource,
    root: Extent,
    /// Rock Ridge: bytes to skip at the start of each system use area (`SP`).
    susp_skip: usize,
}

impl std::fmt::Debug for IsoImage<'_> {
    /// Label, names and size: never the bytes (a config image holds a node's token).
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IsoImage")
            .field("label", &self.label)
            .field("names", &self.names)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What a listing has read so far.
struct Walk {
    visited: BTreeSet<Extent>,
    directory_bytes: u64,
}

/// Where a directory or file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Extent {
    start: u64,
    size: u64,
}

/// One directory record, decoded.
#[derive(Debug, Clone)]
struct Record {
    extent: Extent,
    is_dir: bool,
    name: String,
}

impl<'a> IsoImage<'a> {
    /// Reads the volume descriptors of `bytes` and picks the best names it has.
    pub fn parse(bytes: &'a [u8]) -> Result<IsoImage<'a>, IsoReadError> {
        let mut primary: Option<(String, Extent)> = None;
        let mut joliet: Option<(String, Extent)> = None;
        for index in 0..MAX_DESCRIPTORS {
            let offset = (FIRST_DESCRIPTOR + index) * SECTOR;
            let Some(descriptor) = bytes.get(offset..offset + SECTOR) else {
                if index == 0 {
                    return Err(IsoReadError::NotIso9660);
                }
                return Err(malformed(
                    "volume descriptor set without terminator",
                    offset,
                ));
            };
            if descriptor.get(1..6) != Some(b"CD001".as_slice()) {
                if index == 0 {
                    return Err(IsoReadError::NotIso9660);
                }
                return Err(malformed("volume descriptor without CD001", offset));
            }
            match descriptor[0] {
                1 if primary.is_none() => {
                    check_block_size(descriptor, offset)?;
                    let label = ascii_field(&descriptor[40..72]);
                    let root = root_extent(descriptor, offset)?;
                    primary = Some((label, root));
                }
                2 if joliet.is_none() && is_joliet(descriptor) => {
                    check_block_size(descriptor, offset)?;
                    let label = ucs2_field(&descriptor[40..72]);
                    let root = root_extent(descriptor, offset)?;
                    joliet = Some((label, root));
                }
                255 => break,
                _ => {}
            }
        }
        let Some((label, primary_root)) = primary else {
            return Err(malformed(
                "no primary volume descriptor",
                FIRST_DESCRIPTOR * SECTOR,
            ));
        };
        let mut image = IsoImage {
            bytes,
            label,
            names: NameSource::Plain,
            root: primary_root,
            susp_skip: 0,
        };
        if let Some(skip) = image.rock_ridge_skip()? {
            image.names = NameSource::RockRidge;
            image.susp_skip = skip;
        } else if let Some((joliet_label, joliet_root)) = joliet {
            image.names = NameSource::Joliet;
            image.root = joliet_root;
            if image.label.is_empty() {
                image.label = joliet_label;
            }
        }
        Ok(image)
    }

    /// The volume label (the primary volume identifier, trailing spaces removed).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Which names are read.
    pub fn name_source(&self) -> NameSource {
        self.names
    }

    /// Every file and directory, sorted by path.
    pub fn entries(&self) -> Result<Vec<IsoEntry>, IsoReadError> {
        let mut entries = Vec::new();
        let mut walk = Walk {
            visited: BTreeSet::new(),
            directory_bytes: 0,
        };
        self.walk(self.root, "", 0, &mut walk, &mut entries)?;
        entries.sort_by(|left, right| left.path.cmp(&right.path));
        Ok(entries)
    }

    /// The content of the file at `path` (`user-data` or `/user-data`). Plain ISO 9660
    /// names are compared without regard to case.
    pub fn read(&self, path: &str) -> Result<&'a [u8], IsoReadError> {
        let not_found = || IsoReadError::NotFound {
            path: path.to_string(),
        };
        let mut directory = self.root;
        let mut components = path.split('/').filter(|part| !part.is_empty()).peekable();
        if components.peek().is_none() {
            return Err(IsoReadError::IsDirectory {
                path: path.to_string(),
            });
        }
        let mut depth = 0;
        while let Some(component) = components.next() {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(IsoReadError::Limit {
                    what: "directory levels",
                    limit: MAX_DEPTH,
                });
            }
            let record = self
                .records(directory)?
                .into_iter()
                .find(|record| self.same_name(&record.name, component))
                .ok_or_else(not_found)?;
            if components.peek().is_none() {
                if record.is_dir {
                    return Err(IsoReadError::IsDirectory {
                        path: path.to_string(),
                    });
                }
                return self.slice(record.extent, "file extent outside the image");
            }
            if !record.is_dir {
                return Err(not_found());
            }
            directory = record.extent;
        }
        Err(not_found())
    }

    fn same_name(&self, name: &str, wanted: &str) -> bool {
        match self.names {
            NameSource::Plain => name.eq_ignore_ascii_case(wanted),
            _ => name == wanted,
        }
    }

    fn walk(
        &self,
        directory: Extent,
        prefix: &str,
        depth: usize,
        walk: &mut Walk,
        entries: &mut Vec<IsoEntry>,
    ) -> Result<(), IsoReadError> {
        if depth > MAX_DEPTH {
            return Err(IsoReadError::Limit {
                what: "directory levels",
                limit: MAX_DEPTH,
            });
        }
        walk.directory_bytes = walk.directory_bytes.saturating_add(directory.size);
        if walk.directory_bytes > MAX_DIRECTORY_BYTES {
            return Err(IsoReadError::Limit {
                what: "directory bytes",
                limit: MAX_DIRECTORY_BYTES as usize,
            });
        }
        if !walk.visited.insert(directory) {
            return Err(malformed(
                "directory loop",
                directory.start.saturating_mul(SECTOR as u64),
            ));
        }
        for record in self.records(directory)? {
            if entries.len() >= MAX_ENTRIES {
                return Err(IsoReadError::Limit {
                    what: "entries",
                    limit: MAX_ENTRIES,
                });
            }
            let path = if prefix.is_empty() {
                record.name.clone()
            } else {
                format!("{prefix}/{}", record.name)
            };
            entries.push(IsoEntry {
                path: path.clone(),
                is_dir: record.is_dir,
                size: record.extent.size,
            });
            if record.is_dir {
                self.walk(record.extent, &path, depth + 1, walk, entries)?;
            }
        }
        Ok(())
    }

    /// The records of a directory, `.` and `..` left out.
    fn records(&self, directory: Extent) -> Result<Vec<Record>, IsoReadError> {
        let data = self.slice(directory, "directory extent outside the image")?;
        let base = directory.start.saturating_mul(SECTOR as u64);
        let mut records = Vec::new();
        let mut position = 0usize;
        while position < data.len() {
            let length = usize::from(data[position]);
            if length == 0 {
                // Records never cross a sector: the rest of this sector is padding.
                position = (position / SECTOR + 1) * SECTOR;
                continue;
            }
            let offset = base.saturating_add(position as u64);
            let Some(raw) = data.get(position..position + length) else {
                return Err(malformed("directory record past its directory", offset));
            };
            position += length;
            if records.len() >= MAX_ENTRIES {
                return Err(IsoReadError::Limit {
                    what: "entries",
                    limit: MAX_ENTRIES,
                });
            }
            if let Some(record) = self.record(raw, offset)? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// One record; `None` for `.`, `..` and entries Rock Ridge hides (relocated).
    fn record(&self, raw: &[u8], offset: u64) -> Result<Option<Record>, IsoReadError> {
        if raw.len() < RECORD_HEADER + 1 {
            return Err(malformed("directory record too short", offset));
        }
        let extent = Extent {
            start: u64::from(le32(raw, 2).ok_or_else(|| malformed("record", offset))?),
            size: u64::from(le32(raw, 10).ok_or_else(|| malformed("record", offset))?),
        };
        let flags = raw[25];
        if flags & 0x80 != 0 {
            return Err(IsoReadError::Unsupported {
                what: "multi-extent files",
            });
        }
        let is_dir = flags & 0x02 != 0;
        let name_length = usize::from(raw[32]);
        let Some(identifier) = raw.get(RECORD_HEADER..RECORD_HEADER + name_length) else {
            return Err(malformed("record name past the record", offset));
        };
        if identifier == [0] || identifier == [1] {
            return Ok(None);
        }
        let system_use_start = RECORD_HEADER + name_length + (1 - name_length % 2);
        let name = match self.names {
            NameSource::RockRidge => {
                let system_use = raw.get(system_use_start..).unwrap_or(&[]);
                match self.rock_ridge_name(system_use, offset)? {
                    RockRidgeName::Hidden => return Ok(None),
                    RockRidgeName::Name(name) => name,
                    RockRidgeName::None => plain_name(identifier, is_dir),
                }
            }
            NameSource::Joliet => strip_version(&decode_ucs2(identifier)).to_string(),
            NameSource::Plain => plain_name(identifier, is_dir),
        };
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(malformed("unusable file name", offset));
        }
        Ok(Some(Record {
            extent,
            is_dir,
            name,
        }))
    }

    /// The `NM` name in a record's system use area, following `CE` continuations.
    fn rock_ridge_name(
        &self,
        system_use: &[u8],
        offset: u64,
    ) -> Result<RockRidgeName, IsoReadError> {
        let mut name: Vec<u8> = Vec::new();
        let mut found = false;
        let mut area = system_use.get(self.susp_skip..).unwrap_or(&[]);
        let mut hops = 0;
        loop {
            let mut continuation: Option<&[u8]> = None;
            let mut position = 0usize;
            while let Some(header) = area.get(position..position + 4) {
                let length = usize::from(header[2]);
                if length < 4 {
                    break;
                }
                let Some(entry) = area.get(position..position + length) else {
                    return Err(malformed("Rock Ridge entry past its area", offset));
                };
                match &entry[0..2] {
                    b"NM" if entry.len() >= 5 => {
                        let flags = entry[4];
                        if flags & 0x06 == 0 {
                            name.extend_from_slice(&entry[5..]);
                            found = true;
                        }
                    }
                    b"RE" => return Ok(RockRidgeName::Hidden),
                    b"CE" if entry.len() >= 28 => {
                        let block = le32(entry, 4).ok_or_else(|| malformed("CE", offset))?;
                        let start = le32(entry, 12).ok_or_else(|| malformed("CE", offset))?;
                        let length = le32(entry, 20).ok_or_else(|| malformed("CE", offset))?;
                        let begin = u64::from(block)
                            .saturating_mul(SECTOR as u64)
                            .saturating_add(u64::from(start));
                        continuation = Some(self.range(
                            begin,
                            u64::from(length),
                            "Rock Ridge continuation outside the image",
                        )?);
                    }
                    b"ST" => break,
                    _ => {}
                }
                position += length;
            }
            match continuation {
                Some(next) => {
                    hops += 1;
                    if hops > MAX_CONTINUATIONS {
                        return Err(IsoReadError::Limit {
                            what: "Rock Ridge continuation areas",
                            limit: MAX_CONTINUATIONS,
                        });
                    }
                    area = next;
                }
                None => break,
            }
        }
        if !found {
            return Ok(RockRidgeName::None);
        }
        Ok(RockRidgeName::Name(
            String::from_utf8_lossy(&name).into_owned(),
        ))
    }

    /// Whether the primary tree has Rock Ridge (an `SP` entry in its root's `.`
    /// record), and how many bytes each system use area then skips.
    fn rock_ridge_skip(&self) -> Result<Option<usize>, IsoReadError> {
        let data = self.slice(self.root, "root directory outside the image")?;
        let Some(&length) = data.first() else {
            return Ok(None);
        };
        let Some(dot) = data.get(..usize::from(length)) else {
            return Err(malformed("root record past its directory", self.root.start));
        };
        if dot.len() < RECORD_HEADER + 1 {
            return Ok(None);
        }
        let name_length = usize::from(dot[32]);
        let start = RECORD_HEADER + name_length + (1 - name_length % 2);
        match dot.get(start..start + 7) {
            Some([b'S', b'P', 7, _, 0xBE, 0xEF, skip]) => Ok(Some(usize::from(*skip))),
            _ => Ok(None),
        }
    }

    fn slice(&self, extent: Extent, what: &'static str) -> Result<&'a [u8], IsoReadError> {
        self.range(
            extent.start.saturating_mul(SECTOR as u64),
            extent.size,
            what,
        )
    }

    fn range(&self, start: u64, length: u64, what: &'static str) -> Result<&'a [u8], IsoReadError> {
        let end = start
            .checked_add(length)
            .ok_or_else(|| malformed(what, start))?;
        let (Ok(start_index), Ok(end_index)) = (usize::try_from(start), usize::try_from(end))
        else {
            return Err(malformed(what, start));
        };
        self.bytes
            .get(start_index..end_index)
            .ok_or_else(|| malformed(what, start))
    }
}

enum RockRidgeName {
    Name(String),
    /// A relocated directory's placeholder (`RE`): not listed.
    Hidden,
    None,
}

fn malformed(what: &'static str, offset: impl TryInto<u64>) -> IsoReadError {
    IsoReadError::Malformed {
        what,
        offset: offset.try_into().unwrap_or(u64::MAX),
    }
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let field: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(field))
}

fn check_block_size(descriptor: &[u8], offset: usize) -> Result<(), IsoReadError> {
    match descriptor.get(128..130) {
        Some([low, high]) if u16::from_le_bytes([*low, *high]) == SECTOR as u16 => Ok(()),
        Some(_) => Err(IsoReadError::Unsupported {
            what: "logical block sizes other than 2048",
        }),
        None => Err(malformed("volume descriptor", offset)),
    }
}

fn root_extent(descriptor: &[u8], offset: usize) -> Result<Extent, IsoReadError> {
    let root = descriptor
        .get(156..190)
        .ok_or_else(|| malformed("root directory record", offset))?;
    Ok(Extent {
        start: u64::from(le32(root, 2).ok_or_else(|| malformed("root record", offset))?),
        size: u64::from(le32(root, 10).ok_or_else(|| malformed("root record", offset))?),
    })
}

/// A supplementary descriptor is Joliet when its escape sequences name UCS-2 level 1-3.
fn is_joliet(descriptor: &[u8]) -> bool {
    matches!(
        descriptor.get(88..91),
        Some(b"%/@") | Some(b"%/C") | Some(b"%/E")
    )
}

fn ascii_field(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

fn ucs2_field(bytes: &[u8]) -> String {
    decode_ucs2(bytes).trim_end_matches([' ', '\0']).to_string()
}

fn decode_ucs2(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// `NAME.EXT;1` → `NAME.EXT`, `NAME.;1` → `NAME`.
fn plain_name(identifier: &[u8], is_dir: bool) -> String {
    let text = String::from_utf8_lossy(identifier);
    if is_dir {
        return text.into_owned();
    }
    strip_version(&text).trim_end_matches('.').to_string()
}

fn strip_version(name: &str) -> &str {
    match name.rsplit_once(';') {
        Some((base, version)) if version.bytes().all(|byte| byte.is_ascii_digit()) => base,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_empty_input_fail_cleanly() {
        assert_eq!(IsoImage::parse(&[]).unwrap_err(), IsoReadError::NotIso9660);
        assert_eq!(
            IsoImage::parse(&vec![0xAB; 40 * SECTOR]).unwrap_err(),
            IsoReadError::NotIso9660
        );
    }

    #[test]
    fn names_lose_their_version() {
        assert_eq!(plain_name(b"USER_DATA.;1", false), "USER_DATA");
        assert_eq!(plain_name(b"A.TXT;1", false), "A.TXT");
        assert_eq!(plain_name(b"DIR", true), "DIR");
        assert_eq!(strip_version("user-data;1"), "user-data");
        assert_eq!(strip_version("a;b"), "a;b");
    }

    #[test]
    fn ucs2_decodes_and_replaces_lone_surrogates() {
        assert_eq!(decode_ucs2(&[0, b'a', 0, b'b']), "ab");
        assert_eq!(decode_ucs2(&[0xD8, 0x00, 0, b'x']), "\u{FFFD}x");
        assert_eq!(decode_ucs2(&[0, b'a', 0]), "a");
    }
}
