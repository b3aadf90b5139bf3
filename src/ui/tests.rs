//! Rendering tests: snapshots of the product, a size sweep that must never panic, and the
//! behaviours a snapshot can't show (styles, live countdowns, virtualisation).

use chrono::Duration;
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

use super::dialogs::detail::Detail;
use super::dialogs::handoff::HandOff;
use super::dialogs::help::Help;
use super::fixture::{Fixture, at};
use super::panes::Pane;
use super::{UiState, draw};
use crate::domain::Stage;
use crate::domain::snapshot::stage_index;

/// The buffer as plain text, one line per row, trailing spaces trimmed.
fn text(buf: &Buffer) -> String {
    let w = usize::from(buf.area.width);
    let mut out = String::new();
    for row in buf.content.chunks(w.max(1)) {
        let mut line = String::new();
        let mut skip = 0usize;
        for cell in row {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = cell.symbol();
            line.push_str(sym);
            skip = sym.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn terminal(ui: &UiState, fx: &Fixture, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| draw(f, ui, &fx.ctx())).expect("draw");
    term
}

pub(super) fn render(ui: &UiState, fx: &Fixture, w: u16, h: u16) -> String {
    text(terminal(ui, fx, w, h).backend().buffer())
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub(super) fn press(ui: &mut UiState, fx: &Fixture, keys: &str) {
    let ctx = fx.ctx();
    for c in keys.chars() {
        let k = match c {
            '\n' => key(KeyCode::Enter),
            '\t' => key(KeyCode::Tab),
            '↓' => key(KeyCode::Down),
            '→' => key(KeyCode::Right),
            c => key(KeyCode::Char(c)),
        };
        ui.handle_key(k, &ctx);
    }
}

pub(super) fn ui_for(fx: &Fixture) -> UiState {
    let mut ui = UiState::new(true);
    ui.on_data_changed(&fx.ctx());
    ui
}

#[test]
fn wide_cockpit_160x45() {
    let fx = Fixture::new();
    let ui = ui_for(&fx);
    assert_snapshot!(render(&ui, &fx, 160, 45));
}

#[test]
fn narrow_leads_tab_80x24() {
    let fx = Fixture::new();
    let ui = ui_for(&fx);
    assert_eq!(ui.focus, Pane::Leads);
    assert_snapshot!(render(&ui, &fx, 80, 24));
}

#[test]
fn narrow_pipeline_tab_80x24() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "1");
    assert_snapshot!(render(&ui, &fx, 80, 24));
}

#[test]
fn narrow_breaches_tab_80x24() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "4");
    assert_snapshot!(render(&ui, &fx, 80, 24));
}

#[test]
fn help_modal() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "?");
    assert_snapshot!(render(&ui, &fx, 120, 40));
}

#[test]
fn stage_definition_and_its_slas() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "d");
    let screen = render(&ui, &fx, 120, 40);
    // The config's definition and the SLA watching MQLs, with live counts.
    assert!(
        screen.contains("Waiting on sales to accept or reject"),
        "{screen}"
    );
    assert!(screen.contains("mql_response"), "{screen}");
    assert_snapshot!(screen);
}

#[test]
fn hand_off_dialog() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    // Second MQL lead by urgency: Priya Natarajan.
    press(&mut ui, &fx, "j>");
    assert!(ui.dialog_as::<HandOff>().is_some());
    assert_snapshot!(render(&ui, &fx, 100, 30));
}

#[test]
fn recycle_dialog_with_a_note() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "j<↓↓\tthree calls, two emails");
    assert_snapshot!(render(&ui, &fx, 100, 30));
}

#[test]
fn note_dialog_in_review() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(
        &mut ui,
        &fx,
        "jnCFOs quoted the payback slide back to me.\nThey want the calculator as a spreadsheet.",
    );
    ui.handle_key(
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
        &fx.ctx(),
    );
    assert_snapshot!(render(&ui, &fx, 100, 30));
}

#[test]
fn note_dialog_editing() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "jn\t→\t→\tdoesn't land with ops buyers");
    assert_snapshot!(render(&ui, &fx, 100, 30));
}

#[test]
fn detail_dialog() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "j\n");
    assert_snapshot!(render(&ui, &fx, 120, 40));
}

#[test]
fn too_small() {
    let fx = Fixture::new();
    let ui = ui_for(&fx);
    assert_snapshot!(render(&ui, &fx, 39, 9));
}

#[test]
fn first_load_with_no_data() {
    let fx = Fixture::empty();
    let ui = ui_for(&fx);
    assert_snapshot!(render(&ui, &fx, 120, 30));
}

/// Every layout and dialog, at sizes from 1×1 to 2000×60, with data and without.
#[test]
fn no_panic_at_any_size() {
    let full = Fixture::new();
    let empty = Fixture::empty();
    let setups: &[&str] = &[
        "", "1", "3", "4", "5", "?", "\n", "j>", "j<\tabc", "jnhello", "/acme", "/zzz\n",
    ];
    let widths = [
        1, 2, 3, 5, 8, 13, 21, 34, 39, 40, 41, 55, 60, 79, 80, 99, 119, 120, 121, 159, 160, 200,
        2000,
    ];
    let heights = [1, 2, 3, 4, 6, 9, 10, 11, 14, 17, 23, 24, 29, 30, 31, 45, 60];
    for fx in [&full, &empty] {
        for setup in setups {
            for color in [true, false] {
                let mut ui = UiState::new(color);
                ui.on_data_changed(&fx.ctx());
                press(&mut ui, fx, setup);
                let mut term = Terminal::new(TestBackend::new(1, 1)).expect("terminal");
                for &w in &widths {
                    for &h in &heights {
                        term.backend_mut().resize(w, h);
                        term.resize(ratatui::layout::Rect::new(0, 0, w, h))
                            .expect("resize");
                        term.draw(|f| draw(f, &ui, &fx.ctx())).expect("draw");
                    }
                }
            }
        }
    }
}

#[test]
fn no_color_means_no_colour_but_symbols_and_modifiers_remain() {
    let fx = Fixture::new();
    let mut ui = UiState::new(false);
    ui.on_data_changed(&fx.ctx());
    let term = terminal(&ui, &fx, 160, 45);
    let buf = term.backend().buffer();
    for cell in &buf.content {
        assert_eq!(cell.fg, Color::Reset, "fg on {:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "bg on {:?}", cell.symbol());
    }
    let screen = text(buf);
    // The KPI tab shows every KPI: the one on target is there.
    ui.focus = Pane::Kpis;
    let kpi_tab = render(&ui, &fx, 80, 30);
    ui.focus = Pane::Leads;
    for symbol in [
        "✖ overdue 1h12",
        "⚠ due in 0h40",
        "⏳ due in 2h58",
        "▼ off",
        "… queued",
        "✓ handed off Jonas Weber",
    ] {
        assert!(screen.contains(symbol), "missing {symbol}");
    }
    assert!(kpi_tab.contains("▲ ok"), "{kpi_tab}");
    // The selected row is still visible: reversed.
    let reversed = buf
        .content
        .iter()
        .filter(|c| c.modifier.contains(Modifier::REVERSED))
        .count();
    assert!(
        reversed > 50,
        "selected row not reversed ({reversed} cells)"
    );
}

#[test]
fn colour_marks_teams_and_breaches() {
    let fx = Fixture::new();
    let ui = ui_for(&fx);
    let term = terminal(&ui, &fx, 160, 45);
    let buf = term.backend().buffer();
    let fg_of = |needle: &str| {
        let screen = text(buf);
        let (row, line) = screen
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .expect(needle);
        let col = line[..line.find(needle).unwrap()].width() as u16;
        buf[(col, row as u16)].fg
    };
    assert_eq!(fg_of("✖ overdue 1h12"), Color::Red);
    assert_eq!(fg_of("⚠ due in 0h40"), Color::Yellow);
    assert_eq!(fg_of("Alex Rivera"), Color::Magenta);
    assert_eq!(fg_of("SLS"), Color::Cyan);
    assert_eq!(fg_of("MKT"), Color::Magenta);
}

#[test]
fn breaches_count_down_as_now_moves() {
    let mut fx = Fixture::new();
    let ui = ui_for(&fx);
    let before = render(&ui, &fx, 160, 45);
    assert!(
        before.contains("✖ overdue 1h12   Priya Natarajan"),
        "{before}"
    );
    fx.now += Duration::minutes(1);
    let after = render(&ui, &fx, 160, 45);
    assert!(
        after.contains("✖ overdue 1h13   Priya Natarajan"),
        "{after}"
    );
    // Maria's warning turns into a breach at 15:42.
    fx.now = at("2026-11-20T15:43:00Z");
    let later = render(&ui, &fx, 160, 45);
    assert!(later.contains("SLA breaches (4) · warnings (1)"), "{later}");
    assert!(later.contains("✖ overdue 0h01   Maria Lopez"), "{later}");
}

#[test]
fn header_badges_freshness_loading_and_failure() {
    let mut fx = Fixture::new();
    let ui = ui_for(&fx);
    let first_line = |s: String| s.lines().next().unwrap_or_default().to_string();
    let ok = first_line(render(&ui, &fx, 160, 45));
    assert!(ok.contains("HubSpot ✓ 12s"), "{ok}");
    assert!(ok.contains("SIMULATED DATA"), "{ok}");
    assert!(ok.ends_with("week 47 · Fri 15:02 UTC"), "{ok}");

    fx.health[0].slow = Some(std::time::Duration::from_millis(4200));
    let slow = first_line(render(&ui, &fx, 160, 45));
    assert!(
        slow.contains("HubSpot ◔ slow (4.2s a request) · 12s"),
        "{slow}"
    );

    fx.health[0].last_error = Some("HTTP 503 from api.hubapi.com".into());
    fx.health[0].failing_since = Some(at("2026-11-20T15:01:30Z"));
    let term = terminal(&ui, &fx, 160, 45);
    let screen = text(term.backend().buffer());
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("HubSpot ✖ failing since 15:01 · data 12s old"),
        "{header}"
    );
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .contains("HubSpot: HTTP 503 from api.hubapi.com")
    );
    let col = screen.lines().next().unwrap().find("HubSpot ✖").unwrap() as u16;
    assert_eq!(term.backend().buffer()[(col, 0)].fg, Color::Yellow);
    fx.now += Duration::minutes(5);
    let term = terminal(&ui, &fx, 160, 45);
    assert_eq!(term.backend().buffer()[(col, 0)].fg, Color::Red);
    assert!(
        text(term.backend().buffer())
            .lines()
            .next()
            .unwrap()
            .contains("HubSpot ✖ failing since 15:01 · data 5m old")
    );

    let mut empty = Fixture::empty();
    let loading = first_line(render(&ui_for(&empty), &empty, 120, 30));
    assert!(loading.contains("HubSpot ⟳ loading 1 200"), "{loading}");
    assert!(!loading.contains("SIMULATED"), "{loading}");
    // A first load that hits a failure keeps its pages and says so, not "no data".
    empty.health[0].last_error = Some("HTTP 502".into());
    let retrying = first_line(render(&ui_for(&empty), &empty, 120, 30));
    assert!(
        retrying.contains("HubSpot ⟳ loading 1 200 · retrying"),
        "{retrying}"
    );
    // Nothing loaded at all: failing, with no data to show.
    empty.health[0].loaded_leads = 0;
    empty.health[0].loading_total = None;
    let down = first_line(render(&ui_for(&empty), &empty, 120, 30));
    assert!(down.contains("HubSpot ✖ failing · no data"), "{down}");
    // A request that has had no answer is said at once, before the retries run out.
    empty.health[0].trouble = Some("no answer for 20s".into());
    let quiet = first_line(render(&ui_for(&empty), &empty, 120, 30));
    assert!(quiet.contains("· no answer for 20s"), "{quiet}");
}

#[test]
fn footer_shows_context_keys_and_outbox_news() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    let last = |s: String| s.lines().last().unwrap_or_default().to_string();
    // First MQL lead: hand off and recycle both apply.
    let footer = last(render(&ui, &fx, 160, 45));
    assert!(
        footer.contains("⏎ detail  > hand off  < recycle  n note"),
        "{footer}"
    );
    assert!(footer.ends_with("✓ handed off Jonas Weber"), "{footer}");
    // On an inquiry, recycle is not offered.
    press(&mut ui, &fx, "h");
    assert_eq!(ui.leads.stage(), Stage::Inquiry);
    let footer = last(render(&ui, &fx, 160, 45));
    assert!(
        footer.contains("> hand off") && !footer.contains("< recycle"),
        "{footer}"
    );
    // A refusal shows until the next key.
    press(&mut ui, &fx, "<");
    let footer = last(render(&ui, &fx, 160, 45));
    assert!(footer.contains("can't recycle"), "{footer}");
    press(&mut ui, &fx, "j");
    assert!(!last(render(&ui, &fx, 160, 45)).contains("can't recycle"));
}

#[test]
fn focus_is_visible_as_a_thick_border() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    let screen = render(&ui, &fx, 160, 45);
    assert!(screen.lines().any(|l| l.starts_with("┏ Leads")), "{screen}");
    press(&mut ui, &fx, "\t");
    assert_eq!(ui.focus, Pane::Kpis);
    let screen = render(&ui, &fx, 160, 45);
    assert!(screen.lines().any(|l| l.starts_with("┌ Leads")));
    assert!(screen.contains("┏ KPIs"), "{screen}");
}

#[test]
fn leads_table_is_virtualised_and_follows_the_selection() {
    let fx = Fixture::big(5000);
    let mut ui = ui_for(&fx);
    let ctx = fx.ctx();
    let total = ui.leads.visible(&ctx).len();
    assert_eq!(total, 5004);
    ui.leads.select(4000, &ctx);
    let selected = ui.selected_lead(&ctx).unwrap().name().to_string();
    let screen = render(&ui, &fx, 160, 45);
    assert!(screen.contains(&format!("▶ {selected}")), "{screen}");
    assert!(screen.contains("Leads · mql (5 004)"));
    // The window sits where the selection is, not at the top.
    let off = ui.leads.cursor.offset();
    assert!(off > 3900 && off <= 4000, "offset {off}");
    // Paging moves by what the pane showed.
    let page = ui.leads.cursor.page();
    assert!(page > 10);
    press(&mut ui, &fx, "");
    ui.handle_key(key(KeyCode::PageDown), &ctx);
    assert_eq!(ui.leads.cursor.pos(), 4000 + page);
    ui.handle_key(key(KeyCode::End), &ctx);
    let screen = render(&ui, &fx, 160, 45);
    let last = ui.selected_lead(&ctx).unwrap().name().to_string();
    assert!(screen.contains(&format!("▶ {last}")));
}

#[test]
fn wide_characters_keep_the_columns_aligned() {
    let fx = Fixture::new();
    let ui = ui_for(&fx);
    let screen = render(&ui, &fx, 160, 45);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| {
            l.contains("┃▶ Aiko Tanaka") || l.contains("┃  Maria Lopez") || l.contains("┃  name")
        })
        .collect();
    assert_eq!(rows.len(), 3, "{screen}");
    let sla_col = |l: &str| {
        l[..l
            .find("EMEA")
            .or_else(|| l.find("APAC"))
            .or_else(|| l.find("AMER"))
            .or_else(|| l.find("segment"))
            .unwrap()]
            .width()
    };
    let cols: Vec<usize> = rows.iter().map(|l| sla_col(l)).collect();
    assert!(cols.windows(2).all(|w| w[0] == w[1]), "{cols:?}\n{screen}");
}

#[test]
fn unmapped_leads_show_in_the_pipeline_title_and_filter_in_the_leads_title() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    assert!(render(&ui, &fx, 160, 45).contains("Pipeline · 14 leads · 1 unmapped"));
    press(&mut ui, &fx, "/acme");
    let screen = render(&ui, &fx, 160, 45);
    assert!(screen.contains("· /acme"), "{screen}");
    press(&mut ui, &fx, "\n");
    let screen = render(&ui, &fx, 160, 45);
    assert!(screen.contains("search \"acme\" → 1"), "{screen}");
    let mql = stage_index(Stage::Mql);
    assert_eq!(ui.leads.visible(&fx.ctx()).len(), 1);
    assert!(fx.snapshot.board.stage_leads[mql].len() > 1);
}

/// A lead recycled more often than the teams agreed is flagged in its detail.
#[test]
fn recycle_loops_over_the_cap_are_flagged() {
    let mut fx = Fixture::new();
    let detail = |fx: &Fixture| {
        let mut ui = ui_for(fx);
        ui.open_dialog(Box::new(Detail::new("nurture-1")));
        render(&ui, fx, 120, 40)
    };
    // The fixture's one recycle is within the cap of 2.
    let screen = detail(&fx);
    assert!(screen.contains("recycled 1 time(s)"), "{screen}");
    assert!(!screen.contains("⚠ recycled"), "{screen}");
    let extra: Vec<crate::domain::Note> = (0..2)
        .map(|i| crate::domain::Note {
            id: format!("again-{i}").into(),
            lead_ids: thin_vec::thin_vec!["nurture-1".into()],
            owner_id: None,
            at: fx.now - chrono::Duration::days(30 * (i + 1)),
            kind: crate::domain::feedback::NoteKind::Recycle {
                reason: Some("no_response".into()),
                text: String::new(),
            },
        })
        .collect();
    fx.store.upsert_notes(extra);
    fx.rebuild();
    let screen = detail(&fx);
    assert!(
        screen.contains("⚠ recycled 3 time(s); the agreed cap is 2"),
        "{screen}"
    );
}

/// Scrolling a dialog stops where its text ends, as last drawn — no dead key presses.
#[test]
fn dialog_scrolling_stops_at_the_end_of_the_text() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    press(&mut ui, &fx, "?");
    let scroll = |ui: &UiState| ui.dialog_as::<Help>().expect("help is open").scroll.top();
    // Tall enough for every line: nothing to scroll.
    render(&ui, &fx, 120, 80);
    ui.handle_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE), &fx.ctx());
    assert_eq!(scroll(&ui), 0);
    // Short: End goes to the last screenful, and one ↑ moves back one line at once.
    render(&ui, &fx, 120, 16);
    ui.handle_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE), &fx.ctx());
    let end = scroll(&ui);
    assert!(end > 0);
    ui.handle_key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE), &fx.ctx());
    assert_eq!(scroll(&ui), end - 1);
}
