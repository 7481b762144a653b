//! Retry as policy: which failures are transient ([`error_policy`]) and how long to wait
//! between attempts ([`Backoff`]).
//!
//! The rules follow the ones OpenStack's `sushy` library settled on in production:
//! * connection errors, timeouts and cut-off answers are retried for every method;
//!   TLS failures never are (they do not heal by themselves);
//! * `429 Too Many Requests` and `503 Service Unavailable` are retried for every method
//!   (the BMC did not process the request), honouring `Retry-After`;
//! * other 5xx answers are retried for GET (and HEAD) only, except `501 Not Implemented` and
//!   `505`, which never heal;
//! * any 4xx/5xx answer to any method is retried when its body names a known "busy" condition:
//!   iDRAC `SYS518` or iLO `InvalidOperationForSystemState`, plus the vendor rules of the
//!   quirk table ([`TransientRule`]);
//! * everything else is permanent.
//!
//! 401 (re-login), 406 (identity encoding) and 412 (ETag) have their own handling in the
//! client and never reach this policy.
//!
//! A second, slower policy covers configuration jobs a BMC refuses while it is busy (iDRAC:
//! a job running, a configuration pending until the next boot): [`busy_decision`] says
//! whether to retry, reboot first, or give up, from the quirk table's [`BusyCondition`]s,
//! and a [`FixedBackoff`] spaces the attempts.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use reqwest::Method;

use crate::error::TransportFailureKind;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again; wait at least `after` when the BMC said so (`Retry-After`).
    Retry {
        /// The BMC's `Retry-After`, if any.
        after: Option<Duration>,
    },
    /// The failure is permanent.
    GiveUp,
}

/// How one attempt failed, as seen by [`error_policy`].
#[derive(Debug, Clone, Copy)]
pub enum AttemptFailure<'a> {
    /// No HTTP answer.
    Transport(TransportFailureKind),
    /// An HTTP error answer.
    Status {
        /// HTTP status.
        status: u16,
        /// Message text and ids of the body, for known busy conditions.
        text: &'a str,
        /// `Retry-After` of the answer.
        retry_after: Option<Duration>,
    },
}

/// A vendor condition that makes an error answer transient (from the quirk table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransientRule {
    /// A substring of the Redfish MessageId or message, e.g. `UnableToModifyDuringSystemPOST`.
    pub message: String,
    /// The HTTP statuses it applies to.
    pub statuses: Vec<u16>,
    /// The HTTP methods it applies to (upper case); empty means all.
    pub methods: Vec<String>,
}

impl TransientRule {
    /// A rule for `message` on the given statuses and methods (empty methods: all).
    pub fn new(message: &str, statuses: &[u16], methods: &[&str]) -> Self {
        TransientRule {
            message: message.to_string(),
            statuses: statuses.to_vec(),
            methods: methods.iter().map(|method| method.to_string()).collect(),
        }
    }
}

/// A vendor message that means a configuration job cannot run now but will later (from the
/// quirk table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyCondition {
    /// A substring of the Redfish MessageId or message, e.g. `RAC0679`.
    pub message: String,
    /// Whether the host must boot once before the job can run (a configuration is pending
    /// until the next boot); the host is rebooted at most once per operation.
    pub reboot_first: bool,
}

impl BusyCondition {
    /// Busy for a while: retry later.
    pub fn retry(message: &str) -> Self {
        BusyCondition {
            message: message.to_string(),
            reboot_first: false,
        }
    }

    /// Busy until the host boots: reboot once, then retry.
    pub fn reboot_first(message: &str) -> Self {
        BusyCondition {
            message: message.to_string(),
            reboot_first: true,
        }
    }
}

/// What to do after a configuration job was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyDecision {
    /// Reboot the host, then try again.
    RebootThenRetry,
    /// Wait, then try again.
    Retry,
    /// Not a busy condition: the failure stands.
    GiveUp,
}

/// Classifies a refused configuration job. `mentions` tells whether the failure's messages
/// (ids or text) contain a string; `rebooted` whether this operation already rebooted the
/// host. Pure: no I/O, no clock.
pub fn busy_decision(
    mentions: &dyn Fn(&str) -> bool,
    conditions: &[BusyCondition],
    rebooted: bool,
) -> BusyDecision {
    let matched: Vec<&BusyCondition> = conditions
        .iter()
        .filter(|condition| mentions(&condition.message))
        .collect();
    if matched.is_empty() {
        BusyDecision::GiveUp
    } else if !rebooted && matched.iter().any(|condition| condition.reboot_first) {
        BusyDecision::RebootThenRetry
    } else {
        BusyDecision::Retry
    }
}

/// The same delay before each of a fixed number of retries.
#[derive(Debug, Clone)]
pub struct FixedBackoff {
    delay: Duration,
    retries: u32,
    retries_done: u32,
}

impl FixedBackoff {
    /// `retries` retries, `delay` apart.
    pub fn new(delay: Duration, retries: u32) -> Self {
        FixedBackoff {
            delay,
            retries,
            retries_done: 0,
        }
    }
}

impl Backoff for FixedBackoff {
    fn next_delay(&mut self) -> Option<Duration> {
        if self.retries_done >= self.retries {
            return None;
        }
        self.retries_done += 1;
        Some(self.delay)
    }

    fn reset(&mut self) {
        self.retries_done = 0;
    }
}

/// Built-in busy conditions of all vendors (from sushy's `check_retry_on_exception`).
const BUILT_IN_BUSY_MARKERS: [&str; 2] = ["SYS518", "InvalidOperationForSystemState"];

/// Classifies a failed attempt as transient or permanent. Pure: no I/O, no clock.
pub fn error_policy(
    method: &Method,
    failure: AttemptFailure<'_>,
    vendor_rules: &[TransientRule],
) -> RetryDecision {
    match failure {
        AttemptFailure::Transport(kind) => match kind {
            TransportFailureKind::Tls | TransportFailureKind::Other => RetryDecision::GiveUp,
            TransportFailureKind::Connect
            | TransportFailureKind::Timeout
            | TransportFailureKind::Body => RetryDecision::Retry { after: None },
        },
        AttemptFailure::Status {
            status,
            text,
            retry_after,
        } => {
            let retry = RetryDecision::Retry { after: retry_after };
            if status == 429 || status == 503 {
                return retry;
            }
            if status >= 400
                && BUILT_IN_BUSY_MARKERS
                    .iter()
                    .any(|marker| text.contains(marker))
            {
                return retry;
            }
            let method_name = method.as_str();
            let vendor_busy = vendor_rules.iter().any(|rule| {
                rule.statuses.contains(&status)
                    && (rule.methods.is_empty()
                        || rule.methods.iter().any(|allowed| allowed == method_name))
                    && text.contains(rule.message.as_str())
            });
            if vendor_busy {
                return retry;
            }
            let idempotent_read = *method == Method::GET || *method == Method::HEAD;
            if status >= 500 && status != 501 && status != 505 && idempotent_read {
                return retry;
            }
            RetryDecision::GiveUp
        }
    }
}

/// A source of waits between attempts. Implementations are iterators of delays that can be
/// reset; `None` means no more attempts.
pub trait Backoff: Send {
    /// The delay before the next attempt, or `None` when retries are exhausted.
    fn next_delay(&mut self) -> Option<Duration>;
    /// Starts over (after a success).
    fn reset(&mut self);
}

/// Retry settings of a BMC client.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial_delay: Duration,
    /// Upper bound of any delay (also caps `Retry-After`).
    pub max_delay: Duration,
    /// Growth factor between retries.
    pub multiplier: f64,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Relative jitter, 0.0 to 1.0: each delay is scaled by a random factor in
    /// `[1 - jitter, 1 + jitter]`.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// 5 retries, 0.5 s doubling to at most 8 s, ±20 % jitter.
    fn default() -> Self {
        RetryPolicy {
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            multiplier: 2.0,
            max_retries: 5,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// A fresh backoff following this policy.
    pub fn backoff(&self) -> ExponentialBackoff {
        ExponentialBackoff {
            policy: self.clone(),
            retries_done: 0,
        }
    }
}

/// Exponential, capped, jittered backoff.
#[derive(Debug, Clone)]
pub struct ExponentialBackoff {
    policy: RetryPolicy,
    retries_done: u32,
}

impl Backoff for ExponentialBackoff {
    fn next_delay(&mut self) -> Option<Duration> {
        if self.retries_done >= self.policy.max_retries {
            return None;
        }
        let exponent = i32::try_from(self.retries_done).unwrap_or(i32::MAX);
        self.retries_done += 1;
        let base = self.policy.initial_delay.as_secs_f64() * self.policy.multiplier.powi(exponent);
        let jitter = self.policy.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * random_unit() - 1.0);
        let seconds = (base * factor).clamp(0.0, self.policy.max_delay.as_secs_f64());
        Some(Duration::from_secs_f64(seconds))
    }

    fn reset(&mut self) {
        self.retries_done = 0;
    }
}

/// A random number in `[0, 1)` from the standard library's randomly keyed hasher.
fn random_unit() -> f64 {
    let value = RandomState::new().hash_one(std::time::Instant::now());
    (value >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses a `Retry-After` header: delta seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(method: Method, failure: AttemptFailure<'_>, expected: RetryDecision) {
        let hpe_post =
            TransientRule::new("UnableToModifyDuringSystemPOST", &[400], &["PATCH", "POST"]);
        assert_eq!(error_policy(&method, failure, &[hpe_post]), expected);
    }

    fn status(status: u16, text: &str) -> AttemptFailure<'_> {
        AttemptFailure::Status {
            status,
            text,
            retry_after: None,
        }
    }

    const RETRY: RetryDecision = RetryDecision::Retry { after: None };
    const GIVE_UP: RetryDecision = RetryDecision::GiveUp;

    #[test]
    fn transport_failures() {
        let connect = AttemptFailure::Transport(TransportFailureKind::Connect);
        check(Method::GET, connect, RETRY);
        check(Method::POST, connect, RETRY);
        check(
            Method::PATCH,
            AttemptFailure::Transport(TransportFailureKind::Timeout),
            RETRY,
        );
        check(
            Method::GET,
            AttemptFailure::Transport(TransportFailureKind::Body),
            RETRY,
        );
        check(
            Method::GET,
            AttemptFailure::Transport(TransportFailureKind::Tls),
            GIVE_UP,
        );
    }

    #[test]
    fn server_errors_depend_on_method() {
        check(Method::GET, status(500, ""), RETRY);
        check(Method::GET, status(502, ""), RETRY);
        check(Method::POST, status(500, ""), GIVE_UP);
        check(Method::PATCH, status(504, ""), GIVE_UP);
        check(Method::GET, status(501, "Not implemented"), GIVE_UP);
        check(Method::POST, status(503, ""), RETRY);
        check(Method::DELETE, status(429, ""), RETRY);
    }

    #[test]
    fn retry_after_is_passed_on() {
        let failure = AttemptFailure::Status {
            status: 429,
            text: "",
            retry_after: Some(Duration::from_secs(2)),
        };
        check(
            Method::POST,
            failure,
            RetryDecision::Retry {
                after: Some(Duration::from_secs(2)),
            },
        );
    }

    #[test]
    fn busy_conditions_are_transient_for_any_method() {
        check(Method::POST, status(500, "SYS518: iDRAC busy"), RETRY);
        check(
            Method::PATCH,
            status(400, "iLO.2.8.InvalidOperationForSystemState"),
            RETRY,
        );
        check(
            Method::PATCH,
            status(400, "iLO.2.14.UnableToModifyDuringSystemPOST"),
            RETRY,
        );
        check(
            Method::GET,
            status(400, "iLO.2.14.UnableToModifyDuringSystemPOST"),
            GIVE_UP,
        );
        check(
            Method::POST,
            status(409, "UnableToModifyDuringSystemPOST"),
            GIVE_UP,
        );
    }

    #[test]
    fn client_errors_are_permanent() {
        for code in [400, 403, 404, 405, 409, 415] {
            check(Method::GET, status(code, ""), GIVE_UP);
            check(Method::POST, status(code, ""), GIVE_UP);
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_ends() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            multiplier: 2.0,
            max_retries: 5,
            jitter: 0.0,
        };
        let mut backoff = policy.backoff();
        let delays: Vec<Duration> = std::iter::from_fn(|| backoff.next_delay()).collect();
        let seconds: Vec<u64> = delays.iter().map(Duration::as_secs).collect();
        assert_eq!(seconds, vec![1, 2, 4, 5, 5]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            multiplier: 1.0,
            max_retries: 200,
            jitter: 0.5,
        };
        let mut backoff = policy.backoff();
        let delays: Vec<f64> = std::iter::from_fn(|| backoff.next_delay())
            .map(|delay| delay.as_secs_f64())
            .collect();
        assert_eq!(delays.len(), 200);
        assert!(delays.iter().all(|delay| (0.5..=1.5).contains(delay)));
        let distinct = delays
            .iter()
            .map(|delay| (delay * 1000.0) as u64)
            .collect::<std::collections::BTreeSet<_>>();
        assert!(distinct.len() > 20, "jitter is not random: {distinct:?}");
    }

    #[test]
    fn busy_jobs_reboot_once_then_wait() {
        let idrac = [
            BusyCondition::reboot_first("LC068"),
            BusyCondition::retry("RAC0679"),
        ];
        let says = |text: &'static str| move |needle: &str| text.contains(needle);
        let pending = says("IDRAC.2.8.LC068");
        let running = says("IDRAC.2.8.RAC0679");
        let other = says("IDRAC.2.8.SYS051");
        assert_eq!(
            busy_decision(&pending, &idrac, false),
            BusyDecision::RebootThenRetry
        );
        assert_eq!(busy_decision(&pending, &idrac, true), BusyDecision::Retry);
        assert_eq!(busy_decision(&running, &idrac, false), BusyDecision::Retry);
        assert_eq!(busy_decision(&other, &idrac, false), BusyDecision::GiveUp);
        assert_eq!(busy_decision(&pending, &[], false), BusyDecision::GiveUp);
    }

    #[test]
    fn fixed_backoff_counts_retries() {
        let mut backoff = FixedBackoff::new(Duration::from_secs(15), 2);
        assert_eq!(backoff.next_delay(), Some(Duration::from_secs(15)));
        assert_eq!(backoff.next_delay(), Some(Duration::from_secs(15)));
        assert_eq!(backoff.next_delay(), None);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Some(Duration::from_secs(15)));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
