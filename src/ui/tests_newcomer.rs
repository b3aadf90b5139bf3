//! What a newcomer tripped on in the header, the breaches pane, the help and the dialogs,
//! each pinned: a long wait names its day, a frozen clock says so, a scrolled group keeps
//! its heading, the help fits a wide screen, an MQL is answered from its detail, and a
//! dialog's focus shows without colour.

use super::fixture::{Fixture, at};
use super::tests::{press, render, ui_for};
use crate::domain::Stage;

#[test]
fn a_rate_limit_that_ends_on_another_day_names_the_day() {
    let mut fx = Fixture::new();
    let ui = ui_for(&fx);
    let first_line = |s: String| s.lines().next().unwrap_or_default().to_string();
    fx.health[0].rate_limited_until = Some(at("2026-11-20T18:45:00Z"));
    let today = first_line(render(&ui, &fx, 160, 45));
    assert!(today.contains("⏸ rate-limited until 18:45 "), "{today}");
    fx.health[0].rate_limited_until = Some(at("2026-11-21T01:16:00Z"));
    let tomorrow = first_line(render(&ui, &fx, 160, 45));
    assert!(
        tomorrow.contains("⏸ rate-limited until Sat 01:16"),
        "{tomorrow}"
    );
    fx.health[0].rate_limited_until = Some(at("2026-12-24T09:00:00Z"));
    let later = first_line(render(&ui, &fx, 160, 45));
    assert!(
        later.contains("⏸ rate-limited until 2026-12-24 09:00"),
        "{later}"
    );
}

#[test]
fn a_frozen_clock_says_so_in_the_header() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    ui.frozen = true;
    let first = render(&ui, &fx, 160, 45)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(first.ends_with("frozen week 47 · Fri 15:02 UTC"), "{first}");
    let narrow = render(&ui, &fx, 80, 24)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(narrow.contains("frozen"), "{narrow}");
}

#[test]
fn accept_on_an_inquiry_says_why_not() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "h");
    assert_eq!(ui.leads.stage(), Stage::Inquiry);
    press(&mut ui, &fx, "a");
    let footer = render(&ui, &fx, 160, 45)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(
        footer.contains("Raj Patel is inquiry: only an MQL waits for sales to accept or reject it"),
        "{footer}"
    );
}

#[test]
fn an_mql_is_answered_from_its_detail_too() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "\n");
    let detail = render(&ui, &fx, 160, 45);
    assert!(
        detail.contains("a accept") && detail.contains("x reject"),
        "{detail}"
    );
    press(&mut ui, &fx, "x");
    let shown = render(&ui, &fx, 160, 45);
    assert!(shown.to_lowercase().contains("reject"), "{shown}");
    assert!(
        !shown.contains("Lead detail"),
        "the reject dialog replaced it: {shown}"
    );
}

/// Scrolled into the middle of a group, the pane pins that group's heading as its first
/// line: every breach row is read under its own team and SLA.
#[test]
fn a_scrolled_breaches_pane_pins_the_groups_heading() {
    let fx = Fixture::big(300);
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "4");
    for _ in 0..30 {
        press(&mut ui, &fx, "j");
    }
    let screen = render(&ui, &fx, 160, 45);
    let lines: Vec<&str> = screen.lines().collect();
    let title = lines
        .iter()
        .position(|l| l.contains("SLA breaches ("))
        .expect("the breaches pane");
    let byte = lines[title].find("SLA breaches (").unwrap();
    let col = lines[title][..byte].chars().count();
    let first: String = lines[title + 1]
        .chars()
        .skip(col.saturating_sub(4))
        .collect();
    assert!(
        first.contains("SALES · ") || first.contains("MARKETING · "),
        "the first line is a heading: {first:?}\n{screen}"
    );
    assert!(screen.contains("▶"), "the selected row stays in view");
}

/// At 160×45 the help lays out in two columns and shows every key, quitting included.
#[test]
fn a_wide_help_shows_every_key_at_once() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "?");
    let shown = render(&ui, &fx, 160, 45);
    assert!(!shown.contains("↓ more"), "{shown}");
    assert!(shown.contains("quit"), "{shown}");
    let narrow = render(&ui, &fx, 100, 30);
    assert!(
        narrow.contains("↓ more"),
        "a small screen still scrolls: {narrow}"
    );
}

/// The note dialog marks its focused field in text, visible without colour.
#[test]
fn the_note_dialogs_focus_shows_without_colour() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "n");
    let shown = render(&ui, &fx, 120, 40);
    assert!(shown.contains("▸ what did the buyer say?"), "{shown}");
    assert!(!shown.contains("▸ campaign"), "{shown}");
    ui.handle_key(
        ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Tab,
            ratatui::crossterm::event::KeyModifiers::NONE,
        ),
        &fx.ctx(),
    );
    let shown = render(&ui, &fx, 120, 40);
    assert!(shown.contains("▸ campaign"), "{shown}");
    assert!(!shown.contains("▸ what did the buyer say?"), "{shown}");
}
