//! The cache's day history: each lead's stage, owner and SLA state, written when it moved
//! (at most every few minutes), and held back until a start's first frame is drawn.

use super::{App, cache};

impl App {
    /// Keep today's row of each lead in the cache's history, at most every few minutes and
    /// only from complete data (a half-loaded pipeline would read as leads vanishing).
    pub(super) fn record_history(&mut self) {
        const EVERY: chrono::Duration = chrono::Duration::minutes(10);
        if self.history_on_hold {
            self.history_held = true;
            return;
        }
        let m = &self.model;
        let complete = !m.health.is_empty() && m.health.iter().all(|h| h.loaded);
        let due = self
            .history_at
            .is_none_or(|t| m.now - t >= EVERY || t.date_naive() != m.now.date_naive());
        // Under a lens the snapshot counts the lens's leads, by their places in its own
        // store: the history waits for the whole pipeline's.
        let lensed = m.lensed.is_some();
        if self.cache.is_none() || !complete || !due || lensed {
            return;
        }
        let rows = cache::day_rows(&m.store, &m.snapshot, m.now, &mut self.history_written);
        self.history_at = Some(m.now);
        if !rows.is_empty() {
            self.write_through(|| cache::Write::Day(m.now.date_naive(), rows));
        }
    }

    /// Hold the day history until [`release_history`](Self::release_history): the terminal
    /// loop draws its first frame first.
    pub fn hold_history(&mut self) {
        self.history_on_hold = true;
    }

    /// Write the day history held back, if one came due.
    pub fn release_history(&mut self) {
        self.history_on_hold = false;
        if std::mem::take(&mut self.history_held) {
            self.record_history();
        }
    }
}
