//! The lead-level part of a snapshot: how many leads each stage holds, each stage's leads
//! most urgent first, and every running SLA clock soonest due first. Kept up to date lead by
//! lead: a poll that changes k leads costs O(k log n) plus one pass over the running clocks,
//! never a pass over every lead.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::business_hours::BusinessCalendar;
use super::catalog::StageCatalog;
use super::lead::Lead;
use super::ranked::Ranked;
use super::sla::{SlaDef, SlaTimer, timer_for};
use super::stage::Stage;
use super::timeline::Timeline;

/// What the board is derived from.
#[derive(Clone, Copy)]
pub struct BoardInput<'a> {
    pub leads: &'a [Lead],
    pub slas: &'a [SlaDef],
    pub calendar: &'a BusinessCalendar,
    pub stages: &'a StageCatalog,
}

#[derive(Debug, Clone, Default)]
pub struct Board {
    /// Leads per stage, in [`Stage::ALL`] order.
    pub counts: [usize; 8],
    /// Leads whose vendor stage maps to no shared stage.
    pub unmapped: usize,
    /// Indices into the lead slice, per stage, most urgent first.
    pub stage_leads: [Ranked; 8],
    /// Running SLA clocks, earliest due first (then by lead id and SLA).
    pub timers: Vec<SlaTimer>,
    /// Per lead index, what orders it in its stage's list.
    keys: Vec<Key>,
    /// Each lead's most urgent clock's due time, soonest first: leads leaking at any
    /// instant are a binary search away.
    urgent: Vec<DateTime<Utc>>,
    /// At least the longest warning any clock held gives (due time less warning time):
    /// every clock in warning or past due at `now` is due by `now` plus this.
    warn_span: chrono::Duration,
}

/// Boards are equal when they list the same; `warn_span` is a bound, kept loosely.
impl PartialEq for Board {
    fn eq(&self, other: &Self) -> bool {
        self.counts == other.counts
            && self.unmapped == other.unmapped
            && self.stage_leads == other.stage_leads
            && self.timers == other.timers
            && self.keys == other.keys
            && self.urgent == other.urgent
    }
}

/// Where a lead sits: its stage, its most urgent clock's due time, and when it entered
/// the stage (the newest arrivals first among leads without a clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Key {
    stage: Option<u8>,
    due: Option<DateTime<Utc>>,
    entered: Option<DateTime<Utc>>,
}

pub fn stage_index(stage: Stage) -> usize {
    Stage::ALL
        .iter()
        .position(|s| *s == stage)
        .expect("every stage is listed")
}

/// Soonest due first, then by lead and by SLA: one order, however the list was built.
fn timer_order(a: &SlaTimer, b: &SlaTimer) -> Ordering {
    a.due_at
        .cmp(&b.due_at)
        .then_with(|| a.lead_id.cmp(&b.lead_id))
        .then(a.sla.cmp(&b.sla))
}

/// `lead`'s running clocks, one per SLA watching its stage.
fn clocks(input: &BoardInput<'_>, lead: &Lead) -> Vec<SlaTimer> {
    if !input.slas.iter().any(|def| lead.stage == Some(def.stage)) {
        return Vec::new();
    }
    // Only a lead in a watched stage needs its timeline, for its clocks' start.
    let timeline = Timeline::of(lead, input.stages);
    input
        .slas
        .iter()
        .enumerate()
        .filter_map(|(d, def)| timer_for(d, def, lead, &timeline, input.calendar))
        .collect()
}

fn key_of(lead: &Lead, clocks: &[SlaTimer]) -> Key {
    Key {
        stage: lead.stage.map(|s| stage_index(s) as u8),
        due: clocks.iter().map(|t| t.due_at).min(),
        entered: lead.entered_current_stage(),
    }
}

impl Board {
    /// The board of every lead, from scratch.
    pub fn build(input: &BoardInput<'_>) -> Board {
        let mut board = Board::default();
        let mut members: [Vec<usize>; 8] = Default::default();
        board.keys.reserve(input.leads.len());
        for (i, lead) in input.leads.iter().enumerate() {
            let clocks = clocks(input, lead);
            let key = key_of(lead, &clocks);
            board.keys.push(key);
            board.timers.extend(clocks);
            match key.stage {
                Some(s) => {
                    board.counts[usize::from(s)] += 1;
                    members[usize::from(s)].push(i);
                }
                None => board.unmapped += 1,
            }
        }
        board.timers.sort_by(timer_order);
        board.warn_span = warn_span(&board.timers);
        board.urgent = board.keys.iter().filter_map(|k| k.due).collect();
        board.urgent.sort_unstable();
        let (keys, leads) = (&board.keys, input.leads);
        for (list, mut members) in board.stage_leads.iter_mut().zip(members) {
            members.sort_by(|&a, &b| urgency(keys, leads, a, b));
            *list = Ranked::from_sorted(members);
        }
        board
    }

    /// Bring the board up to date after the leads at `changed` were replaced or appended
    /// (indices into `input.leads`; the others are as the board last saw them).
    pub fn update(&mut self, input: &BoardInput<'_>, changed: &[usize]) {
        let mut changed: Vec<usize> = changed.to_vec();
        changed.sort_unstable();
        changed.dedup();
        let leads = input.leads;
        // Out of their lists first, by the keys they were placed with.
        for &i in changed.iter().filter(|&&i| i < self.keys.len()) {
            let key = self.keys[i];
            if let Some(due) = key.due
                && let Ok(at) = self.urgent.binary_search(&due)
            {
                self.urgent.remove(at);
            }
            match key.stage {
                Some(s) => {
                    let keys = &self.keys;
                    self.stage_leads[usize::from(s)].remove_by(|j| urgency(keys, leads, j, i));
                    self.counts[usize::from(s)] -= 1;
                }
                None => self.unmapped -= 1,
            }
        }
        // Every running clock is checked against the changed leads: foldhash, not SipHash,
        // since at 1M leads this is a few hundred thousand lookups a poll.
        let ids: HashSet<&str, foldhash::fast::RandomState> = changed
            .iter()
            .filter_map(|&i| leads.get(i))
            .map(|l| l.id.as_str())
            .collect();
        if !ids.is_empty() {
            self.timers.retain(|t| !ids.contains(t.lead_id.as_str()));
        }
        let mut fresh = Vec::new();
        for &i in &changed {
            let Some(lead) = leads.get(i) else { continue };
            let clocks = clocks(input, lead);
            let key = key_of(lead, &clocks);
            if i >= self.keys.len() {
                self.keys.resize(i + 1, Key::default());
            }
            self.keys[i] = key;
            fresh.extend(clocks);
        }
        // Then back in, by their new keys.
        for &i in changed.iter().filter(|&&i| i < leads.len()) {
            if let Some(due) = self.keys[i].due {
                let at = self.urgent.partition_point(|d| *d < due);
                self.urgent.insert(at, due);
            }
            match self.keys[i].stage {
                Some(s) => {
                    let keys = &self.keys;
                    self.stage_leads[usize::from(s)].insert_by(i, |j| urgency(keys, leads, j, i));
                    self.counts[usize::from(s)] += 1;
                }
                None => self.unmapped += 1,
            }
        }
        fresh.sort_by(timer_order);
        self.warn_span = self.warn_span.max(warn_span(&fresh));
        self.timers = merge(std::mem::take(&mut self.timers), fresh);
    }

    /// How many of the running clocks (soonest due first) can be in warning or past due at
    /// `now`: the breaches board reads these, not every clock.
    pub fn warned_by(&self, now: DateTime<Utc>) -> usize {
        let by = now + self.warn_span;
        self.timers.partition_point(|t| t.due_at <= by)
    }

    /// Each lead's most urgent clock's due time, soonest first.
    pub fn urgent(&self) -> &[DateTime<Utc>] {
        &self.urgent
    }

    /// Where the lead at `index` is listed in its stage.
    pub fn position(&self, index: usize, leads: &[Lead]) -> Option<usize> {
        let s = usize::from(self.keys.get(index)?.stage?);
        self.stage_leads[s].position_by(|j| urgency(&self.keys, leads, j, index))
    }

    /// The most urgent running clock of the lead at `index`.
    pub fn timer_of(&self, index: usize, lead: &Lead) -> Option<&SlaTimer> {
        let due = self.keys.get(index)?.due?;
        let from = self
            .timers
            .partition_point(|t| (t.due_at, t.lead_id.as_str()) < (due, lead.id.as_str()));
        self.timers
            .get(from)
            .filter(|t| t.due_at == due && t.lead_id == lead.id)
    }
}

/// The longest warning among `timers`.
fn warn_span(timers: &[SlaTimer]) -> chrono::Duration {
    (timers.iter())
        .map(|t| t.due_at - t.warn_at)
        .max()
        .unwrap_or_default()
}

/// Most urgent first: running clocks by due time, then the newest arrivals, then by id.
fn urgency(keys: &[Key], leads: &[Lead], a: usize, b: usize) -> Ordering {
    let (ka, kb) = (&keys[a], &keys[b]);
    match (ka.due, kb.due) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => kb.entered.cmp(&ka.entered),
    }
    .then_with(|| leads[a].id.cmp(&leads[b].id))
}

/// Two lists each in [`timer_order`], as one.
fn merge(a: Vec<SlaTimer>, b: Vec<SlaTimer>) -> Vec<SlaTimer> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if timer_order(x, y) != Ordering::Greater => a.next(),
            (Some(_), Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
