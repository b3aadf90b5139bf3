//! Each team's KPIs for the period, with targets, a sparkline of the last periods and an
//! on-target mark (▲ ok / ▼ off); then open pipeline by campaign under the chosen
//! attribution model. `p` switches the period, `m` the model; j/k scroll.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Team;
use crate::domain::kpi::{Kpi, KpiValue};

use crate::domain::sla::pro_rated;
use crate::ui::widgets::format::{count, fit, fit_right, money, wrap_words};
use crate::ui::widgets::theme::Theme;
use crate::ui::{UiState, ViewCtx};

/// The KPI pane's own state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiView {
    /// First line shown.
    pub scroll: usize,
    /// Index into the snapshot's attribution models (`m` cycles); until the user picks one,
    /// it follows the config's default model.
    pub model: usize,
    pub model_chosen: bool,
    /// `#`: a line under each figure saying what it rests on.
    pub show_n: bool,
    /// The pane's inner width as last drawn: `#`'s lines wrap to it, so scrolling counts
    /// the lines as shown.
    pub width: std::cell::Cell<u16>,
}

impl KpiView {
    pub fn follow_default_model(&mut self, ctx: &ViewCtx) {
        if !self.model_chosen {
            let default = ctx.config.attribution.model;
            self.model = ctx
                .snapshot
                .attribution
                .iter()
                .position(|a| a.model == default)
                .unwrap_or(0);
        }
    }

    /// `m`: the next attribution model.
    pub fn next_model(&mut self, ctx: &ViewCtx) {
        let n = ctx.snapshot.attribution.len().max(1);
        self.model = (self.model + 1) % n;
        self.model_chosen = true;
    }
}

pub(crate) use crate::units::kpi_value as value_text;

/// Eight-level bars scaled between the series' own min and max.
pub(crate) fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let known: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let lo = known.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = known.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|v| match v {
            Some(v) if v.is_finite() && hi > lo => {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
            Some(v) if v.is_finite() => '▄',
            _ => ' ',
        })
        .collect()
}

fn mark(theme: Theme, kpi: &Kpi, loaded: bool) -> Span<'static> {
    match kpi.on_target().filter(|_| loaded) {
        Some(true) => Span::styled("▲ ok", theme.good()),
        Some(false) => Span::styled("▼ off", theme.bad()),
        None => Span::styled("  ·", theme.dim()),
    }
}

const VALUE_W: usize = 8;
const SPARK_W: usize = 6;
const MARK_W: usize = 5;

/// The target cell: the period's target, or for a KPI that accrues what is due by now.
fn target_text(kpi: &Kpi) -> String {
    match (kpi.target_by_now, kpi.target) {
        (Some(by_now), _) => format!("pace {}", value_text(by_now)),
        (None, Some(t)) => value_text(t),
        (None, None) => "—".into(),
    }
}

/// A cohort's members that neither converted nor count in the ratio: ` · 3 pending · 1
/// exited` (a conversion's exited members are in its denominator; an acceptance rate's
/// pending ones are not).
fn cohort_rest(p: &crate::domain::kpi::Parts) -> String {
    let mut out = String::new();
    if let Some(n) = p.pending {
        out.push_str(&format!(" · {} pending", count(n)));
    }
    if let Some(n) = p.exited {
        out.push_str(&format!(" · {} exited", count(n)));
    }
    out
}

/// What a figure rests on, for `#`: `2 won of 3 closed deals · n<10`, `median of 91
/// leads first contacted`, `$920k closing this period ÷ $380k still to win`, `58 of 60 due
/// by now (95% of the week's business hours)`.
fn n_text(kpi: &Kpi, ctx: &ViewCtx) -> Option<String> {
    let small = |s: String| {
        if kpi.too_small() {
            format!("{s} · n<{}", kpi.min_sample)
        } else if kpi.mostly_pending() {
            format!("{s} · not judged yet")
        } else {
            s
        }
    };
    if let Some(p) = kpi.parts.filter(|p| p.den > 0.0 || p.money) {
        return Some(small(if p.money {
            format!(
                "{} {} ÷ {} {}",
                money(p.num),
                p.num_is,
                money(p.den),
                p.den_is
            )
        } else {
            format!(
                "{} {} of {} {}{}",
                count(p.num as usize),
                p.num_is,
                count(p.den as usize),
                p.den_is,
                cohort_rest(&p)
            )
        }));
    }
    if let Some(p) = kpi.parts {
        return Some(format!("no {} in the period{}", p.den_is, cohort_rest(&p)));
    }
    if let Some(n) = kpi.n.filter(|n| *n > 0) {
        let what = if matches!(kpi.value, KpiValue::Duration(_)) {
            "median of"
        } else {
            "rests on"
        };
        let pending = kpi
            .pending
            .map(|p| format!(" · {} pending", count(p)))
            .unwrap_or_default();
        return Some(small(format!("{what} {} {}{pending}", count(n), kpi.n_is)));
    }
    let (by_now, target, period) = (kpi.target_by_now?, kpi.target?, ctx.snapshot.period?);
    let share = pro_rated(1.0, &ctx.config.calendar, period.start, period.end, ctx.now);
    Some(format!(
        "{} of {} due by now ({:.0}% of the {}'s business hours)",
        value_text(by_now),
        value_text(target),
        share * 100.0,
        period.kind.id()
    ))
}

/// All lines of the pane; the caller shows the scrolled window.
fn lines(state: &UiState, ctx: &ViewCtx, width: usize) -> Vec<Line<'static>> {
    let theme = state.theme;
    let kpis = &ctx.snapshot.kpis;
    let loaded = ctx.loaded();
    // " label value target spark mark " with one column of air on the right; the trend
    // column goes first when the pane is narrow, so labels stay readable.
    let spark_w = if width >= 48 { SPARK_W } else { 0 };
    let label_w = width
        .saturating_sub(1 + 2 * (VALUE_W + 1) + spark_w + 1 + MARK_W + 2)
        .max(6);
    let mut lines = Vec::new();
    let groups = [
        (Some(Team::Marketing), "MARKETING"),
        (Some(Team::Sales), "SALES"),
        (None, "SHARED"),
    ];
    for (team, name) in groups {
        let group: Vec<&Kpi> = kpis.iter().filter(|k| k.team == team).collect();
        if group.is_empty() {
            continue;
        }
        let mut head = vec![
            Span::raw(" "),
            Span::styled(fit(name, label_w), theme.team(team).patch(theme.bold())),
        ];
        if lines.is_empty() {
            head.push(Span::styled(
                format!(
                    " {} {} {}",
                    fit_right("value", VALUE_W),
                    fit_right("target", VALUE_W),
                    fit("trend", spark_w)
                ),
                theme.dim(),
            ));
        }
        lines.push(Line::from(head));
        for kpi in group {
            let trend = ctx
                .snapshot
                .kpi_history
                .get(kpi.id)
                .filter(|_| loaded)
                .map_or_else(String::new, |h| sparkline(h));
            let mut row = vec![
                Span::raw(" "),
                Span::raw(fit(kpi.label, label_w)),
                Span::raw(" "),
            ];
            if !loaded {
                // Counted from part of the pipeline, any figure would read low.
                row.push(Span::styled(fit_right("—", VALUE_W), theme.dim()));
                row.push(Span::raw(" "));
                row.push(Span::styled(
                    fit_right(&target_text(kpi), VALUE_W),
                    theme.dim(),
                ));
            } else if kpi.too_small() && kpi.value.scalar().is_some() {
                row.push(Span::styled(
                    fit_right("n too small", 2 * VALUE_W + 1),
                    theme.dim(),
                ));
            } else {
                row.push(Span::styled(
                    fit_right(&value_text(kpi.value), VALUE_W),
                    theme.bold(),
                ));
                row.push(Span::raw(" "));
                row.push(Span::styled(
                    fit_right(&target_text(kpi), VALUE_W),
                    theme.dim(),
                ));
            }
            row.extend([
                Span::raw(" "),
                Span::styled(fit(&trend, spark_w), theme.dim()),
                Span::raw(" "),
                mark(theme, kpi, loaded),
            ]);
            lines.push(Line::from(row));
            if state.kpis.show_n
                && loaded
                && let Some(text) = n_text(kpi, ctx)
            {
                // Wrapped, never cut: the pending and exited counts are the point.
                for (i, part) in wrap_words(&text, width.saturating_sub(6))
                    .iter()
                    .enumerate()
                {
                    let indent = if i == 0 { "   " } else { "     " };
                    lines.push(Line::styled(format!("{indent}{part}"), theme.dim()));
                }
            }
        }
    }
    if let Some(attributed) = ctx.snapshot.attribution.get(state.kpis.model) {
        lines.push(Line::from(vec![
            Span::raw(" "),
            Span::styled(
                "PIPELINE BY CAMPAIGN",
                theme.team(Some(Team::Marketing)).patch(theme.bold()),
            ),
            Span::styled(format!(" · {} (m)", attributed.model.label()), theme.dim()),
        ]));
        let value = |id: &str| {
            kpis.iter()
                .find(|k| k.id == id)
                .map_or_else(|| "—".to_string(), |k| value_text(k.value))
        };
        lines.push(Line::from(vec![
            Span::raw(" "),
            Span::raw(fit(
                &format!(
                    "sourced {} · touched {}",
                    value("sourced_pipeline"),
                    value("touched_pipeline")
                ),
                width.saturating_sub(2),
            )),
        ]));
        let name_w = width.saturating_sub(1 + VALUE_W + 2).max(6);
        for (campaign, amount) in &attributed.campaigns {
            lines.push(Line::from(vec![
                Span::raw(" "),
                Span::raw(fit(campaign, name_w)),
                Span::raw(" "),
                Span::styled(fit_right(&money(*amount), VALUE_W), theme.bold()),
            ]));
        }
        if attributed.campaigns.is_empty() {
            lines.push(Line::styled(
                " no open deal has a campaign touch",
                theme.dim(),
            ));
        }
    }
    if lines.is_empty() {
        let text = if loaded {
            " no KPIs yet"
        } else {
            " loading… KPIs need the whole pipeline"
        };
        lines.push(Line::styled(text, theme.dim()));
    }
    lines
}

/// How many lines the pane has at its last drawn width, for scrolling.
pub(crate) fn line_count(state: &UiState, ctx: &ViewCtx) -> usize {
    let width = match state.kpis.width.get() {
        0 => 80,
        w => usize::from(w),
    };
    lines(state, ctx, width).len()
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let kpis = &ctx.snapshot.kpis;
    let judged = kpis.iter().filter(|k| k.on_target().is_some()).count();
    let ok = kpis.iter().filter(|k| k.on_target() == Some(true)).count();
    let period = ctx.snapshot.period.map_or("week", |p| p.kind.id());
    let mut title = vec![
        Span::styled(" KPIs ", theme.bold()),
        Span::raw(format!("· this {period} (p) ")),
    ];
    let small = kpis.iter().filter(|k| k.too_small()).count();
    if !ctx.loaded() {
        title.push(Span::styled("· loading ", theme.dim()));
    } else if judged > 0 {
        title.push(Span::raw(format!("· {ok} of {judged} on target ")));
        if state.kpis.show_n && small > 0 {
            // Short enough for the title of a 52-column pane.
            let min = ctx.config.targets.min_sample;
            title.push(Span::styled(format!("· {small} n<{min} "), theme.dim()));
        }
    }
    let block = theme.pane_block(Line::from(title), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    state.kpis.width.set(inner.width);
    let all = lines(state, ctx, usize::from(inner.width));
    let height = usize::from(inner.height);
    let top = state.kpis.scroll.min(all.len().saturating_sub(height));
    let shown: Vec<Line> = all.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn sparkline_scales_between_min_and_max() {
        assert_eq!(sparkline(&[Some(1.0), Some(8.0), None, Some(4.5)]), "▁█ ▅");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)]), "▄▄");
        assert_eq!(sparkline(&[None, None]), "  ");
    }
}
