//! A journal of the requests clients sent, for tests that check each request against the
//! vendor's API description (`GET /_sim/requests`). Off unless `SimOptions::journal` asks
//! for it: a benchmark's million requests are not kept.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;

/// Bodies larger than this are not journalled (nor accepted: HubSpot caps bodies too).
const BODY_LIMIT: usize = 4 << 20;

/// One request as the client sent it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub method: String,
    pub path: String,
    /// The raw query string (`limit=50&after=…`), empty without one.
    pub query: String,
    /// The JSON body, `Null` without one (or when it is not JSON).
    pub body: Value,
}

/// Record the request if the journal is on, then pass it on unchanged.
pub async fn record(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let Some(journal) = &st.journal else {
        return next.run(req).await;
    };
    if req.uri().path().starts_with("/_sim") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return super::error::ApiError::validation("request body too large").into_response();
        }
    };
    let entry = Entry {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    };
    journal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(entry);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// `GET /_sim/requests`: every journalled request, oldest first.
pub async fn list(State(st): State<Shared>) -> Json<Value> {
    let entries = match &st.journal {
        Some(j) => j.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        None => Vec::new(),
    };
    let out: Vec<Value> = entries
        .into_iter()
        .map(|e| json!({ "method": e.method, "path": e.path, "query": e.query, "body": e.body }))
        .collect();
    Json(json!({ "enabled": st.journal.is_some(), "requests": out }))
}
