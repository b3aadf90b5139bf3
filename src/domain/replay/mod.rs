//! Past weeks replayed under a set of definitions: what `tandem replay` compares, current
//! against proposed. Pure: every figure is read from the leads' timelines as of an instant
//! (metrics.md §1–§5), so a week long past reads as a report run at its end would have.
//!
//! Per week, under one set of definitions:
//! - stage counts at the week's end (each lead's stage then, on its timeline);
//! - the standup flows of the week ([`Changes`] over it);
//! - every KPI over the week, as the cockpit's history computes it;
//! - per SLA, the clocks that fell due unanswered in the week (new breaches), those that
//!   reached their warning in the week and were answered in time, and the clocks breached
//!   and in warning at the week's end, as a report then listed them.
//!
//! An SLA clock is an *episode*: a lead's entry into the watched stage starts it, the first
//! answer (the stop the SLA names) or the lead's next change of stage stops it. It breached
//! when it fell due before it stopped.

#[cfg(test)]
mod tests;
mod verdicts;

pub use verdicts::{BreachChange, ChangedLead, SlaShift, changed_leads, sla_shifts};

use chrono::{DateTime, Duration, Utc};

use super::board::stage_index;
use super::business_hours::BusinessCalendar;
use super::catalog::StageCatalog;
use super::changes::{Changes, ChangesInput};
use super::kpi::{Kpi, Period, PeriodKind, Targets};
use super::lead::{Deal, DealStage, Lead, Note, Owner};
use super::sla::{SlaDef, SlaState, SlaTimer, clock_at, met_after};
use super::snapshot::{SnapshotInput, kpis_over};
use super::stage::Stage;
use super::timeline::Timeline;

/// One set of definitions: what a config file means.
#[derive(Clone, Copy)]
pub struct Definitions<'a> {
    pub stages: &'a StageCatalog,
    pub slas: &'a [SlaDef],
    pub calendar: &'a BusinessCalendar,
    pub targets: &'a Targets,
    pub half_life: Duration,
}

/// The records replayed; `leads` classified by the definitions' own stage rules
/// (see [`restaged`]).
#[derive(Clone, Copy)]
pub struct Records<'a> {
    pub leads: &'a [Lead],
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub notes: &'a [Note],
    pub owners: &'a [Owner],
}

/// One SLA over one week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaWeek {
    pub sla: String,
    /// Clocks that fell due unanswered in the week.
    pub breaches: usize,
    /// Clocks that reached their warning in the week and were answered before due.
    pub warnings: usize,
    /// At the week's end: clocks breached (escalated ones included) and in warning.
    pub open_breached: usize,
    pub open_warning: usize,
}

/// Everything one week reads under one set of definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekFigures {
    pub period: Period,
    /// The week's end, or `now` for the week in progress.
    pub until: DateTime<Utc>,
    /// Leads per stage at `until`, in [`Stage::ALL`] order.
    pub counts: [usize; 8],
    /// Leads that existed at `until` and no rule mapped.
    pub unmapped: usize,
    pub changes: Changes,
    pub kpis: Vec<Kpi>,
    pub slas: Vec<SlaWeek>,
}

/// One SLA clock from its start to its stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// Index into the records' leads.
    pub lead: usize,
    pub timer: SlaTimer,
    /// When the clock stopped (answered, or the lead moved on); `None`: running at `now`.
    pub stopped: Option<DateTime<Utc>>,
    /// It fell due before it stopped, by `now`.
    pub breached: bool,
    /// It reached its warning before it stopped, by `now`.
    pub warned: bool,
}

impl Episode {
    /// How long the answer took, on the SLA's own clock; `None` while unanswered.
    pub fn response(&self, def: &SlaDef, cal: &BusinessCalendar) -> Option<Duration> {
        self.stopped
            .map(|s| def.clock.between(cal, self.timer.started_at, s))
    }
}

/// A replay under one set of definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub weeks: Vec<WeekFigures>,
    /// Every SLA clock started before `now`, by lead then start.
    pub episodes: Vec<Episode>,
    /// Each lead's stage at `now`.
    pub stages_now: Vec<Option<Stage>>,
}

/// The last `n` whole weeks, oldest first, then the week in progress.
pub fn weeks(now: DateTime<Utc>, n: u32) -> Vec<Period> {
    let mut out: Vec<Period> = (1..=n)
        .rev()
        .map(|back| Period::previous(PeriodKind::Week, now, back))
        .collect();
    out.push(Period::current(PeriodKind::Week, now));
    out
}

/// `leads` as `stages` classify them: the current values of the properties the rules read.
pub fn restaged(leads: &[Lead], stages: &StageCatalog) -> Vec<Lead> {
    leads
        .iter()
        .map(|lead| {
            let mut l = lead.clone();
            l.stage = stages.classify(|name| {
                lead.props
                    .get(name)
                    .map(|v| v.as_str())
                    .filter(|v| !v.is_empty())
            });
            l
        })
        .collect()
}

/// Every SLA clock `lead` ran under `defs`, from its timeline, as of `now`.
pub fn episodes_of(
    index: usize,
    lead: &Lead,
    timeline: &Timeline,
    defs: &Definitions<'_>,
    now: DateTime<Utc>,
) -> Vec<Episode> {
    let mut out = Vec::new();
    for (i, (start, stage)) in timeline.stages.iter().enumerate() {
        if *start > now {
            break;
        }
        let next_change = timeline.stages.get(i + 1).map(|(t, _)| *t);
        for (d, def) in defs.slas.iter().enumerate() {
            if *stage != Some(def.stage) {
                continue;
            }
            let Some(timer) = clock_at(d, def, lead, timeline, defs.calendar, *start) else {
                continue;
            };
            let stopped = [next_change, met_after(def, lead, *start)]
                .into_iter()
                .flatten()
                .min()
                .filter(|s| *s <= now);
            let before = |t: DateTime<Utc>| t <= now && stopped.is_none_or(|s| s > t);
            out.push(Episode {
                lead: index,
                breached: before(timer.due_at),
                warned: before(timer.warn_at),
                timer,
                stopped,
            });
        }
    }
    out
}

/// Replay `periods` (see [`weeks`]) under `defs`, as of `now`.
pub fn replay(
    records: &Records<'_>,
    defs: &Definitions<'_>,
    periods: &[Period],
    now: DateTime<Utc>,
) -> Side {
    let timelines: Vec<Timeline> = records
        .leads
        .iter()
        .map(|l| Timeline::of(l, defs.stages))
        .collect();
    let episodes: Vec<Episode> = records
        .leads
        .iter()
        .zip(&timelines)
        .enumerate()
        .flat_map(|(i, (lead, t))| episodes_of(i, lead, t, defs, now))
        .collect();
    let input = SnapshotInput {
        leads: records.leads,
        deals: records.deals,
        deal_stages: records.deal_stages,
        notes: records.notes,
        owners: records.owners,
        slas: defs.slas,
        calendar: defs.calendar,
        targets: defs.targets,
        period: PeriodKind::Week,
        half_life: defs.half_life,
        stages: defs.stages,
        by_owner: None,
        lead_index: None,
    };
    let kpis = kpis_over(&input, now, periods);
    let weeks = periods
        .iter()
        .zip(kpis)
        .map(|(period, kpis)| {
            let until = period.end.min(now);
            let (counts, unmapped) = stage_counts(&timelines, until);
            let changes = Changes::compute(
                &ChangesInput {
                    leads: records.leads,
                    deals: records.deals,
                    deal_stages: records.deal_stages,
                    notes: records.notes,
                    slas: defs.slas,
                    calendar: defs.calendar,
                    stages: defs.stages,
                    owners: records.owners,
                    by_owner: None,
                    timelines: Some(&timelines),
                },
                period.start,
                until,
            );
            WeekFigures {
                period: *period,
                until,
                counts,
                unmapped,
                changes,
                kpis,
                slas: sla_weeks(defs.slas, &episodes, period, until),
            }
        })
        .collect();
    Side {
        weeks,
        stages_now: timelines.iter().map(|t| t.stage_at(now)).collect(),
        episodes,
    }
}

/// Leads per stage at `t`, and those that existed then with no stage.
fn stage_counts(timelines: &[Timeline], t: DateTime<Utc>) -> ([usize; 8], usize) {
    let mut counts = [0; 8];
    let mut unmapped = 0;
    for tl in timelines {
        match tl.stage_at(t) {
            Some(s) => counts[stage_index(s)] += 1,
            None if tl.stages.first().is_none_or(|(at, _)| *at <= t) => unmapped += 1,
            None => {}
        }
    }
    (counts, unmapped)
}

fn sla_weeks(
    slas: &[SlaDef],
    episodes: &[Episode],
    period: &Period,
    until: DateTime<Utc>,
) -> Vec<SlaWeek> {
    let within = |t: DateTime<Utc>| t >= period.start && t < period.end && t <= until;
    slas.iter()
        .enumerate()
        .map(|(d, def)| {
            let mut w = SlaWeek {
                sla: def.id.clone(),
                breaches: 0,
                warnings: 0,
                open_breached: 0,
                open_warning: 0,
            };
            for e in episodes.iter().filter(|e| e.timer.sla == d) {
                if e.breached && within(e.timer.due_at) {
                    w.breaches += 1;
                }
                if e.warned && !e.breached && within(e.timer.warn_at) {
                    w.warnings += 1;
                }
                let running = e.timer.started_at <= until && e.stopped.is_none_or(|s| s > until);
                if running {
                    match e.timer.state(until) {
                        SlaState::Breached | SlaState::Escalated => w.open_breached += 1,
                        SlaState::Warning => w.open_warning += 1,
                        SlaState::Running => {}
                    }
                }
            }
            w
        })
        .collect()
}
