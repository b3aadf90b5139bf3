//! HubSpot's burst limit: N requests per rolling 10-second window, plus a daily quota.
//!
//! Clients are expected to pace themselves from the `X-HubSpot-RateLimit-*` headers and back
//! off on 429, so both the headers and the 429 body mirror HubSpot's. Wall-clock time is
//! used even in a frozen world: rate limiting is about the client's real pace.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;

use super::error::{ApiError, correlation_id};

pub const WINDOW: Duration = Duration::from_secs(10);
pub const DAILY_LIMIT: u64 = 500_000;

pub struct RateLimiter {
    max: u32,
    hits: VecDeque<Instant>,
    daily_used: u64,
}

/// The limiter's verdict on one request, with what to put in the headers.
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    pub daily_remaining: u64,
    pub retry_after_secs: u64,
}

impl RateLimiter {
    pub fn new(max: u32) -> Self {
        RateLimiter {
            max,
            hits: VecDeque::new(),
            daily_used: 0,
        }
    }

    /// Count one request at `now` (rejected requests do not consume the window).
    pub fn admit(&mut self, now: Instant) -> Verdict {
        while self
            .hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.hits.pop_front();
        }
        let allowed = (self.hits.len() as u32) < self.max && self.daily_used < DAILY_LIMIT;
        if allowed {
            self.hits.push_back(now);
            self.daily_used += 1;
        }
        let retry = self
            .hits
            .front()
            .map(|t| {
                WINDOW
                    .saturating_sub(now.duration_since(*t))
                    .as_secs_f64()
                    .ceil() as u64
            })
            .unwrap_or(1)
            .max(1);
        Verdict {
            allowed,
            remaining: self.max.saturating_sub(self.hits.len() as u32),
            daily_remaining: DAILY_LIMIT - self.daily_used,
            retry_after_secs: retry,
        }
    }

    pub fn max(&self) -> u32 {
        self.max
    }
}

pub fn headers(h: &mut HeaderMap, max: u32, v: &Verdict) {
    let mut put = |k: &'static str, val: String| {
        if let Ok(val) = HeaderValue::from_str(&val) {
            h.insert(k, val);
        }
    };
    put("x-hubspot-ratelimit-max", max.to_string());
    put("x-hubspot-ratelimit-remaining", v.remaining.to_string());
    put(
        "x-hubspot-ratelimit-interval-milliseconds",
        WINDOW.as_millis().to_string(),
    );
    put("x-hubspot-ratelimit-daily", DAILY_LIMIT.to_string());
    put(
        "x-hubspot-ratelimit-daily-remaining",
        v.daily_remaining.to_string(),
    );
}

/// HubSpot's 429 body (note: `errorType`/`policyName`, not `category`).
pub fn too_many(v: &Verdict) -> ApiError {
    let policy = if v.daily_remaining == 0 {
        "DAILY"
    } else {
        "TEN_SECONDLY_ROLLING"
    };
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITS",
        format!("You have reached your {} limit.", policy.to_lowercase()),
    );
    e.body.remove("category");
    e.with("errorType", json!("RATE_LIMIT"))
        .with("policyName", json!(policy))
        .with("requestId", json!(correlation_id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rolls() {
        let mut rl = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(rl.admit(t0).allowed);
        assert!(rl.admit(t0).allowed);
        assert!(!rl.admit(t0).allowed);
        assert!(rl.admit(t0 + WINDOW).allowed);
    }
}
