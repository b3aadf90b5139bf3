//! A lead's timeline: its stage and owner at every instant, and the dated events every
//! figure counts (`../shared/metrics.md` §1–§2), built from the vendor's own history.
//!
//! The stage at an instant is the config's stage rules applied to the property values as of
//! that instant; a lead *enters* a stage whenever that changes (a re-entry is a new entry).
//! A lead the vendor gave no history for gets a timeline from its stage dates instead, which
//! only date the latest entry into each stage: such a timeline says so (`fallback`).
//!
//! Pure: no clock, no I/O.

use chrono::{DateTime, Duration, Utc};

use super::catalog::StageCatalog;
use super::lead::{Lead, Sym};
use super::stage::Stage;

/// A stage that lasts less than this between two others is a vendor artefact (HubSpot
/// clears `lifecyclestage` a millisecond before setting an earlier one), not a stage the
/// lead was in.
const TRANSIENT: i64 = 60;

/// What happened to a lead, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Entered(Stage),
    /// While in `mql` and not yet accepted, its owner was set to a sales owner.
    HandedOff,
    /// It entered `sal`, or jumped from `mql` straight to a later sales stage.
    Accepted,
    /// It left `mql` for `nurture` or `disqualified` without being accepted.
    Rejected,
    /// It entered `nurture` from `sal`, `sql` or `opportunity`.
    Recycled,
    Disqualified,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// The owner right after the event ("accepted by me").
    pub owner: Option<Sym>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// From each instant on, the lead was in that stage (`None`: no rule matched), oldest
    /// first, each a change from the one before.
    pub stages: Vec<(DateTime<Utc>, Option<Stage>)>,
    /// From each instant on, the lead had that owner, oldest first.
    pub owners: Vec<(DateTime<Utc>, Option<Sym>)>,
    /// Built from the stage dates, for want of history: only the latest entry into each
    /// stage is known.
    pub fallback: bool,
}

/// Set `lead`'s stage dates from the timeline its history gives (each stage's latest
/// entry), for vendors whose records carry no such dates of their own.
pub fn date_stages(lead: &mut Lead, stages: &StageCatalog) {
    let timeline = Timeline::of(lead, stages);
    let last = |s: Stage| timeline.entries(s).last();
    lead.dates
        .set_inquiry(last(Stage::Nurture).max(last(Stage::Inquiry)));
    lead.dates.set_mql(last(Stage::Mql));
    lead.dates.set_sql(last(Stage::Sql));
    lead.dates.set_opportunity(last(Stage::Opportunity));
    lead.dates.set_customer(last(Stage::Customer));
}

impl Timeline {
    /// The timeline of `lead` under `stages`' rules.
    pub fn of(lead: &Lead, stages: &StageCatalog) -> Timeline {
        if lead.history.props().is_empty() {
            return from_dates(lead);
        }
        let mut t = Timeline::default();
        // The rule properties' values so far: a handful, compared as interned numbers.
        let mut values: Vec<(Sym, Sym)> = Vec::with_capacity(4);
        // Changes are grouped by instant as moments; only each group's becomes a date.
        let mut props = lead.history.props().moments().peekable();
        while let Some(first) = props.next() {
            let at = first.0;
            let mut change = Some(first);
            while let Some((_, prop, value)) = change {
                match values.iter_mut().find(|(p, _)| *p == prop) {
                    Some(slot) => slot.1 = value,
                    None => values.push((prop, value)),
                }
                change = props.next_if(|n| n.0 == at);
            }
            let at = at.at();
            let stage = stages.classify_interned(|name| {
                (values.iter())
                    .find(|(p, _)| *p == name)
                    .map(|(_, v)| *v)
                    .unwrap_or_default()
            });
            t.push_stage(at, stage);
        }
        // The history ends on the values the lead has now; should it not, now wins.
        if t.stages.last().map(|(_, s)| *s) != Some(lead.stage) {
            t.push_stage(lead.updated_at, lead.stage);
        }
        t.owners = lead
            .history
            .owners()
            .iter()
            .map(|c| (c.at, c.owner_id))
            .collect();
        if t.owners.is_empty()
            && let Some(owner) = &lead.owner_id
        {
            t.owners.push((
                lead.dates
                    .accepted()
                    .or(lead.dates.created())
                    .unwrap_or(lead.updated_at),
                Some(*owner),
            ));
        }
        t
    }

    fn push_stage(&mut self, at: DateTime<Utc>, stage: Option<Stage>) {
        if self.stages.last().map(|(_, s)| *s) == Some(stage) {
            return;
        }
        // A moment with no stage between two stages is the vendor's artefact.
        if let [.., (_, before), (t0, None)] = self.stages.as_slice()
            && at - *t0 < Duration::seconds(TRANSIENT)
        {
            let before = *before;
            self.stages.pop();
            if before == stage {
                return;
            }
        }
        self.stages.push((at, stage));
    }

    /// The stage at `t` (`None` before the lead existed or while unmapped).
    pub fn stage_at(&self, t: DateTime<Utc>) -> Option<Stage> {
        at_or_before(&self.stages, t).copied().flatten()
    }

    /// When the lead entered the stage it was in at `t` (the latest entry at or before `t`).
    pub fn entered_at(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let i = self.stages.partition_point(|(at, _)| *at <= t);
        i.checked_sub(1).map(|i| self.stages[i].0)
    }

    /// The owner at `t`.
    pub fn owner_at(&self, t: DateTime<Utc>) -> Option<&str> {
        at_or_before(&self.owners, t).and_then(|o| o.as_deref())
    }

    /// Every entry into `stage`, oldest first.
    pub fn entries(&self, stage: Stage) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.stages
            .iter()
            .filter(move |(_, s)| *s == Some(stage))
            .map(|(at, _)| *at)
    }

    /// The dated events, oldest first. `is_sales` tells whether an owner id is a sales
    /// owner (hand-offs are to sales).
    pub fn events(&self, is_sales: impl Fn(&str) -> bool) -> Vec<Event> {
        let owner = |at| self.owner_at(at).map(Sym::from);
        let mut out = Vec::new();
        let mut prev: Option<Stage> = None;
        // Since the latest entry into `mql`: whether it has been accepted.
        let mut accepted_since_mql = false;
        for &(at, stage) in &self.stages {
            let Some(s) = stage else { continue };
            let mut push = |kind| {
                out.push(Event {
                    kind,
                    at,
                    owner: owner(at),
                })
            };
            push(EventKind::Entered(s));
            let from_mql = prev == Some(Stage::Mql);
            match s {
                Stage::Mql => accepted_since_mql = false,
                Stage::Sal => {
                    push(EventKind::Accepted);
                    accepted_since_mql = true;
                }
                Stage::Sql | Stage::Opportunity | Stage::Customer if from_mql => {
                    push(EventKind::Accepted);
                    accepted_since_mql = true;
                }
                Stage::Nurture | Stage::Disqualified if from_mql && !accepted_since_mql => {
                    push(EventKind::Rejected)
                }
                _ => {}
            }
            if s == Stage::Nurture
                && matches!(prev, Some(Stage::Sal | Stage::Sql | Stage::Opportunity))
            {
                push(EventKind::Recycled);
            }
            if s == Stage::Disqualified {
                push(EventKind::Disqualified);
            }
            prev = Some(s);
        }
        // Hand-offs: the owner set to a sales owner while the lead sat in `mql`, not yet
        // accepted since it entered (judged just before the change: an acceptance that
        // assigns the owner in the same write is also the hand-off).
        for (i, (at, to)) in self.owners.iter().enumerate() {
            let Some(to) = to else { continue };
            let changed = i == 0 || self.owners[i - 1].1.as_deref() != Some(to.as_str());
            let Some(before) = at.checked_sub_signed(Duration::milliseconds(1)) else {
                continue;
            };
            if changed && is_sales(to) && self.stage_at(before) == Some(Stage::Mql) {
                let entered = self.entries(Stage::Mql).filter(|e| *e <= before).last();
                let accepted = out.iter().any(|e| {
                    e.kind == EventKind::Accepted && entered.is_some_and(|m| e.at > m) && e.at < *at
                });
                if !accepted {
                    out.push(Event {
                        kind: EventKind::HandedOff,
                        at: *at,
                        owner: Some(*to),
                    });
                }
            }
        }
        out.sort_by_key(|e| (e.at, e.kind));
        out
    }
}

/// The entry of `list` in force at `t`.
fn at_or_before<T>(list: &[(DateTime<Utc>, T)], t: DateTime<Utc>) -> Option<&T> {
    let i = list.partition_point(|(at, _)| *at <= t);
    i.checked_sub(1).map(|i| &list[i].1)
}

/// For want of history: the latest entry into each stage, from the stage dates, then the
/// stage the lead is in now (a recycle dated by its return to inquiry; a disqualification,
/// which no date records, at the last change the vendor dates, the latest it can have been).
/// An owner date is taken for acceptance only when the lead got to sales' stages: HubSpot
/// stamps it on any assignment, a recycle's too.
fn from_dates(lead: &Lead) -> Timeline {
    let d = &lead.dates;
    // Undated creation: no later than anything the dates place.
    let created = d
        .created()
        .or([
            d.inquiry(),
            d.mql(),
            d.accepted(),
            d.sql(),
            d.opportunity(),
            d.customer(),
        ]
        .into_iter()
        .flatten()
        .min())
        .unwrap_or(lead.updated_at);
    let in_sales = matches!(
        lead.stage,
        Some(Stage::Sal | Stage::Sql | Stage::Opportunity | Stage::Customer)
    ) || d.sql().or(d.opportunity()).or(d.customer()).is_some();
    let mut dated: Vec<(DateTime<Utc>, Stage)> = [
        (Some(created), Stage::Inquiry),
        (d.mql(), Stage::Mql),
        (
            d.accepted().filter(|_| d.mql().is_some() && in_sales),
            Stage::Sal,
        ),
        (d.sql(), Stage::Sql),
        (d.opportunity(), Stage::Opportunity),
        (d.customer(), Stage::Customer),
    ]
    .into_iter()
    .filter_map(|(at, s)| Some((at?, s)))
    .collect();
    // An exit the dates do not place came after everything they do.
    let latest = dated.iter().map(|(at, _)| *at).max().unwrap_or(created);
    let after = latest
        .checked_add_signed(Duration::milliseconds(1))
        .unwrap_or(latest);
    match lead.stage {
        // Nurture came after every stage it was dated in, whatever the dates say.
        Some(Stage::Nurture) => dated.push((
            d.inquiry().unwrap_or(lead.updated_at).max(after),
            Stage::Nurture,
        )),
        Some(Stage::Disqualified) => {
            dated.push((lead.updated_at.max(after), Stage::Disqualified));
        }
        _ => {}
    }
    dated.sort_by_key(|(at, s)| (*at, *s));
    let mut t = Timeline {
        fallback: true,
        ..Timeline::default()
    };
    for (at, s) in dated {
        t.push_stage(at, Some(s));
    }
    if t.stages.last().map(|(_, s)| *s) != Some(lead.stage) {
        t.push_stage(lead.updated_at, lead.stage);
    }
    if let Some(owner) = &lead.owner_id {
        t.owners
            .push((d.accepted().unwrap_or(created), Some(*owner)));
    }
    t
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
