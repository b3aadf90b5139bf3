//! What a stage means: the teams' written definition, who owns it, the SLAs that watch it,
//! and how many of its leads are on or off the clock right now. `d` opens it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Stage;
use crate::domain::sla::{Clock, SlaState, StopWhen};
use crate::domain::snapshot::stage_index;

use ratatui::crossterm::event::KeyEvent;

use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::Scroll;
use crate::ui::widgets::format::{count, wrap_words};
use crate::ui::widgets::modal::{field, modal};
use crate::ui::widgets::theme::Theme;
use crate::units::limit;

use super::{Dialog, Outcome, scroll_key};

/// A stage's definition and the SLAs that watch it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    pub stage: Stage,
    scroll: Scroll,
}

impl StageInfo {
    pub fn new(stage: Stage) -> Self {
        Self {
            stage,
            scroll: Scroll::default(),
        }
    }
}

impl Dialog for StageInfo {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        scroll_key(key, &mut self.scroll, &['d', 'q'])
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("Esc", "close"), ("↑↓", "scroll")]
    }

    fn draw(&self, frame: &mut Frame, body: Rect, theme: Theme, ctx: &ViewCtx) {
        let inner = modal(frame, body, (84, 18), "Stage", &self.hints(ctx), theme);
        let all = lines(theme, ctx, self.stage, usize::from(inner.width));
        let top = self.scroll.top_for(all.len(), usize::from(inner.height));
        let shown: Vec<Line> = all.into_iter().skip(top).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}

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
        vec![Span::raw(count(
            ctx.snapshot.board.counts[stage_index(stage)],
        ))],
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
                limit(def.limit, def.clock),
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
        for t in ctx.snapshot.board.timers.iter().filter(|t| t.sla == i) {
            match t.state(ctx.now) {
                SlaState::Breached | SlaState::Escalated => breached += 1,
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
