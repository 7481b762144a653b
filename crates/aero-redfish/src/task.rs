//! Asynchronous operations: `202 Accepted` with a task monitor.
//!
//! The monitor is the `Location` header (or the body's `@odata.id`). It is polled, sleeping
//! per `Retry-After` (seconds or an HTTP date; the poll interval when absent), until it
//! answers something other than 202 or its task reaches a final state, bounded by the
//! operation deadline. Monitors that always answer 200 with a `Task` body (iDRAC job URIs)
//! are followed by `TaskState`.

use reqwest::Method;
use serde_json::Value;

use crate::client::{BmcClient, Deadline};
use crate::error::RedfishError;
use crate::model::Task;
use crate::retry::parse_retry_after;
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
    /// Finished with an error: the state and the task messages.
    Failed(String, String),
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
    let critical = task.task_status.as_deref() == Some("Critical");
    if FAILED_STATES.contains(&state.as_str()) || critical {
        return TaskProgress::Failed(state, messages);
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
                TaskProgress::Failed(state, message) => {
                    return Err(RedfishError::TaskFailed {
                        bmc: self.bmc().to_string(),
                        monitor: monitor.to_string(),
                        state,
                        message,
                    });
                }
            }
        }
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
            TaskProgress::Failed("Exception".to_string(), "Unable to import".to_string()),
        );
        check(
            200,
            r#"{"TaskState":"Completed","TaskStatus":"Critical","Messages":[{"MessageId":"X.Failed"}]}"#,
            TaskProgress::Failed("Completed".to_string(), "X.Failed".to_string()),
        );
    }
}
