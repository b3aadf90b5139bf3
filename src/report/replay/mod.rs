//! `tandem replay`: past weeks under the current and a proposed definitions file, side by
//! side, with each figure's difference, one summary line per SLA, and the leads whose
//! verdict changes. JSON carries, for each week, `current` and `proposed` objects with the
//! report's own field names (`stages`, `kpis`, `changes`) and the SLA counts (`slas`).

mod markdown;
pub mod rows;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use markdown::to_markdown;

use super::{KpiOut, StageOut, kpi_out, stage_outs};
use crate::config::Config;
use crate::domain::Lead;
use crate::domain::changes::Changes;
use crate::domain::replay::{
    self, ChangedLead, Definitions, Records, Side, SlaShift, WeekFigures, changed_leads, sla_shifts,
};
use crate::domain::stage::Stage;
use crate::store::Store;
use crate::units::{business_hm, clock_name, limit, signed_hm};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Replay {
    pub generated_at: DateTime<Utc>,
    pub simulated: bool,
    /// Whole weeks replayed before the week in progress (which comes last, to date).
    pub weeks_replayed: u32,
    pub window_start: DateTime<Utc>,
    /// Every change of meaning from the current file to the proposed one, in words
    /// (`tandem config diff`).
    pub definitions_changed: Vec<String>,
    /// One per SLA either file defines: the question the teams ask, answered.
    pub summary: Vec<SlaSummary>,
    /// Leads whose stage now differs, by (current → proposed) stage.
    pub restaged: Vec<Restaged>,
    /// The history the proposed stage rules need that the current ones do not read, and
    /// what reading it took.
    pub history: Option<HistoryRead>,
    pub weeks: Vec<WeekOut>,
    /// Most affected first.
    pub changed_leads: Vec<ChangedLeadOut>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistoryRead {
    pub properties: Vec<String>,
    /// Requests the load that read it took, in all (the rule properties' history comes in
    /// the same batch reads as the rest).
    pub requests: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlaSummary {
    pub sla: String,
    pub team: &'static str,
    pub clock: &'static str,
    /// `None`: the SLA is not in that file.
    pub limit_current_seconds: Option<i64>,
    pub limit_proposed_seconds: Option<i64>,
    /// Clocks started in the window that fell due unanswered (by now).
    pub breaches_current: usize,
    pub breaches_proposed: usize,
    pub difference: i64,
    /// The weekday most of the added (else avoided) breaches fell due on, and how many.
    pub busiest_day: Option<String>,
    pub busiest_day_count: Option<usize>,
    /// Of the added breaches that were answered: how much faster at the median, and of how many.
    pub faster_by_seconds: Option<i64>,
    pub faster_by_n: Option<usize>,
    /// The whole finding in one line.
    pub line: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Restaged {
    pub from: &'static str,
    pub to: &'static str,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekOut {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The week's end, or the replay's instant for the week in progress.
    pub until: DateTime<Utc>,
    pub current: FiguresOut,
    pub proposed: FiguresOut,
    pub difference: DifferenceOut,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FiguresOut {
    /// At the week's end.
    pub stages: Vec<StageOut>,
    pub unmapped: usize,
    pub kpis: Vec<KpiOut>,
    /// The standup flows over the week.
    pub changes: Changes,
    pub slas: Vec<SlaWeekOut>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlaWeekOut {
    pub sla: String,
    /// Clocks that fell due unanswered in the week.
    pub breaches: usize,
    /// Clocks that reached their warning in the week and did not breach.
    pub warnings: usize,
    /// At the week's end, as a report then listed them.
    pub open_breached: usize,
    pub open_warning: usize,
}

/// Proposed minus current, figure by figure (`null` where either has no value).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct DifferenceOut {
    pub stages: BTreeMap<&'static str, i64>,
    pub kpis: BTreeMap<&'static str, Option<f64>>,
    pub changes: BTreeMap<&'static str, i64>,
    pub sla_breaches: BTreeMap<String, i64>,
    pub sla_warnings: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangedLeadOut {
    pub lead_id: String,
    pub lead: String,
    pub company: String,
    /// Its stage now under each file, when they differ.
    pub stage_current: Option<&'static str>,
    pub stage_proposed: Option<&'static str>,
    pub breaches: Vec<BreachChangeOut>,
    /// Every change in words, checkable by hand.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreachChangeOut {
    pub sla: String,
    /// "added" (breached under the proposed file only) or "avoided".
    pub change: &'static str,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// On the breaching side's clock; `null`: unanswered.
    pub response_seconds: Option<i64>,
    pub limit_seconds: i64,
    pub other_limit_seconds: Option<i64>,
    pub clock: &'static str,
}

/// The replay's inputs: both files, the records, and what reading them took.
pub struct ReplayInput<'a> {
    pub current: &'a Config,
    pub proposed: &'a Config,
    pub store: &'a Store,
    pub weeks: u32,
    pub now: DateTime<Utc>,
    pub simulated: bool,
    pub history: Option<HistoryRead>,
}

fn definitions(c: &Config) -> Definitions<'_> {
    Definitions {
        stages: &c.stages,
        slas: &c.slas,
        calendar: &c.calendar,
        targets: &c.targets,
        half_life: c.attribution.half_life,
    }
}

fn records<'a>(store: &'a Store, leads: &'a [Lead]) -> Records<'a> {
    Records {
        leads,
        deals: store.deals(),
        deal_stages: store.deal_stages(),
        notes: store.notes(),
        owners: store.owners(),
    }
}

/// One side's replay: the store's leads classified by `config`'s own stage rules.
pub fn side(config: &Config, store: &Store, weeks: u32, now: DateTime<Utc>) -> Side {
    let leads = replay::restaged(store.leads(), &config.stages);
    replay::replay(
        &records(store, &leads),
        &definitions(config),
        &replay::weeks(now, weeks),
        now,
    )
}

impl Replay {
    /// `stage rules: 12 leads would sit in another stage now (mql → unmapped 12)`; `None`
    /// when every lead's stage stands.
    pub fn restaged_line(&self) -> Option<String> {
        let moved: usize = self.restaged.iter().map(|s| s.count).sum();
        let parts: Vec<String> = self
            .restaged
            .iter()
            .map(|s| format!("{} → {} {}", s.from, s.to, s.count))
            .collect();
        (moved > 0).then(|| {
            format!(
                "stage rules: {moved} leads would sit in another stage now ({})",
                parts.join(", ")
            )
        })
    }

    pub fn build(input: &ReplayInput<'_>) -> Replay {
        let (cur, prop) = (definitions(input.current), definitions(input.proposed));
        let now = input.now;
        let a = side(input.current, input.store, input.weeks, now);
        let b = side(input.proposed, input.store, input.weeks, now);
        let window_start = a.weeks.first().map_or(now, |w| w.period.start);
        let changed = changed_leads((&a, &cur), (&b, &prop), window_start, now);
        let shifts = sla_shifts((&a, &cur), (&b, &prop), &changed, window_start);
        let leads = input.store.leads();
        let weeks = a
            .weeks
            .iter()
            .zip(&b.weeks)
            .map(|(x, y)| week_out(input, x, y))
            .collect();
        let n_weeks = input.weeks + 1;
        Replay {
            generated_at: now,
            simulated: input.simulated,
            weeks_replayed: input.weeks,
            window_start,
            definitions_changed: crate::config::diff(input.current, input.proposed),
            summary: shifts
                .iter()
                .map(|s| summary(s, n_weeks, input.proposed))
                .collect(),
            restaged: restaged(&changed),
            history: input.history.clone(),
            weeks,
            changed_leads: changed
                .iter()
                .map(|c| changed_out(c, &leads[c.lead], input))
                .collect(),
        }
    }
}

fn figures(config: &Config, w: &WeekFigures) -> FiguresOut {
    FiguresOut {
        stages: stage_outs(config, &w.counts),
        unmapped: w.unmapped,
        kpis: w.kpis.iter().map(kpi_out).collect(),
        changes: w.changes.clone(),
        slas: w
            .slas
            .iter()
            .map(|s| SlaWeekOut {
                sla: s.sla.clone(),
                breaches: s.breaches,
                warnings: s.warnings,
                open_breached: s.open_breached,
                open_warning: s.open_warning,
            })
            .collect(),
    }
}

/// The standup flows by the report's field names, for differences.
pub(crate) fn flows(c: &Changes) -> [(&'static str, usize); 10] {
    [
        ("new_mqls", c.new_mqls.count),
        ("handoffs", c.handoffs.count),
        ("accepted", c.accepted.count),
        ("recycles", c.recycles.count),
        ("rejected", c.rejected.count),
        ("breaches_new", c.breaches_new.count),
        ("breaches_cleared", c.breaches_cleared.count),
        ("escalations_new", c.escalations_new.count),
        ("won", c.won.count),
        ("lost", c.lost.count),
    ]
}

fn week_out(input: &ReplayInput<'_>, a: &WeekFigures, b: &WeekFigures) -> WeekOut {
    let (current, proposed) = (figures(input.current, a), figures(input.proposed, b));
    let mut d = DifferenceOut::default();
    for (x, y) in current.stages.iter().zip(&proposed.stages) {
        d.stages.insert(x.id, y.count as i64 - x.count as i64);
    }
    d.stages.insert(
        "unmapped",
        proposed.unmapped as i64 - current.unmapped as i64,
    );
    for y in &proposed.kpis {
        let x = current.kpis.iter().find(|k| k.id == y.id);
        let diff = match (x.and_then(|k| k.value), y.value) {
            (Some(p), Some(q)) => Some(q - p),
            _ => None,
        };
        d.kpis.insert(y.id, diff);
    }
    for ((name, x), (_, y)) in flows(&current.changes).iter().zip(flows(&proposed.changes)) {
        d.changes.insert(name, y as i64 - *x as i64);
    }
    let slas = |f: &FiguresOut, id: &str| f.slas.iter().find(|s| s.sla == id).cloned();
    let mut ids: Vec<String> = current.slas.iter().map(|s| s.sla.clone()).collect();
    ids.extend(proposed.slas.iter().map(|s| s.sla.clone()));
    ids.dedup();
    for id in ids {
        let (x, y) = (slas(&current, &id), slas(&proposed, &id));
        let count =
            |s: &Option<SlaWeekOut>, f: fn(&SlaWeekOut) -> usize| s.as_ref().map_or(0, f) as i64;
        d.sla_breaches.insert(
            id.clone(),
            count(&y, |s| s.breaches) - count(&x, |s| s.breaches),
        );
        d.sla_warnings
            .insert(id, count(&y, |s| s.warnings) - count(&x, |s| s.warnings));
    }
    WeekOut {
        start: a.period.start,
        end: a.period.end,
        until: a.until,
        current,
        proposed,
        difference: d,
    }
}

fn day_name(d: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match d {
        Mon => "Mondays",
        Tue => "Tuesdays",
        Wed => "Wednesdays",
        Thu => "Thursdays",
        Fri => "Fridays",
        Sat => "Saturdays",
        Sun => "Sundays",
    }
}

/// `mql_response 4h → 2h: 38 more breaches in 6 weeks (+41 %), most on Mondays; sales
/// would have needed to respond 1h12 faster at the median`.
fn summary(s: &SlaShift, weeks: u32, proposed: &Config) -> SlaSummary {
    let lim = |d: Option<chrono::Duration>| d.map(|d| limit(d, s.clock));
    let head = match (lim(s.limit.0), lim(s.limit.1)) {
        (Some(a), Some(b)) if a == b => format!("{} {a} (unchanged)", s.sla),
        (Some(a), Some(b)) => format!("{} {a} → {b}", s.sla),
        (None, Some(b)) => format!("{} (new, {b})", s.sla),
        (Some(a), None) => format!("{} {a} (dropped)", s.sla),
        (None, None) => s.sla.clone(),
    };
    let (x, y) = s.breaches;
    let span = format!("in {weeks} week{}", if weeks == 1 { "" } else { "s" });
    let mut line = if x == y {
        format!("{head}: no change, {x} breaches {span}")
    } else {
        let more = if y > x { "more" } else { "fewer" };
        let pct = if x > 0 {
            format!(" ({:+.0} %)", (y as f64 - x as f64) / x as f64 * 100.0)
        } else {
            String::new()
        };
        format!(
            "{head}: {} {more} breaches {span}{pct}, {x} → {y}",
            x.abs_diff(y)
        )
    };
    if let Some((day, n)) = s.busiest_day
        && x != y
    {
        line.push_str(&format!(", most on {} ({n})", day_name(day)));
    }
    if let Some((by, n)) = s.faster_by {
        let verb = match proposed
            .slas
            .iter()
            .find(|d| d.id == s.sla)
            .map(|d| d.stage)
        {
            Some(Stage::Mql) => "accept or reject",
            _ => "answer",
        };
        let amount = match s.clock {
            crate::domain::sla::Clock::Business => business_hm(by),
            crate::domain::sla::Clock::Calendar => signed_hm(by),
        };
        line.push_str(&format!(
            "; {} would have needed to {verb} {amount} faster at the median (n={n})",
            s.team.label()
        ));
    }
    SlaSummary {
        sla: s.sla.clone(),
        team: s.team.label(),
        clock: clock_name(s.clock),
        limit_current_seconds: s.limit.0.map(|d| d.num_seconds()),
        limit_proposed_seconds: s.limit.1.map(|d| d.num_seconds()),
        breaches_current: x,
        breaches_proposed: y,
        difference: y as i64 - x as i64,
        busiest_day: s
            .busiest_day
            .map(|(d, _)| day_name(d).trim_end_matches('s').to_string()),
        busiest_day_count: s.busiest_day.map(|(_, n)| n),
        faster_by_seconds: s.faster_by.map(|(d, _)| d.num_seconds()),
        faster_by_n: s.faster_by.map(|(_, n)| n),
        line,
    }
}

fn stage_id(s: Option<Stage>) -> &'static str {
    s.map_or("unmapped", Stage::id)
}

fn restaged(changed: &[ChangedLead]) -> Vec<Restaged> {
    let mut by: BTreeMap<(&'static str, &'static str), usize> = BTreeMap::new();
    for (a, b) in changed.iter().filter_map(|c| c.stage) {
        *by.entry((stage_id(a), stage_id(b))).or_default() += 1;
    }
    let mut out: Vec<Restaged> = by
        .into_iter()
        .map(|((from, to), count)| Restaged { from, to, count })
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.count));
    out
}

/// The properties either file's rules read, as the lead held them at `at` (by the vendor's
/// history; now, for want of it): `hubspotscore = 55`.
fn rule_values(lead: &Lead, input: &ReplayInput<'_>, at: Option<DateTime<Utc>>) -> String {
    let mut names = input.current.stages.properties();
    names.extend(input.proposed.stages.properties());
    let then = |n: &str| -> Option<String> {
        let at = at.filter(|_| !lead.history.props().is_empty())?;
        let last = lead
            .history
            .props()
            .iter()
            .take_while(|c| c.at <= at)
            .filter(|c| c.prop.as_str() == n)
            .last()?;
        Some(last.value.to_string())
    };
    names
        .iter()
        .filter_map(|n| {
            let v = match at {
                Some(_) => then(n)?,
                None => lead.props.get(n.as_str())?.as_str().to_string(),
            };
            (!v.is_empty()).then(|| format!("{n} = {v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn changed_out(c: &ChangedLead, lead: &Lead, input: &ReplayInput<'_>) -> ChangedLeadOut {
    let mut reasons = Vec::new();
    if let Some((a, b)) = c.stage {
        reasons.push(format!(
            "stage now {} → {} ({})",
            stage_id(a),
            stage_id(b),
            rule_values(lead, input, None)
        ));
    }
    let breaches = c
        .breaches
        .iter()
        .map(|b| {
            let show = |d: chrono::Duration| match b.clock {
                crate::domain::sla::Clock::Business => format!("{} (business)", business_hm(d)),
                crate::domain::sla::Clock::Calendar => signed_hm(d),
            };
            let lim = |d: chrono::Duration| limit(d, b.clock);
            let (mine, theirs) = if b.gained {
                ("proposed", "current")
            } else {
                ("current", "proposed")
            };
            let answered = match b.response {
                Some(r) => format!("answered after {}", show(r)),
                None => "still unanswered".into(),
            };
            let why = match (b.same_clock, b.other_limit) {
                (true, Some(other)) => format!(
                    "{answered}: past the {mine} {}, within the {theirs} {}",
                    lim(b.limit),
                    lim(other)
                ),
                (true, None) => format!("{answered}: the {theirs} file has no {}", b.sla),
                (false, _) => format!(
                    "{answered}, past the {mine} {}; under the {theirs} stage rules no such clock \
                     started ({} then)",
                    lim(b.limit),
                    rule_values(lead, input, Some(b.started_at))
                ),
            };
            reasons.push(format!(
                "{} breach {} — clock from {}: {why}",
                b.sla,
                if b.gained { "added" } else { "avoided" },
                b.started_at.format("%a %Y-%m-%d %H:%M UTC"),
            ));
            BreachChangeOut {
                sla: b.sla.clone(),
                change: if b.gained { "added" } else { "avoided" },
                started_at: b.started_at,
                due_at: b.due_at,
                response_seconds: b.response.map(|r| r.num_seconds()),
                limit_seconds: b.limit.num_seconds(),
                other_limit_seconds: b.other_limit.map(|d| d.num_seconds()),
                clock: clock_name(b.clock),
            }
        })
        .collect();
    ChangedLeadOut {
        lead_id: lead.id.to_string(),
        lead: lead.name().to_string(),
        company: lead.company.to_string(),
        stage_current: c.stage.map(|(a, _)| stage_id(a)),
        stage_proposed: c.stage.map(|(_, b)| stage_id(b)),
        breaches,
        reasons,
    }
}
