//! HubSpot CRM v3: contacts, deals, notes, owners and the deal pipeline.
//!
//! One `HubSpot` value per source, owned by that source's sync task, so there is never more
//! than one request in flight against a portal.

mod load;
mod mapping;
mod plan;
mod read;
pub mod wire;
mod write;

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::{Secret, SourceError};
pub use crate::sources::retry::{MAX_HONOURED_WAIT, RetryHook, RetryPolicy};
pub use load::{Archived, LoadState};
pub use mapping::Mapping;
pub use plan::{Step, plan, step_count, step_names};
pub use read::{Cursor, Delta, Edge, Kind, ids_at, map_page};
use wire::ErrorBody;
pub use write::{expected_after, inverse, seen};

/// What the last response told us about the rate-limit window.
#[derive(Debug, Clone, Copy)]
struct RateWindow {
    remaining: u64,
    interval: Duration,
    seen_at: Instant,
}

pub struct HubSpot {
    http: reqwest::Client,
    base: String,
    token: Secret,
    /// Where the token came from, so a 401 can say what to fix.
    token_env: String,
    window: Option<RateWindow>,
    mapping: Mapping,
    retry: RetryPolicy,
    /// Records per list page during the first load (HubSpot allows up to 100).
    page_size: usize,
    /// The longest answer (send to last body byte) since [`take_slowest`](Self::take_slowest).
    slowest: Duration,
    /// Told of each failed try that will be retried, so a caller can show it before the
    /// retries run out ("no answer for 20s").
    on_retry: Option<RetryHook>,
}

impl std::fmt::Debug for HubSpot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSpot")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HubSpot {
    /// The portal's address, as the outbox and cache file its records under.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn new(base_url: &str, token: Secret, mapping: Mapping) -> Result<Self, SourceError> {
        let base = check_base_url(base_url).map_err(SourceError::Config)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("tandem/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SourceError::Config(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token,
            token_env: "HUBSPOT_TOKEN".to_string(),
            window: None,
            mapping,
            retry: RetryPolicy::default(),
            page_size: read::LIST_LIMIT,
            slowest: Duration::ZERO,
            on_retry: None,
        })
    }

    /// How each request is retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Tell `hook` of every try that fails and will be retried.
    pub fn with_retry_hook(mut self, hook: RetryHook) -> Self {
        self.on_retry = Some(hook);
        self
    }

    /// The slowest successful answer since the last call, and start a new measure.
    pub fn take_slowest(&mut self) -> Duration {
        std::mem::take(&mut self.slowest)
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Stop retrying past `deadline` (headless runs bounded by `--timeout`).
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.retry.deadline = deadline;
    }

    /// Smaller first-load pages (1–100): more, cheaper requests.
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.clamp(1, read::LIST_LIMIT);
        self
    }

    /// Name the environment variable the token was read from (HUBSPOT_TOKEN by default).
    pub fn with_token_env(mut self, name: &str) -> Self {
        self.token_env = name.to_string();
        self
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.token.expose())
    }

    /// Wait out an exhausted rate-limit window before sending, so we rarely see a 429. The
    /// window's length comes from a header, so the wait is capped like `Retry-After`.
    async fn pace(&self) -> Result<(), SourceError> {
        if let Some(w) = self.window
            && w.remaining == 0
        {
            let until =
                crate::sources::wait::instant_after(w.seen_at, w.interval.min(self.retry.max_wait));
            let wait = until.saturating_duration_since(Instant::now());
            if !self.retry.can_wait(wait) {
                return Err(SourceError::RateLimited { retry_after: wait });
            }
            tokio::time::sleep_until(until).await;
        }
        Ok(())
    }

    fn note_window(&mut self, headers: &HeaderMap) {
        if let Some((remaining, interval)) = rate_window(headers) {
            self.window = Some(RateWindow {
                remaining,
                interval,
                seen_at: Instant::now(),
            });
        }
    }

    /// Send and decode the JSON body into `T`, retrying each transient failure (5xx, 429,
    /// resets, timeouts, cut-off bodies) as the retry policy allows. For idempotent requests.
    async fn call<T: DeserializeOwned>(
        &mut self,
        build: impl Fn(&Self) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.call_retrying(build, true).await
    }

    /// Like [`call`](Self::call) for a request that must not run twice (creating a note):
    /// only a 429 is retried, since the vendor did not act on it. Any other failure goes
    /// back to the caller, which checks what landed before trying again.
    async fn call_once<T: DeserializeOwned>(
        &mut self,
        build: impl Fn(&Self) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.call_retrying(build, false).await
    }

    async fn call_retrying<T: DeserializeOwned>(
        &mut self,
        build: impl Fn(&Self) -> RequestBuilder,
        idempotent: bool,
    ) -> Result<T, SourceError> {
        let mut backoff = self.retry.backoff();
        let mut attempt = 1;
        let started = Instant::now();
        loop {
            let err = match self.attempt(&build).await {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            let retryable = idempotent || matches!(err, SourceError::RateLimited { .. });
            match self.retry.wait_after(&err, attempt, &mut backoff) {
                Some(wait) if retryable => {
                    tracing::warn!(attempt, ?wait, error = %err, "HubSpot request failed; retrying");
                    if let Some(hook) = &self.on_retry {
                        hook(&err, started.elapsed());
                    }
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => return Err(err),
            }
        }
    }

    /// One try: send, then read and decode the whole body.
    async fn attempt<T: DeserializeOwned>(
        &mut self,
        build: &impl Fn(&Self) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.pace().await?;
        // A headless run's deadline holds even against a server that never answers.
        let budget = self.retry.request_budget().ok_or(SourceError::Timeout)?;
        let request = build(self).timeout(budget);
        let started = Instant::now();
        let response = request.send().await.map_err(|e| transport(&self.base, e))?;
        self.note_window(response.headers());
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers(), self.window);
            return Err(match error_from(status, response, &self.token_env).await {
                SourceError::RateLimited { .. } => SourceError::RateLimited { retry_after },
                other => other,
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(&self.base, e))?;
        self.slowest = self.slowest.max(started.elapsed());
        // A 204 (an archive) has no body: it decodes as JSON null, i.e. into `()`.
        let body: &[u8] = if bytes.is_empty() && status == StatusCode::NO_CONTENT {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(body).map_err(|e| SourceError::Malformed(e.to_string()))
    }
}

/// Check a HubSpot base URL; returns it without trailing slashes. Credentials in the URL
/// are refused (reqwest would send them as a Basic header next to the Bearer token), and no
/// error ever repeats them.
pub fn check_base_url(raw: &str) -> Result<String, String> {
    let base = raw.trim().trim_end_matches('/');
    let shown = redact_userinfo(base);
    let url = reqwest::Url::parse(base)
        .map_err(|e| format!("HubSpot URL {shown:?} is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "HubSpot URL must start with http:// or https:// (got {shown:?})"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "HubSpot URL must not contain a user name or password (got {shown:?}): the token \
             is read from the environment (HUBSPOT_TOKEN), never from the URL"
        ));
    }
    Ok(base.to_string())
}

/// The URL with everything between the scheme and the last `@` masked: a password may hold
/// `/`, `?` or `#`, so the mask errs on the side of hiding too much.
fn redact_userinfo(raw: &str) -> String {
    let (scheme, rest) = match raw.find("://") {
        Some(i) => raw.split_at(i + 3),
        None => ("", raw),
    };
    match rest.rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => raw.to_string(),
    }
}

fn transport(base: &str, e: reqwest::Error) -> SourceError {
    if e.is_timeout() {
        SourceError::Timeout
    } else if e.is_decode() || e.is_body() {
        SourceError::Malformed(root_cause(&e))
    } else {
        SourceError::Connect {
            url: base.to_string(),
            reason: root_cause(&e),
        }
    }
}

/// reqwest's Display repeats the request URL; the innermost cause is the useful part, in
/// plain words when it is a well-known socket error.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let plain = cur
        .downcast_ref::<std::io::Error>()
        .and_then(|io| match io.kind() {
            std::io::ErrorKind::ConnectionRefused => Some("connection refused"),
            std::io::ErrorKind::ConnectionReset => Some("connection reset by the server"),
            _ => None,
        });
    plain.map_or_else(|| cur.to_string(), str::to_string)
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

/// The wait a 429 asks for: `Retry-After` (capped, see [`crate::sources::wait`]), else the
/// rate-limit window's length, else ten seconds.
fn retry_after(headers: &HeaderMap, window: Option<RateWindow>) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::sources::wait::retry_after(v, chrono::Utc::now()))
        .or(window.map(|w| w.interval))
        .unwrap_or(Duration::from_secs(10))
}

async fn error_from(status: StatusCode, response: Response, token_env: &str) -> SourceError {
    let body: Option<ErrorBody> = response.json().await.ok();
    let message = body
        .as_ref()
        .map(|b| crate::domain::text::clean(&b.message))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    match status {
        StatusCode::UNAUTHORIZED => SourceError::Unauthorized {
            token_env: token_env.to_string(),
            message,
        },
        StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited {
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
