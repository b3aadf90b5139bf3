//! tandem: one shared sales + marketing pipeline in a terminal.
//!
//! Data flows one way: `sources` → `sync` → `store` → `domain` → `ui`, with `app` owning the
//! loop. Actions travel back through the outbox in `sync` to `sources`.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod memory;
pub mod report;
pub mod sim;
pub mod sources;
pub mod store;
pub mod sync;
pub mod ui;
pub mod units;
