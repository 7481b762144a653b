//! The artifact servers this process runs for the actions it runs: one per listening
//! address the sites' `aerostat/ProvisioningServer/v1` documents give (the lab's port
//! when a lab stands in), started when an action's steps are first prepared and kept for
//! the life of the process, serving every site pinned there at its action's revision.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use aero_artifacts::{ArtifactServer, SiteArtifacts};
use aero_deploy::{ArtifactHost, DeploySite};
use aero_workflow::{ActionSummary, BuildError, Store};
use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::context::Context;

/// The servers, by listening address.
struct Servers {
    store: Store,
    cache_dir: PathBuf,
    running: Mutex<BTreeMap<SocketAddr, ArtifactServer>>,
}

#[async_trait]
impl ArtifactHost for Servers {
    async fn serve(&self, site: &DeploySite, action: &ActionSummary) -> Result<(), BuildError> {
        let Some(server) = site.model.provisioning_server() else {
            // Nothing to serve; a step that needs the server fails with the reason.
            return Ok(());
        };
        let mut running = self.running.lock().await;
        let bound = match running.entry(server.bind_address) {
            Entry::Occupied(bound) => bound.into_mut(),
            Entry::Vacant(slot) => {
                let bound = ArtifactServer::bind(
                    server.bind_address,
                    server.tls.as_ref(),
                    self.store.clone(),
                )
                .await
                .map_err(|error| BuildError::Prepare {
                    action: action.id.clone(),
                    message: format!(
                        "the artifact server for site {} cannot listen: {error}",
                        site.site
                    ),
                    class: aero_error::Classify::class(&error),
                })?;
                tracing::info!(address = %bound.local_addr(), site = %site.site, "artifact server started");
                slot.insert(bound)
            }
        };
        bound.serve_site(SiteArtifacts {
            site: site.site.clone(),
            revision_id: site.revision_id.clone(),
            action_id: Some(action.id.clone()),
            model: site.model.clone(),
            cache_dir: self.cache_dir.clone(),
        });
        Ok(())
    }
}

/// The artifact host of this process; OS images are cached under the state directory.
pub fn host(context: &Context, store: &Store) -> Arc<dyn ArtifactHost> {
    Arc::new(Servers {
        store: store.clone(),
        cache_dir: context.state_dir.join("artifacts"),
        running: Mutex::new(BTreeMap::new()),
    })
}
