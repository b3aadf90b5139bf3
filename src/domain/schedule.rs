//! Time alone. Between data changes only a few figures move with the clock: funnel leakage
//! (a clock reaching its due time) and pro-rated targets (stepping up a whole count), until
//! the period ends and every figure is counted over a new one. A snapshot knows the next
//! instant any of them moves, and brings them up to date in place, so the cockpit neither
//! rebuilds every minute nor shows a figure late.
//!
//! Countdowns and warn/breach colours are worked out from `now` at each draw, never held.

use chrono::{DateTime, Duration, Utc};

use super::business_hours::BusinessCalendar;
use super::kpi::{self, KpiValue};
use super::snapshot::Snapshot;

impl Snapshot {
    /// Bring what moves with time alone up to `now`. `false` when `now` is outside the
    /// snapshot's period: every figure is then over another period, so rebuild.
    pub fn advance(&mut self, cal: &BusinessCalendar, now: DateTime<Utc>) -> bool {
        let Some(period) = self.period else {
            return false;
        };
        if now < period.start || now >= period.end {
            return false;
        }
        for k in &mut self.kpis {
            if k.id == kpi::LEAKAGE {
                let at = period.end.min(now);
                let leaking = self.board.urgent().partition_point(|due| *due <= at);
                k.value = KpiValue::Count(leaking as u64);
            }
            k.target_by_now = kpi::target_by_now(k.target, k.accrues, cal, period, now);
        }
        // The sparklines end on the current period.
        for k in &self.kpis {
            if let Some(last) = self.kpi_history.get_mut(k.id).and_then(|h| h.last_mut()) {
                *last = k.shown();
            }
        }
        true
    }

    /// The first instant after `now` at which time alone changes this snapshot: the next
    /// clock due (leakage), the next step of a pro-rated target, or the period's end.
    /// Built at any instant before it, the snapshot is the same as this one.
    pub fn next_change(&self, cal: &BusinessCalendar, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let period = self.period?;
        let mut next = period.end;
        // Timers are held soonest due first.
        let due = self.board.timers.partition_point(|t| t.due_at <= now);
        if let Some(t) = self.board.timers.get(due) {
            next = next.min(t.due_at);
        }
        for k in &self.kpis {
            let at_now = kpi::target_by_now(k.target, k.accrues, cal, period, now);
            let moved = |t| kpi::target_by_now(k.target, k.accrues, cal, period, t) != at_now;
            if at_now.is_some()
                && let Some(at) = first_instant(now, next, moved)
            {
                next = at;
            }
        }
        Some(next)
    }
}

/// The first millisecond in `(from, to]` at which `moved` holds, for a `moved` that stays
/// true once it is (a target only steps up). `None` if it does not hold by `to`.
fn first_instant(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    moved: impl Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    if to <= from || !moved(to) {
        return None;
    }
    let (mut lo, mut hi) = (from, to);
    while hi - lo > Duration::milliseconds(1) {
        let mid = lo + (hi - lo) / 2;
        if moved(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
