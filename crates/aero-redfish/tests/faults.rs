//! Fault injection: a proxy between the client and a BMC delays, drops, resets and answers
//! 500/503 on a schedule. Transient faults end in success; persistent ones in an error that
//! names the BMC, the request and the answer, within the operation deadline.

mod support;

use std::time::{Duration, Instant};

use aero_redfish::boot::{BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::error::{Answer, GaveUp, RedfishError, TransportFailureKind};
use aero_redfish::power::{PowerRequest, PowerState};
use support::emulator::{Emulator, EmulatorOptions, PASSWORD, USERNAME};
use support::fake_bmc::{Behaviour, FakeBmc};
use support::proxy::{Fault, Proxy};
use support::vendors;

const USER: &str = "operator";
const SECRET: &str = "fault-secret";

fn upstream(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

async fn client_through(proxy: &Proxy, deadline: Duration) -> BmcClient {
    let mut config = support::fast_config(&proxy.url, USER, SECRET);
    config.timing.request_timeout = Duration::from_millis(700);
    config.timing.operation_deadline = deadline;
    BmcClient::connect(config).await.expect("connect")
}

fn injected(proxy: &Proxy) -> Vec<Fault> {
    proxy
        .seen()
        .into_iter()
        .map(|seen| seen.fault)
        .filter(|fault| *fault != Fault::Pass)
        .collect()
}

#[tokio::test]
async fn transient_faults_end_in_success() {
    let shape = vendors::contoso();
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USER, SECRET)).await;
    let proxy = Proxy::counting(&upstream(&server.url)).await;
    let client = client_through(&proxy, Duration::from_secs(20)).await;
    let system = client.system(None).await.expect("system");
    // One fault of each kind on the first request of each step.
    let system_path = shape.system_path();
    let mut get_faults = vec![
        Fault::Status(500, None),
        Fault::Drop,
        Fault::Delay(Duration::from_secs(2)),
        Fault::Reset,
    ]
    .into_iter();
    let mut post_faults = vec![Fault::Status(503, Some(1)), Fault::Reset].into_iter();
    let mut patch_faults = vec![Fault::Drop, Fault::Status(429, None)].into_iter();
    proxy.set_schedule(Box::new(move |_, method, path| {
        let next = match method {
            "GET" if path == system_path => get_faults.next(),
            "POST" => post_faults.next(),
            "PATCH" => patch_faults.next(),
            _ => None,
        };
        next.unwrap_or(Fault::Pass)
    }));
    let started = Instant::now();
    assert_eq!(
        system.power_state().await.expect("state despite faults"),
        PowerState::Off
    );
    let on = system
        .set_power(PowerRequest::On)
        .await
        .expect("power on despite faults");
    assert_eq!(on.after, PowerState::On);
    let media = system
        .insert_media("http://10.0.0.1/a.iso")
        .await
        .expect("insert despite faults");
    assert_eq!(media.slot.expect("slot").id, "CD1");
    system
        .set_boot_override(&BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Once,
            mode: None,
        })
        .await
        .expect("boot despite faults");
    assert_eq!(
        injected(&proxy),
        vec![
            Fault::Status(500, None),
            Fault::Drop,
            Fault::Delay(Duration::from_secs(2)),
            Fault::Reset,
            Fault::Status(503, Some(1)),
            Fault::Reset,
            Fault::Drop,
            Fault::Status(429, None),
        ]
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // Every fault was absorbed: the fixture saw each operation once.
    assert_eq!(server.requests_to("POST", "ComputerSystem.Reset").len(), 1);
    assert_eq!(server.requests_to("POST", "InsertMedia").len(), 1);
    assert_eq!(server.requests_to("PATCH", &shape.system_path()).len(), 1);
}

#[tokio::test]
async fn persistent_faults_fail_clearly_within_the_deadline() {
    let shape = vendors::contoso();
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USER, SECRET)).await;
    let proxy = Proxy::counting(&upstream(&server.url)).await;
    let deadline = Duration::from_secs(3);
    let client = client_through(&proxy, deadline).await;
    let system = client.system(None).await.expect("system");
    let system_path = shape.system_path();

    // 503 forever on the system: retries exhausted.
    let path = system_path.clone();
    proxy.set_schedule(Box::new(move |_, method, request_path| {
        if method == "GET" && request_path == path {
            Fault::Status(503, None)
        } else {
            Fault::Pass
        }
    }));
    let started = Instant::now();
    let error = system.power_state().await.expect_err("persistent 503");
    assert!(started.elapsed() < deadline, "{:?}", started.elapsed());
    let text = error.to_string();
    assert_eq!(
        text,
        format!(
            "reading the system failed: GET {}{system_path} answered HTTP 503 Service Unavailable: injected fault 503 \
             (gave up after 6 attempts)",
            proxy.url
        )
    );

    // A BMC that never answers in time: timeouts until the deadline.
    let path = system_path.clone();
    proxy.set_schedule(Box::new(move |_, method, request_path| {
        if method == "GET" && request_path == path {
            Fault::Delay(Duration::from_secs(10))
        } else {
            Fault::Pass
        }
    }));
    let started = Instant::now();
    let error = system.power_state().await.expect_err("persistent timeout");
    let elapsed = started.elapsed();
    assert!(
        elapsed < deadline + Duration::from_millis(500),
        "{elapsed:?}"
    );
    let failure = error.request_failure().expect("failure");
    assert!(
        matches!(
            failure.answer,
            Answer::Transport {
                kind: TransportFailureKind::Timeout,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(failure.gave_up, GaveUp::DeadlineReached(deadline));
    assert!(
        error
            .to_string()
            .contains("the operation deadline of 3s was reached"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("GET {}{system_path}", proxy.url)),
        "{error}"
    );

    // Connections reset on every reset request: connection errors, retried, then given up.
    proxy.set_schedule(Box::new(|_, method, _| {
        if method == "POST" {
            Fault::Reset
        } else {
            Fault::Pass
        }
    }));
    let error = system
        .set_power(PowerRequest::On)
        .await
        .expect_err("persistent reset");
    assert!(matches!(error, RedfishError::Reset { .. }), "{error}");
    let failure = error.request_failure().expect("failure");
    assert!(
        matches!(
            failure.answer,
            Answer::Transport {
                kind: TransportFailureKind::Connect,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "reset On failed: POST {}{}",
            proxy.url,
            shape.reset_target()
        )),
        "{error}"
    );
    // The BMC never saw the reset.
    assert!(
        server
            .requests_to("POST", "ComputerSystem.Reset")
            .is_empty()
    );

    // 500 to a POST is not retried: one attempt, with the BMC's message.
    proxy.set_schedule(Box::new(|_, method, _| {
        if method == "POST" {
            Fault::Status(500, None)
        } else {
            Fault::Pass
        }
    }));
    let error = system.set_power(PowerRequest::On).await.expect_err("500");
    assert_eq!(error.request_failure().expect("failure").attempts, 1);
    assert!(
        error
            .to_string()
            .ends_with("answered HTTP 500 Internal Server Error: injected fault 500"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_through_a_faulty_network() {
    let emulator = Emulator::start(EmulatorOptions {
        seed: Some(2),
        ..EmulatorOptions::default()
    })
    .await;
    let proxy = Proxy::counting(&upstream(&emulator.url)).await;
    let mut config = support::fast_config(&proxy.url, USERNAME, PASSWORD);
    config.timing.request_timeout = Duration::from_secs(2);
    let client = BmcClient::connect(config).await.expect("connect");
    let system = client.system(None).await.expect("system");
    // Every third request fails in turn with a drop, a reset, a 503 or a 500 (GETs only for 500).
    proxy.set_schedule(Box::new(|index, method, _| match index % 12 {
        2 => Fault::Drop,
        5 => Fault::Reset,
        8 => Fault::Status(503, None),
        11 if method == "GET" => Fault::Status(500, None),
        _ => Fault::Pass,
    }));
    let on = system.set_power(PowerRequest::On).await.expect("power on");
    assert_eq!(on.after, PowerState::On);
    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.power_state, PowerState::On);
    let restart = system
        .set_power(PowerRequest::Restart)
        .await
        .expect("restart");
    assert_eq!(restart.after, PowerState::On);
    let faults = injected(&proxy);
    assert!(
        faults.contains(&Fault::Drop) && faults.contains(&Fault::Reset),
        "{faults:?}"
    );
    assert!(faults.contains(&Fault::Status(503, None)), "{faults:?}");
}
