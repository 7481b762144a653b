//! The routes and their handlers. Every handler answers an unknown node, image or a wrong
//! token with the same bare 404, and logs no token.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aero_baremetal::{
    ConfigImage, ConfigPart, ImageTime, NodeConfig, NodeToken, OsImage, TokenPurpose,
};
use aero_workflow::{PhoneHome, Store};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

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
    config_images: Mutex<HashMap<String, Arc<BuiltConfig>>>,
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
        .route("/config-images/{node}/{token}/{file}", get(config_file))
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

/// A node's config as built at the pinned revision: its files and its image.
pub(crate) struct BuiltConfig {
    config: NodeConfig,
    image: ConfigImage,
}

/// `GET /config-images/<node>/<token>/<file>`: `cidata.iso`, the image a BMC inserts; or
/// `user-data`, `meta-data`, `network-config`, `vendor-data` (empty), the same files as a
/// NoCloud seed directory, for an installer told `ds=nocloud;s=<that folder>/` when the
/// BMC has no second slot for the image.
async fn config_file(
    Extract(state): Extract<Arc<State>>,
    Path((node, token, file)): Path<(String, String, String)>,
) -> Response {
    let part = match file.as_str() {
        "cidata.iso" => None,
        "vendor-data" => Some(None),
        other => match other.parse::<ConfigPart>() {
            Ok(part) => Some(Some(part)),
            Err(_) => return not_found(),
        },
    };
    let Some(site) = state.authorise(&node, &token, TokenPurpose::ConfigImage) else {
        tracing::info!(node = %node, "config image refused: unknown node or wrong token");
        return not_found();
    };
    let built = match built_config(&site, &node).await {
        Ok(built) => built,
        Err(message) => {
            tracing::error!(site = %site.artifacts.site, node = %node, error = %message, "cannot build a config image");
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot build the config image",
            );
        }
    };
    let image = &built.image;
    tracing::info!(site = %site.artifacts.site, node = %node, file = %file, sha256 = %image.sha256(), "serving a node's config");
    match part {
        None => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::ETAG, format!("\"{}\"", image.sha256())),
            ],
            Bytes::copy_from_slice(image.bytes()),
        )
            .into_response(),
        Some(part) => {
            let text = part.map_or("", |part| built.config.part(part));
            (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                text.to_string(),
            )
                .into_response()
        }
    }
}

/// The node's config and image, built once per site and node (on a blocking thread: the
/// templates and the ISO writer are CPU work).
async fn built_config(site: &Arc<SiteState>, node: &str) -> Result<Arc<BuiltConfig>, String> {
    let cached = {
        let images = match site.config_images.lock() {
            Ok(images) => images,
            Err(poisoned) => poisoned.into_inner(),
        };
        images.get(node).cloned()
    };
    if let Some(built) = cached {
        return Ok(built);
    }
    let building = site.clone();
    let name = node.to_string();
    let built = tokio::task::spawn_blocking(move || build_config(&building, &name))
        .await
        .map_err(|error| format!("the config image builder stopped: {error}"))??;
    let mut images = match site.config_images.lock() {
        Ok(images) => images,
        Err(poisoned) => poisoned.into_inner(),
    };
    Ok(images
        .entry(node.to_string())
        .or_insert(Arc::new(built))
        .clone())
}

/// The config and image at the pinned revision: the same bytes on every worker (every
/// timestamp is [`ImageTime::DEFAULT`], which depends on nothing).
fn build_config(site: &SiteState, node: &str) -> Result<BuiltConfig, String> {
    let model = &site.artifacts.model;
    let node = model.node(node).map_err(|error| error.to_string())?;
    let config = NodeConfig::render(model, node, &site.artifacts.revision_id)
        .map_err(|error| error.to_string())?;
    let image =
        ConfigImage::build(&config, ImageTime::DEFAULT).map_err(|error| error.to_string())?;
    Ok(BuiltConfig { config, image })
}

async fn os_image(
    Extract(state): Extract<Arc<State>>,
    Path((name, file)): Path<(String, String)>,
    headers: HeaderMap,
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
    let range = match headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    {
        None => None,
        Some(text) => match byte_range(text, length) {
            ByteRange::Satisfiable(start, end) => Some((start, end)),
            ByteRange::Whole => None,
            ByteRange::Unsatisfiable => {
                return (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(header::CONTENT_RANGE, format!("bytes */{length}"))],
                )
                    .into_response();
            }
        },
    };
    let mut file = file;
    let (start, end) = range.unwrap_or((0, length.saturating_sub(1)));
    if start > 0
        && let Err(error) = file.seek(std::io::SeekFrom::Start(start)).await
    {
        tracing::error!(path = %path.display(), error = %error, "cannot read a cached OS image");
        return failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot read the cached image",
        );
    }
    let count = if length == 0 { 0 } else { end - start + 1 };
    tracing::info!(image = %image.name, sha256 = %image.sha256, start, count, "serving an OS image");
    let chunks = futures_util::stream::unfold((file, count), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let size = usize::try_from(left.min(256 * 1024)).unwrap_or(256 * 1024);
        let mut buffer = vec![0u8; size];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                let left = left.saturating_sub(read as u64);
                Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from(buffer)),
                    (file, left),
                ))
            }
            Err(error) => Some((Err(error), (file, 0))),
        }
    });
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, count.to_string()),
            (header::ACCEPT_RANGES, "bytes".to_string()),
            (header::ETAG, format!("\"{}\"", image.sha256)),
        ],
        Body::from_stream(chunks),
    )
        .into_response();
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(value) = format!("bytes {start}-{end}/{length}").parse() {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

/// What a `Range` header asks of a file of `length` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteRange {
    /// Bytes `start..=end`.
    Satisfiable(u64, u64),
    /// The whole file: a header this server does not serve in parts (several ranges,
    /// another unit), which RFC 9110 allows answering with the whole content.
    Whole,
    /// A range starting beyond the end (416).
    Unsatisfiable,
}

/// Reads one `bytes=` range: `a-b`, `a-` or `-suffix`. Pure. BMCs that mount virtual
/// media over HTTP read the image in ranges (iDRAC, iLO), so an OS image must be
/// servable in parts.
pub(crate) fn byte_range(header: &str, length: u64) -> ByteRange {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Whole;
    };
    let parse = |text: &str| text.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), parse(first), parse(last)) {
        // The last `suffix` bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || length == 0 {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Satisfiable(length.saturating_sub(suffix), length - 1)
            }
        }
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if start >= length {
                return ByteRange::Unsatisfiable;
            }
            let end = end.map_or(length - 1, |end| end.min(length - 1));
            if end < start {
                ByteRange::Whole
            } else {
                ByteRange::Satisfiable(start, end)
            }
        }
        _ => ByteRange::Whole,
    }
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

#[cfg(test)]
mod tests {
    use super::{ByteRange, byte_range};

    #[test]
    fn ranges_read_as_rfc_9110_says() {
        let check = |header: &str, expected: ByteRange| {
            assert_eq!(byte_range(header, 1000), expected, "{header}");
        };
        check("bytes=0-99", ByteRange::Satisfiable(0, 99));
        check("bytes=900-", ByteRange::Satisfiable(900, 999));
        check("bytes=900-5000", ByteRange::Satisfiable(900, 999));
        check("bytes=-100", ByteRange::Satisfiable(900, 999));
        check("bytes=-5000", ByteRange::Satisfiable(0, 999));
        check("bytes=1000-", ByteRange::Unsatisfiable);
        check("bytes=-0", ByteRange::Unsatisfiable);
        check("bytes=0-1,5-6", ByteRange::Whole);
        check("bytes=9-2", ByteRange::Whole);
        check("items=0-1", ByteRange::Whole);
        check("bytes=x-1", ByteRange::Whole);
    }
}
