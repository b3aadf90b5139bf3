//! HubSpot CRM v3: contacts, deals, notes, owners and the deal pipeline.
//!
//! One `HubSpot` value per source, owned by that source's sync task, so there is never more
//! than one request in flight against a portal.

mod load;
mod mapping;
mod plan;
mod read;
mod reconcile;
pub mod wire;
mod wire_props;
mod write;

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::http::{Http, Wire};
use super::{Secret, SourceError};
pub use crate::sources::retry::{MAX_HONOURED_WAIT, RetryHook, RetryPolicy};
pub use load::{Archived, LoadState};
pub use mapping::Mapping;
pub use plan::{Step, plan, step_count, step_names};
pub use read::{Cursor, Delta, INDEX_MARGIN, Kind, Recent, map_page, versions};
use wire::ErrorBody;
pub use write::{expected_after, inverse, seen};

pub struct HubSpot {
    http: Http,
    mapping: Mapping,
    /// Records per list page during the first load (HubSpot allows up to 100).
    page_size: usize,
    /// How far each poll reaches back for records the search index showed late.
    index_margin: chrono::Duration,
}

impl std::fmt::Debug for HubSpot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSpot")
            .field("base", &self.http.base())
            .finish_non_exhaustive()
    }
}

/// HubSpot's rate-limit headers and error body.
const WIRE: Wire = Wire {
    vendor: "HubSpot",
    rate_window,
    quota: |_| None,
    error: error_from,
};

impl HubSpot {
    /// The portal's address, as the outbox and cache file its records under.
    pub fn base_url(&self) -> &str {
        self.http.base()
    }

    pub fn new(base_url: &str, token: Secret, mapping: Mapping) -> Result<Self, SourceError> {
        let base = check_base_url(base_url).map_err(SourceError::Config)?;
        Ok(Self {
            http: Http::new(base, token, "HUBSPOT_TOKEN", WIRE)?,
            mapping,
            page_size: read::LIST_LIMIT,
            index_margin: INDEX_MARGIN,
        })
    }

    /// How each request is retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.http.retry = retry;
        self
    }

    /// Tell `hook` of every try that fails and will be retried.
    pub fn with_retry_hook(mut self, hook: RetryHook) -> Self {
        self.http.on_retry = Some(hook);
        self
    }

    /// The slowest successful answer since the last call, and start a new measure.
    pub fn take_slowest(&mut self) -> Duration {
        self.http.take_slowest()
    }

    /// Requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.http.sent()
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.http.retry
    }

    /// Stop retrying past `deadline` (headless runs bounded by `--timeout`).
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.http.retry.deadline = deadline;
    }

    /// Smaller first-load pages (1–100): more, cheaper requests.
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.clamp(1, read::LIST_LIMIT);
        self
    }

    /// Overlap polls by `margin` instead of [`INDEX_MARGIN`]. Tests use a margin shorter
    /// than the simulated index lag to make polls miss updates, as a real portal's rare
    /// longer lag would.
    pub fn with_index_margin(mut self, margin: chrono::Duration) -> Self {
        self.index_margin = margin;
        self
    }

    /// How far polls reach back for records the index showed late.
    pub fn index_margin(&self) -> chrono::Duration {
        self.index_margin
    }

    /// Name the environment variable the token was read from (HUBSPOT_TOKEN by default).
    pub fn with_token_env(mut self, name: &str) -> Self {
        self.http.token_env = name.to_string();
        self
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// See [`Http::call`].
    async fn call<T: DeserializeOwned>(
        &self,
        build: impl Fn(&Http) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.http.call(build).await
    }

    /// See [`Http::call_once`].
    async fn call_once<T: DeserializeOwned>(
        &self,
        build: impl Fn(&Http) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.http.call_once(build).await
    }
}

/// Check a HubSpot base URL; see [`super::http::check_base_url`].
pub fn check_base_url(raw: &str) -> Result<String, String> {
    super::http::check_base_url("HubSpot", "HUBSPOT_TOKEN", raw)
}

/// `X-HubSpot-RateLimit-Remaining` and `-Interval-Milliseconds`, when both are whole
/// numbers: the calls left and the window's length (capped, see [`crate::sources::wait`]).
fn rate_window(headers: &HeaderMap) -> Option<(u64, Duration)> {
    let value = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let remaining = value("x-hubspot-ratelimit-remaining")
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))?;
    // Digits past u64 still say "plenty left".
    let remaining = remaining.parse::<u64>().unwrap_or(u64::MAX);
    let interval =
        crate::sources::wait::millis(value("x-hubspot-ratelimit-interval-milliseconds")?)?;
    Some((remaining, interval))
}

fn error_from(status: StatusCode, body: &[u8], token_env: &str) -> SourceError {
    let body: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let message = body
        .as_ref()
        .map(|b| crate::domain::text::clean(&b.message))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    match status {
        StatusCode::UNAUTHORIZED => SourceError::Unauthorized {
            vendor: "HubSpot",
            token_env: token_env.to_string(),
            message,
        },
        StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited {
            vendor: "HubSpot",
            retry_after: Duration::ZERO,
        },
        _ => SourceError::Api {
            status: status.as_u16(),
            category: body
                .and_then(|b| b.category.or(b.error_type))
                .map(|c| crate::domain::text::clean(&c))
                .unwrap_or_default(),
            message,
        },
    }
}

#[cfg(test)]
mod header_tests {
    use super::*;
    use crate::sources::http::{RateWindow, retry_after};
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        h
    }

    #[test]
    fn a_huge_window_is_capped_and_a_huge_remainder_is_plenty() {
        let h = headers(&[
            ("x-hubspot-ratelimit-remaining", "99999999999999999999999"),
            (
                "x-hubspot-ratelimit-interval-milliseconds",
                "18446744073709551615",
            ),
            ("retry-after", "18446744073709551615"),
        ]);
        assert_eq!(
            rate_window(&h),
            Some((u64::MAX, crate::sources::wait::MAX_VENDOR_WAIT))
        );
        assert_eq!(retry_after(&h, None), crate::sources::wait::MAX_VENDOR_WAIT);
    }

    proptest! {
        #[test]
        fn any_rate_limit_headers_read_without_panic_within_the_cap(
            remaining in "[ -~]{0,30}",
            interval in "[ -~]{0,30}",
            after in "[ -~]{0,40}",
        ) {
            let h = headers(&[
                ("x-hubspot-ratelimit-remaining", &remaining),
                ("x-hubspot-ratelimit-interval-milliseconds", &interval),
                ("retry-after", &after),
            ]);
            let window = rate_window(&h).map(|(remaining, interval)| {
                assert!(interval <= crate::sources::wait::MAX_VENDOR_WAIT);
                RateWindow { remaining, interval, seen_at: Instant::now() }
            });
            prop_assert!(retry_after(&h, window) <= crate::sources::wait::MAX_VENDOR_WAIT);
        }
    }
}
