//! Property history, kept as HubSpot keeps it: every value a property takes, with when and
//! who set it (`propertiesWithHistory` on list, read and batch read serves it newest first).
//!
//! Every write goes through [`super::write::commit`], which records each change here, so a
//! live world's steps and every API write leave history as they happen. A generated world's
//! past is folded rather than replayed (`generate.rs`); its contacts get their history from
//! [`replayed`], which runs the same journey steps on a scratch world.

use chrono::{DateTime, Utc};

/// Who set a value: HubSpot's `sourceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A private app through the API (tandem's writes).
    Integration,
    /// A person in HubSpot (reps accepting, qualifying, recycling).
    CrmUi,
    /// A workflow (lead scoring that makes an MQL).
    Automation,
    /// A form submission (new contacts).
    Form,
    /// HubSpot's own derived stamps (`hs_lifecyclestage_*_date`, `closedate`).
    Calculated,
    /// A value the record came with (a generated contact's imported past).
    Import,
}

impl Source {
    pub fn source_type(self) -> &'static str {
        match self {
            Source::Integration => "INTEGRATION",
            Source::CrmUi => "CRM_UI",
            Source::Automation => "AUTOMATION",
            Source::Form => "FORM",
            Source::Calculated => "CALCULATED",
            Source::Import => "IMPORT",
        }
    }
}

/// One value a property took. A cleared property has the value `""`, as HubSpot shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Numbered (`props::intern`): history repeats a few names millions of times.
    pub prop: super::props::Name,
    /// Inline up to 24 bytes (a timestamp, a stage): no allocation of its own.
    pub value: compact_str::CompactString,
    pub at: DateTime<Utc>,
    pub source: Source,
}

/// The properties whose history a generated contact gets from its replayed journey: the
/// ones stage rules and owner-based figures read. Others show one entry, their value as
/// set at creation.
pub const REPLAYED: [&str; 7] = [
    "lifecyclestage",
    "hs_lead_status",
    "hubspotscore",
    "hubspot_owner_id",
    "hubspot_owner_assigneddate",
    "notes_last_contacted",
    "hs_email_last_send_date",
];

/// Replays journeys on a scratch world (the same owners, nothing else) to learn the history
/// their steps write, for contacts generation folds straight to their state at the anchor.
pub struct Replayer {
    scratch: super::World,
}

impl Replayer {
    pub fn new(owners: &[super::Owner]) -> Self {
        let mut scratch = super::World::empty(DateTime::<Utc>::UNIX_EPOCH, false);
        scratch.owners = owners.to_vec();
        Replayer { scratch }
    }

    /// The history of [`REPLAYED`] properties that `j`'s steps up to `anchor` write, then
    /// made to end on `current` (the contact as generation wrote it): a folded choice such
    /// as which working status a rep picked is the last word.
    pub fn contact(
        &mut self,
        j: &super::journey::Journey,
        anchor: DateTime<Utc>,
        current: &super::Record,
    ) -> Vec<Change> {
        use super::ObjType;
        let w = &mut self.scratch;
        for t in ObjType::ALL {
            w.table_mut(t).clear();
        }
        w.clock = super::Clock::Live {
            last: j.created - chrono::Duration::milliseconds(1),
        };
        let ts = w.stamp_at(j.created);
        let id = w.insert_new(ObjType::Contacts, ts);
        let stage = if j.subscriber { "subscriber" } else { "lead" };
        let first = vec![("lifecyclestage".to_string(), Some(stage.to_string()))];
        super::write::commit(w, ObjType::Contacts, id, first, ts, Source::Form);
        for e in j.events.iter().filter(|e| e.at <= anchor) {
            super::evolve::apply(w, id, *e);
        }
        let replayed = w
            .get(ObjType::Contacts, id)
            .map(|r| r.history.clone())
            .unwrap_or_default();
        ending_on(replayed, &REPLAYED, current)
    }

    /// The history of [`DEAL_REPLAYED`] properties of the deal the last [`Self::contact`]
    /// replay opened (none: empty), to be made to end on the generated deal with
    /// [`ending_on`] once it exists.
    pub fn deal(&self) -> Vec<Change> {
        self.scratch
            .table(super::ObjType::Deals)
            .values()
            .next()
            .map(|d| d.history.clone())
            .unwrap_or_default()
    }
}

/// The deal properties whose history a generated deal gets from its replayed journey: the
/// stage (won and lost are dated by it) and the close date.
pub const DEAL_REPLAYED: [&str; 2] = ["dealstage", "closedate"];

/// `replayed` kept to `props`, then made to end on `current`'s values: a folded choice is
/// the last word. A property the replay never set but `current` has gets one entry at the
/// record's creation.
pub fn ending_on(replayed: Vec<Change>, props: &[&str], current: &super::Record) -> Vec<Change> {
    let mut out: Vec<Change> = replayed
        .into_iter()
        .filter(|c| props.contains(&c.prop.as_str()))
        .collect();
    for prop in props {
        let want = current.get(prop).unwrap_or("");
        match out.iter_mut().rev().find(|c| c.prop == *prop) {
            Some(last) if last.value != want => last.value = want.into(),
            Some(_) => {}
            None if !want.is_empty() => out.push(Change {
                prop: super::props::intern(prop),
                value: want.into(),
                at: current.created_at,
                source: Source::Form,
            }),
            None => {}
        }
    }
    // A corrected value can repeat the one before it: keep one.
    let mut kept: Vec<Change> = Vec::with_capacity(out.len());
    for c in out {
        let repeat = kept
            .iter()
            .rev()
            .find(|k| k.prop == c.prop)
            .is_some_and(|k| k.value == c.value);
        if !repeat {
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| c.at);
    kept
}
