//! Which panes go where: the wide cockpit, one pane with tabs on a narrow screen, or a
//! polite message when the terminal is too small. Dialogs go on top.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::panes::{Pane, footer, header};
use super::{UiState, ViewCtx};

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
    header::draw(
        frame,
        head,
        state.theme,
        ctx,
        (state.read_only, state.read_only_locked, state.frozen),
    );
    if is_wide(area) {
        draw_wide(frame, body, state, ctx);
    } else {
        draw_narrow(frame, body, state, ctx);
    }
    footer::draw(frame, foot, state, ctx);
    if let Some(dialog) = &state.dialog {
        dialog.draw(frame, body, state.theme, ctx);
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
        pane.draw(frame, area, state, ctx);
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
    state.focus.draw(frame, pane, state, ctx);
}
