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
    lead.name = name.into();
    lead.company = company.into();
    lead.owner_id = Some("7".into());
    lead.first_campaign = Some("ROI webinar".into());
    lead.dates.first_conversion = Some(at("2026-11-01T00:00:00Z"));
    lead.dates.mql = Some(at("2026-11-02T10:00:00Z"));
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
            })
            .collect(),
    );
    store
}

fn report(store: &Store) -> Report {
    Report::build(&Config::builtin(), store, PeriodKind::Week, at(NOW), false)
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
    let header = md.lines().position(|l| l.starts_with("| | SLA |")).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    let row = lines[header + 2];
    assert_eq!(cells(row), 6, "{row}");
    assert!(
        row.contains("Eve\\\\\\|x y") && row.contains("Acme \\| Co  Ltd !"),
        "{row}"
    );
    assert!(row.contains("Sam \\| Ortiz"), "{row}");
    let check = to_check_text(&r);
    assert_eq!(check.lines().count(), r.breached(), "{check}");
    assert!(check.contains("Eve\\|x y (Acme | Co  Ltd !)"), "{check}");
}
