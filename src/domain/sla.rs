//! SLA timers: the promises each team makes the other, measured per lead.

use chrono::{DateTime, Duration, Utc};

use super::business_hours::BusinessCalendar;
use super::lead::Lead;
use super::stage::{Stage, Team};

/// Whether an SLA's clock runs only in business hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Business,
    Calendar,
}

impl Clock {
    pub fn between(
        self,
        cal: &BusinessCalendar,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Duration {
        match self {
            Clock::Business => cal.between(from, to),
            Clock::Calendar => to - from,
        }
    }

    pub fn add(
        self,
        cal: &BusinessCalendar,
        from: DateTime<Utc>,
        amount: Duration,
    ) -> DateTime<Utc> {
        match self {
            Clock::Business => cal.add(from, amount),
            Clock::Calendar => from + amount,
        }
    }
}

/// What satisfies an SLA before it runs out (besides the lead leaving the stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopWhen {
    /// Only leaving the watched stage stops the clock.
    LeavesStage,
    /// A sales activity after the clock started.
    SalesActivity,
    /// A marketing touch after the clock started.
    MarketingTouch,
}

/// One shared promise: a lead in `stage` must see `stop` within `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaDef {
    pub id: String,
    pub label: String,
    pub stage: Stage,
    pub team: Team,
    pub limit: Duration,
    pub clock: Clock,
    /// Fraction of the limit after which the timer is a warning.
    pub warn_at: f64,
    pub stop: StopWhen,
}

/// The default SLAs (documented in the README).
pub fn default_slas() -> Vec<SlaDef> {
    vec![
        SlaDef {
            id: "mql_response".into(),
            label: "accept or reject an MQL".into(),
            stage: Stage::Mql,
            team: Team::Sales,
            limit: Duration::hours(4),
            clock: Clock::Business,
            warn_at: 0.75,
            stop: StopWhen::LeavesStage,
        },
        SlaDef {
            id: "first_touch".into(),
            label: "first sales touch after accepting".into(),
            stage: Stage::Sal,
            team: Team::Sales,
            limit: Duration::hours(24),
            clock: Clock::Business,
            warn_at: 0.75,
            stop: StopWhen::SalesActivity,
        },
        SlaDef {
            id: "nurture_pickup".into(),
            label: "marketing touch after a recycle".into(),
            stage: Stage::Nurture,
            team: Team::Marketing,
            limit: Duration::days(14),
            clock: Clock::Calendar,
            warn_at: 0.75,
            stop: StopWhen::MarketingTouch,
        },
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SlaState {
    Running,
    Warning,
    Breached,
}

/// A running clock for one lead under one SLA. Instants are fixed, so state at any `now`
/// is two comparisons and the UI can count down without recomputing the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaTimer {
    /// Index into the SLA definitions.
    pub sla: usize,
    pub lead_id: String,
    pub started_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

impl SlaTimer {
    pub fn state(&self, now: DateTime<Utc>) -> SlaState {
        if now >= self.due_at {
            SlaState::Breached
        } else if now >= self.warn_at {
            SlaState::Warning
        } else {
            SlaState::Running
        }
    }

    /// Time left (negative once overdue), measured on the SLA's own clock.
    pub fn remaining(&self, def: &SlaDef, cal: &BusinessCalendar, now: DateTime<Utc>) -> Duration {
        def.clock.between(cal, now, self.due_at)
    }
}

/// Start the lead's clock under `def`, unless the lead is not in the watched stage or the
/// SLA was already met.
pub fn timer_for(
    index: usize,
    def: &SlaDef,
    lead: &Lead,
    cal: &BusinessCalendar,
) -> Option<SlaTimer> {
    if lead.stage != Some(def.stage) {
        return None;
    }
    let started_at = lead.entered_current_stage()?;
    let met = match def.stop {
        StopWhen::LeavesStage => false,
        StopWhen::SalesActivity => lead
            .dates
            .last_sales_activity
            .is_some_and(|t| t > started_at),
        StopWhen::MarketingTouch => lead
            .dates
            .last_marketing_touch
            .is_some_and(|t| t > started_at),
    };
    if met {
        return None;
    }
    let warn = Duration::milliseconds((def.limit.num_milliseconds() as f64 * def.warn_at) as i64);
    Some(SlaTimer {
        sla: index,
        lead_id: lead.id.clone(),
        started_at,
        warn_at: def.clock.add(cal, started_at, warn),
        due_at: def.clock.add(cal, started_at, def.limit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::tests_support::lead_in;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn mql_response_counts_business_hours_over_the_weekend() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Mql);
        // MQL on Friday 15:00: 2h left that day, due Monday 11:00; warn after 3h → Mon 10:00.
        lead.dates.mql = Some(at("2026-11-20T15:00:00Z"));
        let t = timer_for(0, &defs[0], &lead, &cal).unwrap();
        assert_eq!(t.due_at, at("2026-11-23T11:00:00Z"));
        assert_eq!(t.warn_at, at("2026-11-23T10:00:00Z"));
        assert_eq!(t.state(at("2026-11-21T12:00:00Z")), SlaState::Running);
        assert_eq!(t.state(at("2026-11-23T10:30:00Z")), SlaState::Warning);
        assert_eq!(t.state(at("2026-11-23T12:12:00Z")), SlaState::Breached);
        assert_eq!(
            t.remaining(&defs[0], &cal, at("2026-11-23T12:12:00Z")),
            -Duration::minutes(72)
        );
    }

    #[test]
    fn first_touch_stops_on_a_later_sales_activity_only() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Sal);
        lead.dates.accepted = Some(at("2026-11-18T10:00:00Z"));
        lead.dates.last_sales_activity = Some(at("2026-11-17T10:00:00Z"));
        let t = timer_for(1, &defs[1], &lead, &cal).expect("old activity does not count");
        // 24 business hours = three full working days.
        assert_eq!(t.due_at, at("2026-11-23T10:00:00Z"));
        lead.dates.last_sales_activity = Some(at("2026-11-18T11:00:00Z"));
        assert!(timer_for(1, &defs[1], &lead, &cal).is_none());
    }

    #[test]
    fn nurture_pickup_is_calendar_time() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Nurture);
        lead.dates.inquiry = Some(at("2026-11-01T08:00:00Z"));
        let t = timer_for(2, &defs[2], &lead, &cal).unwrap();
        assert_eq!(t.due_at, at("2026-11-15T08:00:00Z"));
        lead.dates.last_marketing_touch = Some(at("2026-11-02T08:00:00Z"));
        assert!(timer_for(2, &defs[2], &lead, &cal).is_none());
    }

    #[test]
    fn only_the_watched_stage_runs_a_clock() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Sql);
        lead.dates.mql = Some(at("2026-11-20T15:00:00Z"));
        assert!(timer_for(0, &defs[0], &lead, &cal).is_none());
    }
}
