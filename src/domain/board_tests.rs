//! The board kept lead by lead against the board built from scratch, over random changes.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::config::Config;
use crate::domain::lead::tests_support::lead_in;

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T13:00:00Z")
        .unwrap()
        .to_utc()
}

/// A lead as a few numbers: stage (8 = unmapped), minutes since its stage entry, and
/// whether sales touched it.
type Spec = (u8, i64, bool);

fn lead_of(id: usize, (stage, minutes, touched): Spec) -> Lead {
    let stage_at = Stage::ALL.get(usize::from(stage)).copied();
    let mut l = lead_in(stage_at.unwrap_or(Stage::Inquiry));
    l.stage = stage_at;
    l.id = format!("{id:03}").into();
    let entered = base() - Duration::minutes(minutes);
    l.dates.set_created(Some(entered - Duration::days(3)));
    l.dates.set_inquiry(Some(entered - Duration::days(2)));
    l.dates.set_mql(Some(entered));
    l.dates.set_accepted(Some(entered));
    l.dates.set_sql(Some(entered));
    l.dates.set_opportunity(Some(entered));
    l.dates.set_customer(Some(entered));
    if touched {
        l.dates
            .set_first_sales_activity(Some(entered + Duration::minutes(20)));
    }
    l
}

fn spec() -> impl Strategy<Value = Spec> {
    // Few distinct minutes, so clocks and arrivals tie and the id decides.
    (
        0u8..9,
        prop::sample::select(vec![0i64, 30, 90, 600, 3000]),
        any::<bool>(),
    )
}

/// A change: replace lead `at` (modulo the count) or append one.
fn change() -> impl Strategy<Value = (Option<usize>, Spec)> {
    (prop::option::weighted(0.8, 0usize..1000), spec())
}

fn input<'a>(leads: &'a [Lead], config: &'a Config) -> BoardInput<'a> {
    BoardInput {
        leads,
        slas: &config.slas,
        calendar: &config.calendar,
        stages: &config.stages,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn updating_lead_by_lead_equals_building_from_scratch(
        start in prop::collection::vec(spec(), 0..40),
        rounds in prop::collection::vec(prop::collection::vec(change(), 1..6), 1..6),
    ) {
        let config = Config::builtin();
        let mut leads: Vec<Lead> = start.into_iter().enumerate().map(|(i, s)| lead_of(i, s)).collect();
        let mut board = Board::build(&input(&leads, &config));
        for round in rounds {
            let mut changed = Vec::new();
            for (at, spec) in round {
                match at {
                    Some(at) if !leads.is_empty() => {
                        let i = at % leads.len();
                        leads[i] = lead_of(i, spec);
                        changed.push(i);
                    }
                    _ => {
                        changed.push(leads.len());
                        leads.push(lead_of(leads.len(), spec));
                    }
                }
            }
            board.update(&input(&leads, &config), &changed);
            let fresh = Board::build(&input(&leads, &config));
            prop_assert_eq!(&board, &fresh);
            // Leakage read from the most urgent clocks equals the count over every clock.
            for hours in [-50i64, 0, 2, 30, 100] {
                let at = base() + Duration::hours(hours);
                let leaking = board.urgent().partition_point(|due| *due <= at);
                prop_assert_eq!(leaking, crate::domain::kpi::leaking(&fresh.timers, at));
                // Every clock in warning or past due is among the first `warned_by`.
                let cut = board.warned_by(at);
                let warned = |t: &crate::domain::sla::SlaTimer| t.warn_at <= at;
                prop_assert_eq!(
                    board.timers[..cut].iter().filter(|t| warned(t)).count(),
                    fresh.timers.iter().filter(|t| warned(t)).count()
                );
            }
            for (i, lead) in leads.iter().enumerate() {
                // Each lead is found at its place in its stage's list.
                if let Some(stage) = lead.stage {
                    let list = &board.stage_leads[stage_index(stage)];
                    let at = board.position(i, &leads).expect("listed");
                    prop_assert_eq!(list.get(at), Some(i));
                }
                let soonest = fresh.timers.iter().filter(|t| t.lead_id == lead.id).min_by_key(|t| t.due_at);
                prop_assert_eq!(board.timer_of(i, lead).map(|t| t.due_at), soonest.map(|t| t.due_at));
            }
        }
    }
}

#[test]
fn a_lead_moving_on_leaves_its_stage_list_and_its_clock() {
    let config = Config::builtin();
    let (mql_at, sal_at) = (stage_index(Stage::Mql) as u8, stage_index(Stage::Sal) as u8);
    let mut leads = vec![
        lead_of(0, (mql_at, 90, false)),
        lead_of(1, (mql_at, 30, false)),
    ];
    let mut board = Board::build(&input(&leads, &config));
    let mql = stage_index(Stage::Mql);
    assert_eq!(
        board.stage_leads[mql].iter().collect::<Vec<_>>(),
        vec![0, 1],
        "the older MQL is more overdue"
    );
    assert_eq!(board.timers.len(), 2);
    leads[0] = lead_of(0, (sal_at, 0, false));
    board.update(&input(&leads, &config), &[0]);
    assert_eq!(board.stage_leads[mql].iter().collect::<Vec<_>>(), vec![1]);
    assert_eq!(board.counts[stage_index(Stage::Sal)], 1);
    let mql_sla = config
        .slas
        .iter()
        .position(|d| d.stage == Stage::Mql)
        .unwrap();
    let clocks_of = |id: &str| board.timers.iter().filter(|t| t.lead_id == id).count();
    assert!(
        board
            .timers
            .iter()
            .all(|t| t.lead_id != "000" || t.sla != mql_sla)
    );
    assert_eq!(clocks_of("001"), 1);
}

#[test]
fn a_clock_that_arrives_in_warning_is_within_the_warned_prefix() {
    // Built empty, the board knows no warning span until a clock arrives with one.
    let config = Config::builtin();
    let mut leads: Vec<Lead> = Vec::new();
    let mut board = Board::build(&input(&leads, &config));
    leads.push(lead_of(0, (stage_index(Stage::Mql) as u8, 0, false)));
    board.update(&input(&leads, &config), &[0]);
    let clock = board.timers[0].clone();
    let at = clock.warn_at + (clock.due_at - clock.warn_at) / 2;
    assert!(
        clock.warn_at <= at && at < clock.due_at,
        "in warning at {at}"
    );
    assert_eq!(board.warned_by(at), 1);
}
