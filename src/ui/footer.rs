//! One line: the keys that work right now (left) and the latest news (right): a refusal
//! message, the newest outbox status, a failing source.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::action::ActionKind;
use crate::sync::{ActionStatus, OutboxEntry};

use super::ViewCtx;
use super::format::{truncate, width};
use super::header::badge;
use super::note::NoteField;
use super::state::{Dialog, Pane, UiState};
use super::theme::Theme;

type Hint = (&'static str, &'static str);

const GLOBAL: [Hint; 3] = [("r", "refresh"), ("?", "help"), ("q", "quit")];

/// Action keys valid for the lead an action would apply to.
fn action_hints(lead: Option<&crate::domain::Lead>, hints: &mut Vec<Hint>) {
    let Some(lead) = lead else { return };
    if lead.stage.is_some_and(|s| s.can_hand_off()) {
        hints.push((">", "hand off"));
    }
    if lead.stage.is_some_and(|s| s.can_recycle()) {
        hints.push(("<", "recycle"));
    }
    hints.push(("n", "note"));
}

/// The keys valid in the current context, most useful first.
pub(crate) fn hints(state: &UiState, ctx: &ViewCtx) -> Vec<Hint> {
    let mut h: Vec<Hint> = Vec::new();
    match &state.dialog {
        Some(Dialog::Help { .. }) | Some(Dialog::Stage { .. }) => {
            h.extend([("Esc", "close"), ("↑↓", "scroll")])
        }
        Some(Dialog::Detail { lead_id, .. }) => {
            action_hints(ctx.store.lead(lead_id), &mut h);
            h.extend([("↑↓", "scroll"), ("Esc", "close")]);
        }
        Some(Dialog::HandOff(_)) => h.extend([("y", "confirm"), ("n", "cancel"), ("←→", "owner")]),
        Some(Dialog::Recycle(d)) if d.editing_note => {
            h.extend([
                ("⏎", "done"),
                ("⌫", "delete"),
                ("↑↓", "reason"),
                ("Esc", "cancel"),
            ]);
        }
        Some(Dialog::Recycle(_)) => h.extend([
            ("y", "recycle"),
            ("n", "cancel"),
            ("↑↓", "reason"),
            ("Tab", "note"),
        ]),
        Some(Dialog::Note(d)) if d.confirming => {
            h.extend([("y", "send"), ("n", "keep editing"), ("Esc", "cancel")]);
        }
        Some(Dialog::Note(d)) if d.focus == NoteField::Text => h.extend([
            ("Ctrl-S", "review"),
            ("⏎", "new line"),
            ("Tab", "next field"),
            ("Esc", "cancel"),
        ]),
        Some(Dialog::Note(_)) => h.extend([
            ("y", "send"),
            ("←→", "change"),
            ("Tab", "next field"),
            ("n", "cancel"),
        ]),
        None if state.filter_typing => {
            h.extend([("⏎", "keep filter"), ("Esc", "clear"), ("↑↓", "move")]);
        }
        None => {
            match state.focus {
                Pane::Leads => {
                    let lead = state.selected_lead(ctx);
                    if lead.is_some() {
                        h.push(("⏎", "detail"));
                    }
                    action_hints(lead, &mut h);
                    h.extend([("/", "filter"), ("←→", "stage")]);
                    if !state.filter.is_empty() {
                        h.push(("Esc", "clear filter"));
                    }
                }
                Pane::Breaches => {
                    let lead = state.selected_breach_lead(ctx);
                    if lead.is_some() {
                        h.extend([("↑↓", "select"), ("⏎", "detail")]);
                    }
                    action_hints(lead, &mut h);
                }
                Pane::Pipeline => h.extend([
                    ("↑↓", "stage"),
                    ("⏎", "leads"),
                    ("d", "definition"),
                    ("/", "filter"),
                ]),
                Pane::Feedback => h.push(("↑↓", "scroll")),
                Pane::Kpis => h.extend([("p", "period"), ("m", "attribution"), ("↑↓", "scroll")]),
            }
            h.push(("Tab", "pane"));
            h.extend(GLOBAL);
        }
    }
    h
}

fn progressive(kind: &ActionKind) -> &'static str {
    match kind {
        ActionKind::HandOff { .. } => "handing off",
        ActionKind::Recycle { .. } => "recycling",
        ActionKind::Feedback { .. } => "sending note on",
    }
}

/// `… handing off Jonas Weber`, `✓ handed off Jonas Weber`, `✖ recycle Jonas Weber failed: …`.
pub(crate) fn outbox_status(theme: Theme, entry: &OutboxEntry) -> (String, Style) {
    let a = &entry.action;
    match &entry.status {
        ActionStatus::Pending => (
            format!("… {} {}", progressive(&a.kind), a.lead_name),
            theme.warning(),
        ),
        ActionStatus::Done => (
            format!("✓ {} {}", a.past_tense(), a.lead_name),
            theme.good(),
        ),
        ActionStatus::Failed(msg) => (
            format!("✖ {} {} failed: {msg}", a.verb(), a.lead_name),
            theme.bad(),
        ),
    }
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
            let (_, style) = badge(state.theme, h, ctx.now);
            items.push((format!("{}: {err}", h.name), style));
        }
    }
    items
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx) {
    let theme = state.theme;
    let total = usize::from(area.width);
    // The right side may take up to half the line (more for a refusal, which matters now).
    let budget = if state.message.is_some() {
        total * 2 / 3
    } else {
        total / 2
    };
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
    let hint_w = |(key, label): &Hint| 1 + width(key) + 1 + width(label) + 1;
    let all = hints(state, ctx);
    // `? help` is never squeezed out: it is how people find the rest.
    let pinned: Vec<Hint> = all.iter().copied().filter(|h| h.0 == "?").collect();
    let reserve: usize = pinned.iter().map(hint_w).sum();
    let mut shown: Vec<Hint> = Vec::new();
    let mut used = 0;
    for h in all.iter().filter(|h| h.0 != "?") {
        if used + hint_w(h) + reserve > left_budget {
            break;
        }
        used += hint_w(h);
        shown.push(*h);
    }
    if used + reserve <= left_budget {
        shown.extend(pinned);
    }
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
