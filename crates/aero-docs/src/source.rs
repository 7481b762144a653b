//! Source files: the text of every YAML file a render read, kept so that
//! diagnostics can point at `file:line:col` and show a snippet.

use std::path::PathBuf;

/// Index of a [`SourceFile`] in a [`SourceSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub u32);

/// One YAML file as it was read.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Name of the repository the file came from (`site-manifests`, `global`, ...),
    /// empty for files given directly on the command line.
    pub repo: String,
    /// Path relative to the repository root with `/` separators, or the path as given.
    pub rel_path: String,
    /// Path on disk.
    pub path: PathBuf,
    /// Full text of the file.
    pub text: std::sync::Arc<String>,
}

impl SourceFile {
    /// The name to show a person: `repo:rel/path.yaml`, or just the path for loose files.
    pub fn display_name(&self) -> String {
        if self.repo.is_empty() {
            self.rel_path.clone()
        } else {
            format!("{}/{}", self.repo, self.rel_path)
        }
    }

    /// The top-level directory of the file inside its repository (`global`, `type`, `site`, ...).
    pub fn top_dir(&self) -> Option<&str> {
        let (first, rest) = self.rel_path.split_once('/')?;
        (!rest.is_empty()).then_some(first)
    }
}

/// Where a file stops being UTF-8: the first byte that is not part of a valid UTF-8
/// sequence. Such a file is invalid input (YAML is Unicode text, and PyYAML refused it
/// too), reported like a syntax error instead of failing the whole collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Byte offset of the first bad byte, from 0.
    pub offset: usize,
    /// The bad byte.
    pub byte: u8,
    /// 1-based line of the bad byte.
    pub line: u32,
    /// 1-based column (in characters) of the bad byte.
    pub column: u32,
}

impl NotUtf8 {
    /// Where `bytes` stop being UTF-8, if they do.
    pub fn find(bytes: &[u8]) -> Option<NotUtf8> {
        let error = std::str::from_utf8(bytes).err()?;
        let offset = error.valid_up_to();
        let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line_start = valid.rfind('\n').map_or(0, |newline| newline + 1);
        let line = valid.matches('\n').count() + 1;
        let column = valid[line_start..].chars().count() + 1;
        Some(NotUtf8 {
            offset,
            byte: bytes.get(offset).copied().unwrap_or_default(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        })
    }
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "the file is not UTF-8: byte 0x{:02x} at offset {} is not valid UTF-8",
            self.byte, self.offset
        )
    }
}

/// Every source file of one render, addressed by [`SourceId`].
#[derive(Clone, Debug, Default)]
pub struct SourceSet {
    files: Vec<SourceFile>,
    /// Files that were not UTF-8 (their text is a lossy decoding, kept for snippets).
    not_utf8: Vec<(SourceId, NotUtf8)>,
}

impl SourceSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        let id = SourceId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// Adds a file read as bytes. Bytes that are not UTF-8 do not stop anything: the
    /// file is kept with its text decoded lossily and [`SourceSet::not_utf8`] says where
    /// it went wrong, so loading reports it as a located problem of that one file.
    pub fn add_bytes(
        &mut self,
        repo: String,
        rel_path: String,
        path: PathBuf,
        bytes: Vec<u8>,
    ) -> SourceId {
        let (text, not_utf8) = match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(error) => {
                let not_utf8 = NotUtf8::find(error.as_bytes());
                (
                    String::from_utf8_lossy(error.as_bytes()).into_owned(),
                    not_utf8,
                )
            }
        };
        self.add_decoded(
            SourceFile {
                repo,
                rel_path,
                path,
                text: std::sync::Arc::new(text),
            },
            not_utf8,
        )
    }

    /// Adds a file whose bytes were decoded already: lossily, when `not_utf8` says where
    /// they stopped being UTF-8 (a stored snapshot of a file read by [`SourceSet::add_bytes`]).
    pub fn add_decoded(&mut self, file: SourceFile, not_utf8: Option<NotUtf8>) -> SourceId {
        let id = self.add(file);
        if let Some(not_utf8) = not_utf8 {
            self.not_utf8.push((id, not_utf8));
        }
        id
    }

    /// Where the file `id` stops being UTF-8, if it was added from bytes that are not.
    pub fn not_utf8(&self, id: SourceId) -> Option<NotUtf8> {
        self.not_utf8
            .iter()
            .find(|(file, _)| *file == id)
            .map(|(_, not_utf8)| *not_utf8)
    }

    /// The file with this id.
    ///
    /// Ids only come from [`SourceSet::add`] on the same set, so the lookup cannot miss.
    pub fn get(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (SourceId(index as u32), file))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the set holds no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_utf8_is_located_at_its_first_bad_byte() {
        let bytes = b"---\nname: caf\xc3\xa9\nlabel: \xff\xfe\n".to_vec();
        let mut sources = SourceSet::new();
        let id = sources.add_bytes(String::new(), "bad.yaml".into(), "bad.yaml".into(), bytes);
        let found = sources.not_utf8(id).expect("the file is not UTF-8");
        assert_eq!(
            found,
            NotUtf8 {
                offset: 23,
                byte: 0xff,
                line: 3,
                column: 8
            }
        );
        assert!(sources.get(id).text.contains("label: \u{fffd}"));
        let good = sources.add_bytes(
            String::new(),
            "good.yaml".into(),
            "good.yaml".into(),
            b"---\n".to_vec(),
        );
        assert_eq!(sources.not_utf8(good), None);
    }
}
