//! A node's BMC as the steps reach it: the target made from the host model, one session
//! per node shared by its steps, and BMC errors turned into step errors with their class.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aero_bmc::{Bmc, BmcError, BmcTarget};
use aero_workflow::StepError;

use super::BaremetalEnvironment;
use crate::model::Node;

/// The environment and the open sessions, by node name.
pub(super) struct Shared {
    pub(super) env: BaremetalEnvironment,
    sessions: Mutex<HashMap<String, Arc<dyn Bmc>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.env.fmt(formatter)
    }
}

impl Shared {
    pub(super) fn new(env: BaremetalEnvironment) -> Self {
        Shared {
            env,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Closes and forgets every open session; a failure to close is only logged (the BMC
    /// expires the session anyway).
    pub(super) async fn close_all(&self) {
        let open: Vec<(String, Arc<dyn Bmc>)> = self.sessions().drain().collect();
        for (node, bmc) in open {
            if let Err(error) = bmc.close().await {
                tracing::warn!(node = %node, error = %error, "cannot close a BMC session");
            }
        }
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Arc<dyn Bmc>>> {
        match self.sessions.lock() {
            Ok(sessions) => sessions,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// One node and the way to its BMC.
#[derive(Clone)]
pub(super) struct NodeBmc {
    pub(super) shared: Arc<Shared>,
    pub(super) node: Node,
}

impl NodeBmc {
    pub(super) fn new(shared: Arc<Shared>, node: Node) -> Self {
        NodeBmc { shared, node }
    }

    pub(super) fn env(&self) -> &BaremetalEnvironment {
        &self.shared.env
    }

    /// The node's BMC session, opened (and its password registered with the redactor) on
    /// first use.
    pub(super) async fn bmc(&self) -> Result<Arc<dyn Bmc>, StepError> {
        if let Some(bmc) = self.shared.sessions().get(&self.node.name) {
            return Ok(bmc.clone());
        }
        let target = self.target()?;
        let bmc = self
            .env()
            .connector
            .connect(&target)
            .await
            .map_err(|error| self.failure(error))?;
        // Another step of the node may have connected meanwhile: keep the first session.
        let mut sessions = self.shared.sessions();
        Ok(sessions
            .entry(self.node.name.clone())
            .or_insert(bmc)
            .clone())
    }

    /// The node's virtual media slots, as both media steps observe them.
    pub(super) async fn media_slots(&self) -> Result<Vec<aero_bmc::MediaSlot>, StepError> {
        let bmc = self.bmc().await?;
        bmc.media_slots().await.map_err(|error| self.failure(error))
    }

    /// A BMC error as a step error (its class decides the retry). The session is dropped,
    /// so the next attempt logs in again (a session the BMC expired or a connection it cut
    /// would otherwise fail every retry).
    pub(super) fn failure(&self, error: BmcError) -> StepError {
        self.shared.sessions().remove(&self.node.name);
        let message = self.env().redactor.scrub(&error.to_string());
        tracing::warn!(node = %self.node.name, error = %message, "BMC operation failed");
        StepError::from_error(&error)
    }

    fn target(&self) -> Result<BmcTarget, StepError> {
        let target = crate::target::bmc_target(&self.node).ok_or_else(|| {
            StepError::permanent(format!(
                "node `{}` has no Redfish BMC (oob type `{}`): Aerostat drives Redfish BMCs only",
                self.node.name,
                self.node.oob_type.as_str()
            ))
        })?;
        self.env()
            .redactor
            .add_secret(target.credentials.password.expose());
        Ok(target)
    }
}
