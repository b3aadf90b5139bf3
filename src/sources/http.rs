//! Plain HTTP to a vendor through one long-lived `reqwest::Client`, shared by every vendor
//! module: bearer auth, pacing by the vendor's rate-limit window, a timeout per request
//! bounded by the run's deadline, retries of transient failures by the [`RetryPolicy`], and
//! typed errors. What differs by vendor (its rate-limit headers, its error body) comes in a
//! [`Wire`].

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::{RetryHook, RetryPolicy, Secret, SourceError};

/// What one vendor's HTTP looks like.
#[derive(Clone, Copy)]
pub struct Wire {
    /// The vendor's name, for logs.
    pub vendor: &'static str,
    /// The calls left in the current window and its length, from an answer's headers.
    pub rate_window: fn(&HeaderMap) -> Option<(u64, Duration)>,
    /// A daily allowance (used, limit) some vendors report on every answer
    /// (`Sforce-Limit-Info: api-usage=N/M`).
    pub quota: fn(&HeaderMap) -> Option<(u64, u64)>,
    /// The error an unsuccessful answer (its status and body) stands for; `token_env` names
    /// where the token came from, for a 401.
    pub error: fn(StatusCode, &[u8], &str) -> SourceError,
}

/// What the vendor's answers told us, for pacing and the header.
#[derive(Debug, Default)]
struct Seen {
    window: Option<RateWindow>,
    /// The last daily allowance reported (used, limit).
    quota: Option<(u64, u64)>,
    /// The longest answer (send to last body byte) since [`Http::take_slowest`].
    slowest: Duration,
    /// Requests sent and not answered yet.
    in_flight: u64,
    /// Requests sent so far, and which one's answer the window and quota are from.
    sent: u64,
    window_of: u64,
}

/// A request holding a slot of the rate window until its answer arrives.
/// It carries its place in the order of sending: answers can arrive out of order, and only a
/// later-sent request's answer may replace the window a newer one reported.
struct InFlight<'a>(&'a Http, u64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut seen = self.0.seen();
        seen.in_flight = seen.in_flight.saturating_sub(1);
    }
}

/// When the next request may go (`None`: now): once the window as last reported has a
/// call left beyond those in flight (and a margin, while any are), or once that window has
/// run out (capped at `max_wait`).
fn next_slot(
    window: Option<RateWindow>,
    in_flight: u64,
    now: Instant,
    max_wait: Duration,
) -> Option<Instant> {
    let w = window?;
    // Concurrent answers arrive, and are counted by the server, in either order, so the
    // count as last reported may be one or two too high: near the end of a window requests
    // go one at a time, each answer then exact.
    let spare = match in_flight {
        0 => 0,
        n => n + 2,
    };
    if w.remaining > spare {
        return None;
    }
    let until = crate::sources::wait::instant_after(w.seen_at, w.interval.min(max_wait));
    if now >= until {
        return None;
    }
    // Calls left, but not enough to share: look again soon, once the answer in flight is in.
    Some(match w.remaining {
        0 => until,
        _ => until.min(now + RECHECK),
    })
}

/// How soon a request held back near the end of a window looks again.
const RECHECK: Duration = Duration::from_millis(20);

/// What the last response told us about the rate-limit window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateWindow {
    pub(crate) remaining: u64,
    pub(crate) interval: Duration,
    pub(crate) seen_at: Instant,
}

pub struct Http {
    client: reqwest::Client,
    base: String,
    token: Secret,
    /// Where the token came from, so a 401 can say what to fix.
    pub(crate) token_env: String,
    /// What the answers said: shared by the requests in flight at once (a load reads the
    /// next page while the last one's history is fetched), so they pace as one.
    seen: std::sync::Mutex<Seen>,
    pub(crate) retry: RetryPolicy,
    /// Told of each failed try that will be retried, so a caller can show it before the
    /// retries run out ("no answer for 20s").
    pub(crate) on_retry: Option<RetryHook>,
    wire: Wire,
}

impl Http {
    /// A client for `base` (already checked) with `token`, read from `token_env`.
    pub fn new(
        base: String,
        token: Secret,
        token_env: &str,
        wire: Wire,
    ) -> Result<Self, SourceError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("tandem/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SourceError::Config(e.to_string()))?;
        Ok(Http {
            client,
            base,
            token,
            token_env: token_env.to_string(),
            seen: std::sync::Mutex::new(Seen::default()),
            retry: RetryPolicy::default(),
            on_retry: None,
            wire,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The slowest successful answer since the last call, and start a new measure.
    pub fn take_slowest(&mut self) -> Duration {
        std::mem::take(&mut self.seen().slowest)
    }

    /// Requests sent so far, retries included.
    pub fn sent(&self) -> u64 {
        self.seen().sent
    }

    /// The last daily allowance the vendor reported: (used, limit).
    pub fn quota(&self) -> Option<(u64, u64)> {
        self.seen().quota
    }

    /// Use `token` from now on (an access token that was refreshed).
    pub fn set_token(&mut self, token: Secret) {
        self.token = token;
    }

    /// A request to an absolute `url` with no credentials (an identity service's token
    /// call authenticates by its own parameters).
    pub fn plain(&self, method: Method, url: &str) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// A request to `path` under the base URL, with the bearer token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.token.expose())
    }

    /// Wait out an exhausted rate-limit window before sending, so we rarely see a 429. The
    /// window's length comes from a header, so the wait is capped like `Retry-After`.
    async fn pace(&self) -> Result<InFlight<'_>, SourceError> {
        // A daily allowance spent: stop rather than be cut off for the rest of the day; past
        // nine tenths of it, one request a second so the allowance lasts.
        let quota = self.seen().quota;
        if let Some((used, limit)) = quota.filter(|(_, limit)| *limit > 0) {
            if used >= limit {
                return Err(SourceError::RateLimited {
                    vendor: self.wire.vendor,
                    retry_after: crate::sources::wait::MAX_VENDOR_WAIT,
                });
            }
            if used * 10 >= limit * 9 {
                let wait = Duration::from_secs(1);
                if !self.retry.can_wait(wait) {
                    return Err(SourceError::RateLimited {
                        vendor: self.wire.vendor,
                        retry_after: wait,
                    });
                }
                tokio::time::sleep(wait).await;
            }
        }
        // A slot in the rate window: the calls it has left as last reported, less the
        // requests in flight that it does not count yet. Taken under the lock, so two
        // requests never both take the last one.
        loop {
            let wait_until = {
                let mut seen = self.seen();
                match next_slot(
                    seen.window,
                    seen.in_flight,
                    Instant::now(),
                    self.retry.max_wait,
                ) {
                    None => {
                        seen.in_flight += 1;
                        seen.sent += 1;
                        return Ok(InFlight(self, seen.sent));
                    }
                    Some(until) => until,
                }
            };
            let wait = wait_until.saturating_duration_since(Instant::now());
            if !self.retry.can_wait(wait) {
                return Err(SourceError::RateLimited {
                    vendor: self.wire.vendor,
                    retry_after: wait,
                });
            }
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// What the answer to the `sent`-th request says of the limits.
    fn note_window(&self, headers: &HeaderMap, sent: u64) {
        let mut seen = self.seen();
        if sent < seen.window_of {
            // A later-sent request's answer came first. The server may still have admitted
            // this one after it (two connections), so its count can only lower ours.
            let older = (self.wire.rate_window)(headers).map(|(remaining, _)| remaining);
            if let (Some(w), Some(r)) = (seen.window.as_mut(), older) {
                w.remaining = w.remaining.min(r);
            }
            return;
        }
        seen.window_of = sent;
        if let Some(q) = (self.wire.quota)(headers) {
            seen.quota = Some(q);
        }
        if let Some((remaining, interval)) = (self.wire.rate_window)(headers) {
            seen.window = Some(RateWindow {
                remaining,
                interval,
                seen_at: Instant::now(),
            });
        }
    }

    /// Send and decode the JSON body into `T`, retrying each transient failure (5xx, 429,
    /// resets, timeouts, cut-off bodies) as the retry policy allows. For idempotent requests.
    pub async fn call<T: DeserializeOwned>(
        &self,
        build: impl Fn(&Self) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.call_retrying(build, true).await
    }

    /// Like [`call`](Self::call) for a request that must not run twice (creating a note):
    /// only a 429 is retried, since the vendor did not act on it. Any other failure goes
    /// back to the caller, which checks what landed before trying again.
    pub async fn call_once<T: DeserializeOwned>(
        &self,
        build: impl Fn(&Self) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        self.call_retrying(build, false).await
    }

    async fn call_retrying<T: DeserializeOwned>(
        &self,
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
                    tracing::warn!(vendor = self.wire.vendor, attempt, ?wait, error = %err, "request failed; retrying");
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
        &self,
        build: &impl Fn(&Self) -> RequestBuilder,
    ) -> Result<T, SourceError> {
        let slot = self.pace().await?;
        // A headless run's deadline holds even against a server that never answers.
        let budget = self.retry.request_budget().ok_or(SourceError::Timeout)?;
        let request = build(self).timeout(budget);
        let started = Instant::now();
        let response = request.send().await.map_err(|e| transport(&self.base, e))?;
        self.note_window(response.headers(), slot.1);
        // Answered: the window just reported counts this request.
        drop(slot);
        let status = response.status();
        if !status.is_success() {
            let window = self.seen().window;
            let retry_after = retry_after(response.headers(), window);
            let body = response.bytes().await.unwrap_or_default();
            return Err(match (self.wire.error)(status, &body, &self.token_env) {
                SourceError::RateLimited { .. } => SourceError::RateLimited {
                    vendor: self.wire.vendor,
                    retry_after,
                },
                other => other,
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(&self.base, e))?;
        {
            let mut seen = self.seen();
            seen.slowest = seen.slowest.max(started.elapsed());
        }
        // A 204 (an archive) has no body: it decodes as JSON null, i.e. into `()`.
        let body: &[u8] = if bytes.is_empty() && status == StatusCode::NO_CONTENT {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(body).map_err(|e| SourceError::Malformed(e.to_string()))
    }
}

/// Check a `vendor` API base URL; returns it without trailing slashes. Credentials in the URL
/// are refused (reqwest would send them as a Basic header next to the Bearer token), and no
/// error ever repeats them.
pub fn check_base_url(vendor: &str, token_env: &str, raw: &str) -> Result<String, String> {
    let base = raw.trim().trim_end_matches('/');
    let shown = redact_userinfo(base);
    let url = reqwest::Url::parse(base)
        .map_err(|e| format!("{vendor} URL {shown:?} is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{vendor} URL must start with http:// or https:// (got {shown:?})"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{vendor} URL must not contain a user name or password (got {shown:?}): the token \
             is read from the environment ({token_env}), never from the URL"
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

/// The wait a 429 asks for: `Retry-After` (capped, see [`crate::sources::wait`]), else the
/// rate-limit window's length, else ten seconds.
pub(crate) fn retry_after(headers: &HeaderMap, window: Option<RateWindow>) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::sources::wait::retry_after(v, chrono::Utc::now()))
        .or(window.map(|w| w.interval))
        .unwrap_or(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_arriving_out_of_order_never_raise_the_calls_left() {
        let wire = Wire {
            vendor: "Test",
            rate_window: |h| {
                let n = h.get("remaining")?.to_str().ok()?.parse().ok()?;
                Some((n, Duration::from_secs(10)))
            },
            quota: |_| None,
            error: |_, _, _| SourceError::Malformed(String::new()),
        };
        let http = Http::new("http://x".into(), Secret::new("t"), "T", wire).unwrap();
        let answer = |n: u64| {
            let mut h = HeaderMap::new();
            h.insert("remaining", n.to_string().parse().unwrap());
            h
        };
        // The second request's answer (5 left) arrives before the first's (6 left): the
        // older, higher count does not replace it.
        http.note_window(&answer(5), 2);
        http.note_window(&answer(6), 1);
        assert_eq!(http.seen().window.map(|w| w.remaining), Some(5));
        // But the server admitted the third after the fourth: its lower count stands.
        http.note_window(&answer(3), 4);
        http.note_window(&answer(2), 3);
        assert_eq!(http.seen().window.map(|w| w.remaining), Some(2));
    }

    #[test]
    fn the_last_call_of_a_window_goes_to_one_request_only() {
        let now = Instant::now();
        let window = |remaining| {
            Some(RateWindow {
                remaining,
                interval: Duration::from_secs(10),
                seen_at: now,
            })
        };
        let max = Duration::from_secs(60);
        // Nothing known, or calls to spare: go.
        assert_eq!(next_slot(None, 5, now, max), None);
        assert_eq!(next_slot(window(4), 1, now, max), None);
        // The last call, and nothing in flight: it goes alone.
        assert_eq!(next_slot(window(1), 0, now, max), None);
        // Near the end with a request on its way, wait for its exact answer; with none left,
        // wait for the window to turn.
        let turn = now + Duration::from_secs(10);
        let soon = now + RECHECK;
        assert_eq!(next_slot(window(3), 1, now, max), Some(soon));
        assert_eq!(next_slot(window(1), 1, now, max), Some(soon));
        assert_eq!(next_slot(window(0), 1, now, max), Some(turn));
        assert_eq!(next_slot(window(0), 0, now, max), Some(turn));
        // Once it has turned, the window as reported is out of date: go.
        assert_eq!(next_slot(window(0), 1, turn, max), None);
    }
}
