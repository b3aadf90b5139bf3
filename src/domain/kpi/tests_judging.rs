//! How figures are judged: one definition of acceptance, the smallest sample judged,
//! targets pro-rated to the business time elapsed, and coverage of what is left to win.

use chrono::{DateTime, Utc};

use super::*;
use crate::domain::business_hours::BusinessCalendar;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::lead::{Deal, DealStage, Lead};
use crate::domain::stage::Stage;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn targets(pairs: &[(&str, KpiValue)], min_sample: usize) -> Targets {
    let mut t = Targets {
        min_sample,
        ..Targets::default()
    };
    for kind in PeriodKind::ALL {
        t.by_period.insert(
            kind,
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        );
    }
    t
}

fn compute_at(
    leads: &[Lead],
    deals: &[Deal],
    kind: PeriodKind,
    now: &str,
    t: &Targets,
) -> Vec<Kpi> {
    let cal = BusinessCalendar::default();
    let stages = [
        DealStage {
            id: "open".into(),
            label: "open".into(),
            order: 0,
            is_closed: false,
            is_won: false,
        },
        DealStage {
            id: "won".into(),
            label: "won".into(),
            order: 1,
            is_closed: true,
            is_won: true,
        },
        DealStage {
            id: "lost".into(),
            label: "lost".into(),
            order: 2,
            is_closed: true,
            is_won: false,
        },
    ];
    let input = KpiInput {
        leads,
        timers: &[],
        now: at(now),
        deals,
        deal_stages: &stages,
        calendar: &cal,
        stages: &crate::config::Config::builtin().stages,
        by_owner: None,
        timelines: None,
        lead_of: None,
        urgent: None,
    };
    compute(&input, Period::current(kind, at(now)), t)
}

fn get<'a>(kpis: &'a [Kpi], id: &str) -> &'a Kpi {
    kpis.iter().find(|k| k.id == id).unwrap()
}

fn mql(id: &str, stage: Stage, f: impl FnOnce(&mut Lead)) -> Lead {
    let mut l = lead_in(stage);
    l.id = id.into();
    l.dates.set_mql(Some(at("2026-11-16T10:00:00Z")));
    f(&mut l);
    l
}

fn deal(id: &str, stage: &str, amount: f64, closes: &str) -> Deal {
    Deal {
        id: id.into(),
        name: id.into(),
        amount,
        stage_id: stage.into(),
        created_at: Some(at("2026-10-01T00:00:00Z")),
        close_date: Some(at(closes)),
        owner_id: None,
        contact_ids: Vec::new(),
        updated_at: at("2026-11-16T00:00:00Z"),
        stage_history: Vec::new(),
    }
}

/// Without history (stage dates only), a lead sales took an owner on and then recycled is not
/// accepted: acceptance and the MQL→SAL conversion count the same leads and differ only in
/// what they divide by (decided MQLs; the whole cohort).
#[test]
fn one_acceptance_for_the_acceptance_rate_and_the_conversion() {
    let owned = |l: &mut Lead| l.dates.set_accepted(Some(at("2026-11-16T11:00:00Z")));
    let leads = vec![
        mql("sal", Stage::Sal, owned),
        mql("sql", Stage::Sql, |l| {
            owned(l);
            l.dates.set_sql(Some(at("2026-11-17T11:00:00Z")));
        }),
        // Owner assigned, then recycled: HubSpot keeps the owner date.
        mql("recycled", Stage::Nurture, owned),
        // Reached SQL, then disqualified: it was accepted.
        mql("dq-after-sql", Stage::Disqualified, |l| {
            l.dates.set_sql(Some(at("2026-11-17T12:00:00Z")))
        }),
        mql("waiting", Stage::Mql, |_| {}),
    ];
    let kpis = compute_at(
        &leads,
        &[],
        PeriodKind::Week,
        "2026-11-20T15:00:00Z",
        &Targets::default(),
    );
    let acceptance = get(&kpis, "mql_acceptance");
    let conv = get(&kpis, "conv_mql_sal");
    let (a, c) = (acceptance.parts.unwrap(), conv.parts.unwrap());
    // sal, sql and dq-after-sql are accepted; recycled is not; waiting has not left mql.
    assert_eq!((a.num, a.den), (3.0, 4.0));
    assert_eq!((c.num, c.den), (3.0, 5.0));
    assert_eq!(acceptance.value, KpiValue::Ratio(Some(0.75)));
    assert_eq!(conv.value, KpiValue::Ratio(Some(0.6)));
    // SAL cohorts use the same acceptance: the recycled lead's owner date does not count.
    let sal_sql = get(&kpis, "conv_sal_sql").parts.unwrap();
    assert_eq!((sal_sql.num, sal_sql.den), (1.0, 2.0));
}

/// Below `min_sample` a ratio keeps its value and its n but is never judged, and its
/// sparkline point is blank; at `min_sample` it is judged again.
#[test]
fn a_ratio_on_too_few_cases_is_not_judged() {
    let deals: Vec<Deal> = (0..3)
        .map(|i| {
            let stage = if i < 2 { "won" } else { "lost" };
            deal(&format!("d{i}"), stage, 100.0, "2026-11-18T12:00:00Z")
        })
        .collect();
    let t = targets(&[("win_rate", KpiValue::Ratio(Some(0.25)))], 10);
    let kpis = compute_at(&[], &deals, PeriodKind::Week, "2026-11-20T15:00:00Z", &t);
    let win = get(&kpis, "win_rate");
    assert_eq!(win.value, KpiValue::Ratio(Some(2.0 / 3.0)));
    assert_eq!((win.n, win.n_is), (Some(3), "closed deals"));
    let p = win.parts.unwrap();
    assert_eq!((p.num, p.den, p.num_is), (2.0, 3.0, "won"));
    assert!(win.too_small());
    assert_eq!(win.on_target(), None, "3 deals are not judged against 25%");
    assert_eq!(win.shown(), None);
    // Velocity rests on the same three closed deals.
    assert!(get(&kpis, "pipeline_velocity").too_small());

    // Ten closed deals: judged.
    let deals: Vec<Deal> = (0..10)
        .map(|i| {
            let stage = if i < 2 { "won" } else { "lost" };
            deal(&format!("d{i}"), stage, 100.0, "2026-11-18T12:00:00Z")
        })
        .collect();
    let kpis = compute_at(&[], &deals, PeriodKind::Week, "2026-11-20T15:00:00Z", &t);
    let win = get(&kpis, "win_rate");
    assert!(!win.too_small());
    assert_eq!(win.on_target(), Some(false), "20% is under 25%");
    assert_eq!(win.shown(), Some(0.2));
}

/// MQLs created are judged on the target pro-rated to the business time elapsed: nothing
/// is due before the period's first business hour, half of it at mid-period, all of it
/// once the period's business time is over.
#[test]
fn a_volume_target_is_pro_rated_to_business_time() {
    let t = targets(&[("mqls_created", KpiValue::Count(250))], 10);
    // One MQL on Sunday 1 November 2026, 03:26: no business hour of the month has passed.
    let leads = vec![mql("m", Stage::Mql, |l| {
        l.dates.set_mql(Some(at("2026-11-01T03:00:00Z")))
    })];
    let start = compute_at(&leads, &[], PeriodKind::Month, "2026-11-01T03:26:00Z", &t);
    let k = get(&start, "mqls_created");
    assert_eq!(k.target, Some(KpiValue::Count(250)));
    assert_eq!(k.target_by_now, Some(KpiValue::Count(0)));
    assert_eq!(k.on_target(), Some(true), "1 MQL is on pace at the start");
    // November 2026 has 21 working days (168 business hours) under the default calendar.
    // Monday 16 November 09:00 is 10 working days in: 250 × 80/168 = 119.05 → 120 due.
    let mid = compute_at(&leads, &[], PeriodKind::Month, "2026-11-16T09:00:00Z", &t);
    assert_eq!(
        get(&mid, "mqls_created").target_by_now,
        Some(KpiValue::Count(120))
    );
    assert_eq!(get(&mid, "mqls_created").on_target(), Some(false));
    // From the last business hour on, the whole target is due.
    let end = compute_at(&leads, &[], PeriodKind::Month, "2026-11-30T17:00:00Z", &t);
    assert_eq!(
        get(&end, "mqls_created").target_by_now,
        Some(KpiValue::Count(250))
    );
    // Only volumes accrue: a ratio target is not pro-rated.
    let t = targets(&[("win_rate", KpiValue::Ratio(Some(0.25)))], 0);
    let kpis = compute_at(&[], &[], PeriodKind::Month, "2026-11-16T09:00:00Z", &t);
    assert_eq!(get(&kpis, "win_rate").target_by_now, None);
}

/// Coverage divides the open pipeline due to close in the period by what is still to win
/// of its revenue target: deals closing months out cover nothing this period.
#[test]
fn coverage_counts_only_pipeline_closing_in_the_period() {
    let deals = vec![
        deal("won", "won", 100_000.0, "2026-11-17T12:00:00Z"),
        deal("this-week", "open", 450_000.0, "2026-11-20T12:00:00Z"),
        // Open, but closing in March or with a close date already past: not this week's.
        deal("far", "open", 5_000_000.0, "2027-03-31T00:00:00Z"),
        deal("slipped", "open", 80_000.0, "2026-11-06T00:00:00Z"),
        deal("lost", "lost", 70_000.0, "2026-11-18T12:00:00Z"),
    ];
    let t = targets(&[("revenue", KpiValue::Money(400_000.0))], 10);
    let kpis = compute_at(&[], &deals, PeriodKind::Week, "2026-11-20T15:00:00Z", &t);
    let c = get(&kpis, "pipeline_coverage");
    // 450k ÷ (400k − 100k won) = 1.5×, not (450k + 5M + 80k) ÷ 300k = 18.4×.
    assert_eq!(c.value, KpiValue::Multiple(Some(1.5)));
    let p = c.parts.unwrap();
    assert_eq!((p.num, p.den, p.money), (450_000.0, 300_000.0, true));
    assert_eq!(c.n, None, "money, not a sample: never too small");
    // The quarter's pipeline includes March.
    let q = targets(&[("revenue", KpiValue::Money(6_000_000.0))], 10);
    let kpis = compute_at(&[], &deals, PeriodKind::Quarter, "2026-11-20T15:00:00Z", &q);
    let p = get(&kpis, "pipeline_coverage").parts.unwrap();
    // Q4 2026: this week's deal and the slipped one; March is Q1 2027.
    assert_eq!((p.num, p.den), (530_000.0, 5_900_000.0));
}
