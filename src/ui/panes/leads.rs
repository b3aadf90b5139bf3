//! The leads of the selected stage, most urgent first. Virtualised: only the rows on screen
//! are built, so a stage with thousands of leads costs the same as one with ten.

use ratatui::Frame;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use crate::domain::ranked::Ranked;
use crate::domain::snapshot::stage_index;
use crate::domain::{Lead, Stage};
use crate::ui::widgets::cursor::{ListCursor, Move};
use crate::ui::widgets::format::{age, count, fit, truncate, width};
use crate::ui::widgets::spans::{entry_for_lead, sla_span, sync_span};
use crate::ui::widgets::theme::Theme;
use crate::ui::{UiState, ViewCtx};

const MARKER: &str = "▶ ";
const SEARCH_MAX_CHARS: usize = 64;

/// The leads table's own state: which stage, where the cursor is, and the search.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadsView {
    /// Index into [`Stage::ALL`].
    pub stage: usize,
    pub cursor: ListCursor,
    /// Case-insensitive substring over name, company and email, across every stage.
    pub search: String,
    /// The search line has the keyboard.
    pub typing: bool,
    /// Lead indices matching the search, stage by stage; `None` without a search.
    matches: Option<Ranked>,
}

impl Default for LeadsView {
    fn default() -> Self {
        Self {
            stage: stage_index(Stage::Mql),
            cursor: ListCursor::default(),
            search: String::new(),
            typing: false,
            matches: None,
        }
    }
}

impl LeadsView {
    pub fn stage(&self) -> Stage {
        Stage::ALL[self.stage.min(Stage::ALL.len() - 1)]
    }

    pub fn searching(&self) -> bool {
        self.matches.is_some()
    }

    /// Lead indices shown in the table, in order.
    pub fn visible<'a>(&'a self, ctx: &ViewCtx<'a>) -> &'a Ranked {
        static NONE: Ranked = Ranked::new();
        match &self.matches {
            Some(list) => list,
            None => ctx
                .snapshot
                .board
                .stage_leads
                .get(self.stage)
                .unwrap_or(&NONE),
        }
    }

    pub fn selected<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a Lead> {
        let i = self.visible(ctx).get(self.cursor.pos())?;
        ctx.store.leads().get(i)
    }

    fn id_at(&self, ctx: &ViewCtx, pos: usize) -> Option<String> {
        let i = self.visible(ctx).get(pos)?;
        ctx.store.leads().get(i).map(|l| l.id.to_string())
    }

    pub fn select(&mut self, pos: usize, ctx: &ViewCtx) {
        let len = self.visible(ctx).len();
        let id = self.id_at(ctx, pos.min(len.saturating_sub(1)));
        self.cursor.select(pos, len, |_| id);
    }

    pub fn move_by(&mut self, m: Move, ctx: &ViewCtx) {
        let len = self.visible(ctx).len();
        let mut probe = self.cursor.clone();
        probe.move_by(m, len, |_| None);
        self.select(probe.pos(), ctx);
    }

    /// After a data change: search again, then back onto the same lead if it is still listed.
    pub fn refresh(&mut self, ctx: &ViewCtx) {
        self.research(ctx);
        let leads = ctx.store.leads();
        // Found by its place in the order, not by reading the whole stage.
        let found = self.cursor.id().and_then(|id| match &self.matches {
            Some(list) => list
                .iter()
                .position(|i| leads.get(i).is_some_and(|l| l.id == id)),
            None => {
                let index = ctx.store.index_of(id)?;
                let pos = ctx.snapshot.board.position(index, leads)?;
                (ctx.snapshot.board.stage_leads[self.stage].get(pos) == Some(index)).then_some(pos)
            }
        });
        let pos = found.unwrap_or(self.cursor.pos());
        self.select(pos, ctx);
    }

    pub fn set_stage(&mut self, stage: usize, ctx: &ViewCtx) {
        let stage = stage.min(Stage::ALL.len() - 1);
        if stage != self.stage {
            self.stage = stage;
            if !self.searching() {
                self.cursor.reset();
                self.select(0, ctx);
            }
        }
    }

    pub fn set_search(&mut self, text: String, ctx: &ViewCtx) {
        self.search = text;
        self.cursor.reset();
        self.research(ctx);
        self.select(0, ctx);
    }

    /// A character typed into the search line.
    pub fn push_search(&mut self, c: char, ctx: &ViewCtx) {
        if self.search.chars().count() < SEARCH_MAX_CHARS {
            let mut s = self.search.clone();
            s.push(c);
            self.set_search(s, ctx);
        }
    }

    /// Matches in every stage, in pipeline order, most urgent first within a stage.
    fn research(&mut self, ctx: &ViewCtx) {
        if self.search.is_empty() {
            self.matches = None;
            return;
        }
        let needle = self.search.to_lowercase();
        let leads = ctx.store.leads();
        self.matches = Some(Ranked::from_sorted(
            ctx.snapshot
                .board
                .stage_leads
                .iter()
                .flat_map(Ranked::iter)
                .filter(|&i| leads.get(i).is_some_and(|l| matches_search(l, &needle)))
                .collect(),
        ));
    }
}

/// Whether `needle` (already lowercase) occurs in the lead's name, company or email.
fn matches_search(lead: &Lead, needle: &str) -> bool {
    [lead.name(), lead.company.as_str(), lead.email()]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
}

/// Column widths for the table; 0 hides a column. The name comes first: narrow panes drop
/// segment, time in stage, owner and company (in that order) before squeezing it. `stage`
/// shows while searching across stages; `sync` only while a listed lead has an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cols {
    name: u16,
    stage: u16,
    company: u16,
    segment: u16,
    owner: u16,
    in_stage: u16,
    sla: u16,
    sync: u16,
}

impl Cols {
    fn for_width(avail: u16, stage: bool, sync: bool) -> Cols {
        let mut c = Cols {
            name: 12,
            stage: if stage { 12 } else { 0 },
            company: 0,
            segment: 0,
            owner: 0,
            in_stage: 0,
            sla: 15,
            sync: if sync { 9 } else { 0 },
        };
        let fixed: u16 = [c.stage, c.sla, c.sync]
            .iter()
            .filter(|w| **w > 0)
            .map(|w| w + 1)
            .sum();
        if avail <= c.name + fixed {
            c.name = avail.saturating_sub(fixed).max(1);
            return c;
        }
        let mut left = avail - c.name - fixed;
        let add = |left: &mut u16, w: u16, slot: &mut u16| {
            if *left > w {
                *slot = w;
                *left -= w + 1;
            }
        };
        let grow = |left: &mut u16, slot: &mut u16, cap: u16| {
            if *slot > 0 {
                let extra = cap.saturating_sub(*slot).min(*left);
                *slot += extra;
                *left -= extra;
            }
        };
        add(&mut left, 10, &mut c.company);
        add(&mut left, 12, &mut c.owner);
        // A readable name before the time in stage and the segment.
        grow(&mut left, &mut c.name, 16);
        add(&mut left, 8, &mut c.in_stage);
        add(&mut left, 8, &mut c.segment);
        let mut grow = |slot: &mut u16, cap: u16| grow(&mut left, slot, cap);
        // Widths that fit most names and companies first, then whatever room is left.
        grow(&mut c.name, 20);
        grow(&mut c.company, 22);
        grow(&mut c.owner, 16);
        grow(&mut c.company, 28);
        grow(&mut c.name, 32);
        grow(&mut c.company, 36);
        grow(&mut c.name, 40);
        c
    }

    fn widths(&self) -> Vec<Constraint> {
        self.present().map(Constraint::Length).collect()
    }

    fn present(&self) -> impl Iterator<Item = u16> {
        [
            self.name,
            self.stage,
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

/// The SLA cell of a lead, if a clock runs for it.
fn lead_sla(theme: Theme, ctx: &ViewCtx, index: usize) -> Option<Span<'static>> {
    let lead = ctx.store.leads().get(index)?;
    let timer = ctx.snapshot.board.timer_of(index, lead)?;
    let def = ctx.config.slas.get(timer.sla)?;
    Some(sla_span(
        theme,
        timer.state(ctx.now),
        timer.remaining(def, &ctx.config.calendar, ctx.now),
        def.clock,
    ))
}

fn lead_row<'a>(theme: Theme, ctx: &ViewCtx, cols: &Cols, index: usize, lead: &Lead) -> Row<'a> {
    let mut cells: Vec<Cell> = Vec::with_capacity(7);
    cells.push(Cell::from(fit(lead.name(), cols.name.into())));
    if cols.stage > 0 {
        let stage = lead.stage.map_or("unmapped", Stage::id);
        let team = lead.stage.and_then(|s| ctx.config.stages.team(s));
        cells.push(Cell::from(Span::styled(
            fit(stage, cols.stage.into()),
            theme.team(team),
        )));
    }
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
    if cols.sync > 0 {
        cells.push(Cell::from(sync_span(theme, ctx.outbox, &lead.id)));
    }
    Row::new(cells)
}

fn header_row<'a>(theme: Theme, cols: &Cols) -> Row<'a> {
    let mut cells = vec!["name"];
    for (w, label) in [
        (cols.stage, "stage"),
        (cols.company, "company"),
        (cols.segment, "segment"),
        (cols.owner, "owner"),
        (cols.in_stage, "in stage"),
    ] {
        if w > 0 {
            cells.push(label);
        }
    }
    cells.push("SLA");
    if cols.sync > 0 {
        cells.push("sync");
    }
    Row::new(cells).style(theme.dim())
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let view = &state.leads;
    let stage = view.stage();
    let list = view.visible(ctx);
    let total = ctx
        .snapshot
        .board
        .counts
        .get(stage_index(stage))
        .copied()
        .unwrap_or_default();

    let mut title = vec![Span::styled(" Leads · ", theme.bold())];
    if view.searching() {
        title.push(Span::raw("all stages "));
    } else {
        title.push(Span::styled(
            stage.id(),
            theme
                .team(ctx.config.stages.team(stage))
                .patch(theme.bold()),
        ));
        // While the first load streams in, a count would read as a stage emptying.
        let total = if ctx.loaded() {
            count(total)
        } else {
            "—".into()
        };
        title.push(Span::raw(format!(" ({total}) · sorted by SLA due ")));
    }
    let mut cursor_x = None;
    if view.typing || !view.search.is_empty() {
        let shown = truncate(&view.search, usize::from(area.width / 3).max(4));
        let text = if view.typing {
            format!("· /{shown}")
        } else {
            format!("· search \"{shown}\" → {} ", count(list.len()))
        };
        title.push(Span::styled(text, theme.warning()));
        if view.typing && focused {
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
    if list.is_empty() {
        let loading = ctx.store.leads().is_empty() && ctx.health.iter().any(|h| !h.loaded);
        let text = if loading {
            " loading leads…".to_string()
        } else if view.search.is_empty() {
            format!(" no leads in {}", stage.id())
        } else {
            format!(
                " no lead in any stage matches \"{}\" · Esc clears the search",
                view.search
            )
        };
        let msg = Rect {
            y: inner.y + 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), msg);
        view.cursor.window(0, body_h);
        return;
    }

    let off = view.cursor.window(list.len(), body_h);
    let sel = view.cursor.pos().min(list.len() - 1);
    let end = (off + body_h).min(list.len());
    let leads = ctx.store.leads();
    let shown = list.range(off, end);
    // The sync column earns its width only while a shown lead has an action in the outbox.
    let sync = shown.iter().any(|&i| {
        leads
            .get(i)
            .is_some_and(|l| entry_for_lead(ctx.outbox, &l.id).is_some())
    });
    let avail = inner.width.saturating_sub(width(MARKER) as u16);
    let cols = Cols::for_width(avail, view.searching(), sync);
    let rows: Vec<Row> = shown
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
    fn columns_fit_and_drop_in_priority_order() {
        for stage in [false, true] {
            for sync in [false, true] {
                for w in 0..200u16 {
                    let c = Cols::for_width(w, stage, sync);
                    let used: u16 = c.present().map(|w| w + 1).sum::<u16>() - 1;
                    if w >= 40 {
                        assert!(used <= w, "width {w}: {c:?} uses {used}");
                    }
                }
            }
        }
        let narrow = Cols::for_width(30, false, false);
        assert_eq!((narrow.company, narrow.owner, narrow.segment), (0, 0, 0));
        let mid = Cols::for_width(60, false, false);
        assert!(mid.company > 0 && mid.owner > 0 && mid.segment == 0);
        let wide = Cols::for_width(108, false, true);
        assert!(wide.segment > 0 && wide.in_stage > 0 && wide.name >= 20);
    }

    /// At 120×30 the leads pane has 72 columns for cells: names get room before the
    /// rarely used sync column does.
    #[test]
    fn names_keep_their_width_at_120_columns() {
        let c = Cols::for_width(72, false, false);
        assert!(c.name >= 20, "{c:?}");
        assert_eq!(c.sync, 0);
        let with_sync = Cols::for_width(72, false, true);
        assert!(with_sync.name >= 16 && with_sync.sync == 9, "{with_sync:?}");
        let searching = Cols::for_width(72, true, false);
        assert!(searching.name >= 12 && searching.stage > 0, "{searching:?}");
    }
}
