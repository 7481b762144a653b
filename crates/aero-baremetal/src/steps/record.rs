//! Record a provisioned node as a site fact: what the planner reads to decide whether the
//! node must be provisioned again.

use std::time::{SystemTime, UNIX_EPOCH};

use aero_workflow::{Decision, Pending, Step, StepContext, StepError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::FACT_DOMAIN;
use super::bmc::NodeBmc;

/// What the store records of one node (domain [`FACT_DOMAIN`], key the node's name): the
/// one shape the record step writes, `aero node adopt` writes, and the planner reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum NodeRecord {
    /// Provisioned by an action, from these provisioning documents.
    Provisioned {
        /// The node's provisioning fingerprint then.
        fingerprint: String,
        /// The revision it was provisioned from.
        revision_id: String,
        /// The action that provisioned it.
        #[serde(default)]
        action_id: String,
        /// When (worker clock, milliseconds since 1970).
        #[serde(default)]
        at_ms: i64,
    },
    /// Installed by other means and adopted by an operator: never touched.
    Adopted {
        /// Who adopted it (the operator's user name).
        by: String,
    },
}

/// The op: write the fact (its time is taken when it is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RecordOp {
    Write,
}

/// What the record step sees: the current fact, and the action it runs in.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RecordObserved {
    pub(super) current: Option<serde_json::Value>,
    pub(super) action_id: String,
}

pub(super) struct Record {
    node: NodeBmc,
}

impl Record {
    pub(super) fn new(node: NodeBmc) -> Self {
        Record { node }
    }
}

#[async_trait]
impl Step for Record {
    type Observed = RecordObserved;
    type Op = RecordOp;

    async fn observe(&self, cx: &StepContext) -> Result<RecordObserved, StepError> {
        Ok(RecordObserved {
            current: cx.fact(FACT_DOMAIN, &self.node.node.name).await?,
            action_id: cx.action_id().to_string(),
        })
    }

    fn decide(
        &self,
        observed: &RecordObserved,
        _pending: Option<&Pending<RecordOp>>,
    ) -> Decision<RecordOp> {
        let current: Option<NodeRecord> = observed
            .current
            .clone()
            .and_then(|value| serde_json::from_value(value).ok());
        match current {
            Some(NodeRecord::Provisioned {
                fingerprint,
                revision_id,
                action_id,
                at_ms,
            }) if fingerprint == self.node.node.fingerprint.as_str()
                && revision_id == self.node.env().revision_id
                && action_id == observed.action_id =>
            {
                Decision::done(serde_json::json!({
                    "fingerprint": fingerprint,
                    "revision_id": revision_id,
                    "at_ms": at_ms,
                }))
            }
            _ => Decision::Act(RecordOp::Write),
        }
    }

    async fn act(&self, cx: &StepContext, _op: &RecordOp) -> Result<serde_json::Value, StepError> {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
            });
        let fact = NodeRecord::Provisioned {
            fingerprint: self.node.node.fingerprint.as_str().to_string(),
            revision_id: self.node.env().revision_id.clone(),
            action_id: cx.action_id().to_string(),
            at_ms,
        };
        let value = serde_json::to_value(&fact)
            .map_err(|error| StepError::permanent(format!("cannot write the fact: {error}")))?;
        cx.put_fact(FACT_DOMAIN, &self.node.node.name, value)
            .await?;
        Ok(serde_json::json!({ "at_ms": at_ms }))
    }
}
