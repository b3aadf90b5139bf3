//! One module per vendor: plain HTTP through one long-lived `reqwest::Client` each.
//! Nothing here knows about the terminal.

pub mod backoff;
pub mod error;
pub mod http;
pub mod hubspot;
pub mod port;
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
