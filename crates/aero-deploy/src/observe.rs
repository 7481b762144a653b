//! What the store knows of a site now: which nodes were provisioned at which
//! fingerprint, which an operator adopted, and the last revision deployed. The planner
//! takes it as [`Observed`]; reading it is the only I/O of planning.

use aero_workflow::{Store, StoreError};

use crate::plan::Observed;

/// The facts domain of node records (the bare-metal domain's).
pub use aero_baremetal::FACT_DOMAIN as NODE_FACTS;
/// What the store records of one node (the bare-metal domain's record).
pub use aero_baremetal::NodeRecord;

/// Reads what the store knows of `site`. A record this build cannot read is reported as
/// invalid data rather than ignored: planning over a misread record could reprovision a
/// node.
pub async fn observe(store: &Store, site: &str) -> Result<Observed, ObserveError> {
    let mut observed = Observed::default();
    for fact in store.facts(site, NODE_FACTS).await? {
        let record: NodeRecord =
            serde_json::from_value(fact.value.clone()).map_err(|error| ObserveError::Record {
                node: fact.key.clone(),
                message: error.to_string(),
            })?;
        match record {
            NodeRecord::Provisioned { fingerprint, .. } => {
                observed.provisioned.insert(fact.key, fingerprint);
            }
            NodeRecord::Adopted { .. } => {
                observed.adopted.insert(fact.key);
            }
        }
    }
    observed.last_deployed = store
        .deployments(site)
        .await?
        .into_iter()
        .filter(|deployment| {
            matches!(
                deployment.action_kind.as_str(),
                "deploy_site" | "update_site"
            )
        })
        .max_by_key(|deployment| deployment.finished_ms)
        .map(|deployment| deployment.revision_id);
    Ok(observed)
}

/// Why the site's state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A node record cannot be read by this build.
    #[error("the store's record of node `{node}` cannot be read: {message}")]
    Record {
        /// The node.
        node: String,
        /// What is wrong.
        message: String,
    },
}

impl aero_error::Classify for ObserveError {
    fn class(&self) -> aero_error::ErrorClass {
        match self {
            ObserveError::Store(error) => error.class(),
            ObserveError::Record { .. } => aero_error::ErrorClass::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_in_their_stored_shape() {
        let record = NodeRecord::Provisioned {
            fingerprint: "ab12".into(),
            revision_id: "sha256:1".into(),
            action_id: "a-1".into(),
            at_ms: 5,
        };
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"state": "provisioned", "fingerprint": "ab12",
                "revision_id": "sha256:1", "action_id": "a-1", "at_ms": 5})
        );
        assert_eq!(serde_json::from_value::<NodeRecord>(value).unwrap(), record);
        let adopted = serde_json::json!({"state": "adopted", "by": "ops"});
        assert_eq!(
            serde_json::from_value::<NodeRecord>(adopted).unwrap(),
            NodeRecord::Adopted { by: "ops".into() }
        );
        assert!(
            serde_json::from_value::<NodeRecord>(serde_json::json!({"state": "gone"})).is_err()
        );
    }
}
