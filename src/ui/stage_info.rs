//! What a stage means: the teams' written definition, who owns it, the SLAs that watch it,
//! and how many of its leads are on or off the clock right now. `d` opens it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Stage;
use crate::domain::sla::{Clock, SlaState, StopWhen};
use crate::domain::snapshot::stage_index;

use super::ViewCtx;
use super::format::{count, signed_hm, wrap_words};
use super::layout::{field, modal};
use super::theme::Theme;

fn stop_text(stop: StopWhen) -> &'static str {
    match stop {
        StopWhen::LeavesStage => "the lead leaves the stage",
        StopWhen::SalesActivity => "a sales activity after the clock started",
        StopWhen::MarketingTouch => "a marketing touch after the clock started",
    }
}

pub(crate) fn lines(theme: Theme, ctx: &ViewCtx, stage: Stage, w: usize) -> Vec<Line<'static>> {
    let info = ctx.config.stages.info(stage);
    let mut out = vec![Line::raw("")];
    out.push(field(
        theme,
        "stage",
        vec![
            Span::styled(
                info.label.clone(),
                theme.team(info.team).patch(theme.bold()),
            ),
            Span::styled(format!("  ({})", stage.id()), theme.dim()),
        ],
    ));
    out.push(field(
        theme,
        "owner",
        vec![Span::raw(
            info.team
                .map_or("nobody (an exit)", |t| t.label())
                .to_string(),
        )],
    ));
    out.push(field(
        theme,
        "leads",
        vec![Span::raw(count(ctx.snapshot.counts[stage_index(stage)]))],
    ));
    for (i, line) in wrap_words(&info.definition, w.saturating_sub(12).max(10))
        .into_iter()
        .enumerate()
    {
        out.push(field(
            theme,
            if i == 0 { "meaning" } else { "" },
            vec![Span::raw(line)],
        ));
    }
    out.push(Line::raw(""));
    let watching: Vec<(usize, &crate::domain::sla::SlaDef)> = ctx
        .config
        .slas
        .iter()
        .enumerate()
        .filter(|(_, d)| d.stage == stage)
        .collect();
    if watching.is_empty() {
        out.push(field(
            theme,
            "SLA",
            vec![Span::styled("none watches this stage", theme.dim())],
        ));
    }
    for (i, def) in watching {
        let clock = match def.clock {
            Clock::Business => "business time",
            Clock::Calendar => "calendar time",
        };
        out.push(field(
            theme,
            "SLA",
            vec![
                Span::styled(def.id.clone(), theme.bold()),
                Span::raw(format!(" · owed by {} · {}", def.team.label(), def.label)),
            ],
        ));
        out.push(field(
            theme,
            "",
            vec![Span::raw(format!(
                "within {} of {clock}, warning at {:.0}%",
                signed_hm(def.limit),
                def.warn_at * 100.0
            ))],
        ));
        out.push(field(
            theme,
            "",
            vec![Span::styled(
                format!("met by {}", stop_text(def.stop)),
                theme.dim(),
            )],
        ));
        let (mut breached, mut warning) = (0, 0);
        for t in ctx.snapshot.timers.iter().filter(|t| t.sla == i) {
            match t.state(ctx.now) {
                SlaState::Breached => breached += 1,
                SlaState::Warning => warning += 1,
                SlaState::Running => {}
            }
        }
        out.push(field(
            theme,
            "",
            vec![
                Span::styled(format!("✖ {breached} breached"), theme.breached()),
                Span::raw("  "),
                Span::styled(format!("⚠ {warning} warning"), theme.warning()),
            ],
        ));
    }
    out
}

pub(crate) fn draw(
    frame: &mut Frame,
    body: Rect,
    theme: Theme,
    hint: Line,
    ctx: &ViewCtx,
    stage: Stage,
    scroll: u16,
) -> u16 {
    let title = Line::styled(" Stage ", theme.bold());
    let inner = modal(frame, body, 84, 18, title, hint, theme);
    let all = lines(theme, ctx, stage, usize::from(inner.width));
    let max = all.len().saturating_sub(usize::from(inner.height));
    let shown: Vec<Line> = all.into_iter().skip(usize::from(scroll).min(max)).collect();
    frame.render_widget(Paragraph::new(shown), inner);
    u16::try_from(max).unwrap_or(u16::MAX)
}
