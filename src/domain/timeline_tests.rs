//! Timelines on hand-built histories: the awkward cases of metrics.md §7, each pinned.

use chrono::{DateTime, Utc};

use super::*;
use crate::config::Config;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::lead::{History, OwnerChange, PropChange};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn catalog() -> StageCatalog {
    Config::builtin().stages
}

/// A lead whose history is written step by step, as the CRM records it.
struct Built {
    lead: Lead,
}

impl Built {
    fn new(created: &str) -> Self {
        let mut lead = lead_in(Stage::Inquiry);
        lead.dates.set_created(Some(at(created)));
        let mut b = Built { lead };
        b.set(created, &[("lifecyclestage", "lead")]);
        b
    }

    fn set(&mut self, when: &str, props: &[(&str, &str)]) -> &mut Self {
        for (prop, value) in props {
            self.lead.history.edit(|h| {
                h.props.push(PropChange {
                    prop: (*prop).into(),
                    value: (*value).into(),
                    at: at(when),
                });
            });
        }
        self
    }

    fn owner(&mut self, when: &str, owner: Option<&str>) -> &mut Self {
        self.lead.history.edit(|h| {
            h.owners.push(OwnerChange {
                owner_id: owner.map(Sym::from),
                at: at(when),
            });
        });
        self
    }

    fn timeline(&mut self) -> Timeline {
        let h = self.lead.history.lists();
        self.lead.updated_at = h.props.iter().map(|c| c.at).max().unwrap_or_default();
        // The lead as the vendor has it now: its history's last values, classified.
        let mut now = std::collections::BTreeMap::new();
        for c in &h.props {
            now.insert(c.prop, c.value);
        }
        self.lead.stage =
            catalog().classify(|name| now.get(name).map(|v| v.as_str()).filter(|v| !v.is_empty()));
        Timeline::of(&self.lead, &catalog())
    }
}

fn is_sales(owner: &str) -> bool {
    owner.starts_with('s')
}

fn kinds(t: &Timeline) -> Vec<(EventKind, DateTime<Utc>)> {
    t.events(is_sales).iter().map(|e| (e.kind, e.at)).collect()
}

fn has(t: &Timeline, kind: EventKind) -> Vec<DateTime<Utc>> {
    t.events(is_sales)
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.at)
        .collect()
}

const MQL: &str = "marketingqualifiedlead";

#[test]
fn handed_off_accepted_and_recycled_within_one_day_are_three_events_and_no_more() {
    let mut b = Built::new("2026-11-16T09:00:00Z");
    b.set(
        "2026-11-17T09:00:00Z",
        &[("lifecyclestage", MQL), ("hs_lead_status", "NEW")],
    )
    .owner("2026-11-17T10:00:00Z", Some("s1"))
    .set("2026-11-17T11:00:00Z", &[("hs_lead_status", "OPEN")])
    // The recycle: stage cleared, then lead + BAD_TIMING and a marketing owner.
    .set("2026-11-17T15:00:00.000Z", &[("lifecyclestage", "")])
    .set(
        "2026-11-17T15:00:00.001Z",
        &[("lifecyclestage", "lead"), ("hs_lead_status", "BAD_TIMING")],
    )
    .owner("2026-11-17T15:00:00.001Z", Some("m1"));
    let t = b.timeline();
    let stages: Vec<Option<Stage>> = t.stages.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        stages,
        [Stage::Inquiry, Stage::Mql, Stage::Sal, Stage::Nurture].map(Some),
        "the cleared moment is no stage"
    );
    assert_eq!(has(&t, EventKind::HandedOff), [at("2026-11-17T10:00:00Z")]);
    assert_eq!(has(&t, EventKind::Accepted), [at("2026-11-17T11:00:00Z")]);
    assert_eq!(
        has(&t, EventKind::Recycled),
        [at("2026-11-17T15:00:00.001Z")]
    );
    assert!(has(&t, EventKind::Rejected).is_empty());
    // Accepted by the rep it was handed to; recycled to marketing, which is no hand-off.
    let accepted = t
        .events(is_sales)
        .into_iter()
        .find(|e| e.kind == EventKind::Accepted);
    assert_eq!(accepted.unwrap().owner.as_deref(), Some("s1"));
    assert!(!t.fallback);
}

#[test]
fn a_re_entry_into_mql_is_a_second_entry_and_a_rejection_only_without_acceptance() {
    let mut b = Built::new("2026-10-01T09:00:00Z");
    b.set("2026-10-02T09:00:00Z", &[("lifecyclestage", MQL)])
        // Rejected back to nurture, never accepted.
        .set("2026-10-02T12:00:00Z", &[("hs_lead_status", "BAD_TIMING")])
        // Scores its way back.
        .set("2026-10-20T09:00:00Z", &[("hs_lead_status", "NEW")])
        .set("2026-10-20T10:00:00Z", &[("hs_lead_status", "OPEN")]);
    let t = b.timeline();
    assert_eq!(
        t.entries(Stage::Mql).collect::<Vec<_>>(),
        [at("2026-10-02T09:00:00Z"), at("2026-10-20T09:00:00Z")]
    );
    assert_eq!(has(&t, EventKind::Rejected), [at("2026-10-02T12:00:00Z")]);
    assert!(
        has(&t, EventKind::Recycled).is_empty(),
        "a rejection is no recycle"
    );
    assert_eq!(has(&t, EventKind::Accepted), [at("2026-10-20T10:00:00Z")]);
}

#[test]
fn an_mql_that_jumps_to_sql_is_accepted_at_that_entry() {
    let mut b = Built::new("2026-10-01T09:00:00Z");
    b.set("2026-10-02T09:00:00Z", &[("lifecyclestage", MQL)])
        .set(
            "2026-10-03T09:00:00Z",
            &[("lifecyclestage", "salesqualifiedlead")],
        );
    let t = b.timeline();
    assert_eq!(has(&t, EventKind::Accepted), [at("2026-10-03T09:00:00Z")]);
    assert_eq!(t.stage_at(at("2026-10-02T23:00:00Z")), Some(Stage::Mql));
    assert_eq!(
        t.stage_at(at("2026-09-30T00:00:00Z")),
        None,
        "not yet created"
    );
}

#[test]
fn an_accepted_sal_recycled_before_sql_is_a_recycle_not_a_rejection() {
    let mut b = Built::new("2026-10-01T09:00:00Z");
    b.set(
        "2026-10-02T09:00:00Z",
        &[("lifecyclestage", MQL), ("hs_lead_status", "NEW")],
    )
    .set("2026-10-02T10:00:00Z", &[("hs_lead_status", "OPEN")])
    .owner("2026-10-02T10:00:00Z", Some("s2"))
    .set("2026-10-09T10:00:00Z", &[("hs_lead_status", "BAD_TIMING")]);
    let t = b.timeline();
    assert_eq!(has(&t, EventKind::Recycled), [at("2026-10-09T10:00:00Z")]);
    assert!(has(&t, EventKind::Rejected).is_empty());
    // The accept that assigned the owner in the same write is the hand-off too.
    assert_eq!(has(&t, EventKind::HandedOff), [at("2026-10-02T10:00:00Z")]);
    assert_eq!(has(&t, EventKind::Accepted), [at("2026-10-02T10:00:00Z")]);
}

#[test]
fn an_undone_hand_off_leaves_one_hand_off_and_the_lead_in_mql() {
    let mut b = Built::new("2026-10-01T09:00:00Z");
    b.set(
        "2026-10-02T09:00:00Z",
        &[("lifecyclestage", MQL), ("hs_lead_status", "NEW")],
    )
    .owner("2026-10-02T09:30:00Z", Some("s1"))
    .owner("2026-10-02T09:30:08Z", None);
    let t = b.timeline();
    assert_eq!(has(&t, EventKind::HandedOff), [at("2026-10-02T09:30:00Z")]);
    assert!(has(&t, EventKind::Accepted).is_empty());
    assert_eq!(t.owner_at(at("2026-10-02T09:31:00Z")), None);
    assert_eq!(t.owner_at(at("2026-10-02T09:30:05Z")), Some("s1"));
    // A hand-off once accepted is none: re-routing after acceptance is not counted.
    b.set("2026-10-03T09:00:00Z", &[("hs_lead_status", "OPEN")])
        .owner("2026-10-03T09:00:00Z", Some("s1"))
        .owner("2026-10-04T09:00:00Z", Some("s2"));
    let t = b.timeline();
    assert_eq!(
        has(&t, EventKind::HandedOff),
        [at("2026-10-02T09:30:00Z"), at("2026-10-03T09:00:00Z")]
    );
}

#[test]
fn events_come_oldest_first_with_entries_beside_them() {
    let mut b = Built::new("2026-10-01T09:00:00Z");
    b.set("2026-10-02T09:00:00Z", &[("lifecyclestage", MQL)])
        .set("2026-10-02T12:00:00Z", &[("hs_lead_status", "UNQUALIFIED")]);
    let t = b.timeline();
    assert_eq!(
        kinds(&t),
        [
            (
                EventKind::Entered(Stage::Inquiry),
                at("2026-10-01T09:00:00Z")
            ),
            (EventKind::Entered(Stage::Mql), at("2026-10-02T09:00:00Z")),
            (
                EventKind::Entered(Stage::Disqualified),
                at("2026-10-02T12:00:00Z")
            ),
            (EventKind::Rejected, at("2026-10-02T12:00:00Z")),
            (EventKind::Disqualified, at("2026-10-02T12:00:00Z")),
        ]
    );
}

#[test]
fn without_history_the_stage_dates_give_a_fallback_timeline_that_says_so() {
    let mut lead = lead_in(Stage::Sql);
    lead.history = History::default();
    lead.dates.set_created(Some(at("2026-10-01T09:00:00Z")));
    lead.dates.set_mql(Some(at("2026-10-02T09:00:00Z")));
    lead.dates.set_accepted(Some(at("2026-10-02T11:00:00Z")));
    lead.dates.set_sql(Some(at("2026-10-05T09:00:00Z")));
    lead.owner_id = Some("s1".into());
    lead.updated_at = at("2026-10-05T09:00:00Z");
    let t = Timeline::of(&lead, &catalog());
    assert!(t.fallback);
    assert_eq!(
        t.stages.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [Stage::Inquiry, Stage::Mql, Stage::Sal, Stage::Sql].map(Some)
    );
    assert_eq!(t.owner_at(at("2026-10-03T00:00:00Z")), Some("s1"));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn when() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            Just(DateTime::<Utc>::MIN_UTC),
            Just(DateTime::<Utc>::MAX_UTC),
            (0i64..2_000_000_000_000).prop_map(|ms| DateTime::from_timestamp_millis(ms).unwrap()),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "",
            "lead",
            "marketingqualifiedlead",
            "salesqualifiedlead",
            "opportunity",
            "customer",
            "NEW",
            "OPEN",
            "BAD_TIMING",
            "UNQUALIFIED",
            "junk",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
           #[test]
           fn any_history_gives_a_timeline_of_changes_ending_now_and_sorted_events(
               props in prop::collection::vec(
                   (when(), prop::sample::select(vec!["lifecyclestage", "hs_lead_status"]), value()),
                   0..12,
               ),
               owners in prop::collection::vec((when(), prop::option::of(prop::sample::select(vec!["s1", "m1"]))), 0..5),
           ) {
               let mut lead = lead_in(Stage::Mql);
               let mut props: Vec<PropChange> = props
                   .into_iter()
                   .map(|(at, prop, value)| PropChange { prop: (*prop).into(), value: (*value).into(), at })
                   .collect();
               props.sort_by_key(|c| c.at);
               lead.history.edit(|h| {
    h.props = props;
    });
               let mut owners: Vec<OwnerChange> = owners
                   .into_iter()
                   .map(|(at, o)| OwnerChange { owner_id: o.map(Sym::from), at })
                   .collect();
               owners.sort_by_key(|c| c.at);
               lead.history.edit(|h| {
    h.owners = owners;
    });
               let t = Timeline::of(&lead, &catalog());
               prop_assert!(t.stages.windows(2).all(|w| w[0].1 != w[1].1));
               prop_assert_eq!(t.stages.last().map(|(_, s)| *s), Some(lead.stage));
               let events = t.events(is_sales);
               prop_assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
           }
       }
}
