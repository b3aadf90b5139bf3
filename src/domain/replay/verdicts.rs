//! What a proposed set of definitions changes: the leads whose verdict differs, and one
//! summary per SLA. Both read the two replays' episodes over the same window.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use super::{Definitions, Episode, Side};
use crate::domain::sla::{Clock, SlaDef};
use crate::domain::stage::{Stage, Team};

/// A breach one replay has and the other has not.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachChange {
    pub sla: String,
    /// Breached under the proposed definitions only (`false`: avoided under them).
    pub gained: bool,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// How long the answer took on the breaching side's clock; `None`: unanswered.
    pub response: Option<Duration>,
    /// The breaching side's limit, and the other side's (`None`: no such SLA there).
    pub limit: Duration,
    pub other_limit: Option<Duration>,
    pub clock: Clock,
    /// The other side ran a clock from the same start: only the limit or the stop made the
    /// difference. Otherwise the stage rules did (the lead entered the stage only on one side).
    pub same_clock: bool,
    /// How far past its limit the breaching side's clock ran (to its answer, or to now).
    pub overdue: Duration,
}

/// A lead whose verdict differs between the two replays.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedLead {
    /// Index into the records' leads.
    pub lead: usize,
    /// Its stage now under the current and the proposed rules, when they differ.
    pub stage: Option<(Option<Stage>, Option<Stage>)>,
    pub breaches: Vec<BreachChange>,
}

impl ChangedLead {
    /// How much changed: the verdicts, then the longest overdue among them.
    fn weight(&self) -> (usize, Duration) {
        let n = self.breaches.len() + usize::from(self.stage.is_some());
        let overdue = self.breaches.iter().map(|b| b.overdue).max();
        (n, overdue.unwrap_or_else(Duration::zero))
    }
}

/// One SLA's difference over the replayed window.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaShift {
    pub sla: String,
    pub team: Team,
    pub clock: Clock,
    /// The limit under the current and the proposed definitions (`None`: not defined there).
    pub limit: (Option<Duration>, Option<Duration>),
    /// Clocks started in the window that fell due unanswered, current and proposed.
    pub breaches: (usize, usize),
    /// The weekday (in the calendar's zone) most of the added, else the avoided, breaches
    /// fell due on, and how many did.
    pub busiest_day: Option<(Weekday, usize)>,
    /// Of the breaches only the proposed definitions have, those answered: how much faster
    /// the answer would have had to be at the median, and how many that median is of.
    pub faster_by: Option<(Duration, usize)>,
}

type Key<'a> = (usize, &'a str, DateTime<Utc>);

/// The breached episodes whose clock started from `from` on, by (lead, SLA, start): by
/// start, so a tighter limit never moves a breach out of the window.
fn breached<'a>(
    side: &'a Side,
    defs: &'a Definitions<'_>,
    from: DateTime<Utc>,
) -> BTreeMap<Key<'a>, &'a Episode> {
    side.episodes
        .iter()
        .filter(|e| e.breached && e.timer.started_at >= from)
        .map(|e| {
            (
                (
                    e.lead,
                    defs.slas[e.timer.sla].id.as_str(),
                    e.timer.started_at,
                ),
                e,
            )
        })
        .collect()
}

fn all_clocks<'a>(side: &'a Side, defs: &'a Definitions<'_>) -> BTreeMap<Key<'a>, &'a Episode> {
    side.episodes
        .iter()
        .map(|e| {
            (
                (
                    e.lead,
                    defs.slas[e.timer.sla].id.as_str(),
                    e.timer.started_at,
                ),
                e,
            )
        })
        .collect()
}

fn change(
    e: &Episode,
    defs: &Definitions<'_>,
    other: Option<&SlaDef>,
    same_clock: bool,
    gained: bool,
    now: DateTime<Utc>,
) -> BreachChange {
    let def = &defs.slas[e.timer.sla];
    BreachChange {
        sla: def.id.clone(),
        gained,
        started_at: e.timer.started_at,
        due_at: e.timer.due_at,
        response: e.response(def, defs.calendar),
        limit: def.limit,
        other_limit: other.map(|d| d.limit),
        clock: def.clock,
        same_clock,
        overdue: def
            .clock
            .between(defs.calendar, e.timer.due_at, e.stopped.unwrap_or(now)),
    }
}

fn entry(map: &mut BTreeMap<usize, ChangedLead>, lead: usize) -> &mut ChangedLead {
    map.entry(lead).or_insert_with(|| ChangedLead {
        lead,
        stage: None,
        breaches: Vec::new(),
    })
}

/// Every lead whose stage now, or whose breaches of clocks started from `from` on, differ
/// between the two replays; the most affected first.
pub fn changed_leads(
    (current, cur): (&Side, &Definitions<'_>),
    (proposed, prop): (&Side, &Definitions<'_>),
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<ChangedLead> {
    let mut by_lead: BTreeMap<usize, ChangedLead> = BTreeMap::new();
    for (i, (a, b)) in current
        .stages_now
        .iter()
        .zip(&proposed.stages_now)
        .enumerate()
    {
        if a != b {
            entry(&mut by_lead, i).stage = Some((*a, *b));
        }
    }
    let sides = [
        (current, cur, proposed, prop, false),
        (proposed, prop, current, cur, true),
    ];
    for (this, these, other, those, gained) in sides {
        let other_breached = breached(other, those, from);
        let other_clocks = all_clocks(other, those);
        for (key, e) in breached(this, these, from) {
            if other_breached.contains_key(&key) {
                continue;
            }
            let other_def = those.slas.iter().find(|d| d.id == key.1);
            let same_clock = other_clocks.contains_key(&key);
            entry(&mut by_lead, key.0)
                .breaches
                .push(change(e, these, other_def, same_clock, gained, now));
        }
    }
    let mut out: Vec<ChangedLead> = by_lead.into_values().collect();
    for c in &mut out {
        c.breaches.sort_by_key(|b| (b.due_at, b.sla.clone()));
    }
    out.sort_by(|a, b| b.weight().cmp(&a.weight()).then(a.lead.cmp(&b.lead)));
    out
}

/// One line's worth per SLA either file defines, in the current file's order, then the
/// proposed file's new ones.
pub fn sla_shifts(
    (current, cur): (&Side, &Definitions<'_>),
    (proposed, prop): (&Side, &Definitions<'_>),
    changed: &[ChangedLead],
    from: DateTime<Utc>,
) -> Vec<SlaShift> {
    let mut ids: Vec<&str> = cur.slas.iter().map(|d| d.id.as_str()).collect();
    for d in prop.slas {
        if !ids.contains(&d.id.as_str()) {
            ids.push(&d.id);
        }
    }
    let count = |side: &Side, defs: &Definitions<'_>, id: &str| {
        breached(side, defs, from)
            .keys()
            .filter(|k| k.1 == id)
            .count()
    };
    ids.into_iter()
        .map(|id| {
            let (a, b) = (
                cur.slas.iter().find(|d| d.id == id),
                prop.slas.iter().find(|d| d.id == id),
            );
            let def = b.or(a).expect("the id comes from one of them");
            let breaches = (count(current, cur, id), count(proposed, prop, id));
            let moved: Vec<&BreachChange> = changed
                .iter()
                .flat_map(|c| &c.breaches)
                .filter(|c| c.sla == id && c.gained == (breaches.1 >= breaches.0))
                .collect();
            let tz = if breaches.1 >= breaches.0 {
                prop.calendar.tz
            } else {
                cur.calendar.tz
            };
            let mut days: HashMap<Weekday, usize> = HashMap::new();
            for c in &moved {
                *days
                    .entry(c.due_at.with_timezone(&tz).weekday())
                    .or_default() += 1;
            }
            let busiest_day = days
                .into_iter()
                .max_by_key(|(d, n)| (*n, std::cmp::Reverse(d.num_days_from_monday())));
            let mut late: Vec<Duration> = moved
                .iter()
                .filter(|c| c.gained)
                .filter_map(|c| c.response.map(|r| r - c.limit))
                .collect();
            late.sort();
            let faster_by = (!late.is_empty()).then(|| (median(&late), late.len()));
            SlaShift {
                sla: id.to_string(),
                team: def.team,
                clock: def.clock,
                limit: (a.map(|d| d.limit), b.map(|d| d.limit)),
                breaches,
                busiest_day,
                faster_by,
            }
        })
        .collect()
}

/// The median of sorted durations (the mean of the middle two for an even count).
fn median(sorted: &[Duration]) -> Duration {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
