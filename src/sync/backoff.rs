//! Exponential backoff with jitter, so a failing vendor is not hammered in lockstep.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    failures: u32,
    base: Duration,
    max: Duration,
    /// Varies the jitter without reading a random source.
    seed: u64,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            failures: 0,
            base,
            max,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait before the next attempt: base·2ⁿ capped at max, minus up to 20% jitter.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        let capped = exp.min(self.max);
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let jitter = (self.seed >> 33) % 200; // per mille, 0–19.9%
        capped - capped.mul_f64(jitter as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let delays: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        for (n, d) in delays.iter().enumerate() {
            let nominal = Duration::from_secs((1u64 << n).min(30));
            assert!(*d <= nominal && *d >= nominal.mul_f64(0.8), "{n}: {d:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
    }
}
