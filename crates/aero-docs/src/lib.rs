//! Aerostat's document engine: collect, layer, substitute, validate and render
//! site documents, Deckhand and Pegleg compatible.
//!
//! Data flows one way: [`collect`] gathers files into a [`source::SourceSet`];
//! [`render::render`] loads them ([`document`]), layers ([`layering`]) and
//! substitutes ([`substitution`]) in dependency order ([`order`]) over one value
//! [`value::Arena`] that records provenance. Everything that can go wrong becomes a
//! [`diagnostic::Diagnostic`]. The engine reads files and nothing else.
//!
//! ```no_run
//! use aero_docs::collect::{collect_site, RepoSpec};
//! use aero_docs::mode::Mode;
//! use aero_docs::render::{render, RenderConfig};
//!
//! let repos = [RepoSpec::parse("site-manifests").unwrap()];
//! let site = collect_site(&repos, "edge-lon1").unwrap();
//! let rendered = render(&site.sources, &RenderConfig::new(Mode::Aerostat));
//! for index in &rendered.output {
//!     println!("{}", rendered.document(*index).doc_ref());
//! }
//! ```
pub mod collect;
pub mod compat;
pub mod decrypt;
pub mod dependencies;
pub mod diagnostic;
pub mod diff;
pub mod document;
pub mod explain;
pub mod identity;
pub mod layering;
pub mod lint;
pub mod map;
pub mod mode;
pub mod order;
pub mod path;
pub mod pattern;
pub mod policy;
pub mod render;
pub mod revision;
pub mod secret_kinds;
pub mod source;
pub mod substitution;
pub mod validate;
pub mod value;
