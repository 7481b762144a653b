//! A site at a revision, rendered and validated: what every front end (the CLI, the
//! planner, the workflow engine's workers, later the API server) starts from.
//!
//! The document engine (`aero-docs`) works on source files and returns the engine's
//! parallel vectors; this crate owns the steps around it that every caller needs, so
//! none of them writes the pipeline again:
//!
//! 1. **Where the manifests are**: [`repos::resolve_repos`] takes `--repo` specs or
//!    finds the repository the way git finds `.git` (walking up from the working folder).
//! 2. **Which revision**: [`Snapshot::collect`] reads a site's files from the working
//!    tree, or from a git revision or another folder for one repository
//!    ([`checkout::Checkout`], `git archive`). A [`Snapshot`] is the site's source files
//!    in memory, content-addressed ([`Snapshot::id`]); secrets stay encrypted in it, so it
//!    can be stored and rendered again later by anyone who holds a key.
//! 3. **Which keys**: [`KeyPolicy::resolve`] is the one identity policy: `--identity`
//!    files, else `AERO_AGE_IDENTITY`, else `AERO_AGE_IDENTITY_FILE`, else a repository's
//!    insecure demo key (the caller shows [`Keys::demo_warning`] once).
//! 4. **Render and validate**: [`Snapshot::render`] returns a [`RenderedSite`]: the
//!    documents with typed accessors ([`DocumentView`]), every diagnostic, the revision
//!    id of a valid render, and redacted views. Secrets found while rendering are
//!    registered with the redactor given in [`RenderOptions`], so no later output of the
//!    run can show them.
//!
//! ```no_run
//! use aero_site::{KeyPolicy, RenderOptions, Snapshot, repos};
//!
//! let repos = repos::resolve_repos(&[], std::path::Path::new("."))?;
//! let snapshot = Snapshot::collect(&repos, "edge-lon1", None)?;
//! let keys = KeyPolicy::default().resolve(&snapshot.repo_roots())?;
//! let site = snapshot.render(&keys, &RenderOptions::default());
//! if let Some(revision) = site.revision_id() {
//!     for node in site.documents_of_kind("drydock/BaremetalNode") {
//!         println!("{revision} {} at {}", node.name(), node.place());
//!     }
//! }
//! # Ok::<(), aero_site::SiteError>(())
//! ```

pub mod checkout;
mod error;
mod json_view;
mod keys;
mod redacted;
mod rendered;
pub mod repos;
mod snapshot;

pub use aero_docs::mode::Mode;
pub use error::SiteError;
pub use json_view::{DocumentJson, JsonDocument, write_json_documents};
pub use keys::{KeyPolicy, KeySource, Keys};
pub use redacted::redacted_value;
pub use rendered::{DocumentRef, DocumentView, RenderOptions, RenderedSite};
pub use snapshot::{NotUtf8At, Pin, SiteInfo, Snapshot, SnapshotFile};
