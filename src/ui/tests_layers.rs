//! The structure the UI promises: widgets are a leaf layer, panes and dialogs do not reach
//! into each other, and a new dialog needs one file and one place that opens it.

use std::path::Path;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialogs::{Dialog, Outcome};
use super::fixture::Fixture;
use super::widgets::Hint;
use super::widgets::modal::modal;
use super::widgets::theme::Theme;
use super::{Command, UiState, ViewCtx, draw};

/// `use` lines and paths of every `.rs` file in `dir` that name one of `forbidden`.
fn offending(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/ui")
        .join(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).expect("ui folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for line in text.lines().filter(|l| l.contains("::")) {
            let code = line.split("//").next().unwrap_or("");
            for f in forbidden {
                let paths = [format!("crate::ui::{f}"), format!("super::{f}")];
                if paths.iter().any(|p| code.contains(p.as_str())) {
                    out.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    out
}

#[test]
fn widgets_import_nothing_above_them() {
    let mut bad = offending(
        "widgets",
        &[
            "panes", "dialogs", "keys", "keymap", "state", "layout", "UiState",
        ],
    );
    // Stricter still: the only part of `ui` that widgets may name is widgets.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/widgets");
    for entry in std::fs::read_dir(&root).expect("widgets folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let outside = code
                .match_indices("crate::ui::")
                .any(|(i, m)| !code[i + m.len()..].starts_with("widgets"));
            if outside || code.contains("super::super") {
                bad.push(format!("{}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "widgets/ must stay a leaf layer:\n{}",
        bad.join("\n")
    );
    // The check itself must see an import when there is one.
    assert!(!offending("panes", &["widgets"]).is_empty());
}

#[test]
fn panes_and_dialogs_do_not_import_each_other() {
    let bad = offending("panes", &["dialogs"]);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let bad = offending("dialogs", &["panes"]);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A dialog made up for this test: one type, one impl, opened through the public door.
#[derive(Debug, Default)]
struct Ping {
    pressed: usize,
}

impl Dialog for Ping {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        match key.code {
            KeyCode::Esc => Outcome::Close,
            _ => {
                self.pressed += 1;
                Outcome::Stay
            }
        }
    }

    fn draw(
        &self,
        frame: &mut ratatui::Frame,
        area: ratatui::layout::Rect,
        theme: Theme,
        ctx: &ViewCtx,
    ) {
        let inner = modal(frame, area, (30, 5), "Ping", &self.hints(ctx), theme);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(format!("pressed {}", self.pressed)),
            inner,
        );
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("Esc", "close"), ("x", "ping")]
    }
}

#[test]
fn a_new_dialog_owns_its_keys_drawing_and_hints() {
    let fx = Fixture::new();
    let mut ui = UiState::new(false);
    ui.on_data_changed(&fx.ctx());
    ui.open_dialog(Box::new(Ping::default()));
    let ctx = fx.ctx();
    let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
    // `q` would quit the cockpit; inside the dialog it is the dialog's key.
    let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(ui.handle_key(x, &ctx), Vec::<Command>::new());
    assert_eq!(ui.handle_key(q, &ctx), Vec::<Command>::new());
    assert_eq!(ui.dialog_as::<Ping>().map(|p| p.pressed), Some(2));

    let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    term.draw(|f| draw(f, &ui, &ctx)).expect("draw");
    let screen: String = term
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("pressed 2"));
    // The footer and the dialog's border both show the dialog's own hints.
    assert_eq!(screen.matches("x ping").count(), 2, "{screen}");

    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    ui.handle_key(esc, &ctx);
    assert!(ui.dialog_as::<Ping>().is_none());
}
