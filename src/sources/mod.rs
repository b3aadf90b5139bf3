//! One module per vendor: plain HTTP through one long-lived `reqwest::Client` each.
//! Nothing here knows about the terminal.

pub mod backoff;
pub mod error;
pub mod http;
pub mod hubspot;
pub mod port;
pub mod retry;
mod secret;
pub mod wait;

pub use error::SourceError;
pub use port::{Connector, Cursor, Deleted, LoadProgress, Reference, Vendor};
pub use retry::{RetryHook, RetryPolicy};
pub use secret::Secret;
