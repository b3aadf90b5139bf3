//! One module per vendor: plain HTTP through one long-lived `reqwest::Client` each.
//! Nothing here knows about the terminal.

pub mod backoff;
pub mod error;
pub mod hubspot;
mod secret;
pub mod wait;

pub use error::SourceError;
pub use secret::Secret;
