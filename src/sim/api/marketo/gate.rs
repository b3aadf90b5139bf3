//! Marketo's identity service and the admission every REST call passes: an access token
//! issued by `/identity/oauth/token` and not yet expired (else 601 / 602), at most 100
//! calls per 20 s (606), a daily quota (607) and at most 10 calls at once (615). Marketo
//! answers all of these with HTTP 200 and `success: false`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::api::Shared;

/// The client id the simulated identity service knows; the secret is the sim's token.
pub const CLIENT_ID: &str = "tandem-sim";
/// Calls per rolling window before 606, at HubSpot's default burst (scaled with `--burst`).
pub const CALLS: u32 = 100;
pub const WINDOW: Duration = Duration::from_secs(20);
pub const CONCURRENT: usize = 10;
pub const DAILY_QUOTA: u64 = 50_000;

pub struct MarketoState {
    /// Issued access tokens and when each expires.
    tokens: Mutex<HashMap<String, Instant>>,
    issued: AtomicU64,
    pub token_ttl: Duration,
    hits: Mutex<VecDeque<Instant>>,
    max_calls: u32,
    pub daily: AtomicU64,
    pub daily_quota: u64,
    in_flight: AtomicUsize,
    /// Static list memberships (list id → lead ids), written by `POST lists/{id}/leads`.
    pub lists: Mutex<HashMap<u64, std::collections::BTreeSet<u64>>>,
    /// The activity log, in time order.
    pub log: super::log::Logs,
}

impl MarketoState {
    /// `burst` is the sim's HubSpot burst: Marketo's 100 calls scale with it, so `--burst`
    /// lifts both limits alike; `calls` sets them outright.
    pub fn new(burst: u32, calls: Option<u32>, token_ttl: Duration) -> Self {
        let scaled = (u64::from(burst) * u64::from(CALLS) / 190).clamp(1, u64::from(u32::MAX));
        let max_calls = calls.map_or(scaled, u64::from);
        MarketoState {
            tokens: Mutex::new(HashMap::new()),
            issued: AtomicU64::new(0),
            token_ttl,
            hits: Mutex::new(VecDeque::new()),
            max_calls: max_calls as u32,
            daily: AtomicU64::new(0),
            daily_quota: DAILY_QUOTA.max(u64::from(burst) * 500),
            in_flight: AtomicUsize::new(0),
            lists: Mutex::new(HashMap::new()),
            log: Default::default(),
        }
    }
}

/// A Marketo envelope answer: HTTP 200 with `success` and `requestId`.
pub fn envelope(mut body: Value) -> Response {
    let n = rand_id();
    body["requestId"] = json!(format!("{n:x}#{:x}", n.rotate_left(17)));
    (StatusCode::OK, Json(body)).into_response()
}

fn rand_id() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0x5eed);
    N.fetch_add(0x9e37_79b9, Ordering::Relaxed)
}

/// `success: false` with one error; the code is a quoted integer, as Marketo sends it.
pub fn failure(code: u32, message: &str) -> Response {
    envelope(json!({
        "success": false,
        "errors": [{ "code": code.to_string(), "message": message }],
    }))
}

/// `GET /identity/oauth/token?grant_type=client_credentials&client_id=…&client_secret=…`.
pub async fn token(State(st): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") != "client_credentials" {
        let body =
            json!({ "error": "invalid_request", "error_description": "Unsupported grant type" });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    if get("client_id") != CLIENT_ID || get("client_secret") != st.token {
        let body =
            json!({ "error": "unauthorized", "error_description": "Bad client credentials" });
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    let m = &st.marketo;
    let n = m.issued.fetch_add(1, Ordering::Relaxed);
    let access = format!("{:08x}-{n:04x}-sim:ab", rand_id() as u32);
    m.tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(access.clone(), Instant::now() + m.token_ttl);
    let body = json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": m.token_ttl.as_secs(),
        "scope": "api@tandem-sim.example",
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// A call admitted past the gate; counts against the concurrency limit until dropped.
pub struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Admit one REST call, or Marketo's refusal.
pub fn admit<'a>(st: &'a Shared, headers: &HeaderMap) -> Result<Admitted<'a>, Box<Response>> {
    let m = &st.marketo;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let now = Instant::now();
    {
        let tokens = m.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match bearer.and_then(|t| tokens.get(t)) {
            None => return Err(Box::new(failure(601, "Access token invalid"))),
            Some(expiry) if *expiry <= now => {
                return Err(Box::new(failure(602, "Access token expired")));
            }
            Some(_) => {}
        }
    }
    if m.daily.load(Ordering::Relaxed) >= m.daily_quota {
        return Err(Box::new(failure(607, "Daily quota reached")));
    }
    {
        let mut hits = m.hits.lock().unwrap_or_else(|e| e.into_inner());
        while hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            hits.pop_front();
        }
        if hits.len() as u32 >= m.max_calls {
            return Err(Box::new(failure(
                606,
                "Max rate limit '100' exceeded with in '20' secs",
            )));
        }
        hits.push_back(now);
    }
    if m.in_flight.fetch_add(1, Ordering::Relaxed) >= CONCURRENT {
        m.in_flight.fetch_sub(1, Ordering::Relaxed);
        return Err(Box::new(failure(615, "Concurrent access limit reached")));
    }
    m.daily.fetch_add(1, Ordering::Relaxed);
    Ok(Admitted(&m.in_flight))
}
