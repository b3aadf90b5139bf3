//! SLA timers: the promises each team makes the other, measured per lead.

use chrono::{DateTime, Duration, Utc};

use super::business_hours::BusinessCalendar;
use super::lead::{Lead, List};
use super::stage::{Stage, Team};
use super::timeline::Timeline;

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
            // Past the end of time the timer simply never falls due.
            Clock::Calendar => from
                .checked_add_signed(amount)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
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
    /// Who acts on a breached lead nobody on `team` owns (e.g. "Sales queue").
    pub queue: String,
    /// How long past the breach, on the SLA's clock, before it goes up to the team's lead.
    pub escalate_after: Option<Duration>,
}

impl SlaDef {
    /// The queue name when the config gives none: "Sales queue", "Marketing queue".
    pub fn default_queue(team: Team) -> String {
        match team {
            Team::Sales => "Sales queue".into(),
            Team::Marketing => "Marketing queue".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SlaState {
    Running,
    Warning,
    Breached,
    /// Breached and unanswered past the SLA's `escalate_after`: the team's lead has it.
    Escalated,
}

impl SlaState {
    /// Breached, escalated or not.
    pub fn is_breach(self) -> bool {
        self >= SlaState::Breached
    }
}

/// A running clock for one lead under one SLA. Instants are fixed, so state at any `now`
/// is two comparisons and the UI can count down without recomputing the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaTimer {
    /// Index into the SLA definitions.
    pub sla: usize,
    pub lead_id: super::lead::LeadId,
    pub started_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// When a breach left unanswered goes up a level (`None`: the SLA never escalates).
    pub escalate_at: Option<DateTime<Utc>>,
}

impl SlaTimer {
    pub fn state(&self, now: DateTime<Utc>) -> SlaState {
        if self.escalate_at.is_some_and(|e| now >= e) {
            SlaState::Escalated
        } else if now >= self.due_at {
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

/// The lead's clock under `def` now: from its latest entry into the watched stage on its
/// timeline, unless it is elsewhere or the SLA was already met.
pub fn timer_for(
    index: usize,
    def: &SlaDef,
    lead: &Lead,
    timeline: &Timeline,
    cal: &BusinessCalendar,
) -> Option<SlaTimer> {
    if lead.stage != Some(def.stage) {
        return None;
    }
    let started_at = match timeline.stages.last() {
        Some((at, stage)) if *stage == lead.stage => *at,
        _ => lead.entered_current_stage()?,
    };
    clock(index, def, lead, started_at, None, cal)
}

/// The lead's clock under `def` as it stood at `t` (metrics.md §5): its stage then, from
/// its entry into that stage, stopped only by what happened by `t`.
pub fn clock_at(
    index: usize,
    def: &SlaDef,
    lead: &Lead,
    timeline: &Timeline,
    cal: &BusinessCalendar,
    t: DateTime<Utc>,
) -> Option<SlaTimer> {
    if timeline.stage_at(t) != Some(def.stage) {
        return None;
    }
    let started_at = timeline.entered_at(t)?;
    clock(index, def, lead, started_at, Some(t), cal)
}

fn clock(
    index: usize,
    def: &SlaDef,
    lead: &Lead,
    started_at: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    cal: &BusinessCalendar,
) -> Option<SlaTimer> {
    let met = match def.stop {
        StopWhen::LeavesStage => false,
        StopWhen::SalesActivity => touched(
            lead.history.sales_touches(),
            [
                lead.dates.first_sales_activity(),
                lead.dates.last_sales_activity(),
            ],
            started_at,
            until,
        ),
        StopWhen::MarketingTouch => touched(
            lead.history.marketing_touches(),
            [None, lead.dates.last_marketing_touch()],
            started_at,
            until,
        ),
    };
    if met {
        return None;
    }
    // The float-to-int cast saturates; the checked constructor refuses what is left out of range.
    let warn =
        Duration::try_milliseconds((def.limit.num_milliseconds() as f64 * def.warn_at) as i64)
            .unwrap_or(def.limit);
    let due_at = def.clock.add(cal, started_at, def.limit);
    Some(SlaTimer {
        sla: index,
        lead_id: lead.id.clone(),
        started_at,
        warn_at: def.clock.add(cal, started_at, warn),
        due_at,
        escalate_at: def
            .escalate_after
            .map(|after| def.clock.add(cal, due_at, after)),
    })
}

/// The first instant after `from` that meets `def` (the touch that stops its clock), read
/// as [`clock_at`] reads it: `None` for an SLA met only by leaving the stage, or no touch yet.
pub fn met_after(def: &SlaDef, lead: &Lead, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (history, dated): (List<'_, DateTime<Utc>>, [Option<DateTime<Utc>>; 2]) = match def.stop {
        StopWhen::LeavesStage => return None,
        StopWhen::SalesActivity => (
            lead.history.sales_touches(),
            [
                lead.dates.first_sales_activity(),
                lead.dates.last_sales_activity(),
            ],
        ),
        StopWhen::MarketingTouch => (
            lead.history.marketing_touches(),
            [None, lead.dates.last_marketing_touch()],
        ),
    };
    if history.is_empty() {
        dated.into_iter().flatten().filter(|t| *t > from).min()
    } else {
        history.first_after(from)
    }
}

/// Whether a touch falls after `from` and by `until`: from the vendor's dated history of
/// every touch, or, for want of it, the first and latest touches it dates.
fn touched(
    history: List<'_, DateTime<Utc>>,
    dated: [Option<DateTime<Utc>>; 2],
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> bool {
    if history.is_empty() {
        let within = |t: &DateTime<Utc>| *t > from && until.is_none_or(|u| *t <= u);
        dated.iter().flatten().any(within)
    } else {
        history.any_within(from, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::tests_support::lead_in;

    /// The built-in SLAs: mql_response, first_touch, nurture_pickup.
    fn default_slas() -> Vec<SlaDef> {
        crate::config::Config::builtin().slas
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn mql_response_counts_business_hours_over_the_weekend() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Mql);
        // MQL on Friday 15:00: 2h left that day, due Monday 11:00; warn after 3h → Mon 10:00.
        lead.dates.set_mql(Some(at("2026-11-20T15:00:00Z")));
        let t = timer_for(0, &defs[0], &lead, &Timeline::default(), &cal).unwrap();
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
        lead.dates.set_accepted(Some(at("2026-11-18T10:00:00Z")));
        lead.dates
            .set_last_sales_activity(Some(at("2026-11-17T10:00:00Z")));
        let t = timer_for(1, &defs[1], &lead, &Timeline::default(), &cal)
            .expect("old activity does not count");
        // 24 business hours = three full working days.
        assert_eq!(t.due_at, at("2026-11-23T10:00:00Z"));
        lead.dates
            .set_last_sales_activity(Some(at("2026-11-18T11:00:00Z")));
        assert!(timer_for(1, &defs[1], &lead, &Timeline::default(), &cal).is_none());
    }

    #[test]
    fn nurture_pickup_is_calendar_time() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Nurture);
        lead.dates.set_inquiry(Some(at("2026-11-01T08:00:00Z")));
        let t = timer_for(2, &defs[2], &lead, &Timeline::default(), &cal).unwrap();
        assert_eq!(t.due_at, at("2026-11-15T08:00:00Z"));
        lead.dates
            .set_last_marketing_touch(Some(at("2026-11-02T08:00:00Z")));
        assert!(timer_for(2, &defs[2], &lead, &Timeline::default(), &cal).is_none());
    }

    #[test]
    fn a_calendar_limit_past_the_end_of_time_never_falls_due() {
        let cal = BusinessCalendar::default();
        let mut def = default_slas().remove(2);
        def.limit = Duration::MAX;
        let mut lead = lead_in(Stage::Nurture);
        lead.dates.set_inquiry(Some(at("2026-11-01T08:00:00Z")));
        let t = timer_for(2, &def, &lead, &Timeline::default(), &cal).expect("a running timer");
        assert_eq!(t.due_at, DateTime::<Utc>::MAX_UTC);
        assert_eq!(t.state(at("2030-01-01T00:00:00Z")), SlaState::Running);
        // Nor does a warn fraction config would refuse, whose warn instant is out of range.
        def.warn_at = -1.0;
        assert!(timer_for(2, &def, &lead, &Timeline::default(), &cal).is_some());
    }

    #[test]
    fn an_unanswered_breach_escalates_on_the_slas_own_clock() {
        let cal = BusinessCalendar::default();
        let mut def = default_slas().remove(0);
        def.escalate_after = Some(Duration::hours(2));
        let mut lead = lead_in(Stage::Mql);
        // MQL Friday 15:00, due Monday 11:00; two more business hours: Monday 13:00.
        lead.dates.set_mql(Some(at("2026-11-20T15:00:00Z")));
        let t = timer_for(0, &def, &lead, &Timeline::default(), &cal).unwrap();
        assert_eq!(t.escalate_at, Some(at("2026-11-23T13:00:00Z")));
        assert_eq!(t.state(at("2026-11-23T12:59:59Z")), SlaState::Breached);
        assert_eq!(t.state(at("2026-11-23T13:00:00Z")), SlaState::Escalated);
        assert!(SlaState::Escalated.is_breach() && SlaState::Breached.is_breach());
        assert!(!SlaState::Warning.is_breach());
        // Without escalate_after a breach stays a breach.
        def.escalate_after = None;
        let t = timer_for(0, &def, &lead, &Timeline::default(), &cal).unwrap();
        assert_eq!(t.state(at("2027-01-01T00:00:00Z")), SlaState::Breached);
    }

    #[test]
    fn only_the_watched_stage_runs_a_clock() {
        let cal = BusinessCalendar::default();
        let defs = default_slas();
        let mut lead = lead_in(Stage::Sql);
        lead.dates.set_mql(Some(at("2026-11-20T15:00:00Z")));
        assert!(timer_for(0, &defs[0], &lead, &Timeline::default(), &cal).is_none());
    }
}

/// A volume promise: a KPI must keep pace with its period target, pro-rated by the business
/// time elapsed in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct PaceDef {
    pub id: String,
    pub label: String,
    pub team: Team,
    /// The KPI id it watches (e.g. `mqls_created`).
    pub kpi: String,
    /// Below `warn_at` of the pro-rated target it is breached; between that and on pace it
    /// is a warning.
    pub warn_at: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaceStatus {
    pub state: SlaState,
    pub actual: f64,
    /// Where the KPI should be by now.
    pub expected: f64,
    pub target: f64,
}

/// `target` × the share of `[start, end)`'s business time elapsed by `now`: what a volume
/// should have reached so far. 0 before the period's first business hour, the whole target
/// from its last one on.
pub fn pro_rated(
    target: f64,
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> f64 {
    let total = cal.between(start, end).num_seconds().max(1) as f64;
    let elapsed = cal.between(start, now.min(end)).num_seconds().max(0) as f64;
    target * elapsed / total
}

/// How `actual` compares with `target` pro-rated over `[start, end)` at `now`.
pub fn pace(
    def: &PaceDef,
    actual: f64,
    target: f64,
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> PaceStatus {
    let expected = pro_rated(target, cal, start, end, now);
    let state = if actual >= expected {
        SlaState::Running
    } else if actual >= expected * def.warn_at {
        SlaState::Warning
    } else {
        SlaState::Breached
    };
    PaceStatus {
        state,
        actual,
        expected,
        target,
    }
}

#[cfg(test)]
mod pace_tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn pro_rated_by_business_time() {
        let def = PaceDef {
            id: "mql_volume".into(),
            label: String::new(),
            team: Team::Marketing,
            kpi: "mqls_created".into(),
            warn_at: 0.9,
        };
        let cal = BusinessCalendar::default();
        let (start, end) = (at("2026-11-16T00:00:00Z"), at("2026-11-23T00:00:00Z"));
        // Wednesday 13:00: 2 days + 4h of 40h elapsed = 20/40 = half the week.
        let now = at("2026-11-18T13:00:00Z");
        let s = pace(&def, 30.0, 60.0, &cal, start, end, now);
        assert_eq!((s.expected, s.state), (30.0, SlaState::Running));
        assert_eq!(
            pace(&def, 28.0, 60.0, &cal, start, end, now).state,
            SlaState::Warning
        );
        assert_eq!(
            pace(&def, 26.0, 60.0, &cal, start, end, now).state,
            SlaState::Breached
        );
        // Saturday counts as the whole week elapsed.
        let sat = pace(
            &def,
            59.0,
            60.0,
            &cal,
            start,
            end,
            at("2026-11-21T12:00:00Z"),
        );
        assert_eq!((sat.expected, sat.state), (60.0, SlaState::Warning));
    }
}
