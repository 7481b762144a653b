//! Helpers shared by the crate's integration tests: the example sites, rendered, and
//! the Debian tools some tests run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use aero_baremetal::{ConfigImage, HostModel, ImageTime, NodeConfig};
use aero_docs::collect::RepoSpec;
use aero_site::{KeyPolicy, RenderOptions, RenderedSite, Snapshot};

/// The example sites.
pub const SITES: [&str; 2] = ["edge-lon1", "edge-fra1"];

/// The workspace's example manifests repository.
pub fn example_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site-manifests")
}

/// A site of a manifests repository, rendered with its demo key; fails the test unless
/// it renders cleanly.
pub fn render_site(repo: &Path, site: &str) -> RenderedSite {
    let repos = vec![RepoSpec {
        name: "site-manifests".into(),
        path: repo.to_path_buf(),
    }];
    let snapshot = Snapshot::collect(&repos, site, None).unwrap();
    let keys = KeyPolicy::default()
        .resolve(&snapshot.repo_roots())
        .unwrap();
    let rendered = snapshot.render(&keys, &RenderOptions::default());
    assert!(rendered.is_valid(), "{site}: {:#?}", rendered.diagnostics());
    rendered
}

/// Every node of an example site with its config and image.
pub fn example_configs(site: &str) -> Vec<(String, NodeConfig, ConfigImage)> {
    let rendered = render_site(&example_repo(), site);
    let revision = rendered.revision_id().unwrap().to_string();
    let model = HostModel::from_site(&rendered).unwrap_or_else(|errors| panic!("{errors}"));
    model
        .nodes()
        .iter()
        .map(|node| {
            let config = NodeConfig::render(&model, node, &revision).unwrap();
            let image = ConfigImage::build(&config, ImageTime::DEFAULT).unwrap();
            (node.name.clone(), config, image)
        })
        .collect()
}

/// The path of a tool the test needs; fails the test, naming the Debian package (which
/// `ci/test.sh` installs), when it is not installed.
pub fn require_tool(tool: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut folders: Vec<PathBuf> = std::env::split_paths(&path).collect();
    folders.extend(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from));
    folders
        .into_iter()
        .map(|folder| folder.join(tool))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{tool}` is not installed: this test needs the Debian package `{package}` \
                 (apt-get install -y --no-install-recommends {package}; ci/test.sh installs it)"
            )
        })
}
