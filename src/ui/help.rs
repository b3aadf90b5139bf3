//! Every key, and what the symbols mean. `?`, `q` or Esc closes; ↑/↓ scroll.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::fit;
use super::layout::modal;
use super::theme::Theme;

/// `(key, what it does)`; an empty key starts a section.
pub(crate) const LINES: &[(&str, &str)] = &[
    ("", "Moving around"),
    (
        "Tab / Shift-Tab",
        "next / previous pane (tabs on a narrow screen)",
    ),
    ("1 … 5", "Pipeline, Leads, KPIs, Breaches, Feedback"),
    ("↑ ↓  k j", "move in the focused pane"),
    ("PgUp PgDn", "page through leads"),
    ("Home End  g G", "first / last"),
    ("← →  h l", "previous / next stage (leads and pipeline)"),
    ("⏎", "detail of the lead · in the pipeline: show its leads"),
    ("/", "filter leads by name, company or email; Esc clears"),
    (
        "",
        "Acting on the highlighted lead (nothing is sent before y)",
    ),
    (
        ">",
        "hand off to sales, round-robin owner (inquiry, mql, nurture)",
    ),
    (
        "<",
        "recycle to marketing's nurture with a reason (mql, sal, sql)",
    ),
    ("n", "messaging feedback on a campaign: works / doesn't"),
    ("", "In a dialog"),
    ("y / n", "send / cancel (outside text fields)"),
    ("Tab", "next field"),
    ("Ctrl-S", "review a feedback note (⏎ adds a line there)"),
    ("Esc", "close without sending"),
    (
        "d",
        "the stage's definition and its SLAs (pipeline and leads panes)",
    ),
    ("", "KPIs"),
    ("p", "period: this week, month, quarter"),
    ("m", "attribution model for pipeline by campaign"),
    ("", "Always"),
    ("r", "refresh now"),
    ("?", "this help"),
    ("q", "quit · Ctrl-C quits from anywhere"),
    ("", "Symbols"),
    (
        "✖ ⚠ ⏳",
        "SLA breached · warning · running (business time left)",
    ),
    ("▲ ▼", "KPI on target · off target"),
    ("… ✓ ✖", "action pending · done · failed"),
    ("MKT SLS", "whose move it is: marketing · sales"),
    ("+3 −1", "feedback: works · doesn't work"),
];

/// Returns the largest useful scroll offset, for the key handler.
pub(crate) fn draw(frame: &mut Frame, bounds: Rect, theme: Theme, hint: Line, scroll: u16) -> u16 {
    let title = Line::styled(" Keys ", theme.bold());
    let inner = modal(
        frame,
        bounds,
        86,
        LINES.len() as u16 + 2,
        title,
        hint,
        theme,
    );
    let max = LINES.len().saturating_sub(usize::from(inner.height));
    let skip = usize::from(scroll).min(max);
    let lines: Vec<Line> = LINES
        .iter()
        .skip(skip)
        .map(|(key, text)| {
            if key.is_empty() {
                Line::styled(format!(" {text}"), theme.bold())
            } else {
                Line::from(vec![
                    Span::styled(format!("   {}", fit(key, 16)), theme.key()),
                    Span::raw(*text),
                ])
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    u16::try_from(max).unwrap_or(u16::MAX)
}
