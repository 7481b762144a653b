//! The routes and their handlers. Every handler answers an unknown node, image or a wrong
//! token with the same bare 404, and logs no token.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aero_baremetal::{ConfigImage, ImageTime, NodeConfig, NodeToken, OsImage, TokenPurpose};
use aero_workflow::{PhoneHome, Store};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::io::AsyncReadExt;

use crate::fetch::ImageCache;
use crate::{SiteArtifacts, Sites};

/// What every request shares.
pub(crate) struct State {
    pub(crate) store: Store,
    sites: Sites,
    images: ImageCache,
}

/// One site being served, with its config images built so far (by node).
pub(crate) struct SiteState {
    artifacts: SiteArtifacts,
    config_images: Mutex<HashMap<String, Arc<ConfigImage>>>,
}

impl State {
    pub(crate) fn new(store: Store) -> State {
        State {
            store,
            sites: Sites::default(),
            images: ImageCache::default(),
        }
    }

    pub(crate) fn put_site(&self, artifacts: SiteArtifacts) {
        let site = Arc::new(SiteState {
            artifacts,
            config_images: Mutex::new(HashMap::new()),
        });
        let mut sites = match self.sites.write() {
            Ok(sites) => sites,
            Err(poisoned) => poisoned.into_inner(),
        };
        sites.insert(site.artifacts.site.clone(), site);
    }

    pub(crate) fn remove_site(&self, name: &str) {
        let mut sites = match self.sites.write() {
            Ok(sites) => sites,
            Err(poisoned) => poisoned.into_inner(),
        };
        sites.remove(name);
    }

    fn sites(&self) -> Vec<Arc<SiteState>> {
        let sites = match self.sites.read() {
            Ok(sites) => sites,
            Err(poisoned) => poisoned.into_inner(),
        };
        sites.values().cloned().collect()
    }

    /// The site whose node `node` the token `token` (for `purpose`) belongs to.
    fn authorise(&self, node: &str, token: &str, purpose: TokenPurpose) -> Option<Arc<SiteState>> {
        self.sites().into_iter().find(|site| {
            let artifacts = &site.artifacts;
            let Some(server) = artifacts.model.provisioning_server() else {
                return false;
            };
            artifacts.model.node(node).is_ok()
                && NodeToken::derive(&server.token_key, purpose, node, &artifacts.revision_id)
                    .matches(token)
        })
    }
}

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route(
            "/config-images/{node}/{token}/cidata.iso",
            get(config_image),
        )
        .route("/os-images/{image}/{file}", get(os_image))
        .route("/phone-home/{node}/{token}", post(phone_home))
        .fallback(|| async { not_found() })
        .with_state(state)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

fn failure(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

async fn config_image(
    Extract(state): Extract<Arc<State>>,
    Path((node, token)): Path<(String, String)>,
) -> Response {
    let Some(site) = state.authorise(&node, &token, TokenPurpose::ConfigImage) else {
        tracing::info!(node = %node, "config image refused: unknown node or wrong token");
        return not_found();
    };
    let cached = {
        let images = match site.config_images.lock() {
            Ok(images) => images,
            Err(poisoned) => poisoned.into_inner(),
        };
        images.get(&node).cloned()
    };
    let image = match cached {
        Some(image) => image,
        None => {
            let building = site.clone();
            let name = node.clone();
            let built =
                tokio::task::spawn_blocking(move || build_config_image(&building, &name)).await;
            match built {
                Ok(Ok(image)) => {
                    let image = Arc::new(image);
                    let mut images = match site.config_images.lock() {
                        Ok(images) => images,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    images.entry(node.clone()).or_insert(image).clone()
                }
                Ok(Err(message)) => {
                    tracing::error!(site = %site.artifacts.site, node = %node, error = %message, "cannot build a config image");
                    return failure(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "cannot build the config image",
                    );
                }
                Err(error) => {
                    tracing::error!(node = %node, error = %error, "the config image builder stopped");
                    return failure(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "cannot build the config image",
                    );
                }
            }
        }
    };
    tracing::info!(site = %site.artifacts.site, node = %node, sha256 = %image.sha256(), "serving a config image");
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::ETAG, format!("\"{}\"", image.sha256())),
        ],
        Bytes::copy_from_slice(image.bytes()),
    )
        .into_response()
}

/// The image at the pinned revision: the same bytes on every worker (every timestamp is
/// [`ImageTime::DEFAULT`], which depends on nothing).
fn build_config_image(site: &SiteState, node: &str) -> Result<ConfigImage, String> {
    let model = &site.artifacts.model;
    let node = model.node(node).map_err(|error| error.to_string())?;
    let config = NodeConfig::render(model, node, &site.artifacts.revision_id)
        .map_err(|error| error.to_string())?;
    ConfigImage::build(&config, ImageTime::DEFAULT).map_err(|error| error.to_string())
}

async fn os_image(
    Extract(state): Extract<Arc<State>>,
    Path((name, file)): Path<(String, String)>,
) -> Response {
    let Some(digest) = file.strip_suffix(".iso").map(str::to_ascii_lowercase) else {
        return not_found();
    };
    let found: Option<(Arc<SiteState>, OsImage)> = state.sites().into_iter().find_map(|site| {
        let image = site
            .artifacts
            .model
            .nodes()
            .iter()
            .filter_map(|node| node.os_image.as_ref())
            .find(|image| image.name == name && image.sha256.hex() == digest)
            .cloned();
        image.map(|image| (site, image))
    });
    let Some((site, image)) = found else {
        return not_found();
    };
    let path = match state
        .images
        .verified(&site.artifacts.cache_dir, &image)
        .await
    {
        Ok(path) => path,
        Err(error) => {
            tracing::error!(image = %image.name, error = %error, "cannot serve an OS image");
            return failure(StatusCode::BAD_GATEWAY, &error.to_string());
        }
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(error) => {
            tracing::error!(path = %path.display(), error = %error, "cannot open a cached OS image");
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the cached image",
            );
        }
    };
    let length = match file.metadata().await {
        Ok(metadata) => metadata.len(),
        Err(error) => {
            tracing::error!(path = %path.display(), error = %error, "cannot read a cached OS image");
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the cached image",
            );
        }
    };
    tracing::info!(image = %image.name, sha256 = %image.sha256, "serving an OS image");
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0u8; 256 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buffer)), Some(file)))
            }
            Err(error) => Some((Err(error), None)),
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::ETAG, format!("\"{}\"", image.sha256)),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// What cloud-init's `phone_home` module posts, recorded as a JSON object of its fields
/// (a repeated field keeps its last value). The token is checked before the body is read.
async fn phone_home(
    Extract(state): Extract<Arc<State>>,
    Path((node, token)): Path<(String, String)>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Some(site) = state.authorise(&node, &token, TokenPurpose::PhoneHome) else {
        tracing::info!(node = %node, "phone-home refused: unknown node or wrong token");
        return not_found();
    };
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(rejection) => {
            tracing::info!(node = %node, error = %rejection, "phone-home with an unreadable body");
            return rejection.into_response();
        }
    };
    let data: BTreeMap<String, String> = fields.into_iter().collect();
    let record = PhoneHome {
        site: site.artifacts.site.clone(),
        node: node.clone(),
        action_id: site.artifacts.action_id.clone(),
        revision_id: Some(site.artifacts.revision_id.clone()),
        data: serde_json::json!(data),
    };
    match state.store.record_phone_home(&record).await {
        Ok(seq) => {
            tracing::info!(site = %record.site, node = %node, seq, "phone-home recorded");
            (StatusCode::OK, "recorded\n").into_response()
        }
        Err(error) => {
            tracing::error!(node = %node, error = %error, "cannot record a phone-home");
            // cloud-init retries: a later post may find the store available.
            failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot record the phone-home now",
            )
        }
    }
}
