//! Pollers, one task per source, and the outbox that carries actions back to the vendors.

pub mod status;

pub use status::{ActionStatus, OutboxEntry, SourceHealth};
