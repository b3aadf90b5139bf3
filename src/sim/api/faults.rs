//! Fault injection and counters, for tandem's own resilience tests.
//!
//! `POST /_sim/faults` (same bearer auth as the API) queues faults that the next API requests
//! receive, in order:
//!
//! - `{"status":500,"count":2}` — answer with that status (400–599) and a HubSpot error body;
//! - `{"kind":"malformed_json","count":1}` — run the request, then answer 200 with the JSON
//!   body cut in half (a connection dropped mid-body, as seen through a proxy);
//! - `{"kind":"delay","millis":3000,"count":1}` — sleep, then answer normally (timeouts).
//!
//! `DELETE /_sim/faults` drops everything still queued. `GET /_sim/stats` returns counters
//! `{"requests":N,"rate_limited":N,"writes":N,"faults_injected":N}`. `/_sim` routes are
//! never rate limited, faulted or counted, so a test can always inspect and reset.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::error::{ApiError, HsJson};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Status(u16),
    Malformed,
    Delay(u64),
}

#[derive(Deserialize)]
pub struct FaultRequest {
    kind: Option<String>,
    status: Option<u16>,
    millis: Option<u64>,
    count: Option<u32>,
}

const MAX_QUEUED: usize = 10_000;

pub async fn add(
    State(st): State<Shared>,
    HsJson(req): HsJson<FaultRequest>,
) -> Result<Json<Value>, ApiError> {
    let fault = match (req.kind.as_deref(), req.status, req.millis) {
        (None | Some("status") | Some("error"), Some(code), _) if (400..=599).contains(&code) => {
            Fault::Status(code)
        }
        (Some("malformed_json"), _, _) => Fault::Malformed,
        (Some("delay"), _, Some(ms)) if ms <= 120_000 => Fault::Delay(ms),
        _ => {
            return Err(ApiError::validation(
                "Expected {\"status\":500..599,\"count\":n}, {\"kind\":\"malformed_json\",\"count\":n} \
                 or {\"kind\":\"delay\",\"millis\":ms,\"count\":n}",
            ));
        }
    };
    let count = req.count.unwrap_or(1) as usize;
    let mut q = st.faults.lock().unwrap_or_else(|e| e.into_inner());
    let room = MAX_QUEUED.saturating_sub(q.len());
    q.extend(std::iter::repeat_n(fault, count.min(room)));
    Ok(Json(json!({"queued": q.len()})))
}

pub async fn clear(State(st): State<Shared>) -> StatusCode {
    st.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    StatusCode::NO_CONTENT
}

pub async fn stats(State(st): State<Shared>) -> Json<Value> {
    let s = &st.stats;
    Json(json!({
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
