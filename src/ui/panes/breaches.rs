//! SLA clocks that broke or are about to, most overdue first. Counts down as `now` moves.

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::sla::{SlaState, pace};

use crate::ui::widgets::format::{fit, truncate, width};
use crate::ui::widgets::spans::sla_span;
use crate::ui::{UiState, ViewCtx};

/// One breached or warning clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Row {
    /// Index into `snapshot.timers`.
    pub timer: usize,
    pub state: SlaState,
    pub remaining: Duration,
}

/// Breached and warning clocks at `ctx.now`, kept per SLA in due order.
///
/// Collecting costs two comparisons per clock. Business-time `remaining` (a walk over the
/// calendar) is only computed for rows actually taken: within one SLA, due order is
/// remaining order, so the most overdue rows come from merging the heads of the lists.
pub(crate) struct Breaches {
    per_sla: Vec<Vec<usize>>,
    pub breached: usize,
    pub warnings: usize,
}

impl Breaches {
    pub fn collect(ctx: &ViewCtx) -> Self {
        let mut per_sla = vec![Vec::new(); ctx.config.slas.len()];
        let (mut breached, mut warnings) = (0, 0);
        for (i, t) in ctx.snapshot.timers.iter().enumerate() {
            let Some(list) = per_sla.get_mut(t.sla) else {
                continue;
            };
            match t.state(ctx.now) {
                SlaState::Running => continue,
                SlaState::Warning => warnings += 1,
                SlaState::Breached => breached += 1,
            }
            list.push(i);
        }
        let timers = &ctx.snapshot.timers;
        for list in &mut per_sla {
            // The snapshot keeps timers earliest-due first; don't rely on it blindly.
            if !list.is_sorted_by_key(|&i| timers[i].due_at) {
                list.sort_by_key(|&i| (timers[i].due_at, i));
            }
        }
        Self {
            per_sla,
            breached,
            warnings,
        }
    }

    pub fn len(&self) -> usize {
        self.breached + self.warnings
    }

    fn row(ctx: &ViewCtx, timer: usize) -> Option<Row> {
        let t = ctx.snapshot.timers.get(timer)?;
        let def = ctx.config.slas.get(t.sla)?;
        Some(Row {
            timer,
            state: t.state(ctx.now),
            remaining: t.remaining(def, &ctx.config.calendar, ctx.now),
        })
    }

    /// The first `n` rows: breaches before warnings, then least time remaining first.
    pub fn take(&self, ctx: &ViewCtx, n: usize) -> Vec<Row> {
        let key = |r: &Row| (std::cmp::Reverse(r.state), r.remaining, r.timer);
        let mut next = vec![0usize; self.per_sla.len()];
        let mut heads: Vec<Option<Row>> = self
            .per_sla
            .iter()
            .map(|l| l.first().and_then(|&t| Self::row(ctx, t)))
            .collect();
        let mut out = Vec::with_capacity(n.min(self.len()));
        while out.len() < n {
            let best = heads
                .iter()
                .enumerate()
                .filter_map(|(d, h)| h.as_ref().map(|r| (d, key(r))))
                .min_by(|a, b| a.1.cmp(&b.1))
                .map(|(d, _)| d);
            let Some(d) = best else { break };
            out.extend(heads[d].take());
            next[d] += 1;
            heads[d] = self.per_sla[d]
                .get(next[d])
                .and_then(|&t| Self::row(ctx, t));
        }
        out
    }

    /// The lead ids of the first `n` rows.
    pub fn lead_ids<'a>(&self, ctx: &ViewCtx<'a>, n: usize) -> Vec<&'a str> {
        self.take(ctx, n)
            .iter()
            .filter_map(|r| ctx.snapshot.timers.get(r.timer))
            .map(|t| t.lead_id.as_str())
            .collect()
    }

    /// The lead id of row `pos`.
    pub fn lead_at<'a>(&self, ctx: &ViewCtx<'a>, pos: usize) -> Option<&'a str> {
        let row = *self.take(ctx, pos + 1).get(pos)?;
        ctx.snapshot
            .timers
            .get(row.timer)
            .map(|t| t.lead_id.as_str())
    }
}

/// Pace SLAs that are behind right now: `mql_volume  38 of 57 expected (target 60)`.
pub(crate) fn slipping_paces(ctx: &ViewCtx) -> Vec<(SlaState, String)> {
    let Some(period) = ctx.snapshot.period else {
        return Vec::new();
    };
    ctx.config
        .paces
        .iter()
        .filter_map(|def| {
            let actual = ctx
                .snapshot
                .kpis
                .iter()
                .find(|k| k.id == def.kpi)?
                .value
                .scalar()?;
            let target = ctx.config.targets.get(period.kind, &def.kpi)?.scalar()?;
            let status = pace(
                def,
                actual,
                target,
                &ctx.config.calendar,
                period.start,
                period.end,
                ctx.now,
            );
            (status.state != SlaState::Running).then(|| {
                (
                    status.state,
                    format!(
                        "{}  {:.0} so far, {:.0} due by now (target {:.0})",
                        def.id, actual, status.expected, target
                    ),
                )
            })
        })
        .collect()
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let all = Breaches::collect(ctx);
    let (breached, warnings) = (all.breached, all.warnings);
    let block = theme.pane_block(
        Line::from(vec![
            Span::styled(" SLA breaches ", theme.bold()),
            Span::styled(
                format!("({breached})"),
                if breached > 0 {
                    theme.breached()
                } else {
                    theme.dim()
                },
            ),
            Span::raw(" · warnings "),
            Span::styled(
                format!("({warnings}) "),
                if warnings > 0 {
                    theme.warning()
                } else {
                    theme.dim()
                },
            ),
        ]),
        focused,
    );
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    // Volume promises (pace) that are slipping sit above the per-lead clocks.
    let paces = slipping_paces(ctx);
    if !paces.is_empty() && inner.height > 1 {
        let n = (paces.len() as u16).min(inner.height - 1);
        let lines: Vec<Line> = paces
            .into_iter()
            .take(usize::from(n))
            .map(|(state, text)| {
                let (icon, style) = match state {
                    SlaState::Breached => ("✖", theme.breached()),
                    _ => ("⚠", theme.warning()),
                };
                Line::from(vec![
                    Span::styled(format!("  {icon} "), style),
                    Span::raw(truncate(&text, usize::from(inner.width).saturating_sub(5))),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), Rect { height: n, ..inner });
        inner.y += n;
        inner.height -= n;
    }
    if all.len() == 0 {
        let loading = ctx.store.leads().is_empty() && ctx.health.iter().any(|h| !h.loaded);
        let line = if loading {
            Line::styled(" waiting for the first load…", theme.dim())
        } else {
            Line::styled(" ✓ no breaches or warnings", theme.good())
        };
        frame.render_widget(Paragraph::new(line), inner);
        return;
    }

    let height = usize::from(inner.height);
    let off = state.breaches.window(all.len(), height);
    let sel = state.breaches.pos().min(all.len() - 1);
    // Only the rows up to the bottom of the window get their remaining time computed.
    let rows = all.take(ctx, off + height);
    let id_w = ctx
        .config
        .slas
        .iter()
        .map(|d| width(&d.id))
        .max()
        .unwrap_or(8)
        .min(16);
    let rest = usize::from(inner.width).saturating_sub(2 + 8 + 1 + id_w + 1);

    let lines: Vec<Line> = rows[off.min(rows.len())..]
        .iter()
        .enumerate()
        .map(|(k, row)| {
            let timer = &ctx.snapshot.timers[row.timer];
            let def = ctx.config.slas.get(timer.sla);
            let who = ctx.store.lead(&timer.lead_id).map_or_else(
                || timer.lead_id.clone(),
                |l| {
                    if l.company.is_empty() {
                        l.name.clone()
                    } else {
                        format!("{} · {}", l.name, l.company)
                    }
                },
            );
            let sla = sla_span(theme, row.state, row.remaining);
            let (sym, amount) = sla.content.split_once(' ').unwrap_or(("", &sla.content));
            let selected = focused && off + k == sel;
            let line = Line::from(vec![
                Span::raw(if selected { "▶ " } else { "  " }),
                Span::styled(format!("{sym} {}", fit(amount, 6)), sla.style),
                Span::raw(" "),
                Span::styled(
                    fit(def.map_or("?", |d| d.id.as_str()), id_w),
                    theme.team(def.map(|d| d.team)),
                ),
                Span::raw(" "),
                Span::raw(truncate(&who, rest)),
            ]);
            if selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::fixture::{Fixture, at};

    /// The lazy merge gives exactly the order of a full sort by (breached first, remaining).
    #[test]
    fn merge_matches_a_full_sort_across_clocks() {
        let mut fx = Fixture::big(300);
        for now in [
            "2026-11-20T15:02:00Z",
            "2026-11-21T11:00:00Z",
            "2026-11-23T09:30:00Z",
        ] {
            fx.now = at(now);
            let ctx = fx.ctx();
            let mut want: Vec<Row> = ctx
                .snapshot
                .timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.state(ctx.now) != SlaState::Running)
                .map(|(i, t)| Row {
                    timer: i,
                    state: t.state(ctx.now),
                    remaining: t.remaining(&ctx.config.slas[t.sla], &ctx.config.calendar, ctx.now),
                })
                .collect();
            want.sort_by_key(|r| (std::cmp::Reverse(r.state), r.remaining, r.timer));
            let all = Breaches::collect(&ctx);
            assert_eq!(all.len(), want.len());
            assert_eq!(all.take(&ctx, usize::MAX), want, "at {now}");
            assert_eq!(all.take(&ctx, 7), want[..7]);
            assert!(
                want.iter()
                    .any(|r| ctx.config.slas[ctx.snapshot.timers[r.timer].sla].id
                        == "nurture_pickup")
            );
        }
    }
}
