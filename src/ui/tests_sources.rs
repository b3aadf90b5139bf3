//! What the cockpit says about its sources: each system's allowance and which one fails
//! behind a joined source, join conflicts, the last reconciliation, and where a source
//! writes a recycle's revisit day.

use chrono::Duration;

use super::fixture::Fixture;
use super::tests::{press, render, ui_for};

#[test]
fn the_recycle_dialog_names_where_the_source_writes_the_revisit_day() {
    let mut fx = Fixture::new();
    fx.health[0].revisit_target = Some("the recycle Task's due date".into());
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "j<↓↓");
    let screen = render(&ui, &fx, 100, 30);
    assert!(
        screen.contains("(written to the recycle Task's due date)"),
        "{screen}"
    );
    assert!(!screen.contains("tandem_revisit_date"), "{screen}");
}

#[test]
fn the_header_shows_a_daily_allowance_and_join_conflicts() {
    let mut fx = Fixture::new();
    let ui = ui_for(&fx);
    let first_line = |s: String| s.lines().next().unwrap_or_default().to_string();
    fx.health[0].parts = vec![crate::sync::Part {
        name: "Salesforce".into(),
        quota: Some((1204, 15000)),
        failing: None,
    }];
    fx.health[0].join_conflicts = vec![
        "ada@example.com: 2 Salesforce lead(s) and 1 Marketo lead(s) share the email; not joined"
            .into(),
        "Marketo lead 77 has no Salesforce record".into(),
    ];
    let line = first_line(render(&ui, &fx, 160, 45));
    assert!(line.contains("✓ 12s · api 1"), "{line}");
    assert!(line.contains("204/15"), "{line}");
    assert!(line.contains("· 2 join conflicts (e)"), "{line}");
}

#[test]
fn a_joined_source_shows_each_systems_allowance_and_which_one_fails() {
    let mut fx = Fixture::new();
    let ui = ui_for(&fx);
    let first_line = |s: String| s.lines().next().unwrap_or_default().to_string();
    let part = |name: &str, quota, failing: Option<&str>| crate::sync::Part {
        name: name.into(),
        quota,
        failing: failing.map(str::to_string),
    };
    fx.health[0].name = "Salesforce + Marketo".into();
    fx.health[0].parts = vec![
        part("Salesforce", Some((34, 15000)), None),
        part("Marketo", Some((120, 50000)), None),
    ];
    let ok = first_line(render(&ui, &fx, 160, 45));
    assert!(ok.contains("Salesforce ✓ api 34/15"), "{ok}");
    assert!(ok.contains("Marketo ✓ api 120/50"), "{ok}");

    // Marketo's daily quota is spent: the source waits, and the header says which system.
    fx.health[0].last_error = Some("rate limited: Marketo asked to wait 14h".into());
    fx.health[0].rate_limited_until = Some(fx.now + Duration::hours(14));
    fx.health[0].parts = vec![
        part("Salesforce", Some((34, 15000)), None),
        part("Marketo", Some((50000, 50000)), Some("rate limited")),
    ];
    let limited = first_line(render(&ui, &fx, 160, 45));
    assert!(limited.contains("⏸ rate-limited until"), "{limited}");
    assert!(limited.contains("Salesforce ✓"), "{limited}");
    assert!(limited.contains("Marketo ✖"), "{limited}");
}

#[test]
fn the_header_says_when_the_records_were_last_reconciled_and_what_it_repaired() {
    let mut fx = Fixture::new();
    let ui = ui_for(&fx);
    let first_line = |s: String| s.lines().next().unwrap_or_default().to_string();
    let before = first_line(render(&ui, &fx, 160, 45));
    assert!(!before.contains("reconciled"), "{before}");
    fx.health[0].reconciled = Some(crate::sync::Reconciled {
        at: fx.now - Duration::minutes(20),
        repaired: 0,
    });
    let clean = first_line(render(&ui, &fx, 160, 45));
    let at = (fx.now - Duration::minutes(20)).format("%H:%M").to_string();
    assert!(clean.contains(&format!("· reconciled {at}")), "{clean}");
    assert!(!clean.contains("repaired"), "{clean}");
    fx.health[0].reconciled = Some(crate::sync::Reconciled {
        at: fx.now,
        repaired: 3,
    });
    let repaired = first_line(render(&ui, &fx, 160, 45));
    assert!(repaired.contains(", 3 repaired"), "{repaired}");
}
