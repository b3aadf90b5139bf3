//! Each team's KPIs for the week so far, with targets and an on-target mark (▲ ok / ▼ off).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Team;
use crate::domain::kpi::{Kpi, KpiValue};

use super::ViewCtx;
use super::format::{count, fit, fit_right, money, percent, signed_hm};
use super::state::UiState;
use super::theme::Theme;

pub(crate) fn value_text(v: KpiValue) -> String {
    match v {
        KpiValue::Count(n) => count(usize::try_from(n).unwrap_or(usize::MAX)),
        KpiValue::Ratio(r) => percent(r),
        KpiValue::Money(m) => money(m),
        KpiValue::Duration(d) => d.map_or_else(|| "—".to_string(), signed_hm),
    }
}

fn mark(theme: Theme, kpi: &Kpi) -> Span<'static> {
    match kpi.on_target() {
        Some(true) => Span::styled("▲ ok", theme.good()),
        Some(false) => Span::styled("▼ off", theme.bad()),
        None => Span::styled("  ·", theme.dim()),
    }
}

const VALUE_W: usize = 8;
const MARK_W: usize = 5;

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let kpis = &ctx.snapshot.kpis;
    let judged = kpis.iter().filter(|k| k.on_target().is_some()).count();
    let ok = kpis.iter().filter(|k| k.on_target() == Some(true)).count();
    let mut title = vec![
        Span::styled(" KPIs ", theme.bold()),
        Span::raw("· this week "),
    ];
    if judged > 0 {
        title.push(Span::raw(format!("· {ok} of {judged} on target ")));
    }
    let block = theme.pane_block(Line::from(title), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    // " label value target mark " with one column of air on the right.
    let label_w = usize::from(inner.width)
        .saturating_sub(1 + 2 * (VALUE_W + 1) + 1 + MARK_W + 1)
        .max(6);

    let mut lines = Vec::new();
    for team in [Team::Marketing, Team::Sales] {
        let group: Vec<&Kpi> = kpis.iter().filter(|k| k.team == team).collect();
        if group.is_empty() {
            continue;
        }
        let mut head = vec![
            Span::raw(" "),
            Span::styled(
                fit(&team.label().to_uppercase(), label_w),
                theme.team(Some(team)).patch(theme.bold()),
            ),
        ];
        if lines.is_empty() {
            head.push(Span::styled(
                format!(
                    " {} {}",
                    fit_right("value", VALUE_W),
                    fit_right("target", VALUE_W)
                ),
                theme.dim(),
            ));
        }
        lines.push(Line::from(head));
        for kpi in group {
            let target = kpi.target.map_or_else(|| "—".to_string(), value_text);
            lines.push(Line::from(vec![
                Span::raw(" "),
                Span::raw(fit(kpi.label, label_w)),
                Span::raw(" "),
                Span::styled(fit_right(&value_text(kpi.value), VALUE_W), theme.bold()),
                Span::raw(" "),
                Span::styled(fit_right(&target, VALUE_W), theme.dim()),
                Span::raw(" "),
                mark(theme, kpi),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(" no KPIs yet", theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
