//! Synthetic Airship-style sites of any size, for Aerostat's render benchmarks and
//! property tests.
//!
//! A site has global, type and site layers under one LayeringPolicy. Documents come
//! in families sharing a kind: an abstract global parent, an abstract type parent and
//! concrete site members, so every member's parent chain runs through all three
//! layers. Data has about 30 keys nested 4 deep with lists; layering uses merge,
//! replace and delete. Each application member carries 4 substitutions (a Passphrase
//! into a nested path, a catalogue host into a URL through a pattern, a catalogue
//! value into a list index, a catalogue subtree), one member in four is a concrete
//! type document replaced by a site document, and every kind has a
//! `deckhand/DataSchema/v1` its rendered data satisfies. Files are laid out like a
//! real repository, about fifty per layer. The same configuration always gives the
//! same site, byte for byte.
//!
//! ```
//! use aero_docs::mode::Mode;
//! use aero_docs::render::{render, RenderConfig};
//! use aero_synth::{synthetic_site, Shape, SynthConfig};
//!
//! let sources = synthetic_site(&SynthConfig { documents: 200, seed: 7, shape: Shape::Plain });
//! let rendered = render(&sources, &RenderConfig::new(Mode::Aerostat));
//! assert!(!rendered.has_errors());
//! ```

pub mod constructs;
pub mod data;
pub mod documents;
pub mod layout;
pub mod plan;
pub mod rng;
pub mod schema;

use std::path::Path;

use aero_docs::source::SourceSet;

pub use documents::{SITE_NAME, SITE_TYPE, SynthDocument, SynthStats};
pub use layout::{REPO_NAME, WriteError};

/// What site to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SynthConfig {
    /// Documents in the site, every kind counted (control documents, parents,
    /// Passphrases, replaced documents). Raised to [`plan::minimum_documents`] when
    /// smaller.
    pub documents: usize,
    /// Seed of every random choice; the same seed gives the same site.
    pub seed: u64,
    /// How the site is shaped and written.
    pub shape: Shape,
}

/// How a synthetic site is shaped and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Every document in the emitter's plain block style, one application kind per 250
    /// documents: the render benchmark's site since the start.
    Plain,
    /// Shaped like a real Airship site, whose YAML performs differently: 28 application
    /// kinds (30 DataSchemas with the catalogue and site definition kinds, about what a real
    /// site validates against, whatever its size), and documents written with the constructs
    /// real sites mix into their plain lines (see [`constructs`]). The documents' values are
    /// the [`Shape::Plain`] site's with the same kinds.
    RealSite,
}

/// Application kinds of a [`Shape::RealSite`] site.
pub const REAL_SITE_KINDS: usize = 28;

/// A generated site: its files and counts describing it.
#[derive(Clone, Debug)]
pub struct SyntheticSite {
    /// The site's files, in Pegleg's collection order.
    pub sources: SourceSet,
    /// What the site holds.
    pub stats: SynthStats,
}

/// Every document of the site `config` describes, in generation order, each tagged
/// with the group of files it belongs in.
pub fn synthetic_documents(config: &SynthConfig) -> (Vec<SynthDocument>, SynthStats) {
    let mut documents = Vec::new();
    let stats = build(config, &mut |group, value| {
        documents.push(SynthDocument { group, value });
    });
    (documents, stats)
}

fn build(
    config: &SynthConfig,
    sink: &mut dyn FnMut(documents::Group, serde_json::Value),
) -> SynthStats {
    let mut rng = rng::Rng::new(config.seed);
    let plan = match config.shape {
        Shape::Plain => plan::Plan::new(config.documents, &mut rng),
        Shape::RealSite => plan::Plan::with_kinds(config.documents, REAL_SITE_KINDS, &mut rng),
    };
    documents::build(&plan, rng, sink)
}

/// Generates the site `config` describes, with counts. Each document becomes YAML
/// text as soon as it is made, so generating holds little more than the text.
pub fn generate(config: &SynthConfig) -> SyntheticSite {
    let mut texts = Vec::new();
    // Its own random choices, so the documents' values do not depend on how they are written.
    let mut writing = rng::Rng::new(config.seed ^ 0x5eed_c0de);
    let mut constructs = 0;
    let mut stats = build(config, &mut |group, value| {
        let text = aero_yaml::to_yaml_string(&value);
        let text = match config.shape {
            Shape::Plain => text,
            Shape::RealSite => {
                let (rewritten, what) = constructs::rewrite(&text, &mut writing);
                constructs += what.constructs;
                rewritten
            }
        };
        texts.push((group, text));
    });
    stats.constructs = constructs;
    SyntheticSite {
        sources: layout::to_sources(texts),
        stats,
    }
}

/// Generates the site `config` describes as a [`SourceSet`].
pub fn synthetic_site(config: &SynthConfig) -> SourceSet {
    generate(config).sources
}

/// Generates the site and writes it under `root` as a repository (`global/`,
/// `type/synth-type/`, `site/synth-site/`).
pub fn write_synthetic_site(config: &SynthConfig, root: &Path) -> Result<SynthStats, WriteError> {
    let site = generate(config);
    layout::write_sources(&site.sources, root)?;
    Ok(site.stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aero_docs::diagnostic::Severity;
    use aero_docs::mode::Mode;
    use aero_docs::render::{RenderConfig, render};

    fn errors(sources: &SourceSet, mode: Mode) -> Vec<String> {
        render(sources, &RenderConfig::new(mode))
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .map(|diagnostic| {
                format!(
                    "{:?} {:?}: {}",
                    diagnostic.kind, diagnostic.document, diagnostic.message
                )
            })
            .collect()
    }

    #[test]
    fn real_site_shape_has_thirty_data_schemas_and_renders_like_the_plain_site() {
        let plain = SynthConfig {
            documents: 400,
            seed: 3,
            shape: Shape::Plain,
        };
        let real = generate(&SynthConfig {
            shape: Shape::RealSite,
            ..plain
        });
        assert_eq!(real.stats.documents, 400);
        assert_eq!(real.stats.data_schemas, 30);
        let text: String = real
            .sources
            .iter()
            .map(|(_, file)| file.text.as_str())
            .collect();
        for construct in [
            "|-", ">-", "\\\n", "<<: &", ": {\n", "\n# ", "...\n---", ": *value",
        ] {
            assert!(text.contains(construct), "{construct:?} never written");
        }
        assert!(real.stats.constructs > 400, "{:?}", real.stats);
        // The same values as the plain site with as many kinds: the same render.
        let mut rng = rng::Rng::new(plain.seed);
        let plan = plan::Plan::with_kinds(plain.documents, REAL_SITE_KINDS, &mut rng);
        let mut texts = Vec::new();
        documents::build(&plan, rng, &mut |group, value| {
            texts.push((group, aero_yaml::to_yaml_string(&value)));
        });
        let plain_sources = layout::to_sources(texts);
        for mode in [Mode::Aerostat, Mode::Deckhand] {
            let rendered = render(&real.sources, &RenderConfig::new(mode));
            let reference = render(&plain_sources, &RenderConfig::new(mode));
            assert_eq!(
                errors(&real.sources, mode),
                Vec::<String>::new(),
                "{mode:?}"
            );
            assert_eq!(rendered.output.len(), real.stats.expected_output);
            assert_eq!(
                aero_docs::revision::revision_id(&rendered),
                aero_docs::revision::revision_id(&reference),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn same_seed_same_site_other_seed_other_site() {
        let config = SynthConfig {
            documents: 300,
            seed: 11,
            shape: Shape::Plain,
        };
        let text = |sources: &SourceSet| -> Vec<(String, String)> {
            sources
                .iter()
                .map(|(_, file)| (file.rel_path.clone(), file.text.to_string()))
                .collect()
        };
        let first = text(&synthetic_site(&config));
        assert_eq!(first, text(&synthetic_site(&config)));
        assert_ne!(
            first,
            text(&synthetic_site(&SynthConfig { seed: 12, ..config }))
        );
    }

    #[test]
    fn site_has_the_requested_document_count_and_renders_clean_in_both_modes() {
        let site = generate(&SynthConfig {
            documents: 400,
            seed: 3,
            shape: Shape::Plain,
        });
        assert_eq!(site.stats.documents, 400);
        for mode in [Mode::Aerostat, Mode::Deckhand] {
            let rendered = render(&site.sources, &RenderConfig::new(mode));
            assert_eq!(rendered.documents.len(), 400, "every document loads");
            assert_eq!(
                errors(&site.sources, mode),
                Vec::<String>::new(),
                "{mode:?}"
            );
            assert_eq!(
                rendered.output.len(),
                site.stats.expected_output,
                "{mode:?}"
            );
        }
    }

    #[test]
    fn files_follow_pegleg_layout_and_collection_order() {
        let sources = synthetic_site(&SynthConfig {
            documents: 2000,
            seed: 1,
            shape: Shape::Plain,
        });
        let paths: Vec<&str> = sources
            .iter()
            .map(|(_, file)| file.rel_path.as_str())
            .collect();
        let rank = |path: &str| {
            ["global/", "type/synth-type/", "site/synth-site/"]
                .iter()
                .position(|prefix| path.starts_with(prefix))
        };
        assert!(paths.iter().all(|path| rank(path).is_some()), "{paths:?}");
        assert!(
            paths
                .windows(2)
                .all(|pair| (rank(pair[0]), pair[0]) < (rank(pair[1]), pair[1]))
        );
        for prefix in ["global/", "type/", "site/"] {
            let count = paths.iter().filter(|path| path.starts_with(prefix)).count();
            assert!((20..=60).contains(&count), "{prefix}: {count} files");
        }
        assert!(paths.contains(&"site/synth-site/site-definition.yaml"));
    }

    #[test]
    fn written_site_collects_and_renders_like_the_in_memory_one() {
        let config = SynthConfig {
            documents: 250,
            seed: 5,
            shape: Shape::Plain,
        };
        let directory = tempfile::tempdir().expect("temporary directory");
        let stats = write_synthetic_site(&config, directory.path()).expect("site written");
        assert_eq!(stats.documents, 250);
        let repo = aero_docs::collect::RepoSpec {
            name: REPO_NAME.to_string(),
            path: directory.path().to_path_buf(),
        };
        let collected =
            aero_docs::collect::collect_site(&[repo], SITE_NAME).expect("site collected");
        assert_eq!(collected.site_type, SITE_TYPE);
        let in_memory = synthetic_site(&config);
        let texts = |sources: &SourceSet| -> Vec<(String, String)> {
            sources
                .iter()
                .map(|(_, file)| (file.rel_path.clone(), file.text.to_string()))
                .collect()
        };
        assert_eq!(texts(&collected.sources), texts(&in_memory));
    }
}
