//! The artifact and callback server: what BMCs and booting nodes fetch from Aerostat, and
//! where nodes report back.
//!
//! A node being provisioned over virtual media needs three things from Aerostat, all at
//! URLs its documents and the pinned revision determine:
//!
//! - `GET /os-images/<image>/<sha256>.iso`: the OS image its host profile names, fetched
//!   once from the image document's URL (`file://` or `http(s)://`) into a cache folder
//!   and served only after its SHA-256 matched the document (a mismatch is a 502 and a
//!   logged error naming both digests);
//! - `GET /config-images/<node>/<token>/cidata.iso`: its NoCloud config image, built on
//!   demand from the pinned revision ([`aero_baremetal::ConfigImage::build`]) and kept in
//!   memory by node; the same folder serves `user-data`, `meta-data`, `network-config` and
//!   an empty `vendor-data` as a NoCloud seed (`ds=nocloud;s=<folder>/`) for an installer
//!   whose BMC has no second slot for the image;
//! - `POST /phone-home/<node>/<token>`: what cloud-init's `phone_home` module posts
//!   (form-encoded `instance_id`, `hostname`, `fqdn`, `pub_key_*`) once the installed
//!   system boots, recorded in the workflow store
//!   ([`aero_workflow::Store::record_phone_home`]); retried posts are recorded again,
//!   which the waiting step reads as the same news.
//!
//! Tokens are derived, never stored ([`aero_baremetal::NodeToken`]): a wrong token and
//! an unknown node both get the same 404, so the server never tells which one was wrong.
//! Apart from its caches the server is stateless: every worker serving the same pinned
//! revision serves the same bytes at the same URLs, so a worker taking over an action
//! does not break a node's URLs.
//!
//! ```no_run
//! use std::sync::Arc;
//! use aero_artifacts::{ArtifactServer, SiteArtifacts};
//! # async fn demo(store: aero_workflow::Store, model: aero_baremetal::HostModel) -> Result<(), aero_artifacts::ArtifactError> {
//! let server = ArtifactServer::bind("0.0.0.0:8080".parse().unwrap(), None, store).await?;
//! server.serve_site(SiteArtifacts {
//!     site: "lon1".into(),
//!     revision_id: "sha256:...".into(),
//!     action_id: None,
//!     model: Arc::new(model),
//!     cache_dir: "/var/lib/aerostat/artifacts".into(),
//! });
//! // ... run the action ...
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod error;
mod fetch;
mod routes;
mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use aero_baremetal::{HostModel, ServerTls};
use aero_workflow::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::ArtifactError;

/// What the server serves for one site: the pinned revision's model and where its OS
/// images are cached.
#[derive(Clone)]
pub struct SiteArtifacts {
    /// The site.
    pub site: String,
    /// The pinned revision (tokens derive from it).
    pub revision_id: String,
    /// The running action, recorded with each phone-home, if known.
    pub action_id: Option<String>,
    /// The host model of the pinned revision.
    pub model: Arc<HostModel>,
    /// Where OS images are cached (`<cache_dir>/os-images/<sha256>.iso`).
    pub cache_dir: PathBuf,
}

impl std::fmt::Debug for SiteArtifacts {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SiteArtifacts")
            .field("site", &self.site)
            .field("revision_id", &self.revision_id)
            .field("action_id", &self.action_id)
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
}

/// The running server. Dropping it without [`ArtifactServer::shutdown`] leaves it serving
/// until the runtime ends.
pub struct ArtifactServer {
    local_addr: SocketAddr,
    state: Arc<routes::State>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for ArtifactServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ArtifactServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl ArtifactServer {
    /// Binds `addr` (HTTPS with `tls`, else HTTP) and starts serving, with no site yet.
    /// Phone-homes are recorded in `store`.
    pub async fn bind(
        addr: SocketAddr,
        tls: Option<&ServerTls>,
        store: Store,
    ) -> Result<ArtifactServer, ArtifactError> {
        let acceptor = tls.map(tls::acceptor).transpose()?;
        let listener = listen(addr).map_err(|source| ArtifactError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ArtifactError::Bind { addr, source })?;
        let state = Arc::new(routes::State::new(store));
        let (stop, stopped) = watch::channel(false);
        let router = routes::router(state.clone());
        let task = tokio::spawn(tls::accept_loop(listener, acceptor, router, stopped));
        tracing::info!(address = %local_addr, tls = tls.is_some(), "artifact server listening");
        Ok(ArtifactServer {
            local_addr,
            state,
            stop,
            task,
        })
    }

    /// The address it listens on (the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves `site` (replacing what was served for a site of that name: a new revision).
    /// Its nodes' tokens are registered with the store's redactor, so nothing the store
    /// writes shows them.
    pub fn serve_site(&self, site: SiteArtifacts) {
        if site.model.provisioning_server().is_none() {
            tracing::warn!(site = %site.site, "the site has no provisioning server document: nothing of it is served");
        }
        for token in site.model.node_tokens(&site.revision_id) {
            self.state.store.redactor().add_secret(token.expose());
        }
        tracing::info!(site = %site.site, revision = %site.revision_id, "serving site artifacts");
        self.state.put_site(site);
    }

    /// Stops serving `site`.
    pub fn forget_site(&self, site: &str) {
        self.state.remove_site(site);
    }

    /// Stops accepting, ends every open connection and waits for the server to stop.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A listener on `addr` that other workers on this machine may share: every worker serves
/// a site's artifacts at the one address its documents give, and a worker taking an
/// action over from one that is frozen (not dead) must still be able to listen there.
/// With `SO_REUSEPORT` the kernel spreads connections over the live listeners; the
/// content is the same whichever answers.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// The sites served, by name.
pub(crate) type Sites = RwLock<BTreeMap<String, Arc<routes::SiteState>>>;
