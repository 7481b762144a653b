//! Asynchronous operations: `202 Accepted` with a task monitor.
//!
//! The monitor is the `Location` header (or the body's `@odata.id`). It is polled, sleeping
//! per `Retry-After` (seconds or an HTTP date; the poll interval when absent), until it
//! answers something other than 202 or its task reaches a final state, bounded by the
//! operation deadline. Monitors that always answer 200 with a `Task` body (iDRAC job URIs)
//! are followed by `TaskState`.
//!
//! Configuration jobs ([`RedfishSystem::run_configuration_job`]) add the vendor's busy
//! handling on top: while the BMC refuses the job (its answer, or the failed task, carries a
//! busy condition of the quirk table), the job is posted again per the `busy_retry_*`
//! timing, after one reboot of the host when a configuration is pending until the next boot.

use std::time::Instant;

use reqwest::Method;
use serde_json::Value;

use crate::client::{BmcClient, Deadline};
use crate::error::RedfishError;
use crate::model::Task;
use crate::power::{PowerRequest, PowerState};
use crate::retry::{Backoff, BusyDecision, FixedBackoff, busy_decision, parse_retry_after};
use crate::system::RedfishSystem;
use crate::transport::RawResponse;

/// Task states that mean "not finished yet".
const RUNNING_STATES: [&str; 9] = [
    "New",
    "Starting",
    "Running",
    "Pending",
    "Suspended",
    "Stopping",
    "Cancelling",
    "Service",
    "Interrupted",
];

/// Task states that mean "finished, not successfully".
const FAILED_STATES: [&str; 3] = ["Exception", "Killed", "Cancelled"];

/// How a task looks in one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TaskProgress {
    /// Still running; the state as reported.
    Running(String),
    /// Finished successfully (or the answer is not a task at all).
    Done,
    /// Finished with an error.
    Failed {
        /// The final state.
        state: String,
        /// The task's messages (text, or the id when there is no text).
        message: String,
        /// The task's message ids.
        message_ids: Vec<String>,
    },
}

/// Classifies one answer of a task monitor (pure).
pub(crate) fn task_progress(status: u16, body: &[u8]) -> TaskProgress {
    let task = serde_json::from_slice::<Task>(body).ok();
    let state = task.as_ref().and_then(|task| task.task_state.clone());
    if status == 202 {
        return TaskProgress::Running(state.unwrap_or_else(|| "Running".to_string()));
    }
    let (Some(task), Some(state)) = (task, state) else {
        return TaskProgress::Done;
    };
    if RUNNING_STATES.contains(&state.as_str()) {
        return TaskProgress::Running(state);
    }
    let messages = task
        .messages
        .iter()
        .filter_map(|message| {
            message
                .message
                .clone()
                .or_else(|| message.message_id.clone())
        })
        .collect::<Vec<_>>()
        .join("; ");
    let message_ids = task
        .messages
        .iter()
        .filter_map(|message| message.message_id.clone())
        .collect();
    let critical = task.task_status.as_deref() == Some("Critical");
    if FAILED_STATES.contains(&state.as_str()) || critical {
        return TaskProgress::Failed {
            state,
            message: messages,
            message_ids,
        };
    }
    TaskProgress::Done
}

impl BmcClient {
    /// Returns `response` unless it is `202 Accepted`; then waits for its task monitor and
    /// returns the monitor's final answer.
    pub(crate) async fn finish_task(
        &self,
        method: &Method,
        path: &str,
        response: RawResponse,
        deadline: &Deadline,
    ) -> Result<RawResponse, RedfishError> {
        if response.status != 202 {
            return Ok(response);
        }
        let monitor = response
            .header("location")
            .map(str::to_string)
            .or_else(|| {
                serde_json::from_slice::<Value>(&response.body)
                    .ok()
                    .and_then(|body| body.get("@odata.id")?.as_str().map(str::to_string))
            })
            .map(|location| self.path_of(&location))
            .ok_or_else(|| RedfishError::TaskMonitorMissing {
                bmc: self.bmc().to_string(),
                method: method.to_string(),
                path: path.to_string(),
            })?;
        self.wait_for_task(&monitor, &response, deadline).await
    }

    /// Polls a task monitor until its task is finished.
    pub(crate) async fn wait_for_task(
        &self,
        monitor: &str,
        accepted: &RawResponse,
        deadline: &Deadline,
    ) -> Result<RawResponse, RedfishError> {
        let poll_interval = self.timing().poll_interval;
        let mut wait = retry_after(accepted).unwrap_or(poll_interval);
        let mut last_state = "New".to_string();
        tracing::debug!(bmc = self.bmc(), monitor, "waiting for task");
        loop {
            if !self.pause(wait, deadline).await {
                return Err(RedfishError::TaskTimeout {
                    bmc: self.bmc().to_string(),
                    monitor: monitor.to_string(),
                    state: last_state,
                    waited: deadline.elapsed(),
                });
            }
            let answer = self
                .execute(Method::GET, monitor, None, None, deadline)
                .await
                .map_err(|failure| RedfishError::PollTask {
                    failure: Box::new(failure),
                })?;
            match task_progress(answer.status, &answer.body) {
                TaskProgress::Running(state) => {
                    last_state = state;
                    wait = retry_after(&answer).unwrap_or(poll_interval);
                }
                TaskProgress::Done => return Ok(answer),
                TaskProgress::Failed {
                    state,
                    message,
                    message_ids,
                } => {
                    return Err(RedfishError::TaskFailed {
                        bmc: self.bmc().to_string(),
                        monitor: monitor.to_string(),
                        state,
                        message,
                        message_ids,
                    });
                }
            }
        }
    }
}

impl RedfishSystem {
    /// POSTs a configuration job (`operation` names it in errors) and waits for its task.
    ///
    /// While the BMC refuses it as busy (see the module documentation), the job is retried
    /// up to `busy_retry_attempts` times, `busy_retry_interval` apart, each attempt with its
    /// own operation deadline. A condition that needs a boot reboots the host once (then
    /// retries at once); the host is powered off again afterwards when it was off before.
    /// Returns notes for the operator.
    pub(crate) async fn run_configuration_job(
        &self,
        operation: &str,
        target: &str,
        body: &Value,
    ) -> Result<Vec<String>, RedfishError> {
        let quirks = self.quirks();
        let timing = self.client().timing();
        let mut backoff = FixedBackoff::new(timing.busy_retry_interval, timing.busy_retry_attempts);
        let started = Instant::now();
        let mut attempts: u32 = 0;
        let mut power_before_reboot: Option<PowerState> = None;
        let mut notes = Vec::new();
        loop {
            attempts += 1;
            let deadline = self.deadline();
            let error = match self.post_job(operation, target, body, &deadline).await {
                Ok(()) => break,
                Err(error) => error,
            };
            let decision = busy_decision(
                &|needle| error.mentions(needle),
                &quirks.config_job_busy,
                power_before_reboot.is_some(),
            );
            if decision == BusyDecision::GiveUp {
                return Err(error);
            }
            let Some(delay) = backoff.next_delay() else {
                return Err(RedfishError::StillBusy {
                    bmc: self.client().bmc().to_string(),
                    operation: operation.to_string(),
                    attempts,
                    waited: started.elapsed(),
                    last: Box::new(error),
                });
            };
            if decision == BusyDecision::RebootThenRetry {
                tracing::warn!(
                    bmc = self.client().bmc(),
                    operation,
                    error = %error,
                    "a configuration is pending until the next boot, rebooting the host once"
                );
                let before = self.power_state().await?;
                self.set_power(PowerRequest::Restart).await?;
                power_before_reboot = Some(before);
                notes.push(format!(
                    "{operation}: refused while a configuration was pending; host rebooted once"
                ));
            } else {
                tracing::warn!(
                    bmc = self.client().bmc(),
                    operation,
                    attempt = attempts,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %error,
                    "the BMC is busy, retrying the configuration job"
                );
                tokio::time::sleep(delay).await;
            }
        }
        if attempts > 1 {
            notes.push(format!("{operation}: accepted at attempt {attempts}"));
        }
        if power_before_reboot == Some(PowerState::Off) {
            self.set_power(PowerRequest::ForceOff).await?;
            notes.push("host powered off again, as it was before the reboot".to_string());
        }
        Ok(notes)
    }

    async fn post_job(
        &self,
        operation: &str,
        target: &str,
        body: &Value,
        deadline: &Deadline,
    ) -> Result<(), RedfishError> {
        let response = self
            .client()
            .post(target, Some(body), deadline)
            .await
            .map_err(|failure| RedfishError::OemAction {
                action: operation.to_string(),
                failure: Box::new(failure),
            })?;
        self.client()
            .finish_task(&Method::POST, target, response, deadline)
            .await?;
        Ok(())
    }
}

fn retry_after(response: &RawResponse) -> Option<std::time::Duration> {
    response
        .header("retry-after")
        .and_then(|value| parse_retry_after(value, std::time::SystemTime::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(status: u16, body: &str, expected: TaskProgress) {
        assert_eq!(task_progress(status, body.as_bytes()), expected);
    }

    #[test]
    fn monitor_answers_are_classified() {
        check(202, "", TaskProgress::Running("Running".to_string()));
        check(
            202,
            r#"{"TaskState":"Starting"}"#,
            TaskProgress::Running("Starting".to_string()),
        );
        check(
            200,
            r#"{"TaskState":"Running","PercentComplete":40}"#,
            TaskProgress::Running("Running".to_string()),
        );
        check(
            200,
            r#"{"TaskState":"Completed","TaskStatus":"OK"}"#,
            TaskProgress::Done,
        );
        check(204, "", TaskProgress::Done);
        check(200, r#"{"Id":"1","PowerState":"On"}"#, TaskProgress::Done);
        check(
            200,
            r#"{"TaskState":"Exception","Messages":[{"MessageId":"IDRAC.2.8.SYS051","Message":"Unable to import"}]}"#,
            TaskProgress::Failed {
                state: "Exception".to_string(),
                message: "Unable to import".to_string(),
                message_ids: vec!["IDRAC.2.8.SYS051".to_string()],
            },
        );
        check(
            200,
            r#"{"TaskState":"Completed","TaskStatus":"Critical","Messages":[{"MessageId":"X.Failed"}]}"#,
            TaskProgress::Failed {
                state: "Completed".to_string(),
                message: "X.Failed".to_string(),
                message_ids: vec!["X.Failed".to_string()],
            },
        );
    }
}
