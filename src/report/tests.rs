//! The report on a small hand-made store: invalid sums and hostile remote text.

use chrono::{DateTime, Utc};

use super::{Report, to_check_text, to_markdown};
use crate::config::Config;
use crate::domain::kpi::PeriodKind;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::{Deal, DealStage, Owner, Stage};
use crate::store::Store;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const NOW: &str = "2026-11-20T15:02:00Z";

/// One MQL untouched for days (a breach), touched by a campaign, with `amounts` of open deals.
fn store(name: &str, company: &str, amounts: &[f64]) -> Store {
    let mut lead = lead_in(Stage::Mql);
    lead.id = "501".into();
    lead.card = lead.card.with_name(name);
    lead.company = company.into();
    lead.owner_id = Some("7".into());
    lead.first_campaign = Some("ROI webinar".into());
    lead.dates
        .set_first_conversion(Some(at("2026-11-01T00:00:00Z")));
    lead.dates.set_mql(Some(at("2026-11-02T10:00:00Z")));
    let mut store = Store::default();
    store.upsert_leads(vec![lead]);
    store.set_owners(vec![Owner {
        id: "7".into(),
        name: "Sam | Ortiz".into(),
        email: String::new(),
        team: None,
    }]);
    store.set_deal_stages(vec![DealStage {
        id: "open".into(),
        label: "Open".into(),
        order: 0,
        is_closed: false,
        is_won: false,
    }]);
    store.upsert_deals(
        amounts
            .iter()
            .enumerate()
            .map(|(i, &amount)| Deal {
                id: format!("d{i}"),
                name: format!("deal {i}"),
                amount,
                stage_id: "open".into(),
                created_at: Some(at("2026-11-10T00:00:00Z")),
                close_date: None,
                owner_id: None,
                contact_ids: vec!["501".into()],
                updated_at: at("2026-11-10T00:00:00Z"),
                stage_history: Vec::new(),
            })
            .collect(),
    );
    store
}

fn report(store: &Store) -> Report {
    Report::build(
        &Config::builtin(),
        store,
        PeriodKind::Week,
        (None, at(NOW)),
        false,
    )
}

#[test]
fn an_infinite_pipeline_is_invalid_not_on_target() {
    let r = report(&store("Priya", "Acme", &[1e308, 1e308]));
    let touched = r.kpis.iter().find(|k| k.id == "touched_pipeline").unwrap();
    assert_eq!(touched.target, Some(1_500_000.0));
    assert_eq!((touched.value, touched.on_target), (None, None));
    let json = serde_json::to_value(&r).unwrap();
    let row = json["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "touched_pipeline")
        .unwrap();
    assert!(
        row["value"].is_null() && row["on_target"].is_null(),
        "{row}"
    );
    let md = to_markdown(&r);
    let line = md.lines().find(|l| l.contains("touched pipeline")).unwrap();
    assert!(!line.contains("ok") && line.contains("—"), "{line}");
    // A sane pipeline is still judged.
    let sane = report(&store("Priya", "Acme", &[2_000_000.0]));
    let touched = sane
        .kpis
        .iter()
        .find(|k| k.id == "touched_pipeline")
        .unwrap();
    assert_eq!(touched.on_target, Some(true));
}

/// Cells of a Markdown table row, split the way GFM does: on pipes not escaped by an odd
/// run of backslashes.
fn cells(row: &str) -> usize {
    let (mut n, mut slashes) = (0, 0);
    for c in row.trim().trim_matches('|').chars() {
        match c {
            '\\' => slashes += 1,
            '|' if slashes % 2 == 0 => {
                n += 1;
                slashes = 0;
            }
            _ => slashes = 0,
        }
    }
    n + 1
}

#[test]
fn remote_text_cannot_break_a_table_row_or_a_check_line() {
    let r = report(&store("Eve\\|x\ny", "Acme | Co\r\nLtd\u{2028}!", &[]));
    assert!(!r.breaches.is_empty(), "the MQL is overdue");
    let md = to_markdown(&r);
    let header = md
        .lines()
        .position(|l| l.starts_with("| | lead |"))
        .unwrap();
    let lines: Vec<&str> = md.lines().collect();
    let row = lines[header + 2];
    assert_eq!(cells(row), 5, "{row}");
    assert!(
        row.contains("Eve\\\\\\|x y") && row.contains("Acme \\| Co  Ltd !"),
        "{row}"
    );
    assert!(row.contains("Sam \\| Ortiz"), "{row}");
    let check = to_check_text(&r);
    assert_eq!(check.lines().count(), r.breached(), "{check}");
    assert!(check.contains("Eve\\|x y (Acme | Co  Ltd !)"), "{check}");
}

/// The same words everywhere: `overdue 113h02` (business time in hours) with the clock named, the SLA's label, and who
/// must act — the owner on the SLA's team, else the team's queue.
#[test]
fn breaches_read_overdue_with_their_clock_label_and_who_acts() {
    let mut st = store("Priya", "Acme", &[]);
    // A marketing owner does not accept MQLs: the sales queue must act.
    st.set_owners(vec![Owner {
        id: "7".into(),
        name: "Dana Kim".into(),
        email: String::new(),
        team: Some(crate::domain::Team::Marketing),
    }]);
    let r = report(&st);
    let b = &r.breaches[0];
    assert_eq!(
        (b.sla.as_str(), b.sla_label.as_str(), b.team, b.clock),
        (
            "mql_response",
            "accept or reject an MQL",
            "sales",
            "business"
        )
    );
    assert_eq!(b.owner.as_deref(), Some("Dana Kim"));
    assert_eq!(b.acts, "Sales queue");
    // MQL Monday 2 November 10:00, now Friday 20 November 15:02: 7h that Monday, 13 full
    // working days (104h) and 6h02 = 117h02 of business time, 4h of them allowed.
    assert_eq!(b.overdue_seconds, (113 * 60 + 2) * 60);
    assert_eq!(b.limit_seconds, 4 * 3600);
    assert!((b.urgency - b.overdue_seconds as f64 / 14_400.0).abs() < 1e-9);
    let md = to_markdown(&r);
    assert!(
        md.contains(
            "#### sales · accept or reject an MQL (`mql_response`, 4h business time) · 1 breached, 0 warnings"
        ),
        "{md}"
    );
    assert!(
        md.contains("| ✖ | Priya (Acme) | Sales queue | mql | overdue 113h02 |"),
        "{md}"
    );
    let check = to_check_text(&r);
    assert!(
        check.starts_with(
            "✖ mql_response (accept or reject an MQL, sales): Priya (Acme) in mql, Sales queue to act, overdue 113h02 business time"
        ),
        "{check}"
    );
    assert!(!md.contains("-4d10") && !check.contains("-4d10"));
    // 113 business hours are not 4 days and 17 hours: business time is never in days.
    assert!(!md.contains("4d17") && !check.contains("4d17"));
}

/// Ratios carry their numerator and denominator; on too few cases the Markdown says so
/// and nothing is judged.
#[test]
fn kpis_carry_their_n_and_too_small_ones_are_not_judged() {
    let r = report(&store("Priya", "Acme", &[]));
    assert_eq!(r.min_sample, 10);
    let kpi = |id: &str| r.kpis.iter().find(|k| k.id == id).unwrap();
    // The only MQL dates from 2 November, outside the week: nothing to divide this week.
    let conv = kpi("conv_mql_sal");
    assert_eq!(
        (conv.numerator, conv.denominator, conv.n),
        (Some(0.0), Some(0.0), Some(0))
    );
    let mqls = kpi("mqls_created");
    assert_eq!((mqls.value, mqls.target), (Some(0.0), Some(60.0)));
    // Friday 15:02 of a 40-hour week: 38h02 elapsed → 60 × 38.03/40 = 57.05 → 58 due.
    assert_eq!(mqls.target_by_now, Some(58.0));
    assert_eq!(mqls.on_target, Some(false));
    let md = to_markdown(&r);
    assert!(
        md.contains("| marketing | MQLs created | 0 | 58 by now (60) | ▼ off |  |"),
        "{md}"
    );
    // A figure resting on too few cases.
    let mut one = r.clone();
    let win = one.kpis.iter_mut().find(|k| k.id == "win_rate").unwrap();
    (win.value, win.numerator, win.denominator, win.n) = (Some(1.0), Some(1.0), Some(1.0), Some(1));
    (win.too_small, win.on_target) = (true, None);
    let md = to_markdown(&one);
    assert!(
        md.contains("| sales | win rate | n too small | 25% |  | 1/1 |"),
        "{md}"
    );
}

#[test]
fn the_changes_name_their_leads_and_only_theirs_are_looked_up() {
    let mut store = store("Priya Natarajan", "Acme", &[]);
    // A second lead that changed nothing in the window.
    let mut quiet = lead_in(Stage::Inquiry);
    quiet.id = "502".into();
    quiet.card = quiet.card.with_name("Quiet Lead");
    quiet.dates.set_created(Some(at("2026-10-01T00:00:00Z")));
    store.upsert_leads(vec![quiet]);
    let r = Report::build(
        &Config::builtin(),
        &store,
        PeriodKind::Week,
        (Some(at("2026-11-01T00:00:00Z")), at(NOW)),
        false,
    );
    assert_eq!(r.changes.new_mqls.lead_ids, ["501"]);
    assert_eq!(r.names.len(), 1, "{:?}", r.names);
    let md = to_markdown(&r);
    let since = &md[md.find("### Since").expect("a changes section")..];
    assert!(since.contains("Priya Natarajan"), "{since}");
    assert!(!since.contains("Quiet Lead"), "{since}");
}
