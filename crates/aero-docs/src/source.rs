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
    pub text: String,
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

/// Every source file of one render, addressed by [`SourceId`].
#[derive(Clone, Debug, Default)]
pub struct SourceSet {
    files: Vec<SourceFile>,
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
