//! Bearer-token check, as for a HubSpot private app.
//!
//! HubSpot answers a missing or unknown token with the same 401 body; the connector keys
//! off `category: INVALID_AUTHENTICATION` to stop and ask the user for a new token.

use axum::http::{HeaderMap, StatusCode, header};

use super::error::ApiError;

const MESSAGE: &str = "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

pub fn check(headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match presented {
        Some(t) if t == token => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTHENTICATION",
            MESSAGE,
        )),
    }
}
