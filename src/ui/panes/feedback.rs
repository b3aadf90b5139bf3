//! What sales hears about marketing's messaging, per campaign: `+works −doesn't`, the last
//! quote, who said it and when. Counts use `+`/`−` rather than emoji so widths stay exact.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::feedback::Verdict;

use crate::ui::widgets::format::{age, count, fit, truncate, width};
use crate::ui::{UiState, ViewCtx};

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx, focused: bool) {
    let theme = state.theme;
    let rollups = &ctx.snapshot.feedback;
    let block = theme.pane_block(
        Line::from(vec![
            Span::styled(" Messaging feedback ", theme.bold()),
            Span::raw(if ctx.loaded() {
                format!("· from sales ({} campaigns) ", count(rollups.len()))
            } else {
                "· from sales ".to_string()
            }),
        ]),
        focused,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    if rollups.is_empty() {
        let text = if ctx.loaded() {
            " no feedback yet · press n on a lead to tell marketing what landed"
        } else {
            " loading…"
        };
        let line = Line::styled(text, theme.dim());
        frame.render_widget(Paragraph::new(line), inner);
        return;
    }

    let inner_w = usize::from(inner.width);
    let name_w = rollups
        .iter()
        .map(|r| width(&r.campaign) + 2)
        .max()
        .unwrap_or(10)
        .min(inner_w / 3)
        .max(6);
    let counts: Vec<(String, String)> = rollups
        .iter()
        .map(|r| (format!("+{}", r.works), format!("−{}", r.does_not_work)))
        .collect();
    let plus_w = counts.iter().map(|c| width(&c.0)).max().unwrap_or(2);
    let minus_w = counts.iter().map(|c| width(&c.1)).max().unwrap_or(2);

    let height = usize::from(inner.height);
    // The selected campaign (⏎ opens its thread) stays in view.
    let selected = state.feedback_scroll.min(rollups.len().saturating_sub(1));
    let start = selected.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = rollups
        .iter()
        .zip(&counts)
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, (r, (plus, minus)))| {
            let who = r.last_owner.as_deref().unwrap_or("someone");
            let when = age(ctx.now - r.last_at);
            let used = 1 + name_w + 2 + plus_w + 1 + minus_w + 2;
            let rest = inner_w.saturating_sub(used);
            let mut tail = format!(" — {who}, {when} ago");
            if width(&tail) + 12 > rest {
                tail = format!(" — {when} ago");
            }
            let verdict = match r.last_verdict {
                Verdict::Works => Span::styled("+ ", theme.good()),
                Verdict::DoesNotWork => Span::styled("− ", theme.bad()),
            };
            let quote_w = rest.saturating_sub(width(&tail) + 2 + 2);
            let quote = format!("\"{}\"", truncate(&r.last_text, quote_w));
            let name_style = if focused && i == selected {
                theme.selected()
            } else {
                theme.bold()
            };
            Line::from(vec![
                Span::raw(if focused && i == selected { "▶" } else { " " }),
                Span::styled(fit(&format!("\"{}\"", r.campaign), name_w), name_style),
                Span::raw("  "),
                Span::styled(fit(plus, plus_w), theme.good()),
                Span::raw(" "),
                Span::styled(fit(minus, minus_w), theme.bad()),
                Span::raw("  "),
                verdict,
                Span::raw(quote),
                Span::styled(tail, theme.dim()),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
