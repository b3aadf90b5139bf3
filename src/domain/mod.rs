//! Pure domain code: stages, SLA timers in business hours, KPIs, feedback.
//!
//! Nothing here does I/O or reads the clock: every time-dependent function takes `now`.

pub mod accounts;
pub mod action;
pub mod attribution;
pub mod board;
pub mod breach;
pub mod business_hours;
pub mod card;
pub mod catalog;
pub mod changes;
pub mod coverage;
pub mod dates;
pub mod feedback;
pub mod handoff;
pub mod history;
pub mod kpi;
pub mod lead;
pub mod lens;
pub mod moment;
pub mod pipeline;
pub mod ranked;
pub mod recycle;
pub mod reject;
pub mod replay;
pub mod rollup;
pub mod schedule;
pub mod sla;
pub mod snapshot;
pub mod stage;
pub mod sym;
pub mod text;
pub mod timeline;

pub use lead::{Dates, Deal, DealStage, Lead, LeadDates, Note, Owner};
pub use stage::{Stage, Team};
