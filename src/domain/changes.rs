//! What changed in a window: the standup's "since yesterday". Pure: every flow is the set of
//! distinct leads with at least one event of its kind in the window, the events read from
//! each lead's timeline (`timeline.rs`, metrics.md §2–§3), so it is right for days before
//! tandem was first started, and a lead counts once in each flow whose event it had.
//!
//! Definitions (the README's "Since the last standup" section quotes them):
//! - `new_mqls`: leads that entered `mql` in the window;
//! - `handoffs`: leads whose owner was set to a sales owner while they sat in `mql`, not yet
//!   accepted (a recycle's move to a marketing owner never is one);
//! - `accepted`: leads that entered `sal`, or jumped from `mql` to a later sales stage;
//! - `recycles`: leads that entered `nurture` from `sal`, `sql` or `opportunity`;
//! - `rejected`: leads that left `mql` for `nurture` or `disqualified` without being
//!   accepted, with the count per reason from tandem's `#reject` notes in the window (the
//!   rest as "no reason recorded");
//! - `from_stage_dates`: how many of the leads counted had no history, so that their events
//!   come from the stage dates (which date only the latest entry into each stage);
//! - `breaches_new` / `breaches_cleared`: leads breaching an SLA at the window's end but not
//!   at its start, and the reverse, each clock as it stood at that instant on the lead's
//!   timeline (started at its entry into the stage, stopped by what happened by then);
//! - `escalations_new`: leads with a clock escalated (unanswered past its SLA's
//!   `escalate_after`) at the window's end but not at its start, clocks as above;
//! - `won` / `lost`: the contacts of deals that entered a closed-won / closed-lost stage in
//!   the window, by the deal's stage history (its close date for want of history).
//!
//! The window is `(since, until]`.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::business_hours::BusinessCalendar;
use super::catalog::StageCatalog;
use super::feedback::NoteKind;
use super::lead::{Deal, DealStage, Lead, Note, Owner};
use super::sla::{SlaDef, SlaState, clock_at};
use super::stage::{Stage, Team};
use super::timeline::{EventKind, Timeline};

/// One figure: how many leads, and which.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    pub count: usize,
    pub lead_ids: Vec<String>,
}

impl Change {
    fn of(ids: impl IntoIterator<Item = String>) -> Self {
        let lead_ids: Vec<String> = ids
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Change {
            count: lead_ids.len(),
            lead_ids,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub new_mqls: Change,
    pub handoffs: Change,
    pub accepted: Change,
    pub recycles: Change,
    /// Leads with a `#reject` note dated in the window, and how many per reason code.
    pub rejected: Change,
    pub rejection_reasons: Vec<(String, usize)>,
    pub breaches_new: Change,
    pub breaches_cleared: Change,
    pub escalations_new: Change,
    pub won: Change,
    pub lost: Change,
    /// Of the leads in the flows above, those without vendor history: their events come
    /// from the stage dates, which date only the latest entry into each stage.
    pub from_stage_dates: usize,
}

/// What the computation reads.
pub struct ChangesInput<'a> {
    pub leads: &'a [Lead],
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub notes: &'a [Note],
    pub slas: &'a [SlaDef],
    pub calendar: &'a BusinessCalendar,
    /// The stage rules timelines are classified with.
    pub stages: &'a StageCatalog,
    /// The CRM's owners: a hand-off is to a sales owner.
    pub owners: &'a [Owner],
    /// Under a person or team lens: whose events count (the owner right after each).
    pub by_owner: Option<&'a super::lens::ByOwner>,
    /// `leads`' timelines under `stages`, in order, where the caller built them already (a
    /// replay computes a window a week); `None`: built here.
    pub timelines: Option<&'a [Timeline]>,
}

/// Why a rejection carries no reason: it was made outside tandem, without a `#reject` note.
pub const NO_REASON: &str = "no reason recorded";

impl Changes {
    /// Every lead id any figure lists (a lead may appear under several).
    pub fn lead_ids(&self) -> impl Iterator<Item = &String> {
        [
            &self.new_mqls,
            &self.handoffs,
            &self.accepted,
            &self.recycles,
            &self.rejected,
            &self.breaches_new,
            &self.breaches_cleared,
            &self.escalations_new,
            &self.won,
            &self.lost,
        ]
        .into_iter()
        .flat_map(|c| c.lead_ids.iter())
    }

    pub fn compute(input: &ChangesInput<'_>, since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t > since && t <= until);
        let sales: HashSet<&str> = input
            .owners
            .iter()
            .filter(|o| o.team == Some(Team::Sales))
            .map(|o| o.id.as_str())
            .collect();
        let mut flows: [Vec<String>; 5] = Default::default();
        let mut from_stage_dates = 0;
        // Leads breached before the window and at its end, and escalated then and now.
        let mut breached: [HashSet<String>; 4] = Default::default();
        let levels = [
            (since, SlaState::Breached),
            (until, SlaState::Breached),
            (since, SlaState::Escalated),
            (until, SlaState::Escalated),
        ];
        for (i, lead) in input.leads.iter().enumerate() {
            // Without timelines at hand, each is built for its lead and dropped after it: a
            // million leads' timelines are never held at once.
            let built;
            let timeline = match input.timelines.and_then(|t| t.get(i)) {
                Some(t) => t,
                None => {
                    built = Timeline::of(lead, input.stages);
                    &built
                }
            };
            let mut counted = false;
            for e in timeline.events(|o| sales.contains(o)) {
                if !within(Some(e.at)) {
                    continue;
                }
                if let Some(rule) = input.by_owner {
                    let team = timeline.stage_at(e.at).and_then(|s| input.stages.team(s));
                    if !rule.keeps(e.owner.as_deref(), team) {
                        continue;
                    }
                }
                let flow = match e.kind {
                    EventKind::Entered(Stage::Mql) => 0,
                    EventKind::HandedOff => 1,
                    EventKind::Accepted => 2,
                    EventKind::Recycled => 3,
                    EventKind::Rejected => 4,
                    _ => continue,
                };
                flows[flow].push(lead.id.to_string());
                counted = true;
            }
            if counted && timeline.fallback {
                from_stage_dates += 1;
            }
            for (set, (t, level)) in breached.iter_mut().zip(levels) {
                if breached_at(input, lead, timeline, t, level) {
                    set.insert(lead.id.to_string());
                }
            }
        }
        let [new_mqls, handoffs, accepted, recycles, rejected] = flows.map(Change::of);
        // Each rejected lead's reason: tandem's `#reject` note on it in the window.
        let noted: std::collections::HashMap<&str, &str> = input
            .notes
            .iter()
            .filter(|n| within(Some(n.at)))
            .filter_map(|n| match &n.kind {
                NoteKind::Reject { reason, .. } => {
                    Some((n, reason.as_deref().unwrap_or(NO_REASON)))
                }
                _ => None,
            })
            .flat_map(|(n, r)| n.lead_ids.iter().map(move |id| (id.as_str(), r)))
            .collect();
        let reasons = rejected
            .lead_ids
            .iter()
            .map(|id| noted.get(id.as_str()).copied().unwrap_or(NO_REASON));
        let rejection_reasons = super::reject::roll_up(reasons);
        // A deal closes when it enters a closed stage, by its own stage history.
        let closed = |won: bool| {
            input
                .deals
                .iter()
                .filter(|d| {
                    d.closings(input.deal_stages)
                        .iter()
                        .any(|&(at, w)| w == won && within(Some(at)))
                })
                .flat_map(|d| d.contact_ids.iter().cloned())
                .collect::<Vec<_>>()
        };
        let [before, after, escalated_before, escalated_after] = breached;
        Changes {
            since,
            until,
            new_mqls,
            handoffs,
            accepted,
            recycles,
            rejected,
            rejection_reasons,
            breaches_new: Change::of(after.difference(&before).cloned()),
            breaches_cleared: Change::of(before.difference(&after).cloned()),
            escalations_new: Change::of(escalated_after.difference(&escalated_before).cloned()),
            won: Change::of(closed(true)),
            lost: Change::of(closed(false)),
            from_stage_dates,
        }
    }
}

/// "Since the last standup" (metrics.md §3): the previous working day's standup, whatever
/// the time of day. A report run at 08:55 before Tuesday's standup covers Monday 09:30 → now,
/// never Friday's.
pub fn previous_standup(
    cal: &BusinessCalendar,
    at: chrono::NaiveTime,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    cal.previous_working_time(at, now)
        .unwrap_or(now - chrono::Duration::hours(24))
}

/// Whether the lead has a clock at `level` or past it at `t` (breached: escalated ones
/// too), each clock as it stood then on the lead's timeline.
/// Under a person or team lens, the breaches are what that person or team must act on now:
/// their current leads.
fn breached_at(
    input: &ChangesInput<'_>,
    lead: &Lead,
    timeline: &Timeline,
    t: DateTime<Utc>,
    level: SlaState,
) -> bool {
    let team = lead.stage.and_then(|s| input.stages.team(s));
    if input
        .by_owner
        .is_some_and(|r| !r.acts_now(lead.owner_id.as_deref(), team))
    {
        return false;
    }
    // Without history a disqualification is undated: taken as always so, it never
    // reports a breach "cleared" by a disqualification that may be months old.
    if timeline.fallback && lead.stage == Some(Stage::Disqualified) {
        return false;
    }
    input.slas.iter().enumerate().any(|(i, def)| {
        clock_at(i, def, lead, timeline, input.calendar, t)
            .is_some_and(|clock| clock.state(t) >= level)
    })
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;
