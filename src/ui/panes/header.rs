//! One line: the name, each source's freshness badge, the simulation badge, week and time.

use chrono::Datelike;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::ViewCtx;
use crate::ui::widgets::format::width;
use crate::ui::widgets::spans::source_badge;
use crate::ui::widgets::theme::Theme;

fn left_spans(
    theme: Theme,
    ctx: &ViewCtx,
    long: bool,
    (read_only, locked): (bool, bool),
) -> Vec<Span<'static>> {
    let name = if long {
        " tandem ─ one pipeline"
    } else {
        " tandem"
    };
    let mut left = vec![Span::styled(name, theme.bold())];
    for h in ctx.health {
        let (text, style) = source_badge(theme, h, ctx.now);
        left.push(Span::raw(" · "));
        left.push(Span::styled(text, style));
    }
    if ctx.lens != "everyone" {
        left.push(Span::raw(" · "));
        left.push(Span::styled(format!("lens: {}", ctx.lens), theme.bold()));
    }
    if let Some(n) = ctx.notify {
        // A failing notify command must be seen: it is retried, but nobody is being told.
        if n.failing > 0 {
            let why = match (&n.last_error, long) {
                (Some(e), true) => format!(" ({})", crate::domain::text::clip(e, 40)),
                _ => String::new(),
            };
            left.push(Span::raw(" · "));
            left.push(Span::styled(
                format!("notify failing: {} retrying{why}", n.failing),
                theme.bad(),
            ));
        } else if n.waiting > 0 {
            left.push(Span::raw(" · "));
            left.push(Span::styled(
                format!("notify: {} to send", n.waiting),
                theme.warning(),
            ));
        }
    }
    if read_only {
        // A standup screen: every action is off until `W`.
        left.push(Span::raw(" "));
        left.push(Span::styled(
            if locked {
                " READ-ONLY · locked "
            } else {
                " READ-ONLY "
            },
            theme.badge_simulated(),
        ));
    }
    if ctx.simulated {
        left.push(Span::raw(" "));
        left.push(Span::styled(" SIMULATED DATA ", theme.badge_simulated()));
    }
    left
}

/// Name, badges and clock, shortened step by step to fit: the badges go last.
/// A frozen clock (`--now`) says so: every figure is as it stood then.
pub(crate) fn draw(
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    ctx: &ViewCtx,
    (read_only, locked, frozen): (bool, bool, bool),
) {
    let week = ctx.now.iso_week().week();
    let frozen = if frozen { "frozen " } else { "" };
    let clocks = [
        format!("{frozen}week {week} · {} UTC ", ctx.now.format("%a %H:%M")),
        format!("{frozen}w{week} {} ", ctx.now.format("%a %H:%M")),
        format!("{frozen}{} ", ctx.now.format("%H:%M")),
        String::new(),
    ];
    let total = usize::from(area.width);
    let span_w = |spans: &[Span]| spans.iter().map(|s| width(&s.content)).sum::<usize>();
    let mut choice = None;
    'search: for long in [true, false] {
        let left = left_spans(theme, ctx, long, (read_only, locked));
        for clock in &clocks {
            if span_w(&left) + width(clock) < total || (clock.is_empty() && !long) {
                choice = Some((left, clock.clone()));
                break 'search;
            }
        }
    }
    let Some((left, right)) = choice else { return };
    let right_w = width(&right) as u16;
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(Paragraph::new(Line::raw(right)), r);
}
