//! SLA clocks that broke or are about to, grouped by the team that must act and by SLA,
//! most urgent first (`domain::breach`). Counts down as `now` moves; `t` and `s` narrow the
//! list to one team or one SLA.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Team;
use crate::domain::breach::{self, Filter, Group, who_acts};
use crate::domain::sla::{PaceDef, SlaState, pace};
use crate::units::{clock_name, limit};

use crate::ui::widgets::format::{fit, truncate, width};
use crate::ui::widgets::spans::sla_span;
use crate::ui::widgets::theme::Theme;
use crate::ui::{UiState, ViewCtx};

/// The breached and warning clocks the filter keeps, in the order they are listed.
pub(crate) struct Breaches {
    pub groups: Vec<Group>,
    pub breached: usize,
    pub warnings: usize,
}

impl Breaches {
    pub fn collect(ctx: &ViewCtx, filter: Filter) -> Self {
        // Only clocks due soon enough to be in warning can be listed: not every clock.
        let board = &ctx.snapshot.board;
        let groups = breach::board(
            &board.timers[..board.warned_by(ctx.now)],
            &ctx.config.slas,
            &ctx.config.calendar,
            ctx.now,
            filter,
        );
        let groups = match ctx.me {
            Some(me) => breach::mine_first(
                groups,
                &ctx.snapshot.board.timers,
                |id| {
                    ctx.store
                        .lead(id)
                        .and_then(|l| l.owner_id.map(String::from))
                },
                me,
            ),
            None => groups,
        };
        Self {
            breached: groups.iter().map(|g| g.breached).sum(),
            warnings: groups.iter().map(|g| g.warnings).sum(),
            groups,
        }
    }

    pub fn len(&self) -> usize {
        self.breached + self.warnings
    }

    /// The lead ids of every row, in order.
    pub fn lead_ids<'a>(&self, ctx: &ViewCtx<'a>) -> Vec<&'a str> {
        self.groups
            .iter()
            .flat_map(|g| &g.timers)
            .filter_map(|&t| ctx.snapshot.board.timers.get(t))
            .map(|t| t.lead_id.as_str())
            .collect()
    }

    /// The lead id of row `pos`.
    pub fn lead_at<'a>(&self, ctx: &ViewCtx<'a>, pos: usize) -> Option<&'a str> {
        let (_, t) = breach::at(&self.groups, pos)?;
        ctx.snapshot.board.timers.get(t).map(|t| t.lead_id.as_str())
    }
}

/// `t`: sales only, marketing only, then both.
pub(crate) fn next_team(filter: Filter) -> Filter {
    let team = match filter.team {
        None => Some(Team::Sales),
        Some(Team::Sales) => Some(Team::Marketing),
        Some(Team::Marketing) => None,
    };
    Filter { team, sla: None }
}

/// `s`: each SLA of the team shown in turn, then all of them again.
pub(crate) fn next_sla(filter: Filter, ctx: &ViewCtx) -> Filter {
    let of_team: Vec<usize> = ctx
        .config
        .slas
        .iter()
        .enumerate()
        .filter(|(_, d)| filter.team.is_none_or(|t| t == d.team))
        .map(|(i, _)| i)
        .collect();
    let next = match filter.sla {
        None => of_team.first().copied(),
        Some(s) => of_team.iter().copied().find(|&i| i > s),
    };
    Filter {
        sla: next,
        ..filter
    }
}

/// What the filter keeps, for the title (in the warning colour): `sales`, `mql_response`.
fn filter_text(filter: Filter, ctx: &ViewCtx) -> Option<String> {
    let sla = filter.sla.and_then(|s| ctx.config.slas.get(s));
    match (filter.team, sla) {
        (_, Some(def)) => Some(def.id.clone()),
        (Some(team), None) => Some(team.label().to_string()),
        (None, None) => None,
    }
}

/// A pace SLA that is behind: its state, the SLA, and `38 so far, 57 expected by now
/// (target 60)`.
pub(crate) struct Slipping<'a> {
    pub state: SlaState,
    pub def: &'a PaceDef,
    pub text: String,
}

/// Pace SLAs that are behind right now, of the team the filter keeps. None before the
/// first complete load: an empty store is not a missed pace.
pub(crate) fn slipping_paces<'a>(ctx: &ViewCtx<'a>, filter: Filter) -> Vec<Slipping<'a>> {
    let Some(period) = ctx.snapshot.period else {
        return Vec::new();
    };
    if !ctx.loaded() || filter.sla.is_some() {
        return Vec::new();
    }
    ctx.config
        .paces
        .iter()
        .filter(|def| filter.team.is_none_or(|t| t == def.team))
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
            // Expected is a whole count: the MQLs needed to be on pace, as in the KPI pane.
            (status.state != SlaState::Running).then(|| Slipping {
                state: status.state,
                def,
                text: format!(
                    "{:.0} so far, {:.0} expected by now (target {:.0})",
                    actual,
                    status.expected.ceil(),
                    target
                ),
            })
        })
        .collect()
}

/// `SALES · accept or reject an MQL   4h business ✖24 ⇑3 ⚠8`, fitted to `w` columns.
fn heading(theme: Theme, ctx: &ViewCtx, g: &Group, w: usize) -> Line<'static> {
    let Some(def) = ctx.config.slas.get(g.sla) else {
        return Line::raw("");
    };
    let team = def.team.label().to_uppercase();
    let mut counts = vec![Span::styled(
        format!(" {} {}", limit(def.limit, def.clock), clock_name(def.clock)),
        theme.dim(),
    )];
    if g.breached > 0 {
        counts.push(Span::styled(format!(" ✖{}", g.breached), theme.breached()));
    }
    if g.escalated > 0 {
        counts.push(Span::styled(
            format!(" ⇑{}", g.escalated),
            theme.breached().patch(theme.bold()),
        ));
    }
    if g.warnings > 0 {
        counts.push(Span::styled(format!(" ⚠{}", g.warnings), theme.warning()));
    }
    let right: usize = counts.iter().map(|s| width(&s.content)).sum();
    let label_w = w.saturating_sub(1 + width(&team) + 3 + right + 1);
    let style = theme.team(Some(def.team)).patch(theme.bold());
    let mut spans = vec![
        Span::styled(format!(" {team}"), style),
        Span::styled(" · ", theme.dim()),
        Span::styled(fit(&def.label, label_w), style),
    ];
    spans.extend(counts);
    Line::from(spans)
}

/// One clock: `▶ ✖ overdue 54h58  Erik Lopez · Polaris Logistics   Sales queue`.
fn row(
    theme: Theme,
    ctx: &ViewCtx,
    g: &Group,
    timer: usize,
    w: usize,
    selected: bool,
) -> Line<'static> {
    let (Some(t), Some(def)) = (
        ctx.snapshot.board.timers.get(timer),
        ctx.config.slas.get(g.sla),
    ) else {
        return Line::raw("");
    };
    let state = t.state(ctx.now);
    let due = sla_span(
        theme,
        state,
        t.remaining(def, &ctx.config.calendar, ctx.now),
        def.clock,
    );
    const DUE_W: usize = 15;
    let rest = w.saturating_sub(2 + DUE_W + 2);
    // In the cockpit's narrow side column a cut company says nothing: name and who acts.
    let roomy = rest >= 48;
    let lead = ctx.store.lead(&t.lead_id);
    let who = lead.map_or_else(
        || t.lead_id.to_string(),
        |l| {
            if l.company.is_empty() || !roomy {
                l.name().to_string()
            } else {
                format!("{} · {}", l.name(), l.company)
            }
        },
    );
    let owner = lead
        .and_then(|l| l.owner_id.as_deref())
        .and_then(|id| ctx.store.owner(id));
    // Escalated: the team's lead has it now.
    let escalated = (state == SlaState::Escalated).then(|| escalated_to(ctx, def.team));
    let acts = escalated.as_deref().unwrap_or_else(|| who_acts(def, owner));
    // An owner shows in their team's colour; a queue is dim, nobody's name.
    let acts_style = match owner {
        _ if escalated.is_some() => theme.breached().patch(theme.bold()),
        Some(o) if o.name == acts => theme.team(o.team),
        _ => theme.dim(),
    };
    let acts_w = width(acts)
        .min(if roomy { rest / 3 } else { rest / 2 })
        .min(18);
    let who_w = rest.saturating_sub(acts_w + 2);
    let line = Line::from(vec![
        Span::raw(if selected { "▶ " } else { "  " }),
        Span::styled(fit(&due.content, DUE_W), due.style),
        Span::raw("  "),
        Span::raw(fit(&who, who_w)),
        Span::raw("  "),
        Span::styled(truncate(acts, acts_w), acts_style),
    ]);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}

/// `⇑ Dana Lee`: the lead of `team` an escalated breach went to, by the CRM's name for the
/// configured email (the email when the CRM has no such owner).
fn escalated_to(ctx: &ViewCtx, team: crate::domain::stage::Team) -> String {
    let lead = ctx.config.team_lead(team);
    format!("⇑ {}", breach::escalated_to(lead, team, ctx.store.owners()))
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let filter = state.breach_filter;
    let all = Breaches::collect(ctx, filter);
    let (breached, warnings) = (all.breached, all.warnings);
    let mut title = vec![Span::styled(" SLA breaches ", theme.bold())];
    if !ctx.loaded() {
        // Clocks found so far are real, but their count is not the pipeline's yet.
        title.push(Span::styled("· loading ", theme.dim()));
    } else {
        title.extend([
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
        ]);
    }
    if let Some(text) = filter_text(filter, ctx) {
        title.push(Span::styled(format!("· {text} "), theme.warning()));
    }
    let block = theme.pane_block(Line::from(title), focused);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    // Volume promises (pace) that are slipping sit above the per-lead clocks, each under a
    // heading like a group's.
    let w = usize::from(inner.width);
    let mut pace_lines = Vec::new();
    for p in slipping_paces(ctx, filter) {
        let (icon, style) = match p.state {
            SlaState::Breached | SlaState::Escalated => ("✖", theme.breached()),
            _ => ("⚠", theme.warning()),
        };
        let team = p.def.team.label().to_uppercase();
        let head = theme.team(Some(p.def.team)).patch(theme.bold());
        pace_lines.push(Line::from(vec![
            Span::styled(format!(" {team}"), head),
            Span::styled(" · ", theme.dim()),
            Span::styled(
                truncate(&p.def.label, w.saturating_sub(4 + width(&team))),
                head,
            ),
        ]));
        pace_lines.push(Line::from(vec![
            Span::styled(format!("  {icon} "), style),
            Span::raw(truncate(&p.text, w.saturating_sub(5))),
        ]));
    }
    if !pace_lines.is_empty() && inner.height > 2 {
        let n = (pace_lines.len() as u16).min(inner.height - 1);
        pace_lines.truncate(usize::from(n));
        frame.render_widget(Paragraph::new(pace_lines), Rect { height: n, ..inner });
        inner.y += n;
        inner.height -= n;
    }
    if all.len() == 0 {
        let line = if !ctx.loaded() {
            Line::styled(" waiting for the first load…", theme.dim())
        } else if filter_text(filter, ctx).is_some() {
            Line::styled(" ✓ none here · t and s change the filter", theme.good())
        } else {
            Line::styled(" ✓ no breaches or warnings", theme.good())
        };
        frame.render_widget(Paragraph::new(line), inner);
        return;
    }

    // Lines: each group's heading, then its clocks. The window keeps the cursor's row (and
    // the heading right above a group's first row) in view.
    let sel = state.breaches.pos().min(all.len() - 1);
    let (mut sel_line, mut first_in_group) = (0, false);
    let mut before = 0;
    for (i, g) in all.groups.iter().enumerate() {
        if sel < before + g.timers.len() {
            sel_line = i + 1 + sel;
            first_in_group = sel == before;
            break;
        }
        before += g.timers.len();
    }
    let total = all.groups.len() + all.len();
    let height = usize::from(inner.height);
    let mut off = state.breaches.window_at(sel_line, total, height);
    // The window's first line shows its group's heading (pinned), so the selected row
    // must not be that line: every row is read under its own SLA and team.
    if off == sel_line && off > 0 && (first_in_group || height > 1) {
        off -= 1;
    }
    let mut lines = Vec::with_capacity(height);
    let (mut line_no, mut pos) = (0usize, 0usize);
    'groups: for g in &all.groups {
        if line_no >= off + height {
            break;
        }
        // Skip whole groups above the window without looking at their clocks.
        if line_no + 1 + g.timers.len() <= off {
            line_no += 1 + g.timers.len();
            pos += g.timers.len();
            continue;
        }
        if line_no >= off {
            lines.push(heading(theme, ctx, g, w));
        }
        line_no += 1;
        for &t in &g.timers {
            if line_no >= off + height {
                break 'groups;
            }
            if line_no >= off && lines.is_empty() && height > 1 {
                // The window starts inside this group: its heading pins in this row's place.
                lines.push(heading(theme, ctx, g, w));
            } else if line_no >= off {
                lines.push(row(theme, ctx, g, t, w, focused && pos == sel));
            }
            line_no += 1;
            pos += 1;
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::breach::urgency;
    use crate::ui::fixture::{Fixture, at};

    /// Rows come team by team, SLA by SLA, each group most urgent first, and the team with
    /// the most urgent clock (as a share of its limit) leads — checked against a plain sort.
    #[test]
    fn groups_match_a_full_sort_by_urgency() {
        let mut fx = Fixture::big(300);
        for now in [
            "2026-11-20T15:02:00Z",
            "2026-11-21T11:00:00Z",
            "2026-11-23T09:30:00Z",
        ] {
            fx.now = at(now);
            let ctx = fx.ctx();
            let rows: Vec<(usize, SlaState, f64)> = ctx
                .snapshot
                .board
                .timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.state(ctx.now) != SlaState::Running)
                .map(|(i, t)| {
                    let def = &ctx.config.slas[t.sla];
                    let left = t.remaining(def, &ctx.config.calendar, ctx.now);
                    (i, t.state(ctx.now), urgency(def, left))
                })
                .collect();
            let all = Breaches::collect(&ctx, Filter::default());
            assert_eq!(all.len(), rows.len());
            let listed: Vec<usize> = all.groups.iter().flat_map(|g| g.timers.clone()).collect();
            // Each group is one SLA, sorted breached first, then most urgent first.
            for g in &all.groups {
                let key = |i: usize| {
                    let r = rows.iter().find(|r| r.0 == i).unwrap();
                    (std::cmp::Reverse(r.1), -r.2)
                };
                assert!(
                    g.timers
                        .windows(2)
                        .all(|w| key(w[0]).partial_cmp(&key(w[1])).unwrap().is_le()),
                    "at {now}"
                );
                assert!(
                    g.timers
                        .iter()
                        .all(|&i| ctx.snapshot.board.timers[i].sla == g.sla)
                );
            }
            // The first team is the one with the single most urgent clock.
            let top = rows
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)))
                .unwrap();
            let top_team = ctx.config.slas[ctx.snapshot.board.timers[top.0].sla].team;
            assert_eq!(all.groups[0].team, top_team, "at {now}");
            assert_eq!(listed.len(), rows.len());
        }
    }

    #[test]
    fn filters_cycle_through_teams_and_their_slas() {
        let fx = Fixture::new();
        let ctx = fx.ctx();
        let f = next_team(Filter::default());
        assert_eq!(f.team, Some(Team::Sales));
        // Sales owns mql_response (0) and first_touch (1); nurture_pickup is marketing's.
        let f = next_sla(f, &ctx);
        assert_eq!(f.sla, Some(0));
        let f = next_sla(f, &ctx);
        assert_eq!(f.sla, Some(1));
        assert_eq!(next_sla(f, &ctx).sla, None);
        let f = next_team(f);
        assert_eq!((f.team, f.sla), (Some(Team::Marketing), None));
        assert_eq!(next_sla(f, &ctx).sla, Some(2));
        assert_eq!(next_team(f), Filter::default());
        let marketing = Breaches::collect(&ctx, f);
        assert!(marketing.groups.iter().all(|g| g.team == Team::Marketing));
        assert_eq!(marketing.len(), 1, "Omar's nurture pickup");
    }
}
