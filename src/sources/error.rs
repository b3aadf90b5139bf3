//! Typed failures of a vendor call, phrased for the footer.

use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum SourceError {
    #[error("token rejected (401): {message}")]
    Unauthorized { message: String },
    #[error("rate limited (429); retrying in {}s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    #[error("{status} {category}: {message}")]
    Api {
        status: u16,
        category: String,
        message: String,
    },
    #[error("timed out waiting for the server")]
    Timeout,
    #[error(
        "cannot connect to {url}: {reason} — is the server running? check --hubspot-url \
         (or the source's base_url in the config)"
    )]
    Connect { url: String, reason: String },
    #[error("malformed response: {0}")]
    Malformed(String),
    #[error("bad configuration: {0}")]
    Config(String),
}

impl SourceError {
    /// Worth trying again later: the vendor may answer differently next time.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::RateLimited { .. }
            | SourceError::Timeout
            | SourceError::Connect { .. }
            | SourceError::Malformed(_) => true,
            SourceError::Api { status, .. } => *status >= 500,
            SourceError::Unauthorized { .. } | SourceError::Config(_) => false,
        }
    }
}
