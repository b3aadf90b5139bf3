//! Exponential backoff with random jitter, so failing clients spread their retries instead
//! of hitting a recovering vendor in lockstep.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    failures: u32,
    base: Duration,
    max: Duration,
    /// Seeded from the process's own entropy: two clients never share a sequence.
    rng: fastrand::Rng,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            failures: 0,
            base,
            max: max.max(base),
            rng: fastrand::Rng::new(),
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait before the next attempt: uniform in [base, base·2ⁿ capped at max] ("full
    /// jitter", floored at base so a retry never fires immediately).
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.failures.min(16))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        let spread = (ceiling - self.base).mul_f64(self.rng.f64());
        self.base + spread
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(60);

    fn delays(b: &mut Backoff, n: usize) -> Vec<Duration> {
        (0..n).map(|_| b.next_delay()).collect()
    }

    #[test]
    fn two_clients_do_not_retry_in_lockstep() {
        // Eight draws, most from wide ranges: equal sequences mean a shared seed.
        let a = delays(&mut Backoff::new(BASE, MAX), 8);
        let b = delays(&mut Backoff::new(BASE, MAX), 8);
        assert_ne!(a, b, "independent backoffs draw different delays");
    }

    #[test]
    fn delays_stay_between_base_and_the_doubling_ceiling() {
        let mut b = Backoff::new(BASE, MAX);
        for (n, d) in delays(&mut b, 40).into_iter().enumerate() {
            let ceiling = BASE.saturating_mul(1 << n.min(16)).min(MAX);
            assert!(
                d >= BASE && d <= ceiling,
                "{n}: {d:?} not in [1s, {ceiling:?}]"
            );
        }
    }

    #[test]
    fn a_long_outage_waits_long_and_reset_starts_over() {
        let mut b = Backoff::new(BASE, MAX);
        let late = delays(&mut b, 60);
        // Past the sixth failure each draw is uniform in [1s, 60s]: fifty all under 30s
        // would happen about once in 10^15 runs.
        assert!(late[10..].iter().any(|d| *d > Duration::from_secs(30)));
        b.reset();
        assert_eq!(
            b.next_delay(),
            BASE,
            "the first retry after a reset waits the base"
        );
    }
}
