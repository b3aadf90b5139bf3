//! One line: the keys that work right now (left) and the latest news (right): a refusal
//! message, the newest outbox status, a failing source. Pane keys come from the key table,
//! a dialog's from the dialog; `? help` and `q quit` are never squeezed out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::sync::OutboxEntry;
use crate::ui::keymap::{BINDINGS, hint_action};
use crate::ui::widgets::Hint;
use crate::ui::widgets::format::{truncate, width};
use crate::ui::widgets::spans::{outbox_status, source_badge};
use crate::ui::{UiState, ViewCtx};

/// Keys that stay on the line whatever else has to go: how to read an error in full (only
/// offered while there is one), how to find the rest, how to leave.
const PINNED: [&str; 3] = ["e", "?", "q"];

/// The keys valid in the current context, most useful first.
pub(crate) fn hints(state: &UiState, ctx: &ViewCtx) -> Vec<Hint> {
    if let Some(dialog) = &state.dialog {
        return dialog.hints(ctx);
    }
    if state.leads.typing {
        return vec![("⏎", "keep search"), ("Esc", "clear"), ("↑↓", "move")];
    }
    BINDINGS
        .iter()
        .filter(|b| b.scope.covers(state.focus) && b.hint_in.covers(state.focus))
        .filter(|b| hint_action(b).is_none_or(|a| state.applies(a, ctx)))
        .filter_map(|b| b.hint)
        .collect()
}

/// The entry that changed last (ties: the newer entry).
fn newest(outbox: &[OutboxEntry]) -> Option<&OutboxEntry> {
    outbox
        .iter()
        .enumerate()
        .max_by_key(|(i, e)| (e.updated_at, *i))
        .map(|(_, e)| e)
}

/// Right-hand items, most important first.
fn news(state: &UiState, ctx: &ViewCtx) -> Vec<(String, Style)> {
    let mut items = Vec::new();
    if let Some(msg) = &state.message {
        items.push((msg.clone(), state.theme.warning()));
    }
    if let Some(entry) = newest(ctx.outbox) {
        items.push(outbox_status(state.theme, entry));
    }
    for h in ctx.health {
        if let Some(err) = &h.last_error {
            let (_, style) = source_badge(state.theme, h, ctx.now);
            items.push((format!("{}: {err}", h.name), style));
        }
    }
    items
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx) {
    let theme = state.theme;
    let total = usize::from(area.width);
    let all = hints(state, ctx);
    let hint_w = |(key, label): &Hint| 1 + width(key) + 1 + width(label) + 1;
    let pinned: Vec<Hint> = all
        .iter()
        .copied()
        .filter(|h| PINNED.contains(&h.0))
        .collect();
    let reserve: usize = pinned.iter().map(hint_w).sum();

    // The right side may take up to half the line (more for a refusal, which matters now),
    // but never the room the pinned keys need.
    let share = if state.message.is_some() {
        total * 2 / 3
    } else {
        total / 2
    };
    let budget = share.min(total.saturating_sub(reserve + 1));
    let mut right: Vec<Span> = Vec::new();
    let mut right_w = 0;
    for (text, style) in news(state, ctx) {
        let sep = if right.is_empty() { 0 } else { 3 };
        let room = budget.saturating_sub(right_w + sep + 1);
        if room < 8 {
            break;
        }
        if sep > 0 {
            right.push(Span::raw(" · "));
        }
        let text = truncate(&text, room);
        right_w += sep + width(&text);
        right.push(Span::styled(text, style));
    }
    if !right.is_empty() {
        right.push(Span::raw(" "));
        right_w += 1;
    }

    let left_budget = total.saturating_sub(right_w + 1);
    let mut shown: Vec<Hint> = Vec::new();
    let mut used = 0;
    for h in all.iter().filter(|h| !PINNED.contains(&h.0)) {
        if used + hint_w(h) + reserve > left_budget {
            break;
        }
        used += hint_w(h);
        shown.push(*h);
    }
    shown.extend(pinned);
    let mut left: Vec<Span> = Vec::new();
    for (key, label) in shown {
        left.push(Span::raw(" "));
        left.push(Span::styled(key, theme.key()));
        left.push(Span::raw(format!(" {label} ")));
    }
    let [l, r] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w as u16)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(Paragraph::new(Line::from(right)), r);
}
