//! The outbox: every action and where it is (queued, sending, done, partly done, failed,
//! conflict, cancelled), newest first. A conflict is decided here: `y` sends it again over
//! the record as it is now, `d` drops it; `c` cancels what is not sent yet, `R` retries a
//! failed one from its first unconfirmed step. `o` opens it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::action::{ActionStatus, OutboxEntry};
use crate::domain::text::clean;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::list_step;
use crate::ui::widgets::format::wrap_words;
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::theme::Theme;
use crate::ui::{OutboxOp, ViewCtx};

use super::{Dialog, Outcome};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outbox {
    /// Position in the newest-first list.
    selected: usize,
    /// A conflict `y` was pressed on once: its preview shows, and `y` again sends it.
    armed: Option<u64>,
}

fn newest_first<'a>(ctx: &ViewCtx<'a>) -> Vec<&'a OutboxEntry> {
    ctx.outbox.iter().rev().collect()
}

impl Outbox {
    fn entry<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a OutboxEntry> {
        newest_first(ctx).get(self.selected).copied()
    }
}

fn mark(theme: Theme, status: &ActionStatus) -> Span<'static> {
    match status {
        ActionStatus::Done => Span::styled("✓", theme.good()),
        ActionStatus::Failed { .. } => Span::styled("✖", theme.bad()),
        ActionStatus::Conflict(_) => Span::styled("⚠", theme.bad()),
        ActionStatus::Cancelled => Span::styled("–", theme.dim()),
        _ => Span::styled("…", theme.warning()),
    }
}

impl Dialog for Outbox {
    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
        let n = ctx.outbox.len();
        let op = |op: fn(u64) -> OutboxOp, this: &Self| match this.entry(ctx) {
            Some(e) => Outcome::Outbox(op(e.id())),
            None => Outcome::Stay,
        };
        if let Some(pos) = list_step(key, self.selected, n) {
            self.selected = pos;
            self.armed = None;
            return Outcome::Stay;
        }
        let armed = self.armed.take();
        match (key.code, plain_char(key)) {
            (KeyCode::Esc, _) | (_, Some('o' | 'q')) => Outcome::Close,
            (_, Some(c)) => {
                let Some(e) = self.entry(ctx) else {
                    return Outcome::Stay;
                };
                match (c, &e.status) {
                    // Sending over newer state is decided on sight of what it writes over.
                    ('y', ActionStatus::Conflict(_)) if armed == Some(e.id()) => {
                        op(OutboxOp::Confirm, self)
                    }
                    ('y', ActionStatus::Conflict(_)) => {
                        self.armed = Some(e.id());
                        Outcome::Stay
                    }
                    ('d', ActionStatus::Conflict(_)) | ('c', ActionStatus::Queued) => {
                        op(OutboxOp::Cancel, self)
                    }
                    ('R', ActionStatus::Failed { .. }) => op(OutboxOp::Retry, self),
                    ('c' | 'd' | 'y' | 'R', _) => Outcome::Say(format!(
                        "{} is {}: nothing to do with that key",
                        e.action.verb(),
                        e.status.word()
                    )),
                    _ => Outcome::Stay,
                }
            }
            _ => Outcome::Stay,
        }
    }

    fn hints(&self, ctx: &ViewCtx) -> Vec<Hint> {
        let mut hints = vec![("Esc", "close"), ("↑↓", "move")];
        match self.entry(ctx).map(|e| &e.status) {
            Some(ActionStatus::Conflict(_)) => {
                let armed = self.entry(ctx).is_some_and(|e| self.armed == Some(e.id()));
                hints.push((
                    "y",
                    if armed {
                        "again: send over it"
                    } else {
                        "send again"
                    },
                ));
                hints.push(("d", "drop"));
            }
            Some(ActionStatus::Queued) => hints.push(("c", "cancel")),
            Some(ActionStatus::Failed { .. }) => hints.push(("R", "retry")),
            _ => {}
        }
        hints
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let w = (u32::from(bounds.width) * 9 / 10).min(110) as u16;
        // The modal's inside, less the five-space indent of each entry's lines.
        let text_w = usize::from(w.saturating_sub(9)).max(20);
        let entries = newest_first(ctx);
        let mut lines = vec![Line::raw("")];
        if entries.is_empty() {
            lines.push(Line::styled(
                " nothing sent from this cockpit yet",
                theme.dim(),
            ));
        }
        let mut selected_line = 0;
        for (i, e) in entries.iter().enumerate() {
            let a = &e.action;
            let head = format!(
                " {} {} {} · by {}",
                a.created_at.format("%a %H:%M"),
                a.verb(),
                clean(&a.lead_name),
                clean(&a.actor.user)
            );
            let style = if i == self.selected {
                selected_line = lines.len();
                theme.selected()
            } else {
                theme.bold()
            };
            lines.push(Line::from(vec![
                Span::raw(" "),
                mark(theme, &e.status),
                Span::styled(head, style),
            ]));
            for part in wrap_words(&clean(&e.status.describe(a.verb())), text_w) {
                lines.push(Line::styled(format!("     {part}"), theme.dim()));
            }
            if self.armed == Some(e.id()) {
                let owner = |id: &str| {
                    ctx.store
                        .owner(id)
                        .map_or(id.to_string(), |o| o.name.clone())
                };
                let preview = format!(
                    "y again writes {} over the record as it is now",
                    a.kind.intent(owner)
                );
                for part in wrap_words(&clean(&preview), text_w) {
                    lines.push(Line::styled(format!("     {part}"), theme.warning()));
                }
            }
        }
        let h = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
        // A conflict or a failure waits on the user: never "0 open" while one does.
        let open = ctx.outbox.iter().filter(|e| e.status.is_open()).count();
        let decide = ctx
            .outbox
            .iter()
            .filter(|e| e.status.needs_attention())
            .count();
        let title = match decide {
            0 => format!("Outbox · {open} open"),
            n => format!("Outbox · {open} open · {n} to decide"),
        };
        let inner = modal(frame, bounds, (w, h), &title, &self.hints(ctx), theme);
        let rows = usize::from(inner.height);
        let top = selected_line.saturating_sub(rows.saturating_sub(3));
        let shown: Vec<Line> = lines.into_iter().skip(top).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}
