//! The bundled example sites, decrypted with their demo key, render cleanly in both
//! modes, validate against their schemas, and render to the same data in both modes
//! (they avoid every Deckhand quirk).

use aero_docs::collect::{RepoSpec, collect_site, list_sites};
use aero_docs::compat::compat_report;
use aero_docs::diagnostic::Severity;
use aero_docs::render::{Mode, RenderConfig, render};
use aero_docs::validate::validate;
use aero_secrets::decryptor::AgeDecryptor;
use aero_secrets::keys::Identities;

fn repo() -> Vec<RepoSpec> {
    vec![RepoSpec {
        name: "site-manifests".into(),
        path: concat!(env!("CARGO_MANIFEST_DIR"), "/../../site-manifests").into(),
    }]
}

#[test]
fn example_sites_render_and_validate() {
    let sites = list_sites(&repo()).unwrap();
    assert!(sites.len() >= 2, "two example sites expected: {sites:?}");
    for site in sites {
        let collected = collect_site(&repo(), &site.name).unwrap();
        let identities = Identities::demo(&repo()[0].path)
            .unwrap()
            .expect("the example repository has its demo key");
        let decryptor = AgeDecryptor::new(identities);
        let mut config = RenderConfig::new(Mode::Aerostat);
        config.decryptor = Some(&decryptor);
        let aerostat = render(&collected.sources, &config);
        let mut errors: Vec<String> = aerostat
            .diagnostics
            .iter()
            .chain(validate(&aerostat).iter())
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .map(|diagnostic| {
                format!(
                    "{} {:?} {} {:?}",
                    diagnostic.code, diagnostic.document, diagnostic.message, diagnostic.location
                )
            })
            .collect();
        errors.dedup();
        assert!(errors.is_empty(), "{}: {errors:#?}", site.name);
        let mut config = RenderConfig::new(Mode::Deckhand);
        config.decryptor = Some(&decryptor);
        let deckhand = render(&collected.sources, &config);
        assert!(
            !deckhand.has_errors(),
            "{}: {:#?}",
            site.name,
            deckhand.diagnostics
        );
        let report = compat_report(&aerostat, &deckhand);
        assert!(
            report.differences.is_empty() && report.missing.is_empty(),
            "{}: {report:#?}",
            site.name
        );
        assert!(aerostat.output.len() > 50);
        assert!(
            aerostat
                .documents
                .iter()
                .filter(|document| document.encrypted_at_rest)
                .count()
                >= 20,
            "secrets are encrypted at rest"
        );
    }
}
