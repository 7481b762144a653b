//! Laying documents out in files the way a real site repository does: one layering
//! policy file, one file per DataSchema, application documents spread over about
//! fifty files per layer, Passphrases under the site's `secrets/` folder. Files come
//! in Pegleg's collection order (global, type, site; sorted by path within each), so
//! rendering the in-memory set and collecting the written folder give the same input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aero_docs::source::{SourceFile, SourceSet};

use crate::documents::{Group, Layer, SITE_NAME, SITE_TYPE};

/// Repository name the synthetic files claim.
pub const REPO_NAME: &str = "synthetic";

/// Application files per layer, at most.
const SOFTWARE_FILES: usize = 45;
/// Catalogue files per layer, at most.
const CATALOGUE_FILES: usize = 3;
/// Passphrase files, at most.
const SECRET_FILES: usize = 5;

/// The folder of a layer inside the repository.
fn layer_dir(layer: Layer) -> String {
    match layer {
        Layer::Global => "global".to_string(),
        Layer::Type => format!("type/{SITE_TYPE}"),
        Layer::Site => format!("site/{SITE_NAME}"),
    }
}

/// Where a group lives: a fixed file, or a folder to split into at most N parts.
enum Place {
    File(String),
    Parts(String, usize),
}

fn place(group: &Group) -> Place {
    match group {
        Group::LayeringPolicy => Place::File("global/layering-policy.yaml".to_string()),
        Group::Schema(kind) => {
            let file = match kind.rsplit_once('/') {
                Some((prefix, version)) => format!("{prefix}/{version}.yaml"),
                None => format!("{kind}.yaml"),
            };
            Place::File(format!("global/schemas/{file}"))
        }
        Group::SiteDefinition => Place::File(format!("site/{SITE_NAME}/site-definition.yaml")),
        Group::Catalogues(layer) => {
            Place::Parts(format!("{}/catalogues", layer_dir(*layer)), CATALOGUE_FILES)
        }
        Group::Software(layer) => {
            Place::Parts(format!("{}/software", layer_dir(*layer)), SOFTWARE_FILES)
        }
        Group::Secrets => Place::Parts(
            format!("site/{SITE_NAME}/secrets/passphrases"),
            SECRET_FILES,
        ),
    }
}

/// Assigns every document to a file; returns file path -> documents in order.
pub fn assign_files<T>(
    documents: impl IntoIterator<Item = (Group, T)>,
) -> BTreeMap<String, Vec<T>> {
    let mut files: BTreeMap<String, Vec<T>> = BTreeMap::new();
    let mut parts: BTreeMap<(String, usize), Vec<T>> = BTreeMap::new();
    for (group, document) in documents {
        match place(&group) {
            Place::File(path) => files.entry(path).or_default().push(document),
            Place::Parts(dir, limit) => parts.entry((dir, limit)).or_default().push(document),
        }
    }
    for ((dir, limit), values) in parts {
        let count = values.len().min(limit).max(1);
        let total = values.len();
        let mut values = values.into_iter();
        for part in 0..count {
            let size = (part + 1) * total / count - part * total / count;
            files
                .entry(format!("{dir}/part-{part:03}.yaml"))
                .or_default()
                .extend(values.by_ref().take(size));
        }
    }
    files
}

/// Pegleg's collection rank of a repository path: global, then type, then site.
pub fn layer_rank(path: &str) -> u8 {
    match path.split('/').next() {
        Some("global") => 0,
        Some("type") => 1,
        Some("site") => 2,
        _ => 3,
    }
}

/// Joins documents, each given as YAML block text without `---`, into one file's
/// text: the same bytes `aero_yaml::documents_to_yaml` writes.
pub fn join_documents<S: AsRef<str>>(documents: &[S]) -> String {
    let mut text = String::with_capacity(
        documents
            .iter()
            .map(|d| d.as_ref().len() + 4)
            .sum::<usize>()
            + 4,
    );
    for document in documents {
        text.push_str("---\n");
        text.push_str(document.as_ref());
    }
    if !documents.is_empty() {
        text.push_str("...\n");
    }
    text
}

/// The files as a [`SourceSet`] in collection order, from each document's group and
/// YAML text.
pub fn to_sources(documents: Vec<(Group, String)>) -> SourceSet {
    let mut files: Vec<(String, Vec<String>)> = assign_files(documents).into_iter().collect();
    files
        .sort_by(|(left, _), (right, _)| (layer_rank(left), left).cmp(&(layer_rank(right), right)));
    let mut sources = SourceSet::new();
    for (path, texts) in files {
        sources.add(SourceFile {
            repo: REPO_NAME.to_string(),
            path: PathBuf::from(&path),
            rel_path: path,
            text: join_documents(&texts).into(),
        });
    }
    sources
}

/// Why a site could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct WriteError {
    /// The file or folder that failed.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

/// Writes every file of `sources` under `root` at its repository path, so that
/// `aero site render synth-site --repo synthetic=ROOT` reads the same site.
pub fn write_sources(sources: &SourceSet, root: &Path) -> Result<(), WriteError> {
    for (_, file) in sources.iter() {
        let path = root.join(&file.rel_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| WriteError {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, file.text.as_bytes())
            .map_err(|source| WriteError { path, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn joined_text_matches_the_yaml_emitter() {
        let documents = [
            json!({"schema": "a/B/v1", "data": {"x": [1, 2]}}),
            json!({"y": "z"}),
        ];
        let texts: Vec<String> = documents.iter().map(aero_yaml::to_yaml_string).collect();
        assert_eq!(
            join_documents(&texts),
            aero_yaml::documents_to_yaml(&documents)
        );
        assert_eq!(join_documents::<String>(&[]), "");
    }

    #[test]
    fn parts_split_evenly_and_keep_order() {
        let documents = (0..103).map(|n| (Group::Software(Layer::Site), n));
        let files = assign_files(documents);
        assert_eq!(files.len(), SOFTWARE_FILES);
        let flattened: Vec<i32> = files.values().flatten().copied().collect();
        assert_eq!(flattened, (0..103).collect::<Vec<_>>());
        let sizes: Vec<usize> = files.values().map(Vec::len).collect();
        assert!(sizes.iter().all(|size| (2..=3).contains(size)), "{sizes:?}");
    }
}
