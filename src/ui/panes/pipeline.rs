//! The shared stages as a funnel: who owns each, how many leads sit there, and how many of
//! them broke or are about to break an SLA.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Stage;
use crate::domain::sla::SlaState;
use crate::domain::snapshot::stage_index;

use crate::ui::widgets::format::{count, fit, fit_right, width};
use crate::ui::{UiState, ViewCtx};

const PARTIAL: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// A bar of `cells` columns filled to `frac` in eighths; any non-zero share shows a sliver.
pub(crate) fn bar(frac: f64, cells: usize) -> String {
    let frac = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut eighths = (frac * cells as f64 * 8.0).round() as usize;
    if frac > 0.0 && eighths == 0 {
        eighths = 1;
    }
    let mut s = "█".repeat(eighths / 8);
    s.push_str(PARTIAL[eighths % 8]);
    s
}

/// Breached and warning clocks per stage, in [`Stage::ALL`] order.
fn sla_counts(ctx: &ViewCtx) -> [(usize, usize); 8] {
    let mut out = [(0, 0); 8];
    // Only clocks due soon enough to be in warning can count: not every clock.
    let board = &ctx.snapshot.board;
    for t in &board.timers[..board.warned_by(ctx.now)] {
        let Some(def) = ctx.config.slas.get(t.sla) else {
            continue;
        };
        let slot = &mut out[stage_index(def.stage)];
        match t.state(ctx.now) {
            SlaState::Breached | SlaState::Escalated => slot.0 += 1,
            SlaState::Warning => slot.1 += 1,
            SlaState::Running => {}
        }
    }
    out
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let snap = ctx.snapshot;
    let total: usize = snap.board.counts.iter().sum();
    // Part of a first load would read as a pipeline that shrank: no counts until it is whole.
    let loaded = ctx.loaded();
    let mut title = vec![
        Span::styled(" Pipeline ", theme.bold()),
        if loaded {
            Span::raw(format!("· {} leads ", count(total)))
        } else {
            Span::styled("· loading ", theme.dim())
        },
    ];
    if loaded && snap.board.unmapped > 0 {
        title.push(Span::styled(
            format!("· {} unmapped ", count(snap.board.unmapped)),
            theme.warning(),
        ));
    }
    let block = theme.pane_block(Line::from(title), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }

    let slas = sla_counts(ctx);
    let sla_text: Vec<String> = slas
        .iter()
        .map(|&(b, w)| match (b, w) {
            (0, 0) => String::new(),
            (b, 0) => format!("✖{b}"),
            (0, w) => format!("⚠{w}"),
            (b, w) => format!("✖{b} ⚠{w}"),
        })
        .collect();
    let max = snap.board.counts.iter().copied().max().unwrap_or(0);
    let count_w = snap
        .board
        .counts
        .iter()
        .map(|&c| count(c).len())
        .max()
        .unwrap_or(1)
        .max(5);
    let sla_w = sla_text.iter().map(|s| width(s)).max().unwrap_or(0).max(3);
    // marker, id, team, count, SLA, then the bar takes what is left.
    let fixed = 2 + 12 + 1 + 3 + 1 + count_w + 2 + sla_w + 2 + 1;
    let bar_w = usize::from(inner.width).saturating_sub(fixed);

    let mut lines = Vec::with_capacity(9);
    if usize::from(inner.height) > Stage::ALL.len() {
        let head = format!(
            "  {} {} {}  {}",
            fit("stage", 12),
            fit("", 3),
            fit_right("leads", count_w),
            fit("SLA", sla_w)
        );
        lines.push(Line::styled(head, theme.dim()));
    }
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let selected = i == state.leads.stage;
        let team = ctx.config.stages.team(stage);
        let frac = if max == 0 {
            0.0
        } else {
            snap.board.counts[i] as f64 / max as f64
        };
        let (breached, _) = slas[i];
        let sla_style = if breached > 0 {
            theme.breached()
        } else {
            theme.warning()
        };
        let (n, frac) = if loaded {
            (count(snap.board.counts[i]), frac)
        } else {
            ("—".to_string(), 0.0)
        };
        let line = Line::from(vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::raw(fit(stage.id(), 12)),
            Span::raw(" "),
            Span::styled(team.map_or(" · ", |t| t.short()), theme.team(team)),
            Span::raw(" "),
            Span::raw(fit_right(&n, count_w)),
            Span::raw("  "),
            Span::styled(fit(&sla_text[i], sla_w), sla_style),
            Span::raw("  "),
            Span::styled(bar(frac, bar_w), theme.team(team)),
        ]);
        lines.push(if selected && focused {
            line.style(theme.selected())
        } else if selected {
            line.style(theme.bold())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_in_eighths() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██");
        assert_eq!(bar(0.5625, 4), "██▎");
        assert_eq!(bar(0.001, 10), "▏");
        assert_eq!(bar(0.0, 10), "");
        assert_eq!(bar(f64::NAN, 10), "");
        assert_eq!(bar(3.0, 2), "██");
    }
}
