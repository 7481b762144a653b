//! Settings of one BMC client: endpoint, credentials, TLS, authentication, timing, retries
//! and quirks. The client is a driver: whoever calls it builds this from its own inputs.

use std::time::Duration;

use reqwest::Url;

use crate::auth::{AuthMode, Credentials};
use crate::error::RedfishError;
use crate::quirks::QuirkTable;
use crate::retry::RetryPolicy;
use crate::transport::TlsConfig;

/// Timeouts, deadlines and polling of a client.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Timeout of one HTTP request (connect, send, receive).
    pub request_timeout: Duration,
    /// Timeout of opening a connection.
    pub connect_timeout: Duration,
    /// Overall deadline of one operation (inventory, power, boot, media, BIOS), retries and
    /// polling included.
    pub operation_deadline: Duration,
    /// Interval between polls of a converging state or a task monitor without `Retry-After`.
    pub poll_interval: Duration,
    /// How long a graceful shutdown may take before the client forces the power off.
    pub graceful_shutdown_timeout: Duration,
    /// A system state read this recently is reused by the next operation instead of read
    /// again (power state for idempotency, Boot for the override). Zero disables reuse.
    pub state_reuse_window: Duration,
    /// Wait between attempts of a configuration job the BMC refuses while it is busy (a job
    /// running, a configuration pending: the quirk table's
    /// [`crate::quirks::QuirkFlags::config_job_busy`] conditions).
    pub busy_retry_interval: Duration,
    /// Retries of such a job after the first attempt. Each attempt has its own operation
    /// deadline, so the retries can outlast [`Timing::operation_deadline`].
    pub busy_retry_attempts: u32,
    /// How long a boot mode change applied at the next boot (quirk
    /// [`crate::quirks::QuirkFlags::boot_mode_applies_at_reboot`]) may take to read back
    /// after the reboot. Its own budget, besides [`Timing::operation_deadline`].
    pub boot_mode_apply_timeout: Duration,
}

impl Default for Timing {
    /// 30 s per request, 10 s to connect, 5 min per operation, polls every second, 2 min for a
    /// graceful shutdown, state reused for 2 s; busy configuration jobs retried 35 times 15 s
    /// apart (sushy-oem-idrac's `RETRY_COUNT`/`RETRY_DELAY`); 15 min for a boot mode to apply
    /// after a reboot (Ironic's `[redfish] boot_mode_config_timeout`).
    fn default() -> Self {
        Timing {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            operation_deadline: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            graceful_shutdown_timeout: Duration::from_secs(120),
            state_reuse_window: Duration::from_secs(2),
            busy_retry_interval: Duration::from_secs(15),
            busy_retry_attempts: 35,
            boot_mode_apply_timeout: Duration::from_secs(900),
        }
    }
}

/// Everything a client needs to talk to one BMC.
#[derive(Debug, Clone)]
pub struct BmcConfig {
    /// Base URL, e.g. `https://10.0.0.1` (a path, if any, is ignored: discovery starts at
    /// `/redfish/v1`).
    pub endpoint: Url,
    /// User name and password.
    pub credentials: Credentials,
    /// TLS settings.
    pub tls: TlsConfig,
    /// Authentication mode.
    pub auth: AuthMode,
    /// Timeouts and polling.
    pub timing: Timing,
    /// Retry policy for transient failures.
    pub retry: RetryPolicy,
    /// Vendor quirks.
    pub quirks: QuirkTable,
}

impl BmcConfig {
    /// A configuration with default TLS, auth, timing, retries and quirks.
    pub fn new(endpoint: &str, credentials: Credentials) -> Result<Self, RedfishError> {
        Ok(BmcConfig {
            endpoint: parse_endpoint(endpoint)?,
            credentials,
            tls: TlsConfig::default(),
            auth: AuthMode::default(),
            timing: Timing::default(),
            retry: RetryPolicy::default(),
            quirks: QuirkTable::builtin(),
        })
    }
}

/// Parses an endpoint: `http(s)://host[:port]`; a bare host means `https://host`.
pub fn parse_endpoint(endpoint: &str) -> Result<Url, RedfishError> {
    let invalid = |reason: &str| RedfishError::InvalidEndpoint {
        endpoint: redact_userinfo(endpoint),
        reason: reason.to_string(),
    };
    let trimmed = endpoint.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|error| invalid(&error.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials in the URL are not accepted; use the username and password settings",
        ));
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The endpoint with any `user:password@` replaced by `***@`.
fn redact_userinfo(endpoint: &str) -> String {
    let (scheme, rest) = match endpoint.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), endpoint),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(index) => format!("{scheme}***@{}{path}", &authority[index + 1..]),
        None => endpoint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised() {
        let url = parse_endpoint("10.0.0.1").unwrap();
        assert_eq!(url.as_str(), "https://10.0.0.1/");
        let url = parse_endpoint("http://127.0.0.1:8000/redfish/v1?x=1").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8000/");
    }

    #[test]
    fn bad_endpoints_are_refused_without_echoing_passwords() {
        let error = parse_endpoint("ftp://bmc").unwrap_err();
        assert!(error.to_string().contains("http or https"), "{error}");
        let error = parse_endpoint("https://root:calvin@bmc").unwrap_err();
        assert!(error.to_string().contains("not accepted"), "{error}");
        assert!(!error.to_string().contains("calvin"), "{error}");
        assert!(error.to_string().contains("https://***@bmc"), "{error}");
        assert!(parse_endpoint("  ").is_err());
    }
}
