//! Wait for the node's phone-home: what cloud-init posts to the artifact server once the
//! installed system boots, recorded in the store.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aero_bmc::LogEntry;
use aero_workflow::{Decision, Pending, Step, StepContext, StepError};
use async_trait::async_trait;

use super::NoOp;
use super::bmc::NodeBmc;

/// How many BMC log entries a timeout message shows (newest first).
const LOG_ENTRIES_SHOWN: usize = 20;

/// What the wait sees.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PhoneHomeObserved {
    /// When the node was powered on (worker clock, ms since the epoch).
    pub(super) powered_on_ms: i64,
    /// Now (worker clock).
    pub(super) now_ms: i64,
    /// Phone-homes of this node received since it was powered on, for this revision (or
    /// of unknown revision): (sequence, received, instance id).
    pub(super) received: Vec<(i64, i64, Option<String>)>,
    /// The BMC's log since power-on, read only once the deadline passed (or why it could
    /// not be read).
    pub(super) logs: Option<Result<Vec<LogEntry>, String>>,
}

pub(super) struct WaitPhoneHome {
    node: NodeBmc,
    power_on_step: String,
    deploy_timeout: Duration,
    poll: Duration,
}

impl WaitPhoneHome {
    pub(super) fn new(
        node: NodeBmc,
        power_on_step: String,
        deploy_timeout: Duration,
        poll: Duration,
    ) -> Self {
        WaitPhoneHome {
            node,
            power_on_step,
            deploy_timeout,
            poll,
        }
    }

    fn timeout_ms(&self) -> i64 {
        i64::try_from(self.deploy_timeout.as_millis()).unwrap_or(i64::MAX)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

#[async_trait]
impl Step for WaitPhoneHome {
    type Observed = PhoneHomeObserved;
    type Op = NoOp;

    async fn observe(&self, cx: &StepContext) -> Result<PhoneHomeObserved, StepError> {
        let powered_on_ms = cx
            .dependency(&self.power_on_step)
            .and_then(|view| view.output.as_ref())
            .and_then(|output| output.get("since_ms"))
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| {
                StepError::permanent(format!(
                    "step `{}` must follow a successful `{}` (its output says when the node was \
                     powered on)",
                    cx.spec().id,
                    self.power_on_step
                ))
            })?;
        let revision = &self.node.env().revision_id;
        let received = cx
            .phone_home(&self.node.node.name)
            .await?
            .into_iter()
            .filter(|record| record.received_ms >= powered_on_ms)
            .filter(|record| {
                record
                    .record
                    .revision_id
                    .as_ref()
                    .is_none_or(|id| id == revision)
            })
            .map(|record| {
                let instance = record
                    .record
                    .data
                    .get("instance_id")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string);
                (record.seq, record.received_ms, instance)
            })
            .collect::<Vec<_>>();
        let now_ms = now_ms();
        let logs = if received.is_empty() && now_ms >= powered_on_ms + self.timeout_ms() {
            let since =
                UNIX_EPOCH + Duration::from_millis(u64::try_from(powered_on_ms).unwrap_or(0));
            Some(match self.node.bmc().await {
                Ok(bmc) => bmc
                    .log_entries(since)
                    .await
                    .map_err(|error| self.node.failure(error).message().to_string()),
                Err(error) => Err(error.message().to_string()),
            })
        } else {
            None
        };
        Ok(PhoneHomeObserved {
            powered_on_ms,
            now_ms,
            received,
            logs,
        })
    }

    fn decide(
        &self,
        observed: &PhoneHomeObserved,
        _pending: Option<&Pending<NoOp>>,
    ) -> Decision<NoOp> {
        decide_phone_home(
            &self.node.node.name,
            self.deploy_timeout,
            self.poll,
            observed,
        )
    }

    async fn act(&self, _cx: &StepContext, op: &NoOp) -> Result<serde_json::Value, StepError> {
        match *op {}
    }
}

/// The phone-home decision. Pure.
pub(super) fn decide_phone_home(
    node: &str,
    deploy_timeout: Duration,
    poll: Duration,
    observed: &PhoneHomeObserved,
) -> Decision<NoOp> {
    if let Some((seq, received_ms, instance_id)) = observed.received.first() {
        return Decision::done(serde_json::json!({
            "phone_home_seq": seq,
            "received_ms": received_ms,
            "instance_id": instance_id,
            "seconds_after_power_on": (received_ms - observed.powered_on_ms) / 1000,
        }));
    }
    let timeout_ms = i64::try_from(deploy_timeout.as_millis()).unwrap_or(i64::MAX);
    if observed.now_ms < observed.powered_on_ms.saturating_add(timeout_ms) {
        return Decision::wait(format!("waiting for {node} to phone home"), poll);
    }
    let logs = match &observed.logs {
        None => "BMC log not read".to_string(),
        Some(Err(reason)) => format!("BMC log unreadable: {reason}"),
        Some(Ok(entries)) if entries.is_empty() => {
            "the BMC logged nothing since power-on".to_string()
        }
        Some(Ok(entries)) => {
            let shown: Vec<String> = entries
                .iter()
                .take(LOG_ENTRIES_SHOWN)
                .map(|entry| {
                    let at = entry
                        .created
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |elapsed| elapsed.as_secs());
                    format!(
                        "[{at}] {} {}/{}: {}",
                        entry.severity, entry.log, entry.id, entry.message
                    )
                })
                .collect();
            let more = entries.len().saturating_sub(LOG_ENTRIES_SHOWN);
            let tail = if more > 0 {
                format!(" (and {more} older)")
            } else {
                String::new()
            };
            format!(
                "BMC log since power-on, newest first: {}{tail}",
                shown.join(" | ")
            )
        }
    };
    Decision::fail(format!(
        "{node} did not phone home within {}s of power-on; {logs}",
        deploy_timeout.as_secs()
    ))
}
