//! Which panes go where: the wide cockpit, one pane with tabs on a narrow screen, or a
//! polite message when the terminal is too small. Dialogs go on top.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::ViewCtx;
use super::state::{Dialog, Pane, UiState};
use super::theme::Theme;
use super::{
    breaches, detail, feedback, footer, handoff, header, help, kpis, leads, note, pipeline,
    recycle, stage_info,
};

/// Below this nothing but a message is drawn.
pub const MIN_W: u16 = 40;
pub const MIN_H: u16 = 10;
/// From this size on, all panes show at once.
pub const WIDE_W: u16 = 120;
pub const WIDE_H: u16 = 30;

pub(crate) fn is_wide(area: Rect) -> bool {
    area.width >= WIDE_W && area.height >= WIDE_H
}

/// Draw the whole cockpit. Cheap: rows are built only for what is visible.
pub fn draw(frame: &mut Frame, state: &UiState, ctx: &ViewCtx) {
    let area = frame.area();
    if area.width < MIN_W || area.height < MIN_H {
        let msg = format!("terminal too small (need {MIN_W}×{MIN_H})");
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, head, state.theme, ctx);
    if is_wide(area) {
        draw_wide(frame, body, state, ctx);
    } else {
        draw_narrow(frame, body, state, ctx);
    }
    footer::draw(frame, foot, state, ctx);
    if let Some(dialog) = &state.dialog {
        draw_dialog(frame, body, dialog, state, ctx);
    }
}

fn draw_pane(
    frame: &mut Frame,
    area: Rect,
    pane: Pane,
    state: &UiState,
    ctx: &ViewCtx,
    focused: bool,
) {
    match pane {
        Pane::Pipeline => pipeline::draw(frame, area, state, ctx, focused),
        Pane::Leads => leads::draw(frame, area, state, ctx, focused),
        Pane::Kpis => kpis::draw(frame, area, state, ctx, focused),
        Pane::Breaches => breaches::draw(frame, area, state, ctx, focused),
        Pane::Feedback => feedback::draw(frame, area, state, ctx, focused),
    }
}

fn draw_wide(frame: &mut Frame, body: Rect, state: &UiState, ctx: &ViewCtx) {
    let feedback_h = ctx.snapshot.feedback.len().clamp(1, 4) as u16 + 2;
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Length(11),
        Constraint::Fill(1),
        Constraint::Length(feedback_h),
    ])
    .areas(body);
    // One right-hand column for KPIs and breaches, so the two rows line up.
    let side = (u32::from(body.width) * 34 / 100).clamp(44, 60) as u16;
    let columns = Layout::horizontal([Constraint::Fill(1), Constraint::Length(side)]);
    let [pipe, kpi] = columns.areas(top);
    let [lead, breach] = columns.areas(mid);
    for (pane, area) in [
        (Pane::Pipeline, pipe),
        (Pane::Kpis, kpi),
        (Pane::Leads, lead),
        (Pane::Breaches, breach),
        (Pane::Feedback, bottom),
    ] {
        draw_pane(frame, area, pane, state, ctx, state.focus == pane);
    }
}

fn draw_narrow(frame: &mut Frame, body: Rect, state: &UiState, ctx: &ViewCtx) {
    let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body);
    let long: usize = Pane::ALL.iter().map(|p| p.label().len() + 4).sum();
    let short = usize::from(tabs.width) < long;
    let mut spans = Vec::new();
    for (i, p) in Pane::ALL.into_iter().enumerate() {
        let name = if short { p.short_label() } else { p.label() };
        let label = format!(" {} {} ", i + 1, name);
        spans.push(if p == state.focus {
            Span::styled(label, state.theme.selected())
        } else {
            Span::raw(label)
        });
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    draw_pane(frame, pane, state.focus, state, ctx, true);
}

fn draw_dialog(frame: &mut Frame, body: Rect, dialog: &Dialog, state: &UiState, ctx: &ViewCtx) {
    // The dialog's bottom border repeats the footer's keys: one source of truth.
    let hint = hint_line(state.theme, &footer::hints(state, ctx));
    let theme = state.theme;
    // Scrollable dialogs report how far they can scroll, so keys stop where the text does.
    let max = match dialog {
        Dialog::Help { scroll } => help::draw(frame, body, theme, hint, *scroll),
        Dialog::Detail { lead_id, scroll } => {
            detail::draw(frame, body, theme, hint, ctx, lead_id, *scroll)
        }
        Dialog::Stage { stage, scroll } => {
            stage_info::draw(frame, body, theme, hint, ctx, *stage, *scroll)
        }
        Dialog::HandOff(d) => {
            handoff::draw(frame, body, theme, hint, ctx, d);
            0
        }
        Dialog::Recycle(d) => {
            recycle::draw(frame, body, theme, hint, ctx, d);
            0
        }
        Dialog::Note(d) => {
            note::draw(frame, body, theme, hint, ctx, d);
            0
        }
    };
    state.dialog_scroll_max.set(max);
}

/// Clear a centred box of at most `w`×`h` inside `bounds`, frame it, and return its inside.
/// The key hint sits in the bottom border so it stays visible however small the box gets.
pub(crate) fn modal(
    frame: &mut Frame,
    bounds: Rect,
    w: u16,
    h: u16,
    title: Line,
    hint: Line,
    theme: Theme,
) -> Rect {
    let w = w.min(bounds.width);
    let h = h.min(bounds.height);
    let area = Rect {
        x: bounds.x + (bounds.width - w) / 2,
        y: bounds.y + (bounds.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, area);
    // A wide character just left of the box would spill over its left border (terminals and
    // ratatui's diff both let a two-column glyph own the next cell): blank it.
    let buf = frame.buffer_mut();
    if area.x > buf.area.x {
        for y in area.top()..area.bottom() {
            if let Some(cell) = buf.cell_mut((area.x - 1, y))
                && cell.symbol().width() > 1
            {
                cell.set_symbol(" ");
            }
        }
    }
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(title)
        .title_bottom(hint);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// ` key label · key label ` for a dialog's bottom border.
pub(crate) fn hint_line(theme: Theme, hints: &[(&'static str, &'static str)]) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, (key, label)) in hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// `label     value` with a fixed label column, for dialog fields.
pub(crate) fn field<'a>(theme: Theme, label: &str, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {label:<10}"), theme.dim())];
    spans.extend(value);
    Line::from(spans)
}
