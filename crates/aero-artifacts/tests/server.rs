//! The artifact server over real HTTP on 127.0.0.1: config images, OS images (verified
//! before serving), phone-homes recorded in a SQLite store, and TLS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aero_artifacts::{ArtifactServer, SiteArtifacts};
use aero_baremetal::{
    ConfigImage, HostModel, ImageTime, NodeConfig, NodeToken, Secret, ServerTls, TokenPurpose,
    os_image_url,
};
use aero_redact::{RedactionKey, SharedRedactor};
use aero_site::{KeyPolicy, RenderOptions, Snapshot};
use aero_workflow::{Store, StoreOptions};
use sha2::{Digest, Sha256};

const SITE: &str = "site-a";

/// An HTTP mirror on 127.0.0.1 serving `bytes` as `/focal.iso`: its URL, how many times
/// it was asked, and its task.
async fn mirror(bytes: Vec<u8>) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let router = axum::Router::new().route(
        "/focal.iso",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let bytes = bytes.clone();
            async move { bytes }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the mirror");
    let url = format!(
        "http://{}/focal.iso",
        listener.local_addr().expect("an address")
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, hits, task)
}

/// A site served on 127.0.0.1:0, its OS image on a local HTTP mirror.
struct Served {
    folder: tempfile::TempDir,
    mirror_hits: Arc<AtomicUsize>,
    mirror: tokio::task::JoinHandle<()>,
    server: ArtifactServer,
    store: Store,
    model: Arc<HostModel>,
    revision: String,
    os_bytes: Vec<u8>,
    base: String,
    client: reqwest::Client,
}

/// `documented_digest`: the OS image's SHA-256 as the document states it (`None`: the
/// file's real digest).
async fn serve(documented_digest: Option<&str>, tls: Option<ServerTls>) -> Served {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let os_bytes: Vec<u8> = (0..300_000u32).map(|index| (index % 251) as u8).collect();
    let (mirror_url, mirror_hits, mirror) = mirror(os_bytes.clone()).await;
    let real_digest: String = Sha256::digest(&os_bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let text = include_str!("data/site.yaml")
        .replace("OS_IMAGE_URL", &mirror_url)
        .replace("OS_IMAGE_SHA256", documented_digest.unwrap_or(&real_digest));
    let site_file = folder.path().join("site.yaml");
    std::fs::write(&site_file, text).expect("write the site");
    let snapshot = Snapshot::from_paths(&[site_file]).expect("snapshot");
    let keys = KeyPolicy::default().resolve(&[]).expect("keys");
    let site = snapshot.render(&keys, &RenderOptions::default());
    assert!(site.is_valid(), "{:#?}", site.diagnostics());
    let revision = site.revision_id().expect("a revision").to_string();
    let model = Arc::new(HostModel::from_site(&site).expect("the model"));

    let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([5; 32]));
    let store = Store::open(
        folder.path().join("workflow.db").to_str().expect("utf-8"),
        StoreOptions::new(redactor),
    )
    .await
    .expect("the store");
    let localhost: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let server = ArtifactServer::bind(localhost, tls.as_ref(), store.clone())
        .await
        .expect("bind");
    server.serve_site(SiteArtifacts {
        site: SITE.to_string(),
        revision_id: revision.clone(),
        action_id: Some("action-1".to_string()),
        model: model.clone(),
        cache_dir: folder.path().join("cache"),
    });
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://localhost:{}", server.local_addr().port());
    let mut client = reqwest::Client::builder().no_proxy();
    if let Some(tls) = &tls {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(
                rustls::pki_types::pem::PemObject::from_pem_slice(tls.certificate.as_bytes())
                    .expect("the certificate"),
            )
            .expect("a root");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        client = client.tls_backend_preconfigured(config);
    }
    Served {
        folder,
        mirror_hits,
        mirror,
        server,
        store,
        model,
        revision,
        os_bytes,
        base,
        client: client.build().expect("a client"),
    }
}

impl Served {
    fn token(&self, purpose: TokenPurpose) -> NodeToken {
        let server = self.model.provisioning_server().expect("a server");
        NodeToken::derive(&server.token_key, purpose, "n1", &self.revision)
    }

    /// A URL of the model, on the bound server.
    fn local(&self, url: &str) -> String {
        let public = &self
            .model
            .provisioning_server()
            .expect("a server")
            .public_url;
        url.replacen(public.as_str(), &self.base, 1)
    }

    async fn get(&self, url: &str) -> (u16, Vec<u8>) {
        let response = self.client.get(url).send().await.expect("an answer");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("a body").to_vec())
    }

    async fn post_form(&self, url: &str, body: &str) -> u16 {
        self.client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .expect("an answer")
            .status()
            .as_u16()
    }
}

#[tokio::test]
async fn config_images_are_the_built_bytes_and_need_the_node_token() {
    let served = serve(None, None).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let token = served.token(TokenPurpose::ConfigImage);
    let url = served.local(&server_doc.config_image_url("n1", &token));

    let node = served.model.node("n1").expect("n1");
    let config = NodeConfig::render(&served.model, node, &served.revision).expect("config");
    let expected = ConfigImage::build(&config, ImageTime::DEFAULT).expect("image");
    let (status, bytes) = served.get(&url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, expected.bytes());
    // Again, from the cache: the same bytes.
    assert_eq!(served.get(&url).await, (200, expected.bytes().to_vec()));

    // Wrong token, another purpose's token, unknown node: the same 404.
    let wrong = served.local(&server_doc.config_image_url(
        "n1",
        &NodeToken::derive(
            &Secret::new("other key"),
            TokenPurpose::ConfigImage,
            "n1",
            &served.revision,
        ),
    ));
    let phone_home_token =
        served.local(&server_doc.config_image_url("n1", &served.token(TokenPurpose::PhoneHome)));
    let unknown = served.local(&server_doc.config_image_url("n9", &token));
    let refusals = [
        served.get(&wrong).await,
        served.get(&phone_home_token).await,
        served.get(&unknown).await,
    ];
    for refusal in &refusals {
        assert_eq!(refusal.0, 404);
        assert_eq!(
            refusal, &refusals[0],
            "a refusal never says which part was wrong"
        );
    }
    served.server.shutdown().await;
}

#[tokio::test]
async fn os_images_are_served_once_verified_and_cached() {
    let served = serve(None, None).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let image = served
        .model
        .node("n1")
        .expect("n1")
        .os_image
        .clone()
        .expect("an image");
    let url = served.local(&os_image_url(server_doc, &image));
    let (status, bytes) = served.get(&url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, served.os_bytes);
    // Fetched once, then served from the cache, even with the mirror gone.
    served.mirror.abort();
    assert_eq!(served.get(&url).await, (200, served.os_bytes.clone()));
    assert_eq!(served.mirror_hits.load(Ordering::SeqCst), 1);
    // Another digest of the same image name is not an image of the site.
    let other = url.replace(&image.sha256.hex(), &"0".repeat(64));
    assert_eq!(served.get(&other).await.0, 404);
    served.server.shutdown().await;
}

#[tokio::test]
async fn an_os_image_with_another_checksum_is_refused() {
    let documented = "ab".repeat(32);
    let served = serve(Some(&documented), None).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let image = served
        .model
        .node("n1")
        .expect("n1")
        .os_image
        .clone()
        .expect("an image");
    let (status, body) = served
        .get(&served.local(&os_image_url(server_doc, &image)))
        .await;
    assert_eq!(status, 502);
    let body = String::from_utf8(body).expect("text");
    let actual: String = Sha256::digest(&served.os_bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert!(
        body.contains(&documented) && body.contains(&actual),
        "{body}"
    );
    // Nothing was kept under the image's name.
    let cached = served
        .folder
        .path()
        .join("cache/os-images")
        .join(format!("{documented}.iso"));
    assert!(!cached.exists());
    served.server.shutdown().await;
}

#[tokio::test]
async fn phone_homes_are_recorded_with_the_phone_home_token_only() {
    let served = serve(None, None).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let url =
        served.local(&server_doc.phone_home_url("n1", &served.token(TokenPurpose::PhoneHome)));
    // As cloud-init's phone_home module posts it (requests' urlencoded form).
    let body = "pub_key_rsa=ssh-rsa+AAAAB3Nza%2Fx+root%40n1&pub_key_ecdsa=ecdsa-sha2-nistp256+AAAA&\
                instance_id=i-n1-abc&hostname=n1&fqdn=n1.example.net";
    assert_eq!(served.post_form(&url, body).await, 200);
    // cloud-init retries: a repeated post is accepted too.
    assert_eq!(served.post_form(&url, body).await, 200);

    let wrong_token =
        served.local(&server_doc.phone_home_url("n1", &served.token(TokenPurpose::ConfigImage)));
    assert_eq!(served.post_form(&wrong_token, body).await, 404);
    let unknown =
        served.local(&server_doc.phone_home_url("n9", &served.token(TokenPurpose::PhoneHome)));
    assert_eq!(served.post_form(&unknown, body).await, 404);

    let records = served
        .store
        .phone_home_records(SITE, "n1", 0)
        .await
        .expect("records");
    assert_eq!(records.len(), 2);
    let record = &records[0].record;
    assert_eq!(
        record.revision_id.as_deref(),
        Some(served.revision.as_str())
    );
    assert_eq!(record.action_id.as_deref(), Some("action-1"));
    assert_eq!(record.data["instance_id"], "i-n1-abc");
    assert_eq!(record.data["fqdn"], "n1.example.net");
    assert_eq!(record.data["pub_key_rsa"], "ssh-rsa AAAAB3Nza/x root@n1");
    assert!(
        served
            .store
            .phone_home_records(SITE, "n9", 0)
            .await
            .expect("records")
            .is_empty()
    );
    served.server.shutdown().await;
}

#[tokio::test]
async fn tls_serves_the_same_bytes() {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
    let tls = ServerTls {
        certificate: generated.cert.pem(),
        key: Secret::new(generated.signing_key.serialize_pem()),
        ca: None,
    };
    let served = serve(None, Some(tls)).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let url =
        served.local(&server_doc.config_image_url("n1", &served.token(TokenPurpose::ConfigImage)));
    assert!(url.starts_with("https://"), "{url}");
    let node = served.model.node("n1").expect("n1");
    let config = NodeConfig::render(&served.model, node, &served.revision).expect("config");
    let expected = ConfigImage::build(&config, ImageTime::DEFAULT).expect("image");
    assert_eq!(served.get(&url).await, (200, expected.bytes().to_vec()));
    // A plain HTTP client gets no answer from a TLS port.
    let plain = url.replacen("https://", "http://", 1);
    let plain_status = served
        .client
        .get(&plain)
        .send()
        .await
        .ok()
        .map(|response| response.status().as_u16());
    assert_ne!(plain_status, Some(200));
    served.server.shutdown().await;
}

#[tokio::test]
async fn os_images_are_served_in_ranges_as_bmcs_read_them() {
    let served = serve(None, None).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let image = served
        .model
        .node("n1")
        .expect("n1")
        .os_image
        .clone()
        .expect("an image");
    let url = served.local(&os_image_url(server_doc, &image));
    let ranged = |range: &'static str| {
        let request = served.client.get(&url).header("range", range);
        async move {
            let response = request.send().await.expect("an answer");
            let status = response.status().as_u16();
            let content_range = response
                .headers()
                .get("content-range")
                .map(|value| value.to_str().expect("text").to_string());
            let body = response.bytes().await.expect("a body").to_vec();
            (status, content_range, body)
        }
    };
    let length = served.os_bytes.len();
    let (status, content_range, body) = ranged("bytes=1000-1999").await;
    assert_eq!(status, 206);
    assert_eq!(
        content_range.as_deref(),
        Some(format!("bytes 1000-1999/{length}").as_str())
    );
    assert_eq!(body, served.os_bytes[1000..2000]);
    let (status, _, body) = ranged("bytes=-10").await;
    assert_eq!(
        (status, body.as_slice()),
        (206, &served.os_bytes[length - 10..])
    );
    let (status, _, body) = ranged("bytes=299990-").await;
    assert_eq!(
        (status, body.as_slice()),
        (206, &served.os_bytes[299_990..])
    );
    let (status, content_range, _) = ranged("bytes=400000-").await;
    assert_eq!(status, 416);
    assert_eq!(
        content_range.as_deref(),
        Some(format!("bytes */{length}").as_str())
    );
    served.server.shutdown().await;
}

#[tokio::test]
async fn the_config_is_also_a_nocloud_seed_folder() {
    let served = serve(None, None).await;
    let server_doc = served.model.provisioning_server().expect("a server");
    let token = served.token(TokenPurpose::ConfigImage);
    let image_url = served.local(&server_doc.config_image_url("n1", &token));
    let folder = image_url
        .strip_suffix("cidata.iso")
        .expect("the image's folder")
        .to_string();
    let node = served.model.node("n1").expect("n1");
    let config = NodeConfig::render(&served.model, node, &served.revision).expect("config");
    for part in aero_baremetal::ConfigPart::ALL {
        let (status, body) = served.get(&format!("{folder}{}", part.file_name())).await;
        assert_eq!(status, 200, "{part}");
        assert_eq!(String::from_utf8(body).expect("text"), config.part(part));
    }
    assert_eq!(
        served.get(&format!("{folder}vendor-data")).await,
        (200, Vec::new())
    );
    assert_eq!(served.get(&format!("{folder}other-file")).await.0, 404);
    let wrong = folder.replace(token.expose(), &"0".repeat(32));
    assert_eq!(served.get(&format!("{wrong}user-data")).await.0, 404);
    served.server.shutdown().await;
}
