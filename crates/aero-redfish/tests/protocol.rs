//! Protocol behaviour neither the emulator nor the mockup server has: sessions, ETag/412,
//! 202 task monitors, 429/503 with Retry-After, connection reuse. Served by the fixture
//! server with scripted hooks.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aero_redfish::auth::AuthMode;
use aero_redfish::boot::{BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::error::{GaveUp, RedfishError};
use aero_redfish::power::{PowerRequest, PowerState};
use serde_json::json;
use support::fake_bmc::{Behaviour, EtagStyle, FakeBmc, Reply};
use support::vendors::{self, SessionLinks};

const USER: &str = "operator";
const PASSWORD: &str = "s3cr3t-pass";

async fn fixture(shape: &vendors::Shape, behaviour: Behaviour) -> FakeBmc {
    FakeBmc::start(shape.resources(), behaviour).await
}

fn cd_once() -> BootOverride {
    BootOverride {
        target: BootTarget::Cd,
        persistence: BootPersistence::Once,
        mode: None,
    }
}

#[tokio::test]
async fn session_login_relogin_and_logout() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    assert!(client.uses_session().await);
    let system = client.system(None).await.expect("system");
    let logins = server.requests_to("POST", "/SessionService/Sessions");
    assert_eq!(logins.len(), 1);
    assert_eq!(
        logins[0].body,
        Some(json!({"UserName": USER, "Password": PASSWORD}))
    );
    let get = server.requests_to("GET", &shape.system_path());
    assert!(
        get[0]
            .header("x-auth-token")
            .is_some_and(|token| token.starts_with("token-1"))
    );
    assert!(get[0].header("authorization").is_none());

    // The BMC forgets the session: one re-login, then the request goes through.
    server.with_state(|state| state.sessions.clear());
    assert_eq!(
        system.power_state().await.expect("after re-login"),
        PowerState::Off
    );
    assert_eq!(
        server.requests_to("POST", "/SessionService/Sessions").len(),
        2
    );

    client.close().await.expect("logout");
    let deletes = server.requests_to("DELETE", "/SessionService/Sessions/2");
    assert_eq!(deletes.len(), 1);
    assert!(server.with_state(|state| state.sessions.is_empty()));
    client.close().await.expect("second close is a no-op");
    assert_eq!(server.requests_to("DELETE", "/SessionService").len(), 1);
    assert!(!format!("{client:?}").contains(PASSWORD));
}

#[tokio::test]
async fn relogin_happens_once_then_the_401_stands() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    // Every authenticated GET of the system is refused from now on.
    let system_path = shape.system_path();
    server.hook(move |request, _| {
        (request.method == "GET" && request.path == system_path)
            .then(|| Reply::redfish_error(401, "Base.1.8.NoValidSession", "session revoked"))
    });
    let error = system.power_state().await.expect_err("401 after re-login");
    assert_eq!(
        error.request_failure().and_then(|failure| failure.status()),
        Some(401)
    );
    assert_eq!(
        server.requests_to("POST", "/SessionService/Sessions").len(),
        2
    );
    assert_eq!(server.requests_to("GET", &shape.system_path()).len(), 3);
}

#[tokio::test]
async fn basic_fallback_and_final_basic_401() {
    // Sessions refused (405): auto falls back to Basic.
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    server.hook(|request, _| {
        (request.method == "POST" && request.path.ends_with("/Sessions"))
            .then(|| Reply::redfish_error(405, "Base.1.8.OperationNotAllowed", "sessions disabled"))
    });
    let client = support::connect(&server.url, USER, PASSWORD).await;
    assert!(!client.uses_session().await);
    client.system(None).await.expect("system over Basic");
    let get = server.requests_to("GET", &shape.system_path());
    assert_eq!(
        get[0].header("authorization"),
        Some("Basic b3BlcmF0b3I6czNjcjN0LXBhc3M=")
    );

    // Session-only mode does not fall back.
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.auth = AuthMode::Session;
    let error = BmcClient::connect(config).await.expect_err("session mode");
    assert!(matches!(error, RedfishError::Login { .. }), "{error}");
    assert!(error.to_string().contains("answered HTTP 405"), "{error}");

    // No session service at all: Basic; a wrong password is final after one attempt.
    let mut shape = vendors::contoso();
    shape.sessions = SessionLinks::None;
    let mut behaviour = Behaviour::bmc(USER, PASSWORD);
    behaviour.sessions = None;
    let server = fixture(&shape, behaviour).await;
    let client = support::connect(&server.url, USER, "wrong").await;
    let error = client.system(None).await.expect_err("wrong password");
    let failure = error.request_failure().expect("request failure");
    assert_eq!(failure.status(), Some(401));
    assert_eq!(failure.attempts, 1);
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|request| request.path != "/redfish/v1/")
            .count(),
        1
    );
    assert!(!error.to_string().contains("wrong"), "{error}");
}

#[tokio::test]
async fn patch_sends_the_etag_and_follows_the_412_rules() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");

    // A BMC that checks the ETag: the weak tag of the last GET is accepted.
    system.set_boot_override(&cd_once()).await.expect("boot");
    let patches = server.requests_to("PATCH", &shape.system_path());
    assert_eq!(patches[0].header("if-match"), Some("W/\"1\""));
    assert_eq!(
        patches[0].body,
        Some(
            json!({"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}})
        )
    );

    // A BMC that only takes strong tags: W/"2" is refused, "2" accepted.
    let system_path = shape.system_path();
    server.hook(move |request, _| {
        let weak = request
            .header("if-match")
            .is_some_and(|tag| tag.starts_with("W/"));
        (request.method == "PATCH" && request.path == system_path && weak)
            .then(|| Reply::redfish_error(412, "Base.1.8.PreconditionFailed", "weak ETag"))
    });
    let system = client.system(None).await.expect("system again");
    system
        .set_boot_override(&BootOverride {
            target: BootTarget::Pxe,
            persistence: BootPersistence::Continuous,
            mode: None,
        })
        .await
        .expect("boot with strong tag");
    let tags: Vec<Option<String>> = server
        .requests_to("PATCH", &shape.system_path())
        .iter()
        .skip(1)
        .map(|request| request.header("if-match").map(str::to_string))
        .collect();
    assert_eq!(
        tags,
        vec![Some("W/\"2\"".to_string()), Some("\"2\"".to_string())]
    );
}

#[tokio::test]
async fn a_bmc_that_rejects_every_if_match_gets_one_without() {
    for (style, expected) in [
        (EtagStyle::Weak, vec![Some("W/\"1\""), Some("\"1\""), None]),
        (EtagStyle::Strong, vec![Some("\"1\""), None]),
    ] {
        let shape = vendors::contoso();
        let mut behaviour = Behaviour::bmc(USER, PASSWORD);
        behaviour.etags = Some(style);
        let server = fixture(&shape, behaviour).await;
        let system_path = shape.system_path();
        server.hook(move |request, _| {
            (request.method == "PATCH"
                && request.path == system_path
                && request.header("if-match").is_some())
            .then(|| {
                Reply::redfish_error(
                    412,
                    "Base.1.8.PreconditionFailed",
                    "ETag handling is broken",
                )
            })
        });
        let client = support::connect(&server.url, USER, PASSWORD).await;
        let system = client.system(None).await.expect("system");
        system.set_boot_override(&cd_once()).await.expect("boot");
        let tags: Vec<Option<String>> = server
            .requests_to("PATCH", &shape.system_path())
            .iter()
            .map(|request| request.header("if-match").map(str::to_string))
            .collect();
        let expected: Vec<Option<String>> =
            expected.iter().map(|tag| tag.map(str::to_string)).collect();
        assert_eq!(tags, expected, "{style:?}");
    }
}

/// A reset answered 202 with a task monitor that reports progress twice.
#[tokio::test]
async fn task_monitor_is_polled_honouring_retry_after() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let reset_target = shape.reset_target();
    let system_path = shape.system_path();
    let polls = Arc::new(AtomicUsize::new(0));
    let hook_polls = polls.clone();
    server.hook(move |request, state| {
        if request.method == "POST" && request.path == reset_target {
            return Some(
                Reply::json(
                    202,
                    &json!({"@odata.id": "/redfish/v1/TaskService/Tasks/7", "TaskState": "New"}),
                )
                .header("Location", "/redfish/v1/TaskService/TaskMonitors/7")
                .header("Retry-After", "1"),
            );
        }
        if request.method == "GET" && request.path == "/redfish/v1/TaskService/TaskMonitors/7" {
            let poll = hook_polls.fetch_add(1, Ordering::SeqCst);
            if poll < 1 {
                return Some(
                    Reply::json(202, &json!({"TaskState": "Running", "PercentComplete": 50}))
                        .header("Retry-After", "1"),
                );
            }
            if let Some(system) = state.resources.get_mut(&system_path) {
                system["PowerState"] = json!("On");
            }
            return Some(Reply::json(
                200,
                &json!({"TaskState": "Completed", "TaskStatus": "OK"}),
            ));
        }
        None
    });
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    let started = Instant::now();
    let outcome = system
        .set_power(PowerRequest::On)
        .await
        .expect("power on through a task");
    assert_eq!(outcome.after, PowerState::On);
    assert_eq!(polls.load(Ordering::SeqCst), 2);
    // Retry-After: 1 twice, although the poll interval is 100 ms.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn task_failures_and_missing_monitors_are_errors() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let reset_target = shape.reset_target();
    server.hook(move |request, _| {
        if request.method == "POST" && request.path == reset_target {
            let reset_type = request.body.as_ref().and_then(|body| body["ResetType"].as_str()).unwrap_or("");
            return Some(match reset_type {
                "On" => Reply::empty(202).header("Location", "/redfish/v1/TaskService/Tasks/9"),
                _ => Reply::empty(202),
            });
        }
        if request.method == "GET" && request.path == "/redfish/v1/TaskService/Tasks/9" {
            return Some(Reply::json(
                200,
                &json!({"TaskState": "Exception", "TaskStatus": "Critical",
                        "Messages": [{"MessageId": "Oem.1.0.PowerSupplyFault", "Message": "power supply fault"}]}),
            ));
        }
        None
    });
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    let error = system
        .set_power(PowerRequest::On)
        .await
        .expect_err("task failed");
    assert!(matches!(error, RedfishError::TaskFailed { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("ended in state Exception: power supply fault"),
        "{error}"
    );

    server.set(&shape.system_path(), "/PowerState", json!("On"));
    let error = system
        .set_power(PowerRequest::ForceOff)
        .await
        .expect_err("no monitor");
    assert!(
        matches!(error, RedfishError::TaskMonitorMissing { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_task_that_never_ends_stops_at_the_deadline() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let reset_target = shape.reset_target();
    server.hook(move |request, _| {
        if request.method == "POST" && request.path == reset_target {
            return Some(
                Reply::empty(202).header("Location", "/redfish/v1/TaskService/TaskMonitors/1"),
            );
        }
        (request.method == "GET" && request.path.contains("TaskMonitors"))
            .then(|| Reply::json(202, &json!({"TaskState": "Running"})))
    });
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.timing.operation_deadline = Duration::from_millis(1200);
    let client = BmcClient::connect(config).await.expect("connect");
    let system = client.system(None).await.expect("system");
    let started = Instant::now();
    let error = system
        .set_power(PowerRequest::On)
        .await
        .expect_err("deadline");
    assert!(matches!(error, RedfishError::TaskTimeout { .. }), "{error}");
    assert!(error.to_string().contains("last state Running"), "{error}");
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn throttling_is_retried_after_the_announced_delay() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    let system_path = shape.system_path();
    let refusals = Arc::new(AtomicUsize::new(0));
    let hook_refusals = refusals.clone();
    server.hook(move |request, _| {
        (request.method == "GET"
            && request.path == system_path
            && hook_refusals.fetch_add(1, Ordering::SeqCst) < 2)
            .then(|| {
                Reply::redfish_error(429, "Base.1.8.ServiceTemporarilyUnavailable", "slow down")
                    .header("Retry-After", "1")
            })
    });
    let started = Instant::now();
    assert_eq!(
        system.power_state().await.expect("after throttling"),
        PowerState::Off
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(refusals.load(Ordering::SeqCst), 3);

    // 503 on a POST is retried (the BMC did not process it); 500 on a POST is not.
    let reset_target = shape.reset_target();
    let answers = Arc::new(AtomicUsize::new(0));
    let hook_answers = answers.clone();
    server.hook(move |request, _| {
        if request.method != "POST" || request.path != reset_target {
            return None;
        }
        match hook_answers.fetch_add(1, Ordering::SeqCst) {
            0 => Some(Reply::redfish_error(
                503,
                "Base.1.8.ServiceTemporarilyUnavailable",
                "busy",
            )),
            1 => None,
            _ => Some(Reply::redfish_error(
                500,
                "Base.1.8.InternalError",
                "reset failed",
            )),
        }
    });
    let outcome = system
        .set_power(PowerRequest::On)
        .await
        .expect("503 then success");
    assert_eq!(outcome.after, PowerState::On);
    let error = system
        .set_power(PowerRequest::ForceOff)
        .await
        .expect_err("500 on POST");
    let failure = error.request_failure().expect("failure");
    assert_eq!(failure.attempts, 1);
    assert_eq!(failure.gave_up, GaveUp::Permanent);
    assert!(
        error
            .to_string()
            .starts_with("reset ForceOff failed: POST "),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("answered HTTP 500 Internal Server Error: reset failed"),
        "{error}"
    );
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_gives_up_at_once() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let system_path = shape.system_path();
    server.hook(move |request, _| {
        (request.method == "GET" && request.path == system_path).then(|| {
            Reply::redfish_error(
                429,
                "Base.1.8.ServiceTemporarilyUnavailable",
                "come back later",
            )
            .header("Retry-After", "60")
        })
    });
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.timing.operation_deadline = Duration::from_secs(3);
    let client = BmcClient::connect(config).await.expect("connect");
    let started = Instant::now();
    let error = client.system(None).await.expect_err("throttled");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let failure = error.request_failure().expect("failure");
    assert_eq!(
        failure.gave_up,
        GaveUp::DeadlineReached(Duration::from_secs(3))
    );
    assert!(
        error
            .to_string()
            .contains("the operation deadline of 3s was reached"),
        "{error}"
    );
}

#[tokio::test]
async fn connections_are_reused_unless_a_quirk_says_otherwise() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    for _ in 0..5 {
        system.power_state().await.expect("state");
    }
    assert_eq!(server.connections(), 1, "keep-alive reuses one connection");

    // The emulator's manufacturer matches the "sushy-emulator" rule: Connection: close.
    let mut shape = vendors::contoso();
    shape.manufacturer = "Sushy Emulator";
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    // This one still reuses the connection pooled before the quirk was known, and closes it.
    system.power_state().await.expect("state");
    let before = server.connections();
    for _ in 0..5 {
        system.power_state().await.expect("state");
    }
    assert_eq!(server.connections() - before, 5);
    let last = server.requests().pop().expect("request");
    assert_eq!(last.header("connection"), Some("close"));
    assert_eq!(last.header("odata-version"), Some("4.0"));
    assert_eq!(last.header("accept-encoding"), Some("identity"));
}

#[tokio::test]
async fn graceful_shutdown_is_forced_after_its_timeout() {
    let mut shape = vendors::contoso();
    shape.power_state = "On";
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let reset_target = shape.reset_target();
    // The host ignores the ACPI shutdown request.
    server.hook(move |request, _| {
        let graceful = request
            .body
            .as_ref()
            .and_then(|body| body["ResetType"].as_str())
            == Some("GracefulShutdown");
        (request.method == "POST" && request.path == reset_target && graceful)
            .then(|| Reply::empty(204))
    });
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.timing.graceful_shutdown_timeout = Duration::from_millis(500);
    let client = BmcClient::connect(config).await.expect("connect");
    let system = client.system(None).await.expect("system");
    let started = Instant::now();
    let outcome = system.set_power(PowerRequest::Off).await.expect("off");
    assert_eq!(outcome.reset_types, vec!["GracefulShutdown", "ForceOff"]);
    assert_eq!(outcome.after, PowerState::Off);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn reset_types_are_checked_before_sending() {
    let mut shape = vendors::contoso();
    shape.reset_types = vec!["ForceOff", "GracefulShutdown"];
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    let error = system
        .set_power(PowerRequest::On)
        .await
        .expect_err("On not allowed");
    assert!(matches!(error, RedfishError::NotAllowed { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("does not allow ResetType \"On\"; allowed: ForceOff, GracefulShutdown"),
        "{error}"
    );
    assert!(
        server
            .requests_to("POST", "ComputerSystem.Reset")
            .is_empty()
    );

    // PushPowerButton is the last resort for On.
    let mut shape = vendors::contoso();
    shape.reset_types = vec!["PushPowerButton"];
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    let outcome = system
        .set_power(PowerRequest::On)
        .await
        .expect("push the button");
    assert_eq!(outcome.reset_types, vec!["PushPowerButton"]);
}

#[tokio::test]
async fn refused_continuous_falls_back_to_once() {
    let shape = vendors::contoso();
    let server = fixture(&shape, Behaviour::bmc(USER, PASSWORD)).await;
    let system_path = shape.system_path();
    server.hook(move |request, _| {
        let continuous = request
            .body
            .as_ref()
            .and_then(|body| body["Boot"]["BootSourceOverrideEnabled"].as_str())
            == Some("Continuous");
        (request.method == "PATCH" && request.path == system_path && continuous).then(|| {
            Reply::redfish_error(
                400,
                "Base.1.8.PropertyValueNotInList",
                "Continuous is not supported",
            )
        })
    });
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    let outcome = system
        .set_boot_override(&BootOverride {
            target: BootTarget::Pxe,
            persistence: BootPersistence::Continuous,
            mode: None,
        })
        .await
        .expect("fallback");
    assert!(outcome.fell_back_to_once);
    assert_eq!(outcome.persistence, BootPersistence::Once);
    assert_eq!(
        server.resource(&shape.system_path())["Boot"]["BootSourceOverrideEnabled"],
        "Once"
    );
}

#[tokio::test]
async fn boot_fields_of_the_settings_object_go_there() {
    let shape = vendors::contoso();
    let mut resources = shape.resources();
    let settings_path = "/redfish/v1/Systems/1/Settings".to_string();
    resources.get_mut(&shape.system_path()).expect("system")["@Redfish.Settings"] =
        json!({"SettingsObject": {"@odata.id": settings_path}});
    resources.insert(
        settings_path.clone(),
        json!({"@odata.id": settings_path, "Boot": {"BootSourceOverrideTarget": "None", "BootSourceOverrideMode": "UEFI"}}),
    );
    let server = FakeBmc::start(resources, Behaviour::bmc(USER, PASSWORD)).await;
    let client = support::connect(&server.url, USER, PASSWORD).await;
    let system = client.system(None).await.expect("system");
    system.set_boot_override(&cd_once()).await.expect("boot");
    assert_eq!(
        server.requests_to("PATCH", &settings_path)[0].body,
        Some(json!({"Boot": {"BootSourceOverrideTarget": "Cd"}}))
    );
    assert_eq!(
        server.requests_to("PATCH", &shape.system_path())[0].body,
        Some(json!({"Boot": {"BootSourceOverrideEnabled": "Once"}}))
    );
}
