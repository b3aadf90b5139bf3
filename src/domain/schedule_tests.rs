//! The schedule against the full computation: a snapshot advanced in place equals one
//! built afresh at that instant, and none built before `next_change` differs.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use crate::config::Config;
use crate::domain::kpi::{KpiValue, PeriodKind, Targets};
use crate::domain::lead::tests_support::lead_in;
use crate::domain::snapshot::{Snapshot, SnapshotInput};
use crate::domain::{Lead, Stage};

/// A Friday afternoon, so clocks cross the weekend and business hours start and stop.
fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T13:00:00Z")
        .unwrap()
        .to_utc()
}

fn targets() -> Targets {
    let mut t = Targets::default();
    for kind in [PeriodKind::Week, PeriodKind::Month] {
        let per = t.by_period.entry(kind).or_default();
        per.insert("mqls_created".into(), KpiValue::Count(37));
        per.insert("funnel_leakage".into(), KpiValue::Count(3));
    }
    t
}

fn build(leads: &[Lead], period: PeriodKind, now: DateTime<Utc>) -> Snapshot {
    let config = Config::builtin();
    let targets = targets();
    Snapshot::build(
        &SnapshotInput {
            leads,
            deals: &[],
            deal_stages: &[],
            notes: &[],
            owners: &[],
            slas: &config.slas,
            calendar: &config.calendar,
            targets: &targets,
            period,
            half_life: Duration::days(7),
            stages: &config.stages,
            by_owner: None,
            lead_index: None,
        },
        now,
    )
}

/// Leads in watched stages, entered at minutes around the base instant.
fn leads() -> impl Strategy<Value = Vec<Lead>> {
    let stage = prop_oneof![
        Just(Stage::Mql),
        Just(Stage::Sal),
        Just(Stage::Sql),
        Just(Stage::Inquiry)
    ];
    prop::collection::vec((stage, -6_000i64..600, 0i64..3), 0..30).prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (stage, minutes, touched))| {
                let mut l = lead_in(stage);
                l.id = format!("{i}").into();
                let entered = base() + Duration::minutes(minutes);
                l.dates.set_created(Some(entered - Duration::days(2)));
                l.dates.set_mql(Some(entered));
                if matches!(stage, Stage::Sal | Stage::Sql) {
                    l.dates.set_accepted(Some(entered));
                }
                if stage == Stage::Sql {
                    l.dates.set_sql(Some(entered));
                }
                if touched == 1 {
                    l.dates
                        .set_first_sales_activity(Some(entered + Duration::minutes(30)));
                }
                l
            })
            .collect()
    })
}

fn period() -> impl Strategy<Value = PeriodKind> {
    prop_oneof![Just(PeriodKind::Week), Just(PeriodKind::Month)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Advancing in place gives what a rebuild gives, wherever the clock goes within the
    /// period; past it, advancing declines and the cockpit rebuilds.
    #[test]
    fn advancing_equals_a_rebuild(
        leads in leads(),
        period in period(),
        steps in prop::collection::vec(0i64..(3 * 24 * 3600), 1..6),
    ) {
        let cal = Config::builtin().calendar;
        let mut now = base();
        let mut snap = build(&leads, period, now);
        for step in steps {
            now += Duration::seconds(step);
            let fresh = build(&leads, period, now);
            if snap.advance(&cal, now) {
                prop_assert_eq!(&snap, &fresh);
            } else {
                prop_assert_ne!(snap.period, fresh.period);
                snap = fresh;
            }
        }
    }

    /// Nothing changes before `next_change`, and the snapshot at that instant is due a
    /// look (something moved, or the period ended).
    #[test]
    fn nothing_moves_before_the_next_change(
        leads in leads(),
        period in period(),
        start in 0i64..(4 * 24 * 3600),
        fractions in prop::collection::vec(0.0f64..1.0, 1..5),
    ) {
        let cal = Config::builtin().calendar;
        let now = base() + Duration::seconds(start);
        let snap = build(&leads, period, now);
        let next = snap.next_change(&cal, now).expect("a snapshot has a period");
        prop_assert!(next > now);
        for f in fractions {
            let span = (next - now).num_milliseconds() - 1;
            let at = now + Duration::milliseconds((span as f64 * f) as i64);
            prop_assert_eq!(&build(&leads, period, at), &snap, "at {}", at);
        }
        let then = build(&leads, period, next);
        let period_ended = Some(next) == snap.period.map(|p| p.end);
        prop_assert!(period_ended || then != snap, "nothing moved at {}", next);
    }
}

#[test]
fn a_clock_running_out_moves_leakage_without_a_rebuild() {
    let cal = Config::builtin().calendar;
    let mut lead = lead_in(Stage::Mql);
    lead.dates.set_mql(Some(base()));
    let leads = vec![lead];
    let mut snap = build(&leads, PeriodKind::Week, base());
    let leakage = |s: &Snapshot| {
        s.kpis
            .iter()
            .find(|k| k.id == "funnel_leakage")
            .map(|k| k.value)
    };
    assert_eq!(leakage(&snap), Some(KpiValue::Count(0)));
    let due = snap.board.timers[0].due_at;
    // Pro-rated targets step first; leakage moves exactly when the clock is due.
    let mut now = base();
    while let Some(next) = snap.next_change(&cal, now).filter(|t| *t <= due) {
        assert!(snap.advance(&cal, next));
        now = next;
    }
    assert_eq!(now, due);
    assert_eq!(leakage(&snap), Some(KpiValue::Count(1)));
}
