//! HubSpot's error body, and extractors that fail with it.
//!
//! Every failure a client can see (bad JSON, bad query, unknown route, validation) must carry
//! HubSpot's `{"status":"error","message",…,"correlationId","category"}` body, because the
//! real connector parses that body to decide whether to retry, re-auth or give up. Axum's
//! default plain-text rejections would teach the connector the wrong thing.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::sim::rng::mix;
use crate::sim::world::write::{PropError, WriteError};

/// Portal id reported in validation details.
pub const PORTAL_ID: u64 = 24_681_357;

static CORRELATION: AtomicU64 = AtomicU64::new(1);

/// A fresh uuid-shaped correlation id (deterministic per process, unique per response).
pub fn correlation_id() -> String {
    let n = CORRELATION.fetch_add(1, Ordering::Relaxed);
    let (a, b) = (mix(n), mix(n ^ 0xA5A5_A5A5));
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, category: &str, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("status".into(), json!("error"));
        body.insert("message".into(), json!(message.into()));
        body.insert("correlationId".into(), json!(correlation_id()));
        body.insert("category".into(), json!(category));
        ApiError { status, body }
    }

    /// Add a field such as `context`, `errors` or `subCategory`.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", message)
    }

    pub fn object_not_found(id: &str) -> Self {
        Self::not_found("Object not found.  objectId are usually numeric.")
            .with("context", json!({"id": [id]}))
    }

    /// HubSpot's "Property values were not valid" error, with the per-property details
    /// JSON-encoded inside the message exactly as the real API does.
    pub fn props(errors: &[PropError]) -> Self {
        let details: Vec<Value> = errors
            .iter()
            .map(|e| {
                json!({"isValid": false, "message": e.message, "error": e.error, "name": e.name,
                       "localizedErrorMessage": e.message, "portalId": PORTAL_ID})
            })
            .collect();
        let message = format!("Property values were not valid: {}", Value::Array(details));
        let structured: Vec<Value> = errors
            .iter()
            .map(|e| json!({"message": e.message, "code": e.error, "context": {"propertyName": [e.name]}}))
            .collect();
        Self::validation(message).with("errors", Value::Array(structured))
    }

    pub fn from_write(e: WriteError, id: &str) -> Self {
        match e {
            WriteError::NotFound => Self::object_not_found(id),
            WriteError::Invalid(errs) => Self::props(&errs),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(Value::Object(self.body))).into_response()
    }
}

/// JSON body extractor that rejects with HubSpot's error body.
pub struct HsJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for HsJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::validation(e.body_text()))?;
        serde_json::from_slice(&bytes).map(HsJson).map_err(|e| {
            ApiError::validation(format!(
                "Invalid input JSON on line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })
    }
}

/// Query string as ordered pairs, so repeated `properties=` params survive.
pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| ApiError::validation(format!("Invalid query string: {}", e.body_text())))
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a multi-valued param, accepting both `a,b` and repeated `k=a&k=b`.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        let vals: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        self.0.iter().any(|(k, _)| k == key).then_some(vals)
    }

    /// An integer param within `lo..=hi`, or HubSpot's validation error.
    pub fn int(&self, key: &str, default: usize, lo: usize, hi: usize) -> Result<usize, ApiError> {
        let Some(raw) = self.get(key) else {
            return Ok(default);
        };
        match raw.parse::<usize>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n),
            _ => Err(ApiError::validation(format!(
                "Invalid value for '{key}': {raw}. It must be an integer between {lo} and {hi}."
            ))),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// 404 for routes HubSpot does not have.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        format!("No route found for {} {}", req.method(), req.uri().path()),
    )
}

pub async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "VALIDATION_ERROR",
        format!(
            "Method {} is not supported on {}",
            req.method(),
            req.uri().path()
        ),
    )
}
