//! Modals on top of the cockpit. Each dialog is one file that owns its state, its keys, its
//! drawing and its footer hints; keys go to the open dialog before anything else.
//!
//! Adding a dialog: a file here with a type that implements [`Dialog`], its `mod` line below,
//! and a place that opens it (a key action in `keys.rs`, or another dialog's [`Outcome`]).

pub mod accounts;
pub mod detail;
pub mod handoff;
pub mod help;
pub mod note;
pub mod outbox;
pub mod problems;
pub mod recycle;
pub mod respond;
pub mod stage_info;
pub mod standup;
pub mod thread;
pub mod whatif;

use std::any::Any;
use std::fmt::Debug;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use crate::domain::action::ActionKind;
use crate::domain::handoff::ActionChoice;

use super::ViewCtx;
use super::widgets::Hint;
use super::widgets::theme::Theme;

/// What a dialog made of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stay,
    Close,
    /// The user confirmed a complete action on the dialog's lead.
    Submit(ActionKind),
    /// Replace this dialog with an action dialog on the same lead (from the detail view).
    Open(ActionChoice, String),
    /// Keep the dialog and say something in the footer.
    Say(String),
    /// Keep the dialog and ask the app to change an outbox entry.
    Outbox(crate::ui::OutboxOp),
    /// Close and list the leads matching this text (across every stage).
    Search(String),
}

pub trait Dialog: Debug + Any {
    /// Handle one key; mutate only the dialog.
    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Outcome;

    /// Draw inside `area` (the cockpit's body); the frame's bottom border carries [`Self::hints`].
    fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme, ctx: &ViewCtx);

    /// The keys that work right now, most useful first; the footer shows the same.
    fn hints(&self, ctx: &ViewCtx) -> Vec<Hint>;

    /// The lead a submitted action applies to: `(id, name)`.
    fn lead(&self) -> Option<(&str, &str)> {
        None
    }

    /// For a hand-off: the rotation and the turn its proposal was made from, so the app can
    /// refuse it if another cockpit took that turn meanwhile.
    fn rotation_turn(&self, _ctx: &ViewCtx) -> Option<(String, usize)> {
        None
    }
}

/// Esc or one of `close` keys closes; ↑/↓/PgUp/PgDn/Home/End scroll.
pub(crate) fn scroll_key(
    key: KeyEvent,
    scroll: &mut super::widgets::cursor::Scroll,
    close: &[char],
) -> Outcome {
    use super::widgets::cursor::movement;
    use super::widgets::input::plain_char;
    use ratatui::crossterm::event::KeyCode;
    if key.code == KeyCode::Esc || plain_char(key).is_some_and(|c| close.contains(&c)) {
        return Outcome::Close;
    }
    if let Some(m) = movement(key) {
        scroll.on_move(m);
    }
    Outcome::Stay
}
