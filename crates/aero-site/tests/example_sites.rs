//! The bundled example sites, opened with their demo key, render cleanly in both modes,
//! validate against their schemas, and render to the same data in both modes (they avoid
//! every Deckhand quirk); stored and read back, their snapshots render to the same
//! revision.

use std::path::PathBuf;

use aero_docs::collect::{RepoSpec, list_sites};
use aero_docs::diagnostic::Severity;
use aero_site::{KeyPolicy, Mode, RenderOptions, Snapshot};

fn repo() -> Vec<RepoSpec> {
    vec![RepoSpec {
        name: "site-manifests".into(),
        path: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../site-manifests")),
    }]
}

#[test]
fn example_sites_render_and_validate_in_both_modes() {
    let sites = list_sites(&repo()).unwrap();
    assert!(sites.len() >= 2, "two example sites expected: {sites:?}");
    for site in sites {
        let snapshot = Snapshot::collect(&repo(), &site.name, None).unwrap();
        let keys = KeyPolicy::default()
            .resolve(&snapshot.repo_roots())
            .unwrap();
        assert!(keys.identities().is_some(), "the demo key opens the site");
        let aerostat = snapshot.render(&keys, &RenderOptions::default());
        let errors: Vec<String> = aerostat
            .diagnostics()
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .map(|diagnostic| {
                format!(
                    "{} {:?} {}",
                    diagnostic.code, diagnostic.document, diagnostic.message
                )
            })
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", site.name);
        let revision = aerostat
            .revision_id()
            .expect("a valid render has a revision");
        let deckhand = snapshot.render(
            &keys,
            &RenderOptions {
                mode: Mode::Deckhand,
                ..RenderOptions::default()
            },
        );
        assert!(
            deckhand.is_valid(),
            "{}: {:#?}",
            site.name,
            deckhand.diagnostics()
        );
        let report = aerostat.compat_report(&deckhand);
        assert!(
            report.differences.is_empty() && report.missing.is_empty(),
            "{}: {report:#?}",
            site.name
        );
        assert!(aerostat.documents().len() > 50);
        assert!(
            aerostat
                .engine()
                .documents
                .iter()
                .filter(|document| document.encrypted_at_rest)
                .count()
                >= 20,
            "secrets are encrypted at rest"
        );
        let nodes: Vec<_> = aerostat
            .documents_of_kind("drydock/BaremetalNode")
            .collect();
        assert_eq!(nodes.len(), 3, "{}", site.name);
        assert!(
            nodes[0].place().starts_with("site-manifests/site/"),
            "{}",
            nodes[0].place()
        );
        assert!(
            nodes[0]
                .value_place(".oob.address")
                .contains("baremetal/nodes.yaml:"),
            "{}",
            nodes[0].value_place(".oob.address")
        );

        let stored = snapshot.to_bytes();
        for secret in &aerostat.engine().secret_strings {
            let first = secret.lines().next().unwrap_or(secret);
            assert!(
                first.len() < 6 || !String::from_utf8_lossy(&stored).contains(first),
                "a snapshot holds no secret in clear"
            );
        }
        let again = Snapshot::from_bytes(snapshot.id(), &stored)
            .unwrap()
            .render(&keys, &RenderOptions::default());
        assert_eq!(again.revision_id(), Some(revision), "{}", site.name);
    }
}
