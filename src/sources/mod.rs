//! One module per vendor: plain HTTP through one long-lived `reqwest::Client` each.
//! Nothing here knows about the terminal.

pub mod backoff;
pub mod error;
pub mod http;
pub mod hubspot;
pub mod joined;
pub mod marketo;
pub mod port;
pub mod ranges;
pub mod retry;
pub mod salesforce;
mod secret;
pub mod wait;

pub use error::SourceError;
pub use port::{Connector, Cursor, Deleted, LoadProgress, Reference, Vendor};
pub use retry::{RetryHook, RetryPolicy};
pub use secret::Secret;

/// A note's body as written to any vendor: its tags line carries `ref=<action key>`, so a
/// retry after an ambiguous failure can find whether the note landed.
pub fn note_body(kind: &crate::domain::feedback::NoteKind, key: &str) -> String {
    let body = kind.to_body();
    match body.split_once('\n') {
        Some((tags, rest)) => format!("{tags} ref={key}\n{rest}"),
        None => format!("{body} ref={key}"),
    }
}

/// A Marketo client for the MAP beside a CRM ([`Connector::salesforce_marketo`]): the REST
/// API at `base_url`, its identity service at `identity_url` (else the same host).
pub fn marketo_client(
    base_url: &str,
    identity_url: Option<&str>,
    client_id: &str,
    secret: Secret,
    secret_env: &str,
) -> Result<marketo::Marketo, SourceError> {
    marketo::Marketo::new(base_url, identity_url, client_id, secret, secret_env)
}
