//! Fault injection and counters, for tandem's own resilience tests.
//!
//! `POST /_sim/faults` (same bearer auth as the API) queues faults that the next API requests
//! receive, in order:
//!
//! - `{"status":500,"count":2}` — answer with that status (400–599) and a HubSpot error body;
//! - `{"kind":"malformed_json","count":1}` — run the request, then answer 200 with the JSON
//!   body cut in half (a connection dropped mid-body, as seen through a proxy);
//! - `{"kind":"delay","millis":3000,"count":1}` — sleep, then answer normally (timeouts);
//! - `{"status":429,"retry_after":86400}` — a 429 with that `Retry-After` (seconds);
//! - `{"kind":"reset","count":1}` — run the request, then drop the connection mid-body.
//!
//! `{"kind":"mix","seed":7,"error_5xx":0.2,"rate_limit":0.1,"truncated":0.05,"reset":0.05,
//! "slow":0.05,"slow_millis":3000,"retry_after":1}` makes every later request draw its fate
//! from those probabilities (the rest answer normally), from a stream fixed by `seed`, so a
//! sequential client sees the same faults on every run. Queued faults still come first.
//!
//! `DELETE /_sim/faults` drops everything still queued and ends any mix. `GET /_sim/stats` returns counters
//! `{"requests":N,"rate_limited":N,"writes":N,"faults_injected":N}`. `/_sim` routes are
//! never rate limited, faulted or counted, so a test can always inspect and reset.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::error::{ApiError, HsJson};
use crate::sim::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Status(u16),
    /// A 429 carrying `Retry-After: secs`.
    RateLimited(u64),
    Malformed,
    /// The connection drops partway through the body.
    Reset,
    Delay(u64),
}

/// What the next requests will suffer: queued faults first, then draws from the mix.
#[derive(Debug, Default)]
pub struct FaultPlan {
    queue: VecDeque<Fault>,
    mix: Option<Mix>,
}

impl FaultPlan {
    /// The fault for the next API request, if any.
    pub fn next(&mut self) -> Option<Fault> {
        match self.queue.pop_front() {
            Some(f) => Some(f),
            None => self.mix.as_mut().and_then(Mix::draw),
        }
    }
}

/// Probabilities of each fault per request, drawn from a seeded stream.
#[derive(Debug)]
struct Mix {
    rng: Rng,
    error_5xx: f64,
    rate_limit: f64,
    truncated: f64,
    reset: f64,
    slow: f64,
    slow_millis: u64,
    retry_after: u64,
}

impl Mix {
    fn draw(&mut self) -> Option<Fault> {
        let roll = self.rng.unit();
        let pick = self.rng.below(3);
        let mut edge = 0.0;
        let mut hit = |p: f64| {
            edge += p;
            roll < edge
        };
        if hit(self.error_5xx) {
            Some(Fault::Status([500, 502, 503][pick as usize]))
        } else if hit(self.rate_limit) {
            Some(Fault::RateLimited(self.retry_after))
        } else if hit(self.truncated) {
            Some(Fault::Malformed)
        } else if hit(self.reset) {
            Some(Fault::Reset)
        } else if hit(self.slow) {
            Some(Fault::Delay(self.slow_millis))
        } else {
            None
        }
    }
}

#[derive(Deserialize)]
pub struct FaultRequest {
    kind: Option<String>,
    status: Option<u16>,
    millis: Option<u64>,
    count: Option<u32>,
    retry_after: Option<u64>,
    seed: Option<u64>,
    #[serde(default)]
    error_5xx: f64,
    #[serde(default)]
    rate_limit: f64,
    #[serde(default)]
    truncated: f64,
    #[serde(default)]
    reset: f64,
    #[serde(default)]
    slow: f64,
    slow_millis: Option<u64>,
}

const MAX_QUEUED: usize = 10_000;
const MAX_DELAY_MS: u64 = 120_000;

const USAGE: &str = "Expected {\"status\":400..599,\"count\":n} (429 may add \"retry_after\":secs), \
     {\"kind\":\"malformed_json\"|\"reset\",\"count\":n}, {\"kind\":\"delay\",\"millis\":ms,\"count\":n} \
     or {\"kind\":\"mix\",\"seed\":n,\"error_5xx\":p,\"rate_limit\":p,\"truncated\":p,\"reset\":p,\
     \"slow\":p,\"slow_millis\":ms,\"retry_after\":secs} with probabilities summing to at most 1";

pub async fn add(
    State(st): State<Shared>,
    HsJson(req): HsJson<FaultRequest>,
) -> Result<Json<Value>, ApiError> {
    if req.kind.as_deref() == Some("mix") {
        let mix = mix_from(&req).ok_or_else(|| ApiError::validation(USAGE))?;
        st.faults.lock().unwrap_or_else(|e| e.into_inner()).mix = Some(mix);
        return Ok(Json(json!({"mix": true})));
    }
    let fault = match (req.kind.as_deref(), req.status, req.millis) {
        (None | Some("status") | Some("error"), Some(429), _) => {
            Fault::RateLimited(req.retry_after.unwrap_or(1))
        }
        (None | Some("status") | Some("error"), Some(code), _) if (400..=599).contains(&code) => {
            Fault::Status(code)
        }
        (Some("malformed_json"), _, _) => Fault::Malformed,
        (Some("reset"), _, _) => Fault::Reset,
        (Some("delay"), _, Some(ms)) if ms <= MAX_DELAY_MS => Fault::Delay(ms),
        _ => return Err(ApiError::validation(USAGE)),
    };
    let count = req.count.unwrap_or(1) as usize;
    let mut plan = st.faults.lock().unwrap_or_else(|e| e.into_inner());
    let room = MAX_QUEUED.saturating_sub(plan.queue.len());
    plan.queue
        .extend(std::iter::repeat_n(fault, count.min(room)));
    Ok(Json(json!({"queued": plan.queue.len()})))
}

/// A mix whose probabilities are each in [0, 1] and sum to at most 1.
fn mix_from(req: &FaultRequest) -> Option<Mix> {
    let ps = [
        req.error_5xx,
        req.rate_limit,
        req.truncated,
        req.reset,
        req.slow,
    ];
    let valid = ps.iter().all(|p| (0.0..=1.0).contains(p)) && ps.iter().sum::<f64>() <= 1.0;
    let slow_millis = req.slow_millis.unwrap_or(3000);
    (valid && slow_millis <= MAX_DELAY_MS).then(|| Mix {
        rng: Rng::new(req.seed.unwrap_or(0)),
        error_5xx: req.error_5xx,
        rate_limit: req.rate_limit,
        truncated: req.truncated,
        reset: req.reset,
        slow: req.slow,
        slow_millis,
        retry_after: req.retry_after.unwrap_or(1),
    })
}

pub async fn clear(State(st): State<Shared>) -> StatusCode {
    *st.faults.lock().unwrap_or_else(|e| e.into_inner()) = FaultPlan::default();
    StatusCode::NO_CONTENT
}

pub async fn stats(State(st): State<Shared>) -> Json<Value> {
    let s = &st.stats;
    let awkward: serde_json::Map<String, Value> = st
        .world()
        .awkward
        .iter()
        .map(|(case, id)| (case.to_string(), Value::String(id.to_string())))
        .collect();
    Json(json!({
        "awkward": awkward,
        "requests": s.requests.load(Ordering::Relaxed),
        "rate_limited": s.rate_limited.load(Ordering::Relaxed),
        "writes": s.writes.load(Ordering::Relaxed),
        "faults_injected": s.faults_injected.load(Ordering::Relaxed),
    }))
}

/// The injected error response for `code`.
pub fn error_response(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (category, message) = match code {
        502 => ("INTERNAL_ERROR", "Bad Gateway"),
        503 => (
            "SERVICE_UNAVAILABLE",
            "Service Unavailable. Please try again later.",
        ),
        504 => ("INTERNAL_ERROR", "Gateway Timeout"),
        500..=599 => ("INTERNAL_ERROR", "internal error"),
        429 => (
            "RATE_LIMITS",
            "You have reached your ten_secondly_rolling limit.",
        ),
        _ => ("VALIDATION_ERROR", "Injected client error"),
    };
    ApiError::new(status, category, message).into_response()
}

/// A 429 asking the client to wait `secs`.
pub fn rate_limited(secs: u64) -> Response {
    let mut resp = error_response(429);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    resp
}

/// Send the headers and half the body, then break the stream: the server drops the
/// connection and the client sees it end mid-body, as with a reset behind a proxy.
pub async fn reset(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let half = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, Body::new(BrokenBody(Some(half))))
}

/// A body that yields its bytes and then fails.
struct BrokenBody(Option<Bytes>);

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(match self.0.take() {
            Some(data) => Ok(Frame::data(data)),
            None => Err(std::io::ErrorKind::ConnectionReset.into()),
        }))
    }
}

/// Keep the real response's headers but cut its body in half and call it a 200.
pub async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..(bytes.len() / 2).max(1).min(bytes.len()));
    parts.status = StatusCode::OK;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(cut))
}
