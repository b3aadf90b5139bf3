use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::lead::PropChange;
use crate::domain::lead::tests_support::lead_in;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// An MQL on Friday 15:00, accepted on Monday 10:30: 3h30 of business time later.
fn accepted_monday() -> Lead {
    let mut lead = lead_in(Stage::Sal);
    for (when, prop, value) in [
        (
            "2026-11-20T15:00:00Z",
            "lifecyclestage",
            "marketingqualifiedlead",
        ),
        ("2026-11-20T15:00:00Z", "hs_lead_status", "NEW"),
        ("2026-11-23T10:30:00Z", "hs_lead_status", "OPEN"),
    ] {
        lead.history.edit(|h| {
            h.props.push(PropChange {
                prop: prop.into(),
                value: value.into(),
                at: at(when),
            });
        });
    }
    lead.updated_at = at("2026-11-23T10:30:00Z");
    lead
}

fn mql_episodes(limit_hours: i64, lead: &Lead, now: &str) -> Vec<Episode> {
    let config = crate::config::Config::builtin();
    let mut slas = config.slas.clone();
    slas.retain(|d| d.id == "mql_response");
    slas[0].limit = Duration::hours(limit_hours);
    let defs = Definitions {
        stages: &config.stages,
        slas: &slas,
        calendar: &config.calendar,
        targets: &config.targets,
        half_life: config.attribution.half_life,
    };
    let timeline = Timeline::of(lead, defs.stages);
    episodes_of(0, lead, &timeline, &defs, at(now))
}

#[test]
fn a_clock_runs_from_the_entry_to_the_next_change_on_business_time() {
    let lead = accepted_monday();
    let [e] = &mql_episodes(4, &lead, "2026-11-24T12:00:00Z")[..] else {
        panic!("one MQL clock");
    };
    assert_eq!(e.timer.started_at, at("2026-11-20T15:00:00Z"));
    assert_eq!(e.stopped, Some(at("2026-11-23T10:30:00Z")));
    let config = crate::config::Config::builtin();
    let def = &config.slas[0];
    assert_eq!(
        e.response(def, &config.calendar),
        Some(Duration::minutes(210))
    );
    // 3h30 is inside 4h (no breach, past the 3h warning) and past 2h.
    assert!(!e.breached && e.warned);
    let [e] = &mql_episodes(2, &lead, "2026-11-24T12:00:00Z")[..] else {
        panic!("one MQL clock");
    };
    assert!(e.breached && e.warned);
    assert_eq!(e.timer.due_at, at("2026-11-20T17:00:00Z"));
}

#[test]
fn a_clock_unanswered_by_now_runs_on_and_breaches_only_once_due() {
    let mut lead = accepted_monday();
    lead.history.edit(|h| {
        h.props.pop();
    });
    lead.stage = Some(Stage::Mql);
    let [e] = &mql_episodes(4, &lead, "2026-11-23T10:59:00Z")[..] else {
        panic!("one MQL clock");
    };
    assert_eq!(e.stopped, None);
    assert!(e.warned && !e.breached, "due Monday 11:00");
    let [e] = &mql_episodes(4, &lead, "2026-11-23T11:00:00Z")[..] else {
        panic!("one MQL clock");
    };
    assert!(e.breached);
}

#[test]
fn the_replayed_weeks_are_whole_weeks_then_the_week_in_progress() {
    let w = weeks(at("2026-11-20T15:02:00Z"), 2);
    let starts: Vec<_> = w.iter().map(|p| p.start).collect();
    assert_eq!(
        starts,
        [
            at("2026-11-02T00:00:00Z"),
            at("2026-11-09T00:00:00Z"),
            at("2026-11-16T00:00:00Z")
        ]
    );
    assert!(w.windows(2).all(|p| p[0].end == p[1].start));
}
