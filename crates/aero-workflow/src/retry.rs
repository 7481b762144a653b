//! Retry as policy: which step failures are tried again ([`error_policy`], pure) and how
//! long to wait between attempts ([`Backoff`], injectable through [`BackoffFactory`]).
//!
//! The class of the error decides (`aero_error::Classify`): only
//! [`ErrorClass::Transient`](aero_error::ErrorClass::Transient) failures are retried, up to
//! the step's `max_attempts`; the engine never looks at an error's type or text.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use aero_error::Classify;

use crate::spec::RetryPolicy;
use crate::step::StepError;

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again (after the backoff's next delay).
    Retry,
    /// The failure stands.
    GiveUp,
}

/// Decides whether attempt number `attempt` (1-based) that failed with `error` is tried
/// again under `policy`. Pure: no I/O, no clock.
pub fn error_policy(error: &StepError, attempt: u32, policy: &RetryPolicy) -> RetryDecision {
    if error.class().is_retryable() && attempt < policy.max_attempts {
        RetryDecision::Retry
    } else {
        RetryDecision::GiveUp
    }
}

/// A source of waits between attempts: an iterator of delays that can be reset; `None`
/// means no more attempts.
pub trait Backoff: Send + Sync {
    /// The delay before the next attempt, or `None` when retries are exhausted.
    fn next_delay(&mut self) -> Option<Duration>;
    /// Starts over.
    fn reset(&mut self);
}

/// Makes the backoff of a step from its policy. The engine's default is
/// [`PolicyBackoff`]; tests inject one without delays.
pub trait BackoffFactory: Send + Sync {
    /// A fresh backoff for a step with `policy`.
    fn backoff(&self, policy: &RetryPolicy) -> Box<dyn Backoff>;
}

/// The default factory: [`ExponentialBackoff`] following each step's policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicyBackoff;

impl BackoffFactory for PolicyBackoff {
    fn backoff(&self, policy: &RetryPolicy) -> Box<dyn Backoff> {
        Box::new(ExponentialBackoff::new(policy))
    }
}

/// A factory whose backoffs never wait (for tests): attempts still stop at the policy's
/// `max_attempts`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDelay;

impl BackoffFactory for NoDelay {
    fn backoff(&self, _policy: &RetryPolicy) -> Box<dyn Backoff> {
        Box::new(FixedDelays(Duration::ZERO))
    }
}

/// The same delay forever.
struct FixedDelays(Duration);

impl Backoff for FixedDelays {
    fn next_delay(&mut self) -> Option<Duration> {
        Some(self.0)
    }

    fn reset(&mut self) {}
}

/// Exponential, capped, jittered backoff: `initial × multiplier^n`, scaled by a random
/// factor in `[1 - jitter, 1 + jitter]`, at most `max_delay`; `max_attempts - 1` delays.
#[derive(Clone, Debug)]
pub struct ExponentialBackoff {
    policy: RetryPolicy,
    retries_done: u32,
}

impl ExponentialBackoff {
    /// A fresh backoff following `policy`.
    pub fn new(policy: &RetryPolicy) -> Self {
        ExponentialBackoff {
            policy: policy.clone(),
            retries_done: 0,
        }
    }
}

impl Backoff for ExponentialBackoff {
    fn next_delay(&mut self) -> Option<Duration> {
        if self.retries_done.saturating_add(1) >= self.policy.max_attempts {
            return None;
        }
        let exponent = i32::try_from(self.retries_done).unwrap_or(i32::MAX);
        self.retries_done += 1;
        let initial = Duration::from_millis(self.policy.initial_delay_ms).as_secs_f64();
        let cap = Duration::from_millis(self.policy.max_delay_ms).as_secs_f64();
        let base = initial * self.policy.multiplier.max(1.0).powi(exponent);
        let jitter = self.policy.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * random_unit() - 1.0);
        let seconds = (base * factor).clamp(0.0, cap);
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

#[cfg(test)]
mod tests {
    use aero_error::ErrorClass;

    use super::*;

    fn policy(max_attempts: u32, jitter: f64) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_delay_ms: 1_000,
            max_delay_ms: 5_000,
            multiplier: 2.0,
            jitter,
        }
    }

    #[test]
    fn only_transient_failures_are_retried_within_the_attempts() {
        let transient = StepError::new(ErrorClass::Transient, "bmc busy");
        let permanent = StepError::new(ErrorClass::Permanent, "401 unauthorized");
        let policy = policy(3, 0.0);
        assert_eq!(error_policy(&transient, 1, &policy), RetryDecision::Retry);
        assert_eq!(error_policy(&transient, 2, &policy), RetryDecision::Retry);
        assert_eq!(error_policy(&transient, 3, &policy), RetryDecision::GiveUp);
        assert_eq!(error_policy(&permanent, 1, &policy), RetryDecision::GiveUp);
        let conflict = StepError::new(ErrorClass::Conflict, "lease lost");
        assert_eq!(error_policy(&conflict, 1, &policy), RetryDecision::GiveUp);
    }

    #[test]
    fn backoff_grows_is_capped_and_ends() {
        let mut backoff = ExponentialBackoff::new(&policy(6, 0.0));
        let seconds: Vec<u64> = std::iter::from_fn(|| backoff.next_delay())
            .map(|delay| delay.as_secs())
            .collect();
        assert_eq!(seconds, [1, 2, 4, 5, 5]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Some(Duration::from_secs(1)));
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let mut jittered = policy(200, 0.5);
        jittered.multiplier = 1.0;
        let mut backoff = ExponentialBackoff::new(&jittered);
        let delays: Vec<f64> = std::iter::from_fn(|| backoff.next_delay())
            .map(|delay| delay.as_secs_f64())
            .collect();
        assert_eq!(delays.len(), 199);
        assert!(delays.iter().all(|delay| (0.5..=1.5).contains(delay)));
        let distinct: std::collections::BTreeSet<u64> =
            delays.iter().map(|delay| (delay * 1000.0) as u64).collect();
        assert!(distinct.len() > 20, "jitter is not random: {distinct:?}");
    }
}
