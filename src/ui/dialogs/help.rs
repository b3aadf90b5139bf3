//! Every key, read from the one key table, and what the symbols mean. `?`, `q` or Esc
//! closes; ↑/↓ scroll. Long lines wrap under their key instead of being cut.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::ViewCtx;
use crate::ui::keymap::{Section, documented};
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::Scroll;
use crate::ui::widgets::format::{fit, wrap_words};
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome, scroll_key};

/// What the symbols on screen mean; not keys, so not in the key table.
const SYMBOLS: &[(&str, &str)] = &[
    (
        "✖ ⚠ ⏳",
        "SLA breached · warning · running: \"overdue 3h02\", \"due in 0h40\", counted on that SLA's own clock, business hours or calendar time (the breaches list and d name it)",
    ),
    ("▲ ▼", "KPI on target · off target"),
    ("… ✓ ✖", "action pending · done · failed"),
    ("MKT SLS", "whose move it is: marketing · sales"),
    ("+3 −1", "feedback: works · doesn't work"),
];

const KEY_W: usize = 16;
/// Indent before a key.
const INDENT: usize = 3;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Help {
    pub(crate) scroll: Scroll,
}

/// Sections as `(title, rows)`, keys first, then symbols.
fn sections() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut out: Vec<_> = Section::ALL
        .into_iter()
        .map(|s| {
            (
                s.title(),
                documented(s).map(|b| (b.label, b.help)).collect(),
            )
        })
        .collect();
    out.push(("Symbols", SYMBOLS.to_vec()));
    out
}

/// The help's lines for a box `w` columns wide.
fn lines(theme: Theme, w: usize) -> Vec<Line<'static>> {
    section_lines(theme, w).concat()
}

/// Each section's lines (title, then its rows) for a column `w` wide.
fn section_lines(theme: Theme, w: usize) -> Vec<Vec<Line<'static>>> {
    let text_w = w.saturating_sub(INDENT + KEY_W).max(12);
    let mut all = Vec::new();
    for (title, rows) in sections() {
        let mut out = Vec::new();
        out.push(Line::styled(format!(" {title}"), theme.bold()));
        for (key, text) in rows {
            for (i, part) in wrap_words(text, text_w).into_iter().enumerate() {
                let key = if i == 0 { key } else { "" };
                out.push(Line::from(vec![
                    Span::styled(
                        format!("{}{}", " ".repeat(INDENT), fit(key, KEY_W)),
                        theme.key(),
                    ),
                    Span::raw(part),
                ]));
            }
        }
        all.push(out);
    }
    all
}

/// Sections split into two columns of about equal height, in order.
fn two_columns(sections: Vec<Vec<Line<'static>>>) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let total: usize = sections.iter().map(Vec::len).sum();
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for s in sections {
        if left.len() + s.len() / 2 <= total / 2 {
            left.extend(s);
        } else {
            right.extend(s);
        }
    }
    (left, right)
}

/// Column width of the help, and past twice that (plus borders) it lays out in two.
const COLUMN: u16 = 78;

impl Dialog for Help {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        scroll_key(key, &mut self.scroll, &['?', 'q'])
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("Esc", "close"), ("↑↓", "scroll")]
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        // A wide terminal shows the help in two columns, so all of it fits at once.
        if bounds.width >= 2 * COLUMN + 3 {
            let (left, right) = two_columns(section_lines(theme, usize::from(COLUMN)));
            let rows = left.len().max(right.len());
            let h = u16::try_from(rows + 2).unwrap_or(u16::MAX);
            let visible = usize::from(h.min(bounds.height).saturating_sub(2));
            let top = self.scroll.top_for(rows, visible);
            let title = if rows > visible {
                let end = (top + visible).min(rows);
                format!("Keys · lines {}–{end} of {rows} · ↓ more", top + 1)
            } else {
                "Keys".to_string()
            };
            let inner = modal(
                frame,
                bounds,
                (2 * COLUMN + 3, h),
                &title,
                &self.hints(ctx),
                theme,
            );
            let [l, _, r] = ratatui::layout::Layout::horizontal([
                ratatui::layout::Constraint::Length(COLUMN),
                ratatui::layout::Constraint::Length(1),
                ratatui::layout::Constraint::Fill(1),
            ])
            .areas(inner);
            let top = self.scroll.top_for(rows, usize::from(inner.height));
            frame.render_widget(
                Paragraph::new(left.into_iter().skip(top).collect::<Vec<_>>()),
                l,
            );
            frame.render_widget(
                Paragraph::new(right.into_iter().skip(top).collect::<Vec<_>>()),
                r,
            );
            return;
        }
        const W: u16 = 96;
        let box_w = W.min(bounds.width);
        let all = lines(theme, usize::from(box_w.saturating_sub(2)));
        let h = u16::try_from(all.len() + 2).unwrap_or(u16::MAX);
        // Say where the view is when it cannot show everything, so nobody misses a section.
        let rows = usize::from(h.min(bounds.height).saturating_sub(2));
        let top = self.scroll.top_for(all.len(), rows);
        let title = if all.len() > rows {
            let end = (top + rows).min(all.len());
            let more = if end < all.len() { " · ↓ more" } else { "" };
            format!("Keys · lines {}–{end} of {}{more}", top + 1, all.len())
        } else {
            "Keys".to_string()
        };
        let inner = modal(frame, bounds, (W, h), &title, &self.hints(ctx), theme);
        let top = self.scroll.top_for(all.len(), usize::from(inner.height));
        let shown: Vec<Line> = all.into_iter().skip(top).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_is_in_help_and_nothing_is_cut_at_80_columns() {
        let theme = Theme { color: false };
        let text: Vec<String> = lines(theme, 78)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        for section in Section::ALL {
            for b in documented(section) {
                assert!(
                    text.iter().any(|l| l.contains(b.label)),
                    "{} missing",
                    b.label
                );
            }
        }
        assert!(
            text.iter()
                .all(|l| crate::ui::widgets::format::width(l) <= 78)
        );
        assert!(
            text.iter().all(|l| !l.ends_with('…')),
            "help was cut: {text:#?}"
        );
        // `d` is a pane key, not a dialog key.
        let dialog = text.iter().position(|l| l.trim() == "In a dialog").unwrap();
        let always = text.iter().position(|l| l.trim() == "Always").unwrap();
        assert!(
            !text[dialog..always]
                .iter()
                .any(|l| l.trim_start().starts_with("d "))
        );
    }
}
