//! What the BMCs say now, for the plan's BMC column: each node's power state, or why its
//! BMC could not be asked. Read-only, bounded in time, and never a reason to fail the
//! plan (an unreachable BMC is what preflight will stop on, with its cause).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aero_bmc::BmcConnector;
use aero_deploy::DeploySite;
use tokio::task::JoinSet;

/// How long one BMC may take to answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

/// Each node's power state, by node (nodes without a Redfish BMC and externally
/// provisioned nodes are not asked).
pub async fn bmc_states(site: &DeploySite) -> BTreeMap<String, String> {
    let connector: Arc<dyn BmcConnector> = Arc::new(aero_redfish::port::RedfishConnector::new());
    let mut asks = JoinSet::new();
    for node in site.model.nodes() {
        if node.externally_provisioned {
            continue;
        }
        let Some(target) = aero_baremetal::bmc_target(node) else {
            continue;
        };
        let connector = connector.clone();
        let name = node.name.clone();
        asks.spawn(async move {
            let asked = tokio::time::timeout(ASK_TIMEOUT, async {
                let bmc = connector.connect(&target).await?;
                let state = bmc.power_state().await;
                let _ = bmc.close().await;
                state
            })
            .await;
            let text = match asked {
                Ok(Ok(state)) => format!("power {state}"),
                Ok(Err(error)) => format!("unreachable: {error}"),
                Err(_) => format!("no answer in {}s", ASK_TIMEOUT.as_secs()),
            };
            (name, text)
        });
    }
    let mut states = BTreeMap::new();
    while let Some(joined) = asks.join_next().await {
        if let Ok((node, text)) = joined {
            states.insert(node, text);
        }
    }
    states
}
