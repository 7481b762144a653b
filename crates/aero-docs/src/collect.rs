//! Gathering a site's YAML files, Pegleg style.
//!
//! A site's documents are every `*.yaml` file under `global/`, `type/<site_type>/`
//! and `site/<site>/` of each repository, skipping hidden files and folders and any
//! path with a `tools` component. The order is deterministic: layer by layer
//! (global, then type, then site), repository by repository in the order given,
//! files sorted by their path inside the repository. Documents keep their file order.
//! This order matters only in `--compat deckhand` mode, where Deckhand's processing
//! order depends on input order.

use std::fs;
use std::path::{Path, PathBuf};

use crate::source::{NotUtf8, SourceId, SourceSet};

/// The schema of a site definition document.
pub const SITE_DEFINITION_SCHEMA: &str = "pegleg/SiteDefinition/v1";

/// A repository of site manifests, named (`--repo name=path`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoSpec {
    /// Short name used in messages and in `--ref-repo`.
    pub name: String,
    /// Root folder of the repository (holding `global/`, `type/`, `site/`).
    pub path: PathBuf,
}

impl RepoSpec {
    /// Parses `name=path`, or a bare path whose folder name becomes the name.
    pub fn parse(spec: &str) -> Result<Self, CollectError> {
        let (name, path) = match spec.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() => {
                (name.to_string(), PathBuf::from(path))
            }
            Some(_) => return Err(CollectError::BadRepoSpec(spec.to_string())),
            None => {
                let path = PathBuf::from(spec);
                let name = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| spec.to_string());
                (name, path)
            }
        };
        Ok(Self { name, path })
    }
}

/// What the site list shows about one site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteSummary {
    /// Site name (its folder under `site/`).
    pub name: String,
    /// `data.site_type` of its site definition, if readable.
    pub site_type: Option<String>,
    /// Repository that holds the site definition.
    pub repo: String,
    /// Path of the site definition file.
    pub definition: PathBuf,
}

/// A site's files, ready to load.
#[derive(Clone, Debug)]
pub struct CollectedSite {
    /// Site name.
    pub name: String,
    /// `data.site_type` from the site definition.
    pub site_type: String,
    /// Every collected file, in collection order.
    pub sources: SourceSet,
    /// The file holding the site definition.
    pub definition: SourceId,
}

/// Why a site or a set of paths could not be collected.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// `--repo` was not `name=path` or a path.
    #[error("invalid repository `{0}`: expected NAME=PATH or PATH")]
    BadRepoSpec(String),
    /// A repository folder does not exist.
    #[error("repository `{name}` not found at {}", path.display())]
    RepoNotFound {
        /// Repository name.
        name: String,
        /// Folder that was looked for.
        path: PathBuf,
    },
    /// No repository has `site/<site>/site-definition.yaml`.
    #[error("site `{site}` not found{}", suggest(site, known))]
    SiteNotFound {
        /// Site asked for.
        site: String,
        /// Sites that do exist.
        known: Vec<String>,
    },
    /// Several repositories define the same site.
    #[error("site `{site}` is defined in more than one repository: {}", repos.join(", "))]
    SiteDefinedTwice {
        /// Site name.
        site: String,
        /// Repositories holding a definition.
        repos: Vec<String>,
    },
    /// The site definition is unreadable or lacks `data.site_type`.
    #[error("{file}:{line}:{column}: invalid site definition: {reason}")]
    InvalidSiteDefinition {
        /// File shown to the user.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong.
        reason: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// Path that failed.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A path given on the command line does not exist.
    #[error("no such file or folder: {}", .0.display())]
    PathNotFound(PathBuf),
}

impl aero_error::Classify for CollectError {
    fn class(&self) -> aero_error::ErrorClass {
        use aero_error::ErrorClass;
        match self {
            CollectError::BadRepoSpec(_) => ErrorClass::Usage,
            CollectError::RepoNotFound { .. }
            | CollectError::SiteNotFound { .. }
            | CollectError::PathNotFound(_) => ErrorClass::NotFound,
            CollectError::SiteDefinedTwice { .. } | CollectError::InvalidSiteDefinition { .. } => {
                ErrorClass::InvalidInput
            }
            CollectError::Read { source, .. } => source.class(),
        }
    }
}

fn suggest(site: &str, known: &[String]) -> String {
    if known.is_empty() {
        return " (no site-definition.yaml found under site/*/ in any repository)".to_string();
    }
    let closest = known
        .iter()
        .map(|candidate| (edit_distance(site, candidate), candidate))
        .min();
    match closest {
        Some((distance, candidate)) if distance <= 3 => {
            format!(
                "; did you mean `{candidate}`? (known sites: {})",
                known.join(", ")
            )
        }
        _ => format!(" (known sites: {})", known.join(", ")),
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(left: &str, right: &str) -> usize {
    let right_chars: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right_chars.len()).collect();
    for (i, left_char) in left.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, right_char) in right_chars.iter().enumerate() {
            let cost = usize::from(left_char != *right_char);
            let value = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            current.push(value);
        }
        previous = current;
    }
    previous[right_chars.len()]
}

fn check_repos(repos: &[RepoSpec]) -> Result<(), CollectError> {
    for repo in repos {
        if !repo.path.is_dir() {
            return Err(CollectError::RepoNotFound {
                name: repo.name.clone(),
                path: repo.path.clone(),
            });
        }
    }
    Ok(())
}

/// Lists every site defined in the repositories, sorted by name.
pub fn list_sites(repos: &[RepoSpec]) -> Result<Vec<SiteSummary>, CollectError> {
    check_repos(repos)?;
    let mut sites = Vec::new();
    for repo in repos {
        let site_root = repo.path.join("site");
        if !site_root.is_dir() {
            continue;
        }
        for (entry, is_dir) in read_dir_typed(&site_root)? {
            let definition = entry.join("site-definition.yaml");
            if !is_dir || is_hidden(&entry) || !definition.is_file() {
                continue;
            }
            let name = file_name(&entry);
            let bytes = read_bytes(&definition)?;
            let display = format!("{}/site/{}/site-definition.yaml", repo.name, name);
            let site_type = parse_site_type(&bytes, &display).ok();
            sites.push(SiteSummary {
                name,
                site_type,
                repo: repo.name.clone(),
                definition,
            });
        }
    }
    sites.sort_by(|left, right| left.name.cmp(&right.name));
    Ok(sites)
}

/// Collects the files of `site` from `repos`.
pub fn collect_site(repos: &[RepoSpec], site: &str) -> Result<CollectedSite, CollectError> {
    let sites = list_sites(repos)?;
    let matching: Vec<&SiteSummary> = sites
        .iter()
        .filter(|summary| summary.name == site)
        .collect();
    let summary = match matching.as_slice() {
        [] => {
            return Err(CollectError::SiteNotFound {
                site: site.to_string(),
                known: sites.iter().map(|summary| summary.name.clone()).collect(),
            });
        }
        [one] => *one,
        many => {
            return Err(CollectError::SiteDefinedTwice {
                site: site.to_string(),
                repos: many.iter().map(|summary| summary.repo.clone()).collect(),
            });
        }
    };
    let definition_bytes = read_bytes(&summary.definition)?;
    let display = format!("{}/site/{}/site-definition.yaml", summary.repo, site);
    let site_type = parse_site_type(&definition_bytes, &display)?;

    let layer_dirs = [
        PathBuf::from("global"),
        Path::new("type").join(&site_type),
        Path::new("site").join(site),
    ];
    let mut sources = SourceSet::new();
    let mut definition = None;
    for layer_dir in &layer_dirs {
        for repo in repos {
            let root = repo.path.join(layer_dir);
            if !root.is_dir() {
                continue;
            }
            let mut files = Vec::new();
            walk_yaml(&root, &mut files, &["yaml"])?;
            let mut relative: Vec<(String, PathBuf)> = files
                .into_iter()
                .map(|path| (relative_path(&repo.path, &path), path))
                .collect();
            relative.sort();
            for (rel_path, path) in relative {
                let bytes = read_bytes(&path)?;
                let is_definition = path == summary.definition;
                let id = sources.add_bytes(repo.name.clone(), rel_path, path, bytes);
                if is_definition {
                    definition = Some(id);
                }
            }
        }
    }
    let definition = match definition {
        Some(id) => id,
        None => sources.add_bytes(
            summary.repo.clone(),
            format!("site/{site}/site-definition.yaml"),
            summary.definition.clone(),
            definition_bytes,
        ),
    };
    Ok(CollectedSite {
        name: site.to_string(),
        site_type,
        sources,
        definition,
    })
}

/// Collects loose files and folders given on the command line (for `aero render PATH...`).
///
/// Folders are walked for `*.yaml` and `*.yml`, hidden entries skipped, sorted by path;
/// arguments keep their order.
pub fn collect_paths(paths: &[PathBuf]) -> Result<SourceSet, CollectError> {
    let mut sources = SourceSet::new();
    for given in paths {
        if given.is_file() {
            sources.add_bytes(
                String::new(),
                given.display().to_string(),
                given.clone(),
                read_bytes(given)?,
            );
        } else if given.is_dir() {
            let mut files = Vec::new();
            walk_yaml(given, &mut files, &["yaml", "yml"])?;
            files.sort();
            for path in files {
                let bytes = read_bytes(&path)?;
                sources.add_bytes(String::new(), path.display().to_string(), path, bytes);
            }
        } else {
            return Err(CollectError::PathNotFound(given.clone()));
        }
    }
    Ok(sources)
}

fn parse_site_type(bytes: &[u8], display: &str) -> Result<String, CollectError> {
    let invalid = |line: u32, column: u32, reason: String| CollectError::InvalidSiteDefinition {
        file: display.to_string(),
        line,
        column,
        reason,
    };
    if let Some(bad) = NotUtf8::find(bytes) {
        return Err(invalid(bad.line, bad.column, bad.to_string()));
    }
    let text = String::from_utf8_lossy(bytes);
    let options = aero_yaml::LoadOptions::new(aero_yaml::Dialect::Yaml12);
    let documents = aero_yaml::load_all(&text, &options)
        .map_err(|error| invalid(error.mark.line, error.mark.col, error.message.clone()))?;
    for document in &documents {
        let root = &document.root;
        let schema = map_get(root, "schema").and_then(as_str);
        if schema != Some(SITE_DEFINITION_SCHEMA) {
            continue;
        }
        let data = map_get(root, "data");
        return match data.and_then(|data| map_get(data, "site_type")) {
            Some(node) => match as_str(node) {
                Some(site_type) if !site_type.is_empty() => Ok(site_type.to_string()),
                _ => Err(invalid(
                    node.span.start.line,
                    node.span.start.col,
                    "data.site_type must be a non-empty string".to_string(),
                )),
            },
            None => Err(invalid(
                root.span.start.line,
                root.span.start.col,
                "data.site_type is missing".to_string(),
            )),
        };
    }
    Err(invalid(
        1,
        1,
        format!("no document with schema {SITE_DEFINITION_SCHEMA}"),
    ))
}

fn map_get<'a>(node: &'a aero_yaml::Node, key: &str) -> Option<&'a aero_yaml::Node> {
    match &node.value {
        aero_yaml::Yaml::Map(entries) => entries
            .iter()
            .find(|(entry_key, _)| matches!(&entry_key.value, aero_yaml::Yaml::Str(text) if text == key))
            .map(|(_, value)| value),
        _ => None,
    }
}

fn as_str(node: &aero_yaml::Node) -> Option<&str> {
    match &node.value {
        aero_yaml::Yaml::Str(text) => Some(text),
        _ => None,
    }
}

fn walk_yaml(dir: &Path, out: &mut Vec<PathBuf>, extensions: &[&str]) -> Result<(), CollectError> {
    for (path, is_dir) in read_dir_typed(dir)? {
        if is_hidden(&path) || file_name(&path) == "tools" {
            continue;
        }
        if is_dir {
            walk_yaml(&path, out, extensions)?;
        } else if path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| extensions.contains(&extension))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The entries of `dir`, sorted, each with whether it is a directory (a symbolic link to
/// one counts, as with `Path::is_dir`). The type comes with the directory listing on most
/// file systems, so a site of a few hundred files is walked without a `stat` per entry.
fn read_dir_typed(dir: &Path) -> Result<Vec<(PathBuf, bool)>, CollectError> {
    let read_error = |source| CollectError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let is_dir = match entry.file_type() {
            Ok(kind) if !kind.is_symlink() => kind.is_dir(),
            _ => path.is_dir(),
        };
        entries.push((path, is_dir));
    }
    entries.sort();
    Ok(entries)
}

/// Reads a file as bytes: whether they are UTF-8 is the loader's question (a file that is
/// not becomes a located problem of that file, not a failure to collect the site).
fn read_bytes(path: &Path) -> Result<Vec<u8>, CollectError> {
    fs::read(path).map_err(|source| CollectError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn is_hidden(path: &Path) -> bool {
    file_name(path).starts_with('.')
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn relative_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn repo_with_site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "site/lab1/site-definition.yaml",
            "---\nschema: pegleg/SiteDefinition/v1\nmetadata: {name: lab1}\ndata:\n  site_type: edge\n",
        );
        write(root, "site/lab1/b.yaml", "---\n{}\n");
        write(root, "site/lab1/a/z.yaml", "---\n{}\n");
        write(
            root,
            "site/other/site-definition.yaml",
            "---\nschema: pegleg/SiteDefinition/v1\ndata: {site_type: core}\n",
        );
        write(root, "site/other/x.yaml", "---\n{}\n");
        write(root, "global/common.yaml", "---\n{}\n");
        write(root, "global/.hidden.yaml", "---\n{}\n");
        write(root, "global/.git/config.yaml", "---\n{}\n");
        write(root, "global/tools/gen.yaml", "---\n{}\n");
        write(root, "global/readme.md", "not yaml");
        write(root, "global/legacy.yml", "---\n{}\n");
        write(root, "type/edge/net.yaml", "---\n{}\n");
        write(root, "type/core/net.yaml", "---\n{}\n");
        dir
    }

    #[test]
    fn collects_pegleg_layers_in_order() {
        let dir = repo_with_site();
        let repos = vec![RepoSpec {
            name: "manifests".into(),
            path: dir.path().to_path_buf(),
        }];
        let site = collect_site(&repos, "lab1").unwrap();
        assert_eq!(site.site_type, "edge");
        let names: Vec<String> = site
            .sources
            .iter()
            .map(|(_, file)| file.rel_path.clone())
            .collect();
        assert_eq!(
            names,
            [
                "global/common.yaml",
                "type/edge/net.yaml",
                "site/lab1/a/z.yaml",
                "site/lab1/b.yaml",
                "site/lab1/site-definition.yaml",
            ]
        );
        assert_eq!(
            site.sources.get(site.definition).rel_path,
            "site/lab1/site-definition.yaml"
        );
    }

    #[test]
    fn unknown_site_suggests_a_close_name() {
        let dir = repo_with_site();
        let repos = vec![RepoSpec {
            name: "m".into(),
            path: dir.path().to_path_buf(),
        }];
        let error = collect_site(&repos, "lab2").unwrap_err().to_string();
        assert!(error.contains("did you mean `lab1`"), "{error}");
        let sites = list_sites(&repos).unwrap();
        let names: Vec<&str> = sites.iter().map(|site| site.name.as_str()).collect();
        assert_eq!(names, ["lab1", "other"]);
        assert_eq!(sites[1].site_type.as_deref(), Some("core"));
    }

    #[test]
    fn repo_spec_parses_both_forms() {
        assert_eq!(
            RepoSpec::parse("global=/srv/global").unwrap(),
            RepoSpec {
                name: "global".into(),
                path: "/srv/global".into()
            }
        );
        assert_eq!(RepoSpec::parse("/srv/manifests").unwrap().name, "manifests");
        assert!(RepoSpec::parse("=x").is_err());
    }

    /// Directories are told from files by the listing's entry types; a symbolic link is
    /// followed as a `stat` of each entry would (to a directory: walked; to a file or
    /// dangling: listed, and reading it says what is wrong).
    #[test]
    fn walks_follow_symbolic_links_and_skip_hidden_entries() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "shared/common.yaml", "---\n{}\n");
        write(dir.path(), "tree/a.yaml", "---\n{}\n");
        write(dir.path(), "tree/notes.txt", "x");
        write(dir.path(), "tree/.hidden/h.yaml", "---\n{}\n");
        write(dir.path(), "tree/tools/t.yaml", "---\n{}\n");
        write(dir.path(), "tree/deep/b.yml", "---\n{}\n");
        std::os::unix::fs::symlink(dir.path().join("shared"), dir.path().join("tree/linked"))
            .unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("shared/common.yaml"),
            dir.path().join("tree/alias.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("gone"),
            dir.path().join("tree/dangling.yaml"),
        )
        .unwrap();
        let mut found = Vec::new();
        walk_yaml(&dir.path().join("tree"), &mut found, &["yaml", "yml"]).unwrap();
        let found: Vec<String> = found
            .iter()
            .map(|path| relative_path(&dir.path().join("tree"), path))
            .collect();
        assert_eq!(
            found,
            [
                "a.yaml",
                "alias.yaml",
                "dangling.yaml",
                "deep/b.yml",
                "linked/common.yaml"
            ]
        );
    }

    #[test]
    fn missing_site_type_is_located() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "site/s/site-definition.yaml",
            "---\nschema: pegleg/SiteDefinition/v1\ndata:\n  site_type: 3\n",
        );
        let repos = vec![RepoSpec {
            name: "m".into(),
            path: dir.path().to_path_buf(),
        }];
        let error = collect_site(&repos, "s").unwrap_err().to_string();
        assert!(
            error.starts_with("m/site/s/site-definition.yaml:4:14: invalid site definition"),
            "{error}"
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_collected_and_reported_where_it_breaks() {
        let dir = repo_with_site();
        fs::write(
            dir.path().join("site/lab1/latin1.yaml"),
            b"---\nschema: a/B/v1\n# caf\xe9\n".as_slice(),
        )
        .unwrap();
        let repos = vec![RepoSpec {
            name: "m".into(),
            path: dir.path().to_path_buf(),
        }];
        let site = collect_site(&repos, "lab1").unwrap();
        let (id, _) = site
            .sources
            .iter()
            .find(|(_, file)| file.rel_path == "site/lab1/latin1.yaml")
            .unwrap();
        let bad = site.sources.not_utf8(id).unwrap();
        assert_eq!(
            (bad.offset, bad.byte, bad.line, bad.column),
            (24, 0xe9, 3, 6)
        );
        let paths = collect_paths(&[dir.path().join("site/lab1/latin1.yaml")]).unwrap();
        assert!(paths.not_utf8(crate::source::SourceId(0)).is_some());
    }

    #[test]
    fn a_site_definition_that_is_not_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "site/s/x.yaml", "---\n{}\n");
        fs::write(
            dir.path().join("site/s/site-definition.yaml"),
            b"---\nschema: pegleg/SiteDefinition/v1\ndata: {site_type: \xff}\n".as_slice(),
        )
        .unwrap();
        let repos = vec![RepoSpec {
            name: "m".into(),
            path: dir.path().to_path_buf(),
        }];
        let error = collect_site(&repos, "s").unwrap_err().to_string();
        assert!(
            error.starts_with("m/site/s/site-definition.yaml:3:19: invalid site definition: the file is not UTF-8: byte 0xff at offset 55"),
            "{error}"
        );
    }
}
