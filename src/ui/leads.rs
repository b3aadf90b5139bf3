//! The leads of the selected stage, most urgent first. Virtualised: only the rows on screen
//! are built, so a stage with thousands of leads costs the same as one with ten.

use ratatui::Frame;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use crate::domain::Lead;
use crate::domain::sla::SlaState;
use crate::domain::snapshot::stage_index;
use crate::sync::ActionStatus;

use super::ViewCtx;
use super::format::{age, count, fit, signed_hm, truncate, width};
use super::state::{UiState, entry_for_lead};
use super::theme::Theme;

const MARKER: &str = "▶ ";

/// First row to show so that `sel` is visible, moving the window as little as possible
/// from `prev`, and never leaving empty rows at the bottom when there are more leads above.
pub(crate) fn window(sel: usize, len: usize, height: usize, prev: usize) -> usize {
    if height == 0 || len == 0 {
        return 0;
    }
    let sel = sel.min(len - 1);
    let mut off = prev.min(len.saturating_sub(height));
    if sel < off {
        off = sel;
    }
    if sel >= off + height {
        off = sel + 1 - height;
    }
    off
}

/// Column widths for the table; 0 hides a column. Narrow panes drop segment, time in stage,
/// owner and company (in that order) before squeezing the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cols {
    name: u16,
    company: u16,
    segment: u16,
    owner: u16,
    in_stage: u16,
    sla: u16,
    sync: u16,
}

impl Cols {
    fn for_width(avail: u16) -> Cols {
        let mut c = Cols {
            name: 10,
            company: 0,
            segment: 0,
            owner: 0,
            in_stage: 0,
            sla: 8,
            sync: 9,
        };
        let base = c.name + 1 + c.sla + 1 + c.sync;
        if avail <= base {
            c.name = avail.saturating_sub(c.sla + 1 + c.sync + 1).max(1);
            return c;
        }
        let mut left = avail - base;
        let mut add = |w: u16, slot: &mut u16| {
            if left > w {
                *slot = w;
                left -= w + 1;
            }
        };
        add(10, &mut c.company);
        add(12, &mut c.owner);
        add(8, &mut c.in_stage);
        add(8, &mut c.segment);
        let mut grow = |slot: &mut u16, cap: u16| {
            if *slot > 0 {
                let extra = cap.saturating_sub(*slot).min(left);
                *slot += extra;
                left -= extra;
            }
        };
        grow(&mut c.name, 24);
        grow(&mut c.company, 22);
        grow(&mut c.owner, 16);
        grow(&mut c.name, 40);
        grow(&mut c.company, 36);
        c
    }

    fn widths(&self) -> Vec<Constraint> {
        self.present().map(Constraint::Length).collect()
    }

    fn present(&self) -> impl Iterator<Item = u16> {
        [
            self.name,
            self.company,
            self.segment,
            self.owner,
            self.in_stage,
            self.sla,
            self.sync,
        ]
        .into_iter()
        .filter(|w| *w > 0)
    }
}

/// `✖ -1h12`, `⚠ 0h40`, `⏳ 3h05` with its style.
pub(crate) fn sla_span(
    theme: Theme,
    state: SlaState,
    remaining: chrono::Duration,
) -> Span<'static> {
    let mut text = signed_hm(remaining);
    match state {
        SlaState::Breached => {
            if !text.starts_with('-') {
                text.insert(0, '-');
            }
            Span::styled(format!("✖ {text}"), theme.breached())
        }
        SlaState::Warning => Span::styled(format!("⚠ {text}"), theme.warning()),
        SlaState::Running => Span::raw(format!("⏳ {text}")),
    }
}

/// The SLA cell of a lead, if a clock runs for it.
fn lead_sla(theme: Theme, ctx: &ViewCtx, index: usize) -> Option<Span<'static>> {
    let timer = ctx
        .snapshot
        .timers
        .get(*ctx.snapshot.timer_of_lead.get(&index)?)?;
    let def = ctx.config.slas.get(timer.sla)?;
    Some(sla_span(
        theme,
        timer.state(ctx.now),
        timer.remaining(def, &ctx.config.calendar, ctx.now),
    ))
}

/// `… pending`, `✓ done`, `✖ failed` for the lead's newest outbox entry.
pub(crate) fn sync_span(theme: Theme, ctx: &ViewCtx, lead_id: &str) -> Span<'static> {
    match entry_for_lead(ctx.outbox, lead_id).map(|e| &e.status) {
        Some(ActionStatus::Pending) => Span::styled("… pending", theme.warning()),
        Some(ActionStatus::Done) => Span::styled("✓ done", theme.good()),
        Some(ActionStatus::Failed(_)) => Span::styled("✖ failed", theme.bad()),
        None => Span::raw(""),
    }
}

fn lead_row<'a>(theme: Theme, ctx: &ViewCtx, cols: &Cols, index: usize, lead: &Lead) -> Row<'a> {
    let mut cells: Vec<Cell> = Vec::with_capacity(7);
    cells.push(Cell::from(fit(&lead.name, cols.name.into())));
    if cols.company > 0 {
        cells.push(Cell::from(fit(&lead.company, cols.company.into())));
    }
    if cols.segment > 0 {
        cells.push(Cell::from(fit(&lead.segment(), cols.segment.into())));
    }
    if cols.owner > 0 {
        let owner = lead.owner_id.as_deref().and_then(|id| ctx.store.owner(id));
        cells.push(match owner {
            Some(o) => Cell::from(Span::styled(
                fit(&o.name, cols.owner.into()),
                theme.team(o.team),
            )),
            None => Cell::from(Span::styled("—", theme.dim())),
        });
    }
    if cols.in_stage > 0 {
        let text = lead
            .entered_current_stage()
            .map_or_else(|| "—".to_string(), |t| age(ctx.now - t));
        cells.push(Cell::from(text));
    }
    let sla = lead_sla(theme, ctx, index).unwrap_or_else(|| Span::styled("—", theme.dim()));
    cells.push(Cell::from(sla));
    cells.push(Cell::from(sync_span(theme, ctx, &lead.id)));
    Row::new(cells)
}

fn header_row<'a>(theme: Theme, cols: &Cols) -> Row<'a> {
    let mut cells = vec!["name"];
    for (w, label) in [
        (cols.company, "company"),
        (cols.segment, "segment"),
        (cols.owner, "owner"),
        (cols.in_stage, "in stage"),
    ] {
        if w > 0 {
            cells.push(label);
        }
    }
    cells.extend(["SLA", "sync"]);
    Row::new(cells).style(theme.dim())
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let stage = state.current_stage();
    let list = state.visible_leads(ctx);
    let total = ctx
        .snapshot
        .counts
        .get(stage_index(stage))
        .copied()
        .unwrap_or_default();

    let mut title = vec![
        Span::styled(" Leads · ", theme.bold()),
        Span::styled(
            stage.id(),
            theme
                .team(ctx.config.stages.team(stage))
                .patch(theme.bold()),
        ),
        Span::raw(format!(" ({}) · sorted by SLA due ", count(total))),
    ];
    let mut cursor_x = None;
    if state.filter_typing || !state.filter.is_empty() {
        let shown = truncate(&state.filter, usize::from(area.width / 3).max(4));
        let text = if state.filter_typing {
            format!("· /{shown}")
        } else {
            format!("· filter \"{shown}\" → {} ", count(list.len()))
        };
        title.push(Span::styled(text, theme.warning()));
        if state.filter_typing && focused {
            let before: usize = title.iter().map(|s| width(&s.content)).sum();
            cursor_x = Some(area.x.saturating_add(1).saturating_add(before as u16));
        }
    }
    let block = theme.pane_block(Line::from(title), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(x) = cursor_x
        && x < area.right().saturating_sub(1)
    {
        frame.set_cursor_position(Position::new(x, area.y));
    }
    if inner.height < 2 || inner.width < 4 {
        return;
    }

    let body_h = usize::from(inner.height - 1);
    state.lead_page.set(body_h);
    if list.is_empty() {
        let loading = ctx.store.leads().is_empty() && ctx.health.iter().any(|h| !h.loaded);
        let text = if loading {
            " loading leads…".to_string()
        } else if state.filter.is_empty() {
            format!(" no leads in {}", stage.id())
        } else {
            format!(
                " no {} leads match \"{}\" · Esc clears the filter",
                stage.id(),
                state.filter
            )
        };
        let msg = Rect {
            y: inner.y + 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), msg);
        state.lead_offset.set(0);
        return;
    }

    let cols = Cols::for_width(inner.width.saturating_sub(width(MARKER) as u16));
    let sel = state.lead_sel.min(list.len() - 1);
    let off = window(sel, list.len(), body_h, state.lead_offset.get());
    state.lead_offset.set(off);
    let end = (off + body_h).min(list.len());
    let leads = ctx.store.leads();
    let rows: Vec<Row> = list[off..end]
        .iter()
        .map(|&i| match leads.get(i) {
            Some(lead) => lead_row(theme, ctx, &cols, i, lead),
            None => Row::new(vec![Cell::from("?")]),
        })
        .collect();
    let highlight = if focused {
        theme.selected()
    } else {
        Style::new()
    };
    let table = Table::new(rows, cols.widths())
        .header(header_row(theme, &cols))
        .column_spacing(1)
        .highlight_symbol(MARKER)
        .highlight_spacing(HighlightSpacing::Always)
        .row_highlight_style(highlight);
    let mut table_state = TableState::new().with_selected(Some(sel - off));
    frame.render_stateful_widget(table, inner, &mut table_state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_moves_minimally_and_keeps_the_selection_visible() {
        // Scrolling down keeps the selection on the last row.
        assert_eq!(window(0, 100, 10, 0), 0);
        assert_eq!(window(9, 100, 10, 0), 0);
        assert_eq!(window(10, 100, 10, 0), 1);
        assert_eq!(window(4000, 5000, 20, 0), 3981);
        // Scrolling up keeps it on the first row; inside the window nothing moves.
        assert_eq!(window(3990, 5000, 20, 3981), 3981);
        assert_eq!(window(3970, 5000, 20, 3981), 3970);
        // A shrunken list pulls the window back so no rows are wasted.
        assert_eq!(window(4, 5, 10, 30), 0);
        assert_eq!(window(50, 5, 10, 0), 0);
        assert_eq!(window(0, 0, 10, 7), 0);
        assert_eq!(window(3, 10, 0, 2), 0);
    }

    #[test]
    fn columns_fit_and_drop_in_priority_order() {
        for w in 0..200u16 {
            let c = Cols::for_width(w);
            let used: u16 = c.present().map(|w| w + 1).sum::<u16>() - 1;
            if w >= 30 {
                assert!(used <= w, "width {w}: {c:?} uses {used}");
            }
        }
        let narrow = Cols::for_width(36);
        assert_eq!((narrow.company, narrow.owner, narrow.segment), (0, 0, 0));
        let mid = Cols::for_width(60);
        assert!(mid.company > 0 && mid.owner > 0 && mid.segment == 0);
        let wide = Cols::for_width(108);
        assert!(wide.segment > 0 && wide.in_stage > 0 && wide.name >= 20);
    }
}
