use super::*;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::sym::Sym;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn lead(id: &str, stage: Stage) -> Lead {
    let mut l = lead_in(stage);
    l.id = id.into();
    l.dates.set_created(Some(at("2026-11-02T09:00:00Z")));
    l
}

/// A sales owner `s1` and a marketing owner `m1`.
fn owners() -> Vec<crate::domain::Owner> {
    [
        ("s1", crate::domain::Team::Sales),
        ("m1", crate::domain::Team::Marketing),
    ]
    .map(|(id, team)| crate::domain::Owner {
        id: id.into(),
        name: id.into(),
        email: format!("{id}@x.example"),
        team: Some(team),
    })
    .to_vec()
}

/// A lead with vendor history: `(when, property, value)` in order, `owners` likewise.
fn with_history(id: &str, props: &[(&str, &str, &str)], owned: &[(&str, Option<&str>)]) -> Lead {
    use crate::domain::lead::{OwnerChange, PropChange};
    let mut l = lead(id, Stage::Inquiry);
    for (when, prop, value) in props {
        l.history.edit(|h| {
            h.props.push(PropChange {
                prop: (*prop).into(),
                value: (*value).into(),
                at: at(when),
            });
        });
    }
    for (when, owner) in owned {
        l.history.edit(|h| {
            h.owners.push(OwnerChange {
                owner_id: owner.map(Sym::from),
                at: at(when),
            });
        });
    }
    let mut now = std::collections::BTreeMap::new();
    for c in &l.history.props() {
        now.insert(c.prop, c.value);
    }
    l.stage = crate::config::Config::builtin()
        .stages
        .classify(|n| now.get(n).map(|v| v.as_str()).filter(|v| !v.is_empty()));
    l.updated_at = l.history.props().last().map(|c| c.at).unwrap_or_default();
    l
}

/// The window: Thursday noon to Friday noon (week 47).
const SINCE: &str = "2026-11-19T12:00:00Z";
const UNTIL: &str = "2026-11-20T12:00:00Z";

fn changes(leads: &[Lead], deals: &[Deal], stages: &[DealStage], notes: &[Note]) -> Changes {
    let slas = crate::config::Config::builtin().slas;
    let calendar = BusinessCalendar::default();
    let input = ChangesInput {
        leads,
        deals,
        deal_stages: stages,
        notes,
        slas: &slas,
        calendar: &calendar,
        stages: &crate::config::Config::builtin().stages,
        owners: &owners(),
        by_owner: None,
        timelines: None,
    };
    Changes::compute(&input, at(SINCE), at(UNTIL))
}

#[test]
fn an_mql_in_the_window_is_new_and_one_before_it_is_not() {
    let mut fresh = lead("fresh", Stage::Mql);
    fresh.dates.set_mql(Some(at("2026-11-20T10:00:00Z")));
    let mut old = lead("old", Stage::Mql);
    old.dates.set_mql(Some(at("2026-11-19T11:59:00Z")));
    let c = changes(&[fresh, old], &[], &[], &[]);
    assert_eq!(c.new_mqls.lead_ids, ["fresh"]);
    assert_eq!(c.new_mqls.count, 1);
}

#[test]
fn a_clock_running_out_inside_the_window_is_a_new_breach() {
    // MQL Thursday 10:00, 4 business hours: due 14:00, still running at noon.
    let mut l = lead("late", Stage::Mql);
    l.dates.set_mql(Some(at("2026-11-19T10:00:00Z")));
    let c = changes(&[l], &[], &[], &[]);
    assert_eq!(c.breaches_new.lead_ids, ["late"]);
    assert!(c.breaches_cleared.lead_ids.is_empty());
}

#[test]
fn a_breach_left_past_escalate_after_in_the_window_is_a_new_escalation() {
    // mql_response escalating 4 business hours after its breach.
    let mut slas = crate::config::Config::builtin().slas;
    slas[0].escalate_after = Some(chrono::Duration::hours(4));
    let calendar = BusinessCalendar::default();
    // Due Thu 14:00: escalates Fri 10:00, inside the window (Thu 12:00, Fri 12:00].
    let mut inside = lead("inside", Stage::Mql);
    inside.dates.set_mql(Some(at("2026-11-19T10:00:00Z")));
    // Due Wed 13:00: escalated Wed 17:00, before the window opened.
    let mut before = lead("before", Stage::Mql);
    before.dates.set_mql(Some(at("2026-11-18T09:00:00Z")));
    // Due Fri 11:00: breached but not yet escalated at the window's end.
    let mut breached = lead("breached", Stage::Mql);
    breached.dates.set_mql(Some(at("2026-11-19T15:00:00Z")));
    let leads = [inside, before, breached];
    let input = ChangesInput {
        leads: &leads,
        deals: &[],
        deal_stages: &[],
        notes: &[],
        slas: &slas,
        calendar: &calendar,
        stages: &crate::config::Config::builtin().stages,
        owners: &owners(),
        by_owner: None,
        timelines: None,
    };
    let c = Changes::compute(&input, at(SINCE), at(UNTIL));
    assert_eq!(c.escalations_new.lead_ids, ["inside"]);
    // An escalated clock is still a breach: "before" was breached all along.
    assert_eq!(c.breaches_new.lead_ids, ["breached", "inside"]);
}

#[test]
fn a_breached_mql_accepted_and_touched_in_the_window_is_cleared() {
    // MQL Wednesday 10:00 (due 14:00): breached at Thursday noon. Accepted Thursday 13:00
    // and called at 13:30, so the SAL clock is met and nothing is breached on Friday.
    let mut l = lead("cleared", Stage::Sal);
    l.dates.set_mql(Some(at("2026-11-18T10:00:00Z")));
    l.dates.set_accepted(Some(at("2026-11-19T13:00:00Z")));
    l.dates
        .set_first_sales_activity(Some(at("2026-11-19T13:30:00Z")));
    l.dates
        .set_last_sales_activity(Some(at("2026-11-19T13:30:00Z")));
    l.owner_id = Some("s1".into());
    let c = changes(&[l], &[], &[], &[]);
    assert_eq!(c.breaches_cleared.lead_ids, ["cleared"]);
    assert!(c.breaches_new.lead_ids.is_empty());
    assert_eq!(c.handoffs.lead_ids, ["cleared"]);
    assert_eq!(c.accepted.lead_ids, ["cleared"]);
}

#[test]
fn a_handed_off_mql_keeps_its_clock_running_until_the_rep_accepts() {
    // MQL Wednesday 10:00, handed to s1 at 11:00 (still `mql`: the clock runs on), due
    // 14:00 and breached at Thursday noon. The rep accepts Thursday 15:00: cleared.
    let l = with_history(
        "waiting",
        &[
            ("2026-11-02T09:00:00Z", "lifecyclestage", "lead"),
            (
                "2026-11-18T10:00:00Z",
                "lifecyclestage",
                "marketingqualifiedlead",
            ),
            ("2026-11-19T15:00:00Z", "hs_lead_status", "OPEN"),
        ],
        &[("2026-11-18T11:00:00Z", Some("s1"))],
    );
    let mut touched = l.clone();
    touched.id = "touched".into();
    touched.history.edit(|h| {
        h.sales_touches = vec![at("2026-11-19T16:00:00Z")];
    });
    let mut untouched = l;
    untouched.id = "untouched".into();
    // The latest date says "touched" but the vendor's history dates it before acceptance.
    untouched.history.edit(|h| {
        h.sales_touches = vec![at("2026-11-19T14:00:00Z")];
    });
    untouched
        .dates
        .set_last_sales_activity(Some(at("2026-11-20T11:00:00Z")));
    let c = changes(&[touched, untouched], &[], &[], &[]);
    assert_eq!(
        c.handoffs.lead_ids,
        Vec::<String>::new(),
        "handed off before the window"
    );
    assert_eq!(c.accepted.lead_ids, ["touched", "untouched"]);
    assert_eq!(c.breaches_cleared.lead_ids, ["touched", "untouched"]);
    assert!(
        c.breaches_new.lead_ids.is_empty(),
        "the SAL clock runs to Tue 15:00"
    );
}

#[test]
fn a_sal_clock_at_an_earlier_instant_counts_only_touches_by_then() {
    // Accepted Monday 10:00: 24 business hours, due Thursday 10:00. Touched before the
    // acceptance (does not count) and on Thursday 13:00, inside the window: cleared.
    let mut l = with_history(
        "sal",
        &[
            ("2026-11-02T09:00:00Z", "lifecyclestage", "lead"),
            (
                "2026-11-13T10:00:00Z",
                "lifecyclestage",
                "marketingqualifiedlead",
            ),
            ("2026-11-16T10:00:00Z", "hs_lead_status", "OPEN"),
        ],
        &[("2026-11-16T10:00:00Z", Some("s1"))],
    );
    l.history.edit(|h| {
        h.sales_touches = vec![at("2026-11-16T09:00:00Z"), at("2026-11-19T13:00:00Z")];
    });
    let c = changes(&[l.clone()], &[], &[], &[]);
    assert_eq!(c.breaches_cleared.lead_ids, ["sal"]);
    // Without the Thursday touch it stays breached: neither new nor cleared.
    l.history.edit(|h| {
        h.sales_touches.pop();
    });
    let c = changes(&[l], &[], &[], &[]);
    assert!(c.breaches_cleared.lead_ids.is_empty() && c.breaches_new.lead_ids.is_empty());
}

#[test]
fn recycles_and_closed_deals_count_by_their_own_dates() {
    let recycle = |id: &str, when: &str| Note {
        id: id.into(),
        lead_ids: thin_vec::thin_vec![format!("lead-{id}").into()],
        owner_id: None,
        at: at(when),
        kind: NoteKind::Recycle {
            reason: Some("no_budget".into()),
            text: String::new(),
        },
    };
    let notes = [
        recycle("in", "2026-11-20T09:00:00Z"),
        recycle("out", "2026-11-18T09:00:00Z"),
    ];
    let stages = [
        DealStage {
            id: "won".into(),
            label: "Closed won".into(),
            order: 1,
            is_closed: true,
            is_won: true,
        },
        DealStage {
            id: "lost".into(),
            label: "Closed lost".into(),
            order: 2,
            is_closed: true,
            is_won: false,
        },
    ];
    let deal = |id: &str, stage: &str, closed: &str| Deal {
        id: id.into(),
        name: id.into(),
        amount: 1000.0,
        stage_id: stage.into(),
        created_at: None,
        close_date: Some(at(closed)),
        owner_id: None,
        contact_ids: vec![format!("c-{id}")],
        updated_at: at(closed),
        stage_history: Vec::new(),
    };
    let deals = [
        deal("a", "won", "2026-11-20T08:00:00Z"),
        deal("b", "lost", "2026-11-19T16:00:00Z"),
        deal("c", "won", "2026-11-10T08:00:00Z"),
    ];
    let c = changes(&[], &deals, &stages, &notes);
    assert!(
        c.recycles.lead_ids.is_empty(),
        "a note alone is no recycle: the lead's timeline says when it was recycled"
    );
    assert_eq!(c.won.lead_ids, ["c-a"]);
    assert_eq!(c.lost.lead_ids, ["c-b"]);

    // With history, the stage changes date the closes, whatever `closedate` says: a deal
    // lost last week, reopened and won in the window is won (not lost) in it; one lost in
    // the window and reopened since is lost in it.
    let history = |steps: &[(&str, &str)]| -> Vec<(DateTime<Utc>, String)> {
        steps.iter().map(|(t, s)| (at(t), s.to_string())).collect()
    };
    let mut reopened = deal("r", "won", "2026-11-01T08:00:00Z");
    reopened.stage_history = history(&[
        ("2026-10-01T08:00:00Z", "open"),
        ("2026-11-12T08:00:00Z", "lost"),
        ("2026-11-13T08:00:00Z", "open"),
        ("2026-11-20T10:00:00Z", "won"),
    ]);
    let mut relost = deal("s", "open", "2026-12-01T08:00:00Z");
    relost.stage_history = history(&[
        ("2026-10-01T08:00:00Z", "open"),
        ("2026-11-19T13:00:00Z", "lost"),
        ("2026-11-20T11:00:00Z", "open"),
    ]);
    let c = changes(&[], &[reopened, relost], &stages, &[]);
    assert_eq!(c.won.lead_ids, ["c-r"]);
    assert_eq!(c.lost.lead_ids, ["c-s"]);
}

#[test]
fn one_lead_handed_off_accepted_and_recycled_in_the_window_counts_once_in_each_flow() {
    let busy = with_history(
        "busy",
        &[
            ("2026-11-02T09:00:00Z", "lifecyclestage", "lead"),
            (
                "2026-11-19T13:00:00Z",
                "lifecyclestage",
                "marketingqualifiedlead",
            ),
            ("2026-11-19T15:00:00Z", "hs_lead_status", "OPEN"),
            ("2026-11-20T10:00:00.000Z", "lifecyclestage", ""),
            ("2026-11-20T10:00:00.001Z", "lifecyclestage", "lead"),
            ("2026-11-20T10:00:00.001Z", "hs_lead_status", "BAD_TIMING"),
        ],
        &[
            ("2026-11-19T14:00:00Z", Some("s1")),
            ("2026-11-20T10:00:00.001Z", Some("m1")),
        ],
    );
    // Rejected: left MQL for nurture unaccepted; its reason from tandem's note.
    let turned_down = with_history(
        "turned-down",
        &[
            ("2026-11-02T09:00:00Z", "lifecyclestage", "lead"),
            (
                "2026-11-18T09:00:00Z",
                "lifecyclestage",
                "marketingqualifiedlead",
            ),
            ("2026-11-20T09:00:00Z", "hs_lead_status", "UNQUALIFIED"),
        ],
        &[],
    );
    let ignored = with_history(
        "ignored",
        &[
            ("2026-11-02T09:00:00Z", "lifecyclestage", "lead"),
            (
                "2026-11-18T09:00:00Z",
                "lifecyclestage",
                "marketingqualifiedlead",
            ),
            ("2026-11-20T09:00:00Z", "hs_lead_status", "BAD_TIMING"),
        ],
        &[],
    );
    let note = Note {
        id: "n".into(),
        lead_ids: thin_vec::thin_vec!["turned-down".into()],
        owner_id: Some("s1".into()),
        at: at("2026-11-20T09:00:01Z"),
        kind: NoteKind::Reject {
            reason: Some("no_fit".into()),
            text: String::new(),
        },
    };
    let c = changes(&[busy, turned_down, ignored], &[], &[], &[note]);
    assert_eq!(c.new_mqls.lead_ids, ["busy"]);
    assert_eq!(
        c.handoffs.lead_ids,
        ["busy"],
        "the recycle's marketing owner is no hand-off"
    );
    assert_eq!(c.accepted.lead_ids, ["busy"]);
    assert_eq!(c.recycles.lead_ids, ["busy"]);
    assert_eq!(c.rejected.lead_ids, ["ignored", "turned-down"]);
    assert_eq!(
        c.rejection_reasons,
        [
            ("no reason recorded".to_string(), 1),
            ("no_fit".to_string(), 1)
        ]
    );
    assert_eq!(c.from_stage_dates, 0);
}

#[test]
fn the_last_standup_is_the_previous_working_days() {
    let cal = BusinessCalendar::default();
    let nine_thirty = chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap();
    // Friday afternoon and Friday at the standup both look back to Thursday 09:30.
    for now in ["2026-11-20T15:00:00Z", "2026-11-20T09:30:00Z"] {
        assert_eq!(
            previous_standup(&cal, nine_thirty, at(now)),
            at("2026-11-19T09:30:00Z")
        );
    }
    // Monday morning before the standup: Friday's, the previous working day's.
    assert_eq!(
        previous_standup(&cal, nine_thirty, at("2026-11-23T08:00:00Z")),
        at("2026-11-20T09:30:00Z")
    );
    // The README's cron at 08:55 on a Tuesday covers Monday 09:30 → now, not Friday.
    assert_eq!(
        previous_standup(&cal, nine_thirty, at("2026-11-24T08:55:00Z")),
        at("2026-11-23T09:30:00Z")
    );
    // A Saturday looks back to Friday's.
    assert_eq!(
        previous_standup(&cal, nine_thirty, at("2026-11-21T11:00:00Z")),
        at("2026-11-20T09:30:00Z")
    );
    // Monday after the standup: Friday's.
    assert_eq!(
        previous_standup(&cal, nine_thirty, at("2026-11-23T10:00:00Z")),
        at("2026-11-20T09:30:00Z")
    );
}

#[test]
fn a_disqualified_lead_touched_in_the_window_clears_nothing() {
    // Disqualified long ago (undated), modified yesterday for some other reason.
    let mut l = lead("dq", Stage::Disqualified);
    l.dates.set_mql(Some(at("2026-11-10T10:00:00Z")));
    l.updated_at = at("2026-11-20T08:00:00Z");
    let c = changes(&[l], &[], &[], &[]);
    assert!(c.breaches_cleared.lead_ids.is_empty());
    assert!(c.breaches_new.lead_ids.is_empty());
}
