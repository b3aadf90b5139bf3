//! The cockpit's panes and dialogs. State is owned by the app loop; nothing here does I/O.
//!
//! Layers: `widgets/` (leaf helpers) ← `panes/` and `dialogs/` (one file each) ← `keys.rs`
//! (dispatch through the one key table in `keymap.rs`) and `layout.rs` (the frame).
//!
//! The app calls [`UiState::handle_key`] for every key, [`UiState::on_data_changed`] after
//! every store/snapshot rebuild, and [`draw`] whenever something changed. Drawing never reads
//! the clock (`ctx.now` is the only time) and only builds rows for what is on screen.

pub mod dialogs;
mod keymap;
mod keys;
mod layout;
pub mod panes;
mod state;
pub mod widgets;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod test_screen;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_feedback;
#[cfg(test)]
mod tests_fixes;
#[cfg(test)]
mod tests_layers;
#[cfg(test)]
mod tests_newcomer;
#[cfg(test)]
mod tests_numbers;
#[cfg(test)]
mod tests_outbox;
#[cfg(test)]
mod tests_respond;
#[cfg(test)]
mod tests_sources;
#[cfg(test)]
mod tests_standup;
#[cfg(test)]
mod tests_whatif;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::action::ActionKind;
use crate::domain::snapshot::Snapshot;
use crate::store::Store;
use crate::sync::{OutboxEntry, SourceHealth};

pub use keymap::markdown_table as key_table_markdown;
pub use layout::draw;
pub use state::UiState;

/// Everything a frame or a key press may read. Borrowed from the app for one call.
pub struct ViewCtx<'a> {
    pub store: &'a Store,
    /// Rebuilt by the app after each data change.
    pub snapshot: &'a Snapshot,
    /// The teams' definitions: stages, SLAs, calendar, coverage, recycle reasons.
    pub config: &'a Config,
    /// One per source (HubSpot for now).
    pub health: &'a [SourceHealth],
    /// Actions, newest last.
    pub outbox: &'a [OutboxEntry],
    /// The only clock the UI sees.
    pub now: DateTime<Utc>,
    /// Show a "SIMULATED DATA" badge.
    pub simulated: bool,
    /// The outbox is a file: unsent actions survive a quit and go out at the next start.
    pub durable_outbox: bool,
    /// The lens every pane follows ("everyone", "me (Tom Okonkwo)", "EMEA ent").
    pub lens: &'a str,
    /// The CRM owner the user maps to (accepting an MQL makes it theirs).
    pub me: Option<&'a str>,
    /// Every lead, whatever the lens, and a person or team lens's rule: the standup's flows
    /// count events by the owner right after them (metrics.md §6).
    pub everyone: &'a Store,
    pub by_owner: Option<&'a crate::domain::lens::ByOwner>,
    /// `[notify] command`'s runs (`None`: not configured).
    pub notify: Option<&'a crate::store::outbox::notify::NoticeStatus>,
    /// A proposed definitions file, for the what-if view (`None`: none given).
    pub proposed: Option<&'a Config>,
    /// The config itself, targets included, whatever the lens (`config` drops them under one).
    pub full_config: &'a Config,
}

impl ViewCtx<'_> {
    /// Whether every source has a complete load (just now, or in the cache). Until then
    /// counts and KPIs would read low and paces would fire, so panes say "loading" or "—".
    pub fn loaded(&self) -> bool {
        !self.health.is_empty() && self.health.iter().all(|h| h.loaded)
    }
}

/// What the UI asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Quit,
    Refresh,
    /// Show KPIs for another period.
    SetPeriod(crate::domain::kpi::PeriodKind),
    /// An action the user confirmed; the app gives it an id and sends it to the outbox.
    Submit {
        lead_id: String,
        lead_name: String,
        kind: ActionKind,
        /// A hand-off's rotation and the turn its owner was proposed from.
        turn: Option<(String, usize)>,
    },
    /// Change an outbox entry (from the outbox view).
    Outbox(OutboxOp),
    /// Undo this hand-off, accept, reject or recycle (`u`).
    Undo(u64),
    /// The next lens (`L`).
    NextLens,
    PrevLens,
}

/// What the user decided about one outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxOp {
    /// Drop it: not sent yet, or a conflict the user does not want sent.
    Cancel(u64),
    /// A conflict: send it over the record as it is now.
    Confirm(u64),
    /// A failed entry: try again from its first unconfirmed step.
    Retry(u64),
}
