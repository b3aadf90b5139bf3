//! Pollers, one task per source, and the outbox that carries actions back to the vendors.

pub mod load;
pub mod reconcile;
pub mod saga;
pub mod status;
mod versions;
pub mod worker;

pub use load::{LoadProgress, Reference, full_load, load_all, load_reference, load_store};
pub use reconcile::Ledger;
pub use status::{ActionStatus, OutboxEntry, Part, Reconciled, SourceHealth};
pub use worker::{SourceCommand, SyncEvent, spawn, spawn_resuming};
