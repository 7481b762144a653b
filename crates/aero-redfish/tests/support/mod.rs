//! Shared support for the integration tests: fixture servers, the emulator, a fault and
//! counting proxy, test certificates. Each test binary uses a different subset.
#![allow(dead_code)]

pub mod emulator;
pub mod fake_bmc;
pub mod proxy;
pub mod tls;
pub mod vendors;

use std::time::Duration;

use aero_redfish::auth::Credentials;
use aero_redfish::client::BmcClient;
use aero_redfish::config::{BmcConfig, Timing};
use aero_redfish::retry::RetryPolicy;

/// A configuration with short timeouts, polls and backoff, for fast tests.
pub fn fast_config(url: &str, username: &str, password: &str) -> BmcConfig {
    let mut config = BmcConfig::new(url, Credentials::new(username, password)).expect("config");
    config.timing = Timing {
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        operation_deadline: Duration::from_secs(30),
        poll_interval: Duration::from_millis(100),
        graceful_shutdown_timeout: Duration::from_secs(5),
        state_reuse_window: Duration::from_secs(2),
        busy_retry_interval: Duration::from_millis(50),
        busy_retry_attempts: 35,
        boot_mode_apply_timeout: Duration::from_secs(10),
    };
    config.retry = RetryPolicy {
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(400),
        multiplier: 2.0,
        max_retries: 5,
        jitter: 0.2,
    };
    config
}

/// A port connector with the settings of [`fast_config`].
pub fn fast_connector() -> aero_redfish::port::RedfishConnector {
    let config = fast_config("http://127.0.0.1", "", "");
    aero_redfish::port::RedfishConnector {
        auth: config.auth,
        timing: config.timing,
        retry: config.retry,
        quirks: config.quirks,
    }
}

/// A small HTTP server with tiny images at /tiny.iso, /other.iso and /config.img (and 404
/// elsewhere), for virtual media inserts.
pub async fn image_server() -> fake_bmc::FakeBmc {
    let server = fake_bmc::FakeBmc::start(Default::default(), fake_bmc::Behaviour::dmtf()).await;
    server.hook(|request, _| {
        let served = ["/tiny.iso", "/other.iso", "/config.img"];
        (request.method == "GET" && served.contains(&request.path.as_str())).then(|| {
            fake_bmc::Reply {
                status: 200,
                headers: vec![(
                    "content-type".to_string(),
                    "application/octet-stream".to_string(),
                )],
                body: b"CD001 aerostat test image".to_vec(),
            }
        })
    });
    server
}

/// Connects with [`fast_config`].
pub async fn connect(url: &str, username: &str, password: &str) -> BmcClient {
    BmcClient::connect(fast_config(url, username, password))
        .await
        .unwrap_or_else(|error| panic!("connect to {url}: {error}"))
}
