//! Where the manifests repositories are: given with `--repo`, or found the way git finds
//! `.git`, by walking up from the working folder.

use std::path::{Path, PathBuf};

use aero_docs::collect::RepoSpec;

use crate::error::SiteError;

/// The folder name a manifests repository has when nobody names one.
pub const DEFAULT_REPO_DIR: &str = "site-manifests";

/// The repositories to read: the `--repo` specs (`NAME=PATH` or `PATH`) when given, else
/// the one found from `start` by [`find_repo`].
pub fn resolve_repos(specs: &[String], start: &Path) -> Result<Vec<RepoSpec>, SiteError> {
    if specs.is_empty() {
        return find_repo(start).map(|repo| vec![repo]);
    }
    specs
        .iter()
        .map(|spec| RepoSpec::parse(spec).map_err(SiteError::from))
        .collect()
}

/// Finds the manifests repository from `start`: in `start` and then in each folder above
/// it, the folder itself if it is a manifests repository, else its `site-manifests`
/// child if that is one.
pub fn find_repo(start: &Path) -> Result<RepoSpec, SiteError> {
    let absolute = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(start))
            .unwrap_or_else(|_| start.to_path_buf())
    };
    for folder in absolute.ancestors() {
        for candidate in [folder.to_path_buf(), folder.join(DEFAULT_REPO_DIR)] {
            if is_manifests_repo(&candidate) {
                return Ok(RepoSpec {
                    name: repo_name(&candidate),
                    path: relative_if_below(&candidate, &absolute),
                });
            }
        }
    }
    Err(SiteError::NoRepository { start: absolute })
}

/// Whether `folder` holds at least one `site/*/site-definition.yaml`.
pub fn is_manifests_repo(folder: &Path) -> bool {
    let Ok(sites) = std::fs::read_dir(folder.join("site")) else {
        return false;
    };
    sites
        .flatten()
        .any(|site| site.path().join("site-definition.yaml").is_file())
}

fn repo_name(folder: &Path) -> String {
    folder
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| DEFAULT_REPO_DIR.to_string())
}

/// `site-manifests` rather than `/home/me/work/site-manifests` when it is right below
/// the working folder, so messages stay short.
fn relative_if_below(candidate: &Path, start: &Path) -> PathBuf {
    candidate
        .strip_prefix(start)
        .ok()
        .filter(|relative| !relative.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| candidate.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_repo(root: &Path) {
        let site = root.join("site/lab1");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("site-definition.yaml"), "---\n").unwrap();
    }

    #[test]
    fn finds_the_repository_from_any_folder_below_or_beside_it() {
        let temp = tempfile::tempdir().unwrap();
        let repo = temp.path().join("site-manifests");
        make_repo(&repo);
        let deep = repo.join("site/lab1");
        let from_deep = find_repo(&deep).unwrap();
        assert_eq!(from_deep.path, repo);
        assert_eq!(from_deep.name, "site-manifests");
        let nested = temp.path().join("crates/x/src");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(find_repo(&nested).unwrap().path, repo);
        let from_top = find_repo(temp.path()).unwrap();
        assert_eq!(from_top.path, PathBuf::from("site-manifests"));
    }

    #[test]
    fn a_folder_without_a_repository_says_where_it_looked_and_hints_repo() {
        let temp = tempfile::tempdir().unwrap();
        let error = find_repo(temp.path()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("--repo"), "{message}");
        assert!(
            message.contains(&temp.path().display().to_string()),
            "{message}"
        );
        assert_eq!(
            aero_error::Classify::class(&error),
            aero_error::ErrorClass::NotFound
        );
    }

    #[test]
    fn given_specs_win_over_the_search() {
        let temp = tempfile::tempdir().unwrap();
        let repos = resolve_repos(&["global=/x/g".into(), "/y/sites".into()], temp.path()).unwrap();
        assert_eq!(repos[0].name, "global");
        assert_eq!(repos[1].name, "sites");
        assert!(resolve_repos(&["=x".into()], temp.path()).is_err());
    }
}
