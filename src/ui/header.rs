//! One line: the name, each source's freshness badge, the simulation badge, week and time.

use chrono::{Datelike, Duration};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::sync::SourceHealth;

use super::ViewCtx;
use super::format::{age, count, width};
use super::theme::Theme;

/// Data younger than this is only "a bit stale" (yellow) while its source fails.
const STALE_AFTER: Duration = Duration::minutes(2);

/// The badge text and style of one source, and the style its error takes in the footer.
pub(crate) fn badge(
    theme: Theme,
    h: &SourceHealth,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, Style) {
    let data_age = h.last_success.map(|t| now - t);
    if h.last_error.is_some() {
        let style = match data_age {
            Some(a) if a < STALE_AFTER => theme.warning(),
            _ => theme.breached(),
        };
        let text = match data_age {
            Some(a) => format!("{} ✖ {}", h.name, age(a)),
            None => format!("{} ✖ no data", h.name),
        };
        return (text, style);
    }
    if !h.loaded {
        let progress = if h.loaded_leads > 0 {
            format!(" {}", count(h.loaded_leads))
        } else {
            String::new()
        };
        return (format!("{} ⟳ loading{progress}", h.name), theme.warning());
    }
    match data_age {
        Some(a) => (format!("{} ✓ {}", h.name, age(a)), theme.good()),
        None => (format!("{} ✓", h.name), theme.good()),
    }
}

fn left_spans(theme: Theme, ctx: &ViewCtx, long: bool) -> Vec<Span<'static>> {
    let name = if long {
        " tandem ─ one pipeline"
    } else {
        " tandem"
    };
    let mut left = vec![Span::styled(name, theme.bold())];
    for h in ctx.health {
        let (text, style) = badge(theme, h, ctx.now);
        left.push(Span::raw(" · "));
        left.push(Span::styled(text, style));
    }
    if ctx.simulated {
        left.push(Span::raw(" "));
        left.push(Span::styled(" SIMULATED DATA ", theme.badge_simulated()));
    }
    left
}

/// Name, badges and clock, shortened step by step to fit: the badges go last.
pub(crate) fn draw(frame: &mut Frame, area: Rect, theme: Theme, ctx: &ViewCtx) {
    let week = ctx.now.iso_week().week();
    let clocks = [
        format!("week {week} · {} UTC ", ctx.now.format("%a %H:%M")),
        format!("w{week} {} ", ctx.now.format("%a %H:%M")),
        format!("{} ", ctx.now.format("%H:%M")),
        String::new(),
    ];
    let total = usize::from(area.width);
    let span_w = |spans: &[Span]| spans.iter().map(|s| width(&s.content)).sum::<usize>();
    let mut choice = None;
    'search: for long in [true, false] {
        let left = left_spans(theme, ctx, long);
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
