//! Progress of an action running in this process, drawn from the engine's events: a
//! bar with the step in flight on a terminal, one line per step end otherwise (logs and
//! CI read those). Events are scrubbed by the engine; they are scrubbed again here
//! because the redactor may have learnt secrets since.

use std::io::IsTerminal as _;
use std::time::Duration;

use aero_redact::SharedRedactor;
use aero_workflow::{EntryKind, Event, StepState};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// The display task of one action.
pub struct Progress {
    task: JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Progress {
    /// Starts showing the progress of `action` (`total` steps).
    pub fn start(
        events: broadcast::Receiver<Event>,
        action: &str,
        total: u64,
        redactor: SharedRedactor,
    ) -> Progress {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} steps  {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let task = tokio::spawn(show(events, action.to_string(), bar, redactor, stopped));
        Progress { task, stop }
    }

    /// Stops the display once the events already sent are shown.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn show(
    mut events: broadcast::Receiver<Event>,
    action: String,
    bar: Option<ProgressBar>,
    redactor: SharedRedactor,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let print = |line: String| match &bar {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    };
    loop {
        let event = tokio::select! {
            biased;
            event = events.recv() => event,
            _ = &mut stopped => {
                // Drain what is already queued, then stop.
                while let Ok(event) = events.try_recv() {
                    handle(&event, &action, &bar, &redactor, &print);
                }
                break;
            }
        };
        match event {
            Ok(event) => handle(&event, &action, &bar, &redactor, &print),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                print(format!(
                    "aero: ({missed} progress event(s) not shown; `aero actions logs {action}` has them all)"
                ));
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn handle(
    event: &Event,
    action: &str,
    bar: &Option<ProgressBar>,
    redactor: &SharedRedactor,
    print: &dyn Fn(String),
) {
    if event.action_id != action {
        return;
    }
    let step = event.step_id.as_deref().unwrap_or("-");
    let message = redactor.scrub(&event.message);
    match event.kind {
        EntryKind::StepStarted => {
            if let Some(bar) = bar {
                bar.set_message(format!("{step}: started"));
            }
        }
        EntryKind::Waiting => {
            if let Some(bar) = bar {
                bar.set_message(format!("{step}: {message}"));
            }
        }
        EntryKind::Retrying => print(format!("  retry {step}: {message}")),
        EntryKind::StepEnded | EntryKind::Skipped => {
            let state = event.step_state.unwrap_or(StepState::Succeeded);
            if let Some(bar) = bar {
                bar.inc(1);
            }
            let mark = match state {
                StepState::Succeeded => "ok  ",
                StepState::Failed => "FAIL",
                StepState::Skipped => "skip",
                _ => "    ",
            };
            if state == StepState::Succeeded {
                print(format!("  {mark} {step}"));
            } else {
                print(format!("  {mark} {step}: {message}"));
            }
        }
        EntryKind::Tolerated => print(format!("  tolerated {step}: {message}")),
        _ => {}
    }
}
