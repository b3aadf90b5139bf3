//! Typed failures of a vendor call, phrased for the footer.

use std::time::Duration;

use thiserror::Error;

/// What a HubSpot private app needs for everything tandem reads and writes. Notes and
/// associations ride on the contact and deal scopes; pipelines on the deal scope.
pub const HUBSPOT_SCOPES: &str = "crm.objects.contacts.read, crm.objects.contacts.write, \
                                  crm.objects.deals.read and crm.objects.owners.read";

#[derive(Debug, Clone, Error, PartialEq)]
pub enum SourceError {
    /// The vendor's own message is kept for the log; the user is told what to fix.
    #[error("{}", unauthorized(vendor, token_env))]
    Unauthorized {
        vendor: &'static str,
        token_env: String,
        message: String,
    },
    /// A rate limit that outlasted the retries, or asked for a longer wait than we honour.
    #[error("rate limited: {vendor} asked to wait {}", crate::sources::wait::words(*retry_after))]
    RateLimited {
        vendor: &'static str,
        retry_after: Duration,
    },
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
    /// The record moved since the user saw it; nothing was written.
    #[error("the record changed since it was shown: {0}")]
    Conflict(String),
}

/// What to fix when `vendor` refuses the token read from `token_env`.
fn unauthorized(vendor: &str, token_env: &str) -> String {
    match vendor {
        "Salesforce" => format!(
            "Salesforce refused the session (401 INVALID_SESSION_ID): the access token in \
             {token_env} has expired or was revoked; get a new one and export it again"
        ),
        "HubSpot" => format!(
            "HubSpot refused the token (401): check {token_env} and that the private app has \
             the scopes {HUBSPOT_SCOPES}"
        ),
        other => format!("{other} refused the token (401): check {token_env}"),
    }
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
            SourceError::Unauthorized { .. }
            | SourceError::Config(_)
            | SourceError::Conflict(_) => false,
        }
    }
}
