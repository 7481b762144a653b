//! One computer system on a BMC.
//!
//! [`RedfishSystem`] implements the BMC port, `aero_bmc::Bmc` (in [`crate::port`]). The
//! system keeps what it last read: links (which never change) are reused for the life of
//! the handle, state (power, boot) only within
//! [`crate::config::Timing::state_reuse_window`].

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::client::{BmcClient, Deadline, Resource};
use crate::discovery::odata_id;
use crate::error::RedfishError;
use crate::model::ComputerSystem;
use crate::quirks::{BmcIdentity, Quirks};

#[derive(Default)]
struct SystemCache {
    /// The last system resource read, and when.
    system: Option<(Instant, Resource<ComputerSystem>)>,
    /// Virtual media slot paths found by discovery.
    slot_paths: Option<Vec<String>>,
    /// The last state of each slot, and when it was read.
    slots: Vec<(Instant, Resource<crate::model::VirtualMedia>)>,
}

/// A computer system of a BMC. Cheap to clone (shared state).
#[derive(Clone)]
pub struct RedfishSystem {
    client: BmcClient,
    id: String,
    path: String,
    identity: BmcIdentity,
    cache: Arc<Mutex<SystemCache>>,
}

impl std::fmt::Debug for RedfishSystem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RedfishSystem")
            .field("bmc", &self.client.bmc())
            .field("path", &self.path)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl RedfishSystem {
    pub(crate) fn new(
        client: BmcClient,
        id: String,
        identity: BmcIdentity,
        resource: Resource<ComputerSystem>,
    ) -> Self {
        let path = odata_id(&resource.raw)
            .map(str::to_string)
            .unwrap_or_else(|| resource.path.clone());
        let system = RedfishSystem {
            client,
            id,
            path,
            identity,
            cache: Arc::new(Mutex::new(SystemCache::default())),
        };
        system.remember(resource);
        system
    }

    /// The system's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The system's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The client of the BMC.
    pub fn client(&self) -> &BmcClient {
        &self.client
    }

    /// Manufacturer, model and firmware used for quirk matching.
    pub fn identity(&self) -> &BmcIdentity {
        &self.identity
    }

    /// The quirks in effect.
    pub fn quirks(&self) -> Arc<Quirks> {
        self.client.quirks()
    }

    /// A deadline for one operation.
    pub(crate) fn deadline(&self) -> Deadline {
        Deadline::after(self.client.timing().operation_deadline)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SystemCache> {
        match self.cache.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn remember(&self, resource: Resource<ComputerSystem>) {
        self.lock().system = Some((Instant::now(), resource));
    }

    /// Reads the system now.
    pub(crate) async fn fetch(
        &self,
        deadline: &Deadline,
    ) -> Result<Resource<ComputerSystem>, RedfishError> {
        let resource: Resource<ComputerSystem> =
            self.client.get(&self.path, "system", deadline).await?;
        self.remember(resource.clone());
        Ok(resource)
    }

    /// The system as read within the reuse window, or read now.
    pub(crate) async fn recent(
        &self,
        deadline: &Deadline,
    ) -> Result<Resource<ComputerSystem>, RedfishError> {
        let window = self.client.timing().state_reuse_window;
        let cached = self
            .lock()
            .system
            .as_ref()
            .filter(|(read_at, _)| read_at.elapsed() < window)
            .map(|(_, resource)| resource.clone());
        match cached {
            Some(resource) => Ok(resource),
            None => self.fetch(deadline).await,
        }
    }

    /// The system as last read, whatever its age (for links, which do not change).
    pub(crate) async fn structure(
        &self,
        deadline: &Deadline,
    ) -> Result<Resource<ComputerSystem>, RedfishError> {
        let cached = self
            .lock()
            .system
            .as_ref()
            .map(|(_, resource)| resource.clone());
        match cached {
            Some(resource) => Ok(resource),
            None => self.fetch(deadline).await,
        }
    }

    /// Forgets the cached state (after a change the cache cannot predict).
    pub(crate) fn forget_state(&self) {
        self.lock().system = None;
    }

    /// Virtual media slot paths, discovered once.
    pub(crate) fn cached_slot_paths(&self) -> Option<Vec<String>> {
        self.lock().slot_paths.clone()
    }

    pub(crate) fn remember_slot_paths(&self, paths: Vec<String>) {
        self.lock().slot_paths = Some(paths);
    }

    /// A slot as read within the reuse window.
    pub(crate) fn recent_slot(&self, path: &str) -> Option<Resource<crate::model::VirtualMedia>> {
        let window = self.client.timing().state_reuse_window;
        self.lock()
            .slots
            .iter()
            .find(|(read_at, slot)| slot.path == path && read_at.elapsed() < window)
            .map(|(_, slot)| slot.clone())
    }

    pub(crate) fn remember_slot(&self, slot: Resource<crate::model::VirtualMedia>) {
        let mut cache = self.lock();
        cache.slots.retain(|(_, cached)| cached.path != slot.path);
        cache.slots.push((Instant::now(), slot));
    }

    pub(crate) fn forget_slot(&self, path: &str) {
        self.lock().slots.retain(|(_, cached)| cached.path != path);
    }
}
