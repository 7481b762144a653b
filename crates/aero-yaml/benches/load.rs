//! Load and emit throughput on a generated stream of Deckhand-like documents (about 5 MB).
//!
//! Run with `cargo bench -p aero-yaml --bench load`.

use aero_yaml::{Dialect, LoadOptions, documents_to_yaml, load_all};
use criterion::{Criterion, Throughput};
use std::hint::black_box;

/// One Deckhand-like document with a few anchors, a merge key and a certificate blob.
fn document(index: usize) -> String {
    format!(
        "---
schema: deckhand/Certificate/v1
metadata:
  schema: metadata/Document/v1
  name: certificate-{index}
  labels: &labels
    application: kubernetes
    component: apiserver-{index}
  layeringDefinition:
    abstract: false
    layer: site
  storagePolicy: cleartext
  substitutions:
    - src:
        schema: pegleg/CommonAddresses/v1
        name: common-addresses
        path: .dns.service_ip
      dest:
        path: .values.conf.dns
    - src:
        schema: deckhand/Passphrase/v1
        name: passphrase-{index}
        path: .
      dest: {{path: .values.secrets.password, pattern: PASSWORD}}
data:
  <<: {{defaults: true, replicas: 3}}
  labels: *labels
  port: 0755
  enabled: yes
  ratio: 1.5
  hosts: [node-a-{index}, node-b-{index}, 'node-c', \"node-d\"]
  certificate: |
    -----BEGIN CERTIFICATE-----
    MIIDSjCCAjKgAwIBAgIUJ2zTmhQ5ZV6xdCJi1a8CEtpnQwQwDQYJKoZIhvcNAQEL
    BQAwJTEjMCEGA1UEAxMaa3ViZXJuZXRlcy1hcGlzZXJ2ZXItY2xpZW50MB4XDTIw
    -----END CERTIFICATE-----
"
    )
}

fn stream(target_bytes: usize) -> (String, usize) {
    let mut text = String::with_capacity(target_bytes + 2048);
    let mut count = 0;
    while text.len() < target_bytes {
        text.push_str(&document(count));
        count += 1;
    }
    (text, count)
}

fn bench_load(criterion: &mut Criterion) {
    let (text, count) = stream(5 * 1024 * 1024);
    let mut group = criterion.benchmark_group("load");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let options = LoadOptions::new(dialect);
        group.bench_function(format!("{dialect:?} {count} documents"), |bencher| {
            bencher.iter(|| load_all(black_box(&text), &options).map(|documents| documents.len()));
        });
    }
    // The parser alone, for comparison.
    group.bench_function(
        format!("saphyr-parser events {count} documents"),
        |bencher| {
            bencher.iter(|| saphyr_parser::Parser::new_from_str(black_box(&text)).count());
        },
    );
    group.finish();

    let options = LoadOptions::new(Dialect::Yaml12);
    let values: Vec<serde_json::Value> = load_all(&text, &options)
        .map(|documents| {
            documents
                .iter()
                .map(|document| document.root.to_json())
                .collect()
        })
        .unwrap_or_default();
    let mut group = criterion.benchmark_group("emit");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function(format!("{} documents", values.len()), |bencher| {
        bencher.iter(|| documents_to_yaml(black_box(&values)).len());
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_load(&mut criterion);
    criterion.final_summary();
}
