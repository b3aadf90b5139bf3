//! How one request is retried: jittered exponential backoff, an attempt budget, an overall
//! deadline, and vendor-demanded waits (`Retry-After`, the rate-limit window) honoured up
//! to a cap. A longer demand is handed back to the caller instead of slept through.

use std::time::Duration;

use tokio::time::Instant;

use crate::sources::SourceError;
use crate::sources::backoff::Backoff;

/// Called before each retry with the error and how long the request has waited so far.
pub type RetryHook = std::sync::Arc<dyn Fn(&SourceError, Duration) + Send + Sync>;

/// The longest a vendor may make one request wait before we hand the wait back.
pub const MAX_HONOURED_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// Backoff between tries: uniform in [base, base·2ⁿ], capped at `max_backoff`.
    pub base: Duration,
    pub max_backoff: Duration,
    /// `Retry-After` and rate-window waits up to this are slept; longer ones are returned.
    pub max_wait: Duration,
    /// No retry is started that would wait past this instant, and no request outlives it.
    pub deadline: Option<Instant>,
    /// The longest one request may take, from sending to its last body byte.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: MAX_HONOURED_WAIT,
            deadline: None,
            request_timeout: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// One try, no retry: for callers that handle failures themselves.
    pub fn once() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.base, self.max_backoff)
    }

    /// How long the next request may take: the request timeout, shortened by the deadline;
    /// `None` when the deadline has passed.
    pub fn request_budget(&self) -> Option<Duration> {
        match self.deadline {
            None => Some(self.request_timeout),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| left.min(self.request_timeout))
            }
        }
    }

    /// Whether waiting `wait` from now still ends before the deadline.
    pub fn can_wait(&self, wait: Duration) -> bool {
        self.deadline
            .is_none_or(|d| Instant::now().checked_add(wait).is_some_and(|t| t <= d))
    }

    /// How long to wait before try number `attempt + 1` after `err`, or `None` to give up
    /// with `err`: it is permanent, the budget is spent, the vendor asked for more than
    /// `max_wait`, or the wait would cross the deadline.
    pub fn wait_after(
        &self,
        err: &SourceError,
        attempt: u32,
        backoff: &mut Backoff,
    ) -> Option<Duration> {
        if !err.is_transient() || attempt >= self.attempts {
            return None;
        }
        let wait = match err {
            SourceError::RateLimited { retry_after, .. } if *retry_after > self.max_wait => {
                return None;
            }
            SourceError::RateLimited { retry_after, .. } if !retry_after.is_zero() => *retry_after,
            _ => backoff.next_delay(),
        };
        self.can_wait(wait).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> SourceError {
        SourceError::Api {
            status,
            category: String::new(),
            message: String::new(),
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_budget_is_spent() {
        let policy = RetryPolicy::default();
        let mut b = policy.backoff();
        for attempt in 1..policy.attempts {
            for err in [
                api(503),
                SourceError::Timeout,
                SourceError::Malformed("cut".into()),
            ] {
                assert!(
                    policy.wait_after(&err, attempt, &mut b).is_some(),
                    "{err:?}"
                );
            }
        }
        assert_eq!(policy.wait_after(&api(503), policy.attempts, &mut b), None);
        assert_eq!(policy.wait_after(&api(404), 1, &mut b), None, "permanent");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap_and_longer_demands_are_handed_back() {
        let policy = RetryPolicy::default();
        let mut b = policy.backoff();
        let limited = |s| SourceError::RateLimited {
            vendor: "HubSpot",
            retry_after: Duration::from_secs(s),
        };
        assert_eq!(
            policy.wait_after(&limited(60), 1, &mut b),
            Some(Duration::from_secs(60))
        );
        assert_eq!(policy.wait_after(&limited(86_400), 1, &mut b), None);
    }

    #[tokio::test]
    async fn no_wait_crosses_the_deadline() {
        let policy = RetryPolicy {
            deadline: Some(Instant::now() + Duration::from_secs(5)),
            ..RetryPolicy::default()
        };
        let mut b = policy.backoff();
        let limited = SourceError::RateLimited {
            vendor: "HubSpot",
            retry_after: Duration::from_secs(30),
        };
        assert_eq!(policy.wait_after(&limited, 1, &mut b), None);
        assert!(policy.wait_after(&api(502), 1, &mut b).is_some());
    }

    proptest::proptest! {
        #[test]
        fn no_vendor_wait_panics_the_policy(
            secs in proptest::prelude::any::<u64>(),
            nanos in 0u32..1_000_000_000,
            deadline in proptest::option::of(0u64..1_000_000),
        ) {
            let policy = RetryPolicy {
                deadline: deadline.map(|s| Instant::now() + Duration::from_secs(s)),
                ..RetryPolicy::default()
            };
            let wait = Duration::new(secs, nanos);
            let mut b = policy.backoff();
            let limited = SourceError::RateLimited {
                vendor: "HubSpot",
                retry_after: wait,
            };
            if let Some(w) = policy.wait_after(&limited, 1, &mut b) {
                proptest::prop_assert!(w <= policy.max_wait);
            }
            let _ = policy.can_wait(wait);
            proptest::prop_assert!(policy.request_budget().is_none_or(|b| b <= policy.request_timeout));
        }
    }
}
