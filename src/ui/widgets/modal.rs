//! The frame every dialog sits in, its labelled field rows, and lines fitted to a width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::Hint;
use super::format::{truncate, width};
use super::theme::Theme;

/// Label column of [`field`]: a space and ten characters.
pub const LABEL_W: usize = 11;

/// Clear a centred box of at most `w`×`h` inside `bounds`, frame it, and return its inside.
/// The key hint sits in the bottom border so it stays visible however small the box gets.
pub fn modal(
    frame: &mut Frame,
    bounds: Rect,
    (w, h): (u16, u16),
    title: &str,
    hints: &[Hint],
    theme: Theme,
) -> Rect {
    let w = w.min(bounds.width);
    let h = h.min(bounds.height);
    let area = Rect {
        x: bounds.x + (bounds.width - w) / 2,
        y: bounds.y + (bounds.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, area);
    // A wide character just left of the box would spill over its left border (terminals and
    // ratatui's diff both let a two-column glyph own the next cell): blank it.
    let buf = frame.buffer_mut();
    if area.x > buf.area.x {
        for y in area.top()..area.bottom() {
            if let Some(cell) = buf.cell_mut((area.x - 1, y))
                && cell.symbol().width() > 1
            {
                cell.set_symbol(" ");
            }
        }
    }
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::styled(format!(" {title} "), theme.bold()))
        .title_bottom(hint_line(theme, hints));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// ` key label · key label ` for a dialog's bottom border.
pub fn hint_line(theme: Theme, hints: &[Hint]) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, (key, label)) in hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// `label     value` with a fixed label column, for dialog fields.
pub fn field<'a>(theme: Theme, label: &str, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {label:<10}"), theme.dim())];
    spans.extend(value);
    Line::from(spans)
}

/// The line cut to `w` columns with `…` where something was cut, styles kept: a name is never
/// sliced silently at a border.
pub fn fit_line(line: Line<'_>, w: usize) -> Line<'_> {
    let total: usize = line.spans.iter().map(|s| width(&s.content)).sum();
    if total <= w {
        return line;
    }
    let mut used = 0;
    let mut spans = Vec::new();
    for span in line.spans {
        let sw = width(&span.content);
        if used + sw < w {
            used += sw;
            spans.push(span);
            continue;
        }
        // The last span that fits, cut so the ellipsis lands in the final column.
        let cut = truncate(&format!("{}  ", span.content), w - used);
        spans.push(Span::styled(cut, span.style));
        break;
    }
    Line::from(spans).style(line.style)
}

/// Spans laid out on at most `max_lines` lines of `w` columns, breaking only between spans
/// (each span is a word or a name that must not be split); what does not fit on the last
/// line is cut with an ellipsis. Separators (`" · "`) left at a line's end are dropped.
pub fn flow<'a>(spans: Vec<Span<'a>>, w: usize, max_lines: usize) -> Vec<Line<'a>> {
    let mut lines: Vec<Vec<Span<'a>>> = vec![Vec::new()];
    let mut used = 0;
    let mut rest = spans.into_iter().peekable();
    while let Some(span) = rest.next() {
        let sw = width(&span.content);
        let last_line = lines.len() >= max_lines.max(1);
        if used + sw > w && used > 0 && !last_line {
            let current = lines.last_mut().expect("one line");
            if current.last().is_some_and(|s| s.content.trim() == "·") {
                current.pop();
            }
            lines.push(Vec::new());
            used = 0;
            if span.content.trim() == "·" {
                continue;
            }
        }
        used += sw;
        lines.last_mut().expect("one line").push(span);
        if last_line && used > w {
            // Keep one more span so the cut shows, then stop.
            lines.last_mut().expect("one line").extend(rest.next());
            break;
        }
    }
    lines
        .into_iter()
        .map(|l| fit_line(Line::from(l), w))
        .collect()
}

/// Render `lines` in `area`, each cut to its width with an ellipsis.
pub fn render_fitted(frame: &mut Frame, area: Rect, lines: Vec<Line<'_>>) {
    let w = usize::from(area.width);
    let fitted: Vec<Line> = lines.into_iter().map(|l| fit_line(l, w)).collect();
    frame.render_widget(Paragraph::new(fitted), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flowing_names_breaks_between_them_and_cuts_only_the_last_line() {
        let names = || {
            [
                "Dana Whitfield",
                " · ",
                "Marcus Oyelaran",
                " · ",
                "Sofia Lindgren",
            ]
            .into_iter()
            .map(Span::raw)
            .collect::<Vec<_>>()
        };
        let two = flow(names(), 34, 2);
        let text: Vec<String> = two.iter().map(text).collect();
        assert_eq!(text, ["Dana Whitfield · Marcus Oyelaran", "Sofia Lindgren"]);
        let one = flow(names(), 34, 1);
        assert_eq!(text_of(&one), ["Dana Whitfield · Marcus Oyelaran …"]);
    }

    fn text_of(lines: &[Line]) -> Vec<String> {
        lines.iter().map(text).collect()
    }

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_fitted_line_ends_in_an_ellipsis_only_when_cut() {
        let line = Line::from(vec![
            Span::raw("coverage  "),
            Span::raw("Dana Whitfield · Tom"),
        ]);
        assert_eq!(
            text(&fit_line(line.clone(), 40)),
            "coverage  Dana Whitfield · Tom"
        );
        let cut = fit_line(line.clone(), 18);
        assert_eq!(text(&cut), "coverage  Dana Wh…");
        assert_eq!(width(&text(&cut)), 18);
        // A cut exactly at a span boundary still says something was cut.
        assert_eq!(text(&fit_line(line, 10)), "coverage …");
    }
}
