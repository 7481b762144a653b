//! The engine's behaviour, each scenario on SQLite and on PostgreSQL: DAG order, skips,
//! completion edges and gates, resources, retries, timeouts, pause/stop/resume at
//! boundaries, retry_from, the journal's intents, resume after a crash, one action per
//! site, leases with takeover and fencing, facts, and secrets never stored.
//!
//! PostgreSQL scenarios use `AERO_TEST_POSTGRES_URL`, or start a throwaway cluster with
//! `ci/postgres/start.sh` (see `support/postgres.rs`); they fail when neither works.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aero_error::{Classify, ErrorClass};
use aero_workflow::{
    ActionState, EngineConfig, EngineError, EntryKind, LogFilter, PhoneHome, ProcessIdentity,
    StepState, StoreError,
};
use serde_json::json;

use support::{Backend, Lab, action, config, engine, engine_with, probe, step};

/// Runs each scenario on both backends.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::postgres().await).await;
                }
            )*
        }
    };
}

on_both_backends!(
    steps_run_in_dependency_order,
    failures_skip_success_dependants_and_completion_edges_run,
    gates_accept_failures_within_their_criteria,
    gates_outside_their_criteria_fail_the_action,
    resources_and_parallelism_limit_concurrency,
    transient_failures_are_retried_with_backoff,
    permanent_failures_are_not_retried,
    timeouts_fail_a_step_and_keep_its_intent_open,
    pause_takes_effect_at_a_step_boundary,
    stop_releases_the_site_and_resumes,
    pause_interrupts_a_waiting_step_at_a_boundary,
    pause_from_another_process_is_read_with_the_heartbeat,
    retry_from_reruns_only_the_failed_step_and_its_dependants,
    intents_are_committed_before_the_act,
    a_crashed_run_resumes_with_its_pending_intent,
    a_pending_intent_waits_for_convergence_before_acting_again,
    completed_steps_never_run_again_after_a_crash,
    one_running_action_per_site,
    an_expired_lease_is_taken_over_and_the_old_worker_is_fenced,
    a_live_lease_is_not_taken,
    facts_are_fenced_and_shared_between_steps,
    the_store_never_holds_a_registered_secret,
    workers_claim_and_run_submitted_actions,
    logs_filter_by_step_and_follow_by_sequence,
    an_action_that_cannot_be_prepared_here_is_left_to_other_workers,
    unknown_step_kinds_fail_their_step,
);

fn run_state(result: Result<ActionState, EngineError>) -> ActionState {
    result.unwrap_or_else(|error| panic!("run failed: {error}"))
}

async fn steps_run_in_dependency_order(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("d", &["b", "c"], json!({})),
                probe("b", &["a"], json!({})),
                probe("a", &[], json!({})),
                probe("c", &["a"], json!({"lag_polls": 2})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    let order = lab.act_order();
    assert_eq!(order.len(), 4);
    assert_eq!(order[0], "a");
    assert_eq!(order[3], "d");
    let detail = engine.show(&id).await.expect("show");
    assert!(
        detail
            .steps
            .iter()
            .all(|step| step.state == StepState::Succeeded)
    );
    assert!(detail.steps.iter().all(|step| step.attempts == 1));
    assert_eq!(detail.action.state, ActionState::Succeeded);
    assert!(detail.action.ended_ms.is_some());
    assert!(detail.action.lease_owner.is_none(), "the lease is released");
    for step in ["a", "b", "c", "d"] {
        assert_eq!(lab.acts(step), 1, "{step}");
    }
    // `c` waited for its change to land: one journaled wait, polls not journaled twice.
    let waits = engine
        .logs(
            &id,
            &LogFilter {
                step: Some("c".to_string()),
                ..LogFilter::default()
            },
        )
        .await
        .expect("logs")
        .into_iter()
        .filter(|entry| entry.kind == EntryKind::Waiting)
        .count();
    assert_eq!(waits, 1);
    let deployment = store
        .deployment("lon1", "test_site")
        .await
        .expect("deployment")
        .expect("recorded");
    assert_eq!(deployment.action_id, id);
    assert_eq!(deployment.revision_id, "rev-1");
}

async fn failures_skip_success_dependants_and_completion_edges_run(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({"decide_fail": true})),
                probe("b", &["a"], json!({})),
                probe("c", &["b"], json!({})),
                probe("cleanup", &["~a"], json!({})),
                probe("other", &[], json!({})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    let detail = engine.show(&id).await.expect("show");
    let states: BTreeMap<&str, StepState> = detail
        .steps
        .iter()
        .map(|step| (step.id.as_str(), step.state))
        .collect();
    assert_eq!(states["a"], StepState::Failed);
    assert_eq!(states["b"], StepState::Skipped);
    assert_eq!(states["c"], StepState::Skipped);
    assert_eq!(states["cleanup"], StepState::Succeeded);
    assert_eq!(states["other"], StepState::Succeeded);
    let b = detail.steps.iter().find(|step| step.id == "b").expect("b");
    assert_eq!(b.reason.as_deref(), Some("dependency `a` failed"));
    let c = detail.steps.iter().find(|step| step.id == "c").expect("c");
    assert_eq!(c.reason.as_deref(), Some("dependency `b` was skipped"));
    assert_eq!(lab.observes("b"), 0, "a skipped step never runs");
    let error = detail.action.error.expect("an error");
    assert!(
        error.contains("the probe cannot reach its target"),
        "{error}"
    );
    assert!(
        store
            .deployment("lon1", "test_site")
            .await
            .expect("read")
            .is_none(),
        "a failed action is not a deployment"
    );
}

fn group(members: &[(&str, bool)], min: u64) -> Vec<aero_workflow::StepSpec> {
    let mut steps: Vec<_> = members
        .iter()
        .map(|(id, fails)| probe(id, &[], json!({"decide_fail": fails})))
        .collect();
    let edges: Vec<String> = members.iter().map(|(id, _)| format!("~{id}")).collect();
    let edge_refs: Vec<&str> = edges.iter().map(String::as_str).collect();
    steps.push(step(
        "gate",
        "gate",
        &edge_refs,
        json!({"min_succeeded": min}),
    ));
    steps.push(probe("workloads", &["gate"], json!({})));
    steps
}

async fn gates_accept_failures_within_their_criteria(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            group(&[("m1", false), ("m2", true), ("m3", false)], 2),
        ))
        .await
        .expect("submit");
    assert_eq!(
        run_state(engine.run(&id).await),
        ActionState::SucceededWithFailures
    );
    let detail = engine.show(&id).await.expect("show");
    let m2 = detail
        .steps
        .iter()
        .find(|step| step.id == "m2")
        .expect("m2");
    assert_eq!(m2.state, StepState::Failed);
    assert_eq!(m2.tolerated_by.as_deref(), Some("gate"));
    let gate = detail
        .steps
        .iter()
        .find(|step| step.id == "gate")
        .expect("gate");
    assert_eq!(gate.output, Some(json!({"succeeded": 2, "failed": 1})));
    assert_eq!(lab.acts("workloads"), 1);
    let deployment = store
        .deployment("lon1", "test_site")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(deployment.state, ActionState::SucceededWithFailures);
}

async fn gates_outside_their_criteria_fail_the_action(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            group(&[("m1", false), ("m2", true), ("m3", true)], 2),
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    let detail = engine.show(&id).await.expect("show");
    let states: BTreeMap<&str, StepState> = detail
        .steps
        .iter()
        .map(|step| (step.id.as_str(), step.state))
        .collect();
    assert_eq!(states["gate"], StepState::Failed);
    assert_eq!(states["workloads"], StepState::Skipped);
    assert_eq!(lab.observes("workloads"), 0);
    assert!(detail.steps.iter().all(|step| step.tolerated_by.is_none()));
}

async fn resources_and_parallelism_limit_concurrency(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let mut steps = Vec::new();
    for n in 0..6 {
        let mut step = probe(&format!("bmc-{n}"), &[], json!({"hold_ms": 150}));
        step.resources = vec!["bmc:https://10.0.0.1".to_string()];
        steps.push(step);
    }
    let mut spec = action("lon1", steps);
    spec.limits.max_parallel = 6;
    spec.limits.resource_limits.insert("bmc".to_string(), 2);
    let id = engine.submit(&spec).await.expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(lab.max_in_flight("bmc:https://10.0.0.1"), 2);

    let lab = Lab::new();
    let engine = support::engine(&store, &lab);
    let steps = (0..8)
        .map(|n| probe(&format!("n{n}"), &[], json!({"hold_ms": 150})))
        .collect();
    let mut spec = action("lon2", steps);
    spec.limits.max_parallel = 3;
    let id = engine.submit(&spec).await.expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(lab.max_in_flight("*"), 3);
}

async fn transient_failures_are_retried_with_backoff(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("flaky", &[], json!({"fail_times": 2})),
                probe("broken", &[], json!({"fail_times": 5})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    let detail = engine.show(&id).await.expect("show");
    let flaky = detail
        .steps
        .iter()
        .find(|step| step.id == "flaky")
        .expect("flaky");
    assert_eq!(flaky.state, StepState::Succeeded);
    assert_eq!(flaky.attempts, 3);
    assert_eq!(lab.acts("flaky"), 3);
    let broken = detail
        .steps
        .iter()
        .find(|step| step.id == "broken")
        .expect("broken");
    assert_eq!(broken.state, StepState::Failed);
    assert_eq!(lab.acts("broken"), 3, "max_attempts is 3");
    let error = broken.error.as_deref().expect("error");
    assert!(error.contains("gave up after 3 attempts"), "{error}");
    let retries = engine
        .logs(
            &id,
            &LogFilter {
                step: Some("flaky".to_string()),
                ..LogFilter::default()
            },
        )
        .await
        .expect("logs")
        .into_iter()
        .filter(|entry| entry.kind == EntryKind::Retrying)
        .count();
    assert_eq!(retries, 2);
}

async fn permanent_failures_are_not_retried(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![probe(
                "a",
                &[],
                json!({"fail_times": 1, "fail_class": "permanent"}),
            )],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    assert_eq!(lab.acts("a"), 1);
    let detail = engine.show(&id).await.expect("show");
    let error = detail.steps[0].error.as_deref().expect("error");
    assert!(error.ends_with("(permanent)"), "{error}");
}

async fn timeouts_fail_a_step_and_keep_its_intent_open(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let mut waits = probe("waits", &[], json!({"never_converges": true}));
    waits.timeout_ms = Some(150);
    let mut hangs = probe("hangs", &[], json!({"block": true}));
    hangs.timeout_ms = Some(150);
    let id = engine
        .submit(&action("lon1", vec![waits, hangs]))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    let detail = engine.show(&id).await.expect("show");
    for step in &detail.steps {
        assert_eq!(step.state, StepState::Failed, "{}", step.id);
        assert!(
            step.error
                .as_deref()
                .is_some_and(|error| error.starts_with("timed out")),
            "{:?}",
            step.error
        );
    }
    let hangs = detail
        .steps
        .iter()
        .find(|step| step.id == "hangs")
        .expect("hangs");
    assert!(
        hangs.open_intent.is_some(),
        "the act in flight has no result"
    );

    // Retrying it hands the open intent to decide, which sees the effect did not land
    // (the act was dropped before applying) and acts again.
    engine
        .retry_from(&id, &["hangs", "waits"])
        .await
        .expect("retry");
    lab.release("hangs");
    let _ = run_state(engine.run(&id).await);
    let record = lab.record("hangs");
    assert_eq!(record.pending_seen.len(), 1, "{:?}", record.pending_seen);
    assert_eq!(record.pending_seen[0].0, json!("apply"));
    assert_eq!(record.acts, 2);
}

async fn pause_takes_effect_at_a_step_boundary(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({"block": true})),
                probe("b", &["a"], json!({})),
                probe("c", &["b"], json!({})),
            ],
        ))
        .await
        .expect("submit");
    let runner = engine.clone();
    let run_id = id.clone();
    let run = tokio::spawn(async move { runner.run(&run_id).await });
    lab.wait_entered("a", 1).await;
    assert_eq!(
        engine.pause(&id).await.expect("pause"),
        ActionState::Running
    );
    lab.release("a");
    assert_eq!(run_state(run.await.expect("join")), ActionState::Paused);
    let detail = engine.show(&id).await.expect("show");
    assert_eq!(
        detail.steps[0].state,
        StepState::Succeeded,
        "the act in flight completed"
    );
    assert_eq!(detail.steps[1].state, StepState::Pending);
    assert_eq!(lab.observes("b"), 0, "no step starts after the pause");
    // A paused action keeps its site.
    let second = engine
        .submit(&action("lon1", vec![probe("x", &[], json!({}))]))
        .await;
    assert!(matches!(
        second,
        Err(EngineError::Store(StoreError::SiteBusy { .. }))
    ));
    // Running a paused action needs a resume first.
    let error = engine.run(&id).await.expect_err("paused");
    assert_eq!(error.class(), ErrorClass::Usage);

    assert_eq!(
        engine.resume(&id).await.expect("resume"),
        ActionState::Pending
    );
    let observed = lab.observes("a");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(lab.acts("a"), 1, "a completed step never runs again");
    assert_eq!(lab.observes("a"), observed);
    assert_eq!(lab.acts("c"), 1);
}

async fn stop_releases_the_site_and_resumes(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({"block": true})),
                probe("b", &["a"], json!({})),
            ],
        ))
        .await
        .expect("submit");
    let runner = engine.clone();
    let run_id = id.clone();
    let run = tokio::spawn(async move { runner.run(&run_id).await });
    lab.wait_entered("a", 1).await;
    assert_eq!(engine.stop(&id).await.expect("stop"), ActionState::Stopping);
    assert_eq!(
        store.action(&id).await.expect("read").state,
        ActionState::Stopping
    );
    lab.release("a");
    assert_eq!(run_state(run.await.expect("join")), ActionState::Stopped);
    assert_eq!(lab.observes("b"), 0);

    // The site is free: another action runs; resuming the stopped one conflicts meanwhile.
    let other = engine
        .submit(&action(
            "lon1",
            vec![probe("x", &[], json!({"block": true}))],
        ))
        .await
        .expect("the site is free");
    let conflict = engine.resume(&id).await.expect_err("site busy");
    assert_eq!(conflict.class(), ErrorClass::Conflict);
    assert!(conflict.to_string().contains(&other), "{conflict}");
    lab.release("x");
    assert_eq!(run_state(engine.run(&other).await), ActionState::Succeeded);

    assert_eq!(
        engine.resume(&id).await.expect("resume"),
        ActionState::Pending
    );
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(lab.acts("a"), 1);
    assert_eq!(lab.acts("b"), 1);
}

async fn pause_interrupts_a_waiting_step_at_a_boundary(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![probe("slow", &[], json!({"never_converges": true}))],
        ))
        .await
        .expect("submit");
    let mut events = engine.subscribe();
    let runner = engine.clone();
    let run_id = id.clone();
    let run = tokio::spawn(async move { runner.run(&run_id).await });
    loop {
        let event = events.recv().await.expect("event");
        if event.kind == EntryKind::Waiting {
            break;
        }
    }
    engine.pause(&id).await.expect("pause");
    assert_eq!(run_state(run.await.expect("join")), ActionState::Paused);
    let detail = engine.show(&id).await.expect("show");
    assert_eq!(detail.steps[0].state, StepState::Cancelled);
    // After a resume, it starts again from an observation.
    engine.resume(&id).await.expect("resume");
    let observed = lab.observes("slow");
    let mut events = engine.subscribe();
    let runner = engine.clone();
    let run_id = id.clone();
    let run = tokio::spawn(async move { runner.run(&run_id).await });
    loop {
        let event = events.recv().await.expect("event");
        if event.kind == EntryKind::Waiting {
            break;
        }
    }
    assert!(lab.observes("slow") > observed);
    engine.stop(&id).await.expect("stop");
    assert_eq!(run_state(run.await.expect("join")), ActionState::Stopped);
}

async fn pause_from_another_process_is_read_with_the_heartbeat(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({"block": true})),
                probe("b", &["a"], json!({})),
            ],
        ))
        .await
        .expect("submit");
    let mut events = engine.subscribe();
    let runner = engine.clone();
    let run_id = id.clone();
    let run = tokio::spawn(async move { runner.run(&run_id).await });
    lab.wait_entered("a", 1).await;
    // Another handle, as another process would: no local signal, only the store.
    let other = backend.open().await;
    assert_eq!(
        other.request_pause(&id).await.expect("pause"),
        ActionState::Running
    );
    // The heartbeat (every 100 ms) reads the request while `a` is still in its act, and
    // the run announces that it stops at the next boundary.
    loop {
        let event = events.recv().await.expect("event");
        if event.kind == EntryKind::Interrupted && event.step_id.is_none() {
            break;
        }
    }
    lab.release("a");
    assert_eq!(run_state(run.await.expect("join")), ActionState::Paused);
    assert_eq!(lab.observes("b"), 0);
}

async fn retry_from_reruns_only_the_failed_step_and_its_dependants(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({})),
                probe(
                    "b",
                    &["a"],
                    json!({"fail_times": 1, "fail_class": "permanent"}),
                ),
                probe("c", &["b"], json!({})),
                probe("d", &["a"], json!({})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    assert_eq!(lab.observes("c"), 0);
    let error = engine
        .retry_from(&id, &["a"])
        .await
        .expect_err("a succeeded");
    assert_eq!(error.class(), ErrorClass::Usage);
    let error = engine
        .retry_from(&id, &["nope"])
        .await
        .expect_err("unknown");
    assert_eq!(error.class(), ErrorClass::NotFound);

    // The fix: `b` no longer fails (its failure budget is spent).
    assert_eq!(
        engine.retry_from(&id, &["b"]).await.expect("retry"),
        ActionState::Pending
    );
    let show = engine.show(&id).await.expect("show");
    let states: Vec<StepState> = show.steps.iter().map(|step| step.state).collect();
    assert_eq!(
        states,
        [
            StepState::Succeeded,
            StepState::Pending,
            StepState::Pending,
            StepState::Succeeded
        ]
    );
    let observed_a = lab.observes("a");
    let observed_d = lab.observes("d");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(
        lab.observes("a"),
        observed_a,
        "completed steps are not run again"
    );
    assert_eq!(lab.observes("d"), observed_d);
    assert_eq!(lab.acts("b"), 2);
    assert_eq!(lab.acts("c"), 1);
}

async fn intents_are_committed_before_the_act(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    lab.set_observer(backend.open().await);
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({"check_intent": true})),
                probe("b", &["a"], json!({"check_intent": true, "fail_times": 1})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(lab.record("a").intent_visible, [true]);
    assert_eq!(lab.record("b").intent_visible, [true, true]);
    // Every intent has its result, which refers to it.
    let journal = engine.logs(&id, &LogFilter::default()).await.expect("logs");
    let intents: Vec<i64> = journal
        .iter()
        .filter(|entry| entry.kind == EntryKind::Intent)
        .map(|entry| entry.seq)
        .collect();
    assert_eq!(intents.len(), 3);
    for intent in intents {
        let result = journal
            .iter()
            .find(|entry| entry.ref_seq == Some(intent))
            .expect("a result");
        assert_eq!(result.kind, EntryKind::Result);
        assert!(result.seq > intent);
    }
    let show = engine.show(&id).await.expect("show");
    assert!(show.steps.iter().all(|step| step.open_intent.is_none()));
}

/// The identity of a process that died: this process's, with another start time (its
/// PID was reused).
fn dead_process() -> ProcessIdentity {
    let me = ProcessIdentity::current();
    ProcessIdentity {
        start_time: me.start_time + 1,
        ..me
    }
}

async fn crash_while_blocked(
    backend: &Backend,
    lab: &Lab,
    steps: Vec<aero_workflow::StepSpec>,
    blocked: &str,
) -> String {
    let store = backend.open().await;
    let crashing = engine_with(
        &store,
        lab,
        EngineConfig {
            identity: dead_process(),
            ..config()
        },
    );
    let id = crashing
        .submit(&action("lon1", steps))
        .await
        .expect("submit");
    let run_id = id.clone();
    let run = tokio::spawn(async move { crashing.run(&run_id).await });
    lab.wait_entered(blocked, 1).await;
    // The crash: the run stops between its intent and its result.
    run.abort();
    let _ = run.await;
    id
}

async fn a_crashed_run_resumes_with_its_pending_intent(backend: Backend) {
    let lab = Lab::new();
    let id = crash_while_blocked(
        &backend,
        &lab,
        vec![
            probe(
                "power-on",
                &[],
                json!({"block": true, "apply_before_block": true}),
            ),
            probe("after", &["power-on"], json!({})),
        ],
        "power-on",
    )
    .await;
    let store = backend.open().await;
    let detail = store.show(&id).await.expect("show");
    assert_eq!(detail.action.state, ActionState::Running);
    assert!(detail.steps[0].open_intent.is_some());

    // A new worker on this machine finds the owner dead and takes over at once (no TTL).
    let engine = engine(&store, &lab);
    let resumed = engine.resume_all_interrupted().await.expect("resume all");
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].0, id);
    assert_eq!(
        run_state(resumed.into_iter().next().expect("one").1),
        ActionState::Succeeded
    );
    let record = lab.record("power-on");
    assert_eq!(record.pending_seen.len(), 1);
    assert_eq!(record.pending_seen[0].0, json!("apply"));
    assert_eq!(record.acts, 1, "the effect had landed: no second act");
    let journal = store.logs(&id, &LogFilter::default()).await.expect("logs");
    let claims: Vec<&str> = journal
        .iter()
        .filter(|entry| entry.kind == EntryKind::Claimed)
        .map(|entry| entry.message.as_str())
        .collect();
    assert_eq!(claims.len(), 2);
    assert!(claims[1].contains("from dead worker"), "{}", claims[1]);
}

async fn a_pending_intent_waits_for_convergence_before_acting_again(backend: Backend) {
    let lab = Lab::new();
    let id = crash_while_blocked(
        &backend,
        &lab,
        vec![probe(
            "boot",
            &[],
            json!({"block": true, "window_ms": 1500}),
        )],
        "boot",
    )
    .await;
    let store = backend.open().await;
    let engine = engine(&store, &lab);
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    let record = lab.record("boot");
    // It waited (decisions with the pending intent younger than the window) until the
    // window passed, then acted again since the effect never landed.
    let window = Duration::from_millis(1500);
    let (last, earlier) = record.pending_seen.split_last().expect("seen");
    assert!(!earlier.is_empty(), "{:?}", record.pending_seen);
    assert!(
        earlier.iter().all(|(_, age)| *age < window),
        "{:?}",
        record.pending_seen
    );
    assert!(last.1 >= window, "{:?}", record.pending_seen);
    assert_eq!(record.acts, 2);
}

async fn completed_steps_never_run_again_after_a_crash(backend: Backend) {
    let lab = Lab::new();
    let id = crash_while_blocked(
        &backend,
        &lab,
        vec![
            probe("first", &[], json!({})),
            probe(
                "second",
                &["first"],
                json!({"block": true, "apply_before_block": true}),
            ),
            probe("third", &["second"], json!({})),
        ],
        "second",
    )
    .await;
    let store = backend.open().await;
    let engine = engine(&store, &lab);
    let observed = lab.observes("first");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    assert_eq!(
        lab.observes("first"),
        observed,
        "the completed step was not observed again"
    );
    assert_eq!(lab.acts("first"), 1);
    assert_eq!(lab.acts("second"), 1);
    assert_eq!(lab.acts("third"), 1);
}

async fn one_running_action_per_site(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let first = engine
        .submit(&action("lon1", vec![probe("a", &[], json!({}))]))
        .await
        .expect("submit");
    let second = engine
        .submit(&action("lon1", vec![probe("b", &[], json!({}))]))
        .await
        .expect_err("site busy");
    assert_eq!(second.class(), ErrorClass::Conflict);
    assert_eq!(
        second.to_string(),
        format!("site `lon1` is locked by action `{first}` (pending); wait for it, or stop it")
    );
    // Another site is independent, and the store enforces it for every handle.
    let other = backend.open().await;
    other
        .submit(&action("ams1", vec![probe("c", &[], json!({}))]))
        .await
        .expect("another site");
    assert!(other.submit(&action("lon1", vec![])).await.is_err());
    assert_eq!(run_state(engine.run(&first).await), ActionState::Succeeded);
    engine
        .submit(&action("lon1", vec![probe("d", &[], json!({}))]))
        .await
        .expect("the site is free again");
}

async fn an_expired_lease_is_taken_over_and_the_old_worker_is_fenced(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    // A worker that never renews its short lease: frozen, as under SIGSTOP.
    let frozen = engine_with(
        &store,
        &lab,
        EngineConfig {
            lease_ttl: Duration::from_millis(300),
            heartbeat_interval: Duration::from_secs(3600),
            ..config()
        },
    );
    let id = frozen
        .submit(&action(
            "lon1",
            vec![
                probe("deploy", &[], json!({"block": true})),
                probe("after", &["deploy"], json!({})),
            ],
        ))
        .await
        .expect("submit");
    let run_id = id.clone();
    let frozen_run = {
        let frozen = frozen.clone();
        tokio::spawn(async move { frozen.run(&run_id).await })
    };
    lab.wait_entered("deploy", 1).await;

    // Another worker (another store handle, as another process) waits for the lease to
    // expire by the database's clock, then takes over.
    let other_store = backend.open().await;
    let taker = engine(&other_store, &lab);
    let state = loop {
        match taker.run(&id).await {
            Err(EngineError::Store(StoreError::ActionBusy { .. })) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => break run_state(other),
        }
    };
    assert_eq!(state, ActionState::Succeeded);
    assert_eq!(
        lab.record("deploy").pending_seen.len(),
        1,
        "the taker saw the intent"
    );
    assert_eq!(lab.acts("deploy"), 2);

    // The frozen worker wakes up: its act completes, its next write is refused.
    lab.release("deploy");
    let error = frozen_run.await.expect("join").expect_err("fenced");
    assert!(
        matches!(error, EngineError::Store(StoreError::LeaseLost { .. })),
        "{error}"
    );
    assert_eq!(error.class(), ErrorClass::Conflict);
    let journal = other_store
        .logs(&id, &LogFilter::default())
        .await
        .expect("logs");
    let takeover = journal
        .iter()
        .filter(|entry| entry.kind == EntryKind::Claimed)
        .nth(1)
        .expect("second claim");
    assert_eq!(takeover.attempt, Some(2), "the takeover's fencing token");
    assert!(
        journal
            .iter()
            .filter(|entry| entry.seq > takeover.seq)
            .all(|entry| entry.token != Some(1)),
        "nothing was written with the old token after the takeover"
    );
    assert_eq!(
        other_store.action(&id).await.expect("read").state,
        ActionState::Succeeded
    );
}

async fn a_live_lease_is_not_taken(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let first = engine(&store, &lab);
    let id = first
        .submit(&action(
            "lon1",
            vec![probe("a", &[], json!({"block": true}))],
        ))
        .await
        .expect("submit");
    let run_id = id.clone();
    let run = {
        let first = first.clone();
        tokio::spawn(async move { first.run(&run_id).await })
    };
    lab.wait_entered("a", 1).await;
    let second = engine(&backend.open().await, &lab);
    let error = second.run(&id).await.expect_err("busy");
    assert_eq!(error.class(), ErrorClass::Conflict);
    assert!(error.to_string().contains(first.worker_id()), "{error}");
    assert!(
        second
            .resume_all_interrupted()
            .await
            .expect("none")
            .is_empty()
    );
    lab.release("a");
    assert_eq!(run_state(run.await.expect("join")), ActionState::Succeeded);
}

async fn facts_are_fenced_and_shared_between_steps(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("writer", &[], json!({"fact": {"fingerprint": "abc"}})),
                probe("reader", &["writer"], json!({"read_fact": "writer"})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    let fact = store
        .fact("lon1", "test", "writer")
        .await
        .expect("read")
        .expect("written");
    assert_eq!(fact.value, json!({"fingerprint": "abc"}));
    assert_eq!(fact.action_id.as_deref(), Some(id.as_str()));
    let reader = store.show(&id).await.expect("show").steps[1].output.clone();
    assert_eq!(
        reader.expect("output")["extra"]["fact"],
        json!({"fingerprint": "abc"})
    );
    assert_eq!(store.facts("lon1", "test").await.expect("facts").len(), 1);
}

async fn the_store_never_holds_a_registered_secret(backend: Backend) {
    let secret = "Tr0ub4dor&3-horse-battery";
    backend.redactor.add_secret(secret);
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let mut spec = action(
        "lon1",
        vec![
            probe(
                "talks",
                &[],
                json!({"message": format!("password={secret}"), "fact": {"password": secret}}),
            ),
            probe(
                "fails",
                &[],
                json!({"message": secret, "fail_times": 9, "fail_class": "permanent"}),
            ),
        ],
    );
    spec.params = json!({"note": secret, secret: "as a key"});
    let id = engine.submit(&spec).await.expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    store
        .record_phone_home(&PhoneHome {
            site: "lon1".to_string(),
            node: "cp01".to_string(),
            action_id: Some(id.clone()),
            revision_id: None,
            data: json!({"token": secret, "base64": "VHIwdWI0ZG9yJjMtaG9yc2UtYmF0dGVyeQ=="}),
        })
        .await
        .expect("phone home");
    let refused = store
        .put_snapshot(format!("key: {secret}").as_bytes())
        .await;
    assert!(matches!(refused, Err(StoreError::SnapshotHoldsSecret)));
    let snapshot = store
        .put_snapshot(b"age-encrypted bytes")
        .await
        .expect("snapshot");
    assert_eq!(
        store.snapshot(&snapshot).await.expect("load"),
        b"age-encrypted bytes"
    );
    store.flush().await.expect("flush");

    let spellings = aero_redact::encodings::variants(secret);
    let rows = store.dump_all_text().await.expect("dump");
    assert!(rows.iter().any(|(table, _)| table == "journal"));
    for (table, text) in &rows {
        for spelling in &spellings {
            assert!(
                !text.contains(spelling.as_str()),
                "table {table} holds the secret as {spelling:?}: {text}"
            );
        }
    }
    // The scrubbed values are still there, as tokens.
    let token = backend.redactor.token(secret);
    assert!(
        rows.iter()
            .any(|(table, text)| table == "journal" && text.contains(&token))
    );
    if backend.is_sqlite() {
        store.close().await.expect("close");
        let directory = std::path::Path::new(&backend.location)
            .parent()
            .expect("dir")
            .to_path_buf();
        for entry in std::fs::read_dir(directory).expect("list") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            let text = String::from_utf8_lossy(&bytes);
            for spelling in &spellings {
                assert!(
                    !text.contains(spelling.as_str()),
                    "a file holds {spelling:?}"
                );
            }
        }
    }
}

async fn workers_claim_and_run_submitted_actions(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let submitter = engine(&store, &lab);
    let first = submitter
        .submit(&action("lon1", vec![probe("a", &[], json!({}))]))
        .await
        .expect("submit");
    let second = submitter
        .submit(&action("ams1", vec![probe("b", &[], json!({}))]))
        .await
        .expect("submit");
    let workers: Vec<_> = (0..2).map(|_| support::engine(&store, &lab)).collect();
    let (shutdown, watch) = tokio::sync::watch::channel(false);
    let loops: Vec<_> = workers
        .iter()
        .map(|worker| {
            let worker = worker.clone();
            let watch = watch.clone();
            tokio::spawn(async move { worker.work(watch).await })
        })
        .collect();
    for id in [&first, &second] {
        assert_eq!(
            submitter
                .follow(id, Duration::from_millis(20))
                .await
                .expect("follow"),
            ActionState::Succeeded
        );
    }
    shutdown.send_replace(true);
    for handle in loops {
        handle.await.expect("join").expect("worker loop");
    }
    assert_eq!(lab.acts("a"), 1);
    assert_eq!(lab.acts("b"), 1);
    assert!(store.workers().await.expect("workers").len() >= 2);
}

async fn logs_filter_by_step_and_follow_by_sequence(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                probe("a", &[], json!({"message": "hello"})),
                probe("b", &["a"], json!({})),
            ],
        ))
        .await
        .expect("submit");
    let mut events = engine.subscribe();
    assert_eq!(run_state(engine.run(&id).await), ActionState::Succeeded);
    let mut kinds = Vec::new();
    while let Ok(event) = events.try_recv() {
        kinds.push((event.step_id.unwrap_or_default(), event.kind));
    }
    assert!(kinds.contains(&("a".to_string(), EntryKind::Message)));
    assert!(kinds.contains(&("b".to_string(), EntryKind::StepEnded)));
    assert_eq!(
        kinds.last().map(|kind| kind.1),
        Some(EntryKind::ActionState)
    );

    let all = engine.logs(&id, &LogFilter::default()).await.expect("logs");
    assert!(all.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert_eq!(
        all.first().map(|entry| entry.kind),
        Some(EntryKind::Submitted)
    );
    assert_eq!(
        all.last().map(|entry| entry.state.as_deref()),
        Some(Some("succeeded"))
    );
    let only_a = engine
        .logs(
            &id,
            &LogFilter {
                step: Some("a".to_string()),
                ..LogFilter::default()
            },
        )
        .await
        .expect("logs");
    assert!(
        only_a
            .iter()
            .all(|entry| entry.step_id.as_deref() == Some("a"))
    );
    let message = only_a
        .iter()
        .find(|entry| entry.kind == EntryKind::Message)
        .expect("message");
    assert_eq!(message.message, "hello");
    let middle = all[all.len() / 2].seq;
    let after = engine
        .logs(
            &id,
            &LogFilter {
                after_seq: Some(middle),
                limit: Some(2),
                ..LogFilter::default()
            },
        )
        .await
        .expect("logs");
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|entry| entry.seq > middle));
    let missing = engine
        .logs("nope", &LogFilter::default())
        .await
        .expect_err("missing");
    assert_eq!(missing.class(), ErrorClass::NotFound);
}

#[tokio::test]
async fn postgres_newer_schema_is_refused_untouched() {
    let backend = Backend::postgres().await;
    let store = backend.open().await;
    store.close().await.expect("close");
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&backend.location)
        .await
        .expect("connect");
    sqlx::query("UPDATE aero_meta SET value = '99' WHERE key = 'schema_version'")
        .execute(&mut connection)
        .await
        .expect("bump");
    let error = aero_workflow::Store::open(&backend.location, backend.options())
        .await
        .expect_err("newer");
    assert!(
        matches!(
            error,
            StoreError::NewerSchema {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        !error.to_string().contains(&password(&backend.location)),
        "{error}"
    );
    let version: String =
        sqlx::query_scalar("SELECT value FROM aero_meta WHERE key = 'schema_version'")
            .fetch_one(&mut connection)
            .await
            .expect("read");
    assert_eq!(version, "99");
    let migrations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut connection)
        .await
        .expect("read");
    assert_eq!(migrations, 1);
}

#[tokio::test]
async fn postgres_foreign_database_is_refused() {
    let backend = Backend::postgres().await;
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&backend.location)
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE invoices (id BIGINT)")
        .execute(&mut connection)
        .await
        .expect("create");
    let error = aero_workflow::Store::open(&backend.location, backend.options())
        .await
        .expect_err("foreign");
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error}");
    assert!(error.to_string().contains("invoices"), "{error}");
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut connection)
    .await
    .expect("count");
    assert_eq!(tables, 1, "nothing was created");
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_transient_error() {
    let mut options = aero_workflow::StoreOptions::new(support::redactor());
    options.connect_timeout = Duration::from_secs(2);
    let error = aero_workflow::Store::open("postgres://aero:hunter22@127.0.0.1:1/aero", options)
        .await
        .expect_err("unreachable");
    let message = error.to_string();
    assert!(
        message.starts_with("cannot reach the workflow store at postgres://aero@127.0.0.1:1/aero"),
        "{message}"
    );
    assert!(!message.contains("hunter22"));
    assert_eq!(error.class(), ErrorClass::Transient);
}

fn password(url: &str) -> String {
    url.split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user_info, _)| user_info.split_once(':'))
        .map(|(_, password)| password.to_string())
        .unwrap_or_else(|| "\u{0}".to_string())
}

/// A provider that cannot prepare any action (say, this worker lacks the site's key).
struct NoKey;

#[async_trait::async_trait]
impl aero_workflow::RegistryProvider for NoKey {
    async fn registry(
        &self,
        action: &aero_workflow::ActionSummary,
    ) -> Result<std::sync::Arc<dyn aero_workflow::StepRegistry>, aero_workflow::BuildError> {
        Err(aero_workflow::BuildError::Prepare {
            action: action.id.clone(),
            message: "no key for this site's secrets".to_string(),
            class: ErrorClass::Permanent,
        })
    }
}

async fn an_action_that_cannot_be_prepared_here_is_left_to_other_workers(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let keyless = aero_workflow::Engine::new(store.clone(), std::sync::Arc::new(NoKey), config());
    let id = keyless
        .submit(&action("lon1", vec![probe("a", &[], json!({}))]))
        .await
        .expect("submit");
    let error = keyless.run(&id).await.expect_err("cannot prepare");
    assert!(matches!(error, EngineError::Build(_)), "{error}");
    assert!(error.to_string().contains("no key"), "{error}");
    let action = store.action(&id).await.expect("read");
    assert_eq!(action.state, ActionState::Running);
    assert!(action.lease_owner.is_none(), "the lease was released");
    // A worker that can prepare it takes it at once.
    assert_eq!(
        run_state(engine(&store, &lab).run(&id).await),
        ActionState::Succeeded
    );
}

async fn unknown_step_kinds_fail_their_step(backend: Backend) {
    let store = backend.open().await;
    let lab = Lab::new();
    let engine = engine(&store, &lab);
    let id = engine
        .submit(&action(
            "lon1",
            vec![
                step("a", "no-such-kind", &[], json!({})),
                probe("b", &[], json!({})),
            ],
        ))
        .await
        .expect("submit");
    assert_eq!(run_state(engine.run(&id).await), ActionState::Failed);
    let detail = engine.show(&id).await.expect("show");
    assert_eq!(
        detail.steps[0].error.as_deref(),
        Some("step `a`: no step implementation of kind `no-such-kind`")
    );
    assert_eq!(detail.steps[1].state, StepState::Succeeded);
}
