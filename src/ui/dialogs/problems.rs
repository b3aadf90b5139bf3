//! What went wrong, in full: each failing source's last error, each refused action, the
//! records of the CRM and the MAP that could not be joined, and each owner the config names
//! that the CRM lacks, with the message wrapped rather than cut (the footer only has room
//! for its start). `e` opens it.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::Scroll;
use crate::ui::widgets::format::{age, wrap_words};
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::spans::source_badge;
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome, scroll_key};

/// Refused actions listed, newest first.
const RECENT_FAILURES: usize = 10;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Problems {
    scroll: Scroll,
}

/// Whether there is anything to show (the `e` key and its hint depend on it).
pub fn any(ctx: &ViewCtx) -> bool {
    ctx.health
        .iter()
        .any(|h| h.last_error.is_some() || !h.join_conflicts.is_empty())
        || ctx.outbox.iter().any(|e| e.status.needs_attention())
        || !ctx.config.owner_warnings(ctx.store.owners()).is_empty()
}

fn lines(theme: Theme, ctx: &ViewCtx, w: usize) -> Vec<Line<'static>> {
    let text_w = w.saturating_sub(4).max(12);
    let mut out = vec![Line::raw("")];
    let indent = |out: &mut Vec<Line<'static>>, text: &str| {
        for part in wrap_words(text, text_w) {
            out.push(Line::raw(format!("   {part}")));
        }
    };
    for h in ctx.health {
        let Some(err) = &h.last_error else { continue };
        let (badge, style) = source_badge(theme, h, ctx.now);
        let since = h.last_success.map_or_else(
            || "no data loaded yet".to_string(),
            |t| format!("showing data from {} ago", age(ctx.now - t)),
        );
        out.push(Line::from(vec![
            Span::styled(format!(" {badge}"), style),
            Span::styled(format!("  {since}"), theme.dim()),
        ]));
        indent(&mut out, err);
        out.push(Line::raw(""));
    }
    let failed: Vec<_> = ctx
        .outbox
        .iter()
        .rev()
        .filter(|e| e.status.needs_attention())
        .map(|e| (e, e.status.describe(e.action.verb())))
        .take(RECENT_FAILURES)
        .collect();
    if !failed.is_empty() {
        out.push(Line::styled(
            " Actions refused or in conflict (o: the outbox)",
            theme.bold(),
        ));
    }
    for (entry, msg) in failed {
        let a = &entry.action;
        out.push(Line::from(vec![
            Span::styled(format!(" ✖ {} {}", a.verb(), a.lead_name), theme.bad()),
            Span::styled(
                format!("  {} ago", age(ctx.now - entry.updated_at)),
                theme.dim(),
            ),
        ]));
        indent(&mut out, &msg);
    }
    for h in ctx.health.iter().filter(|h| !h.join_conflicts.is_empty()) {
        out.push(Line::styled(
            format!(
                " {}: records not joined ({}), shown apart rather than guessed",
                h.name,
                h.join_conflicts.len()
            ),
            theme.bold(),
        ));
        for c in &h.join_conflicts {
            indent(&mut out, c);
        }
        out.push(Line::raw(""));
    }
    let warnings = ctx.config.owner_warnings(ctx.store.owners());
    if !warnings.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            " The config names owners the CRM does not have",
            theme.bold(),
        ));
        for w in &warnings {
            indent(&mut out, w);
        }
    }
    if out.len() == 1 {
        out.push(Line::styled(" nothing is failing right now", theme.good()));
    }
    out
}

impl Dialog for Problems {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        scroll_key(key, &mut self.scroll, &['e', 'q'])
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("Esc", "close"), ("↑↓", "scroll")]
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let w = (u32::from(bounds.width) * 9 / 10).min(100) as u16;
        let all = lines(theme, ctx, usize::from(w.saturating_sub(2)));
        let h = u16::try_from(all.len() + 3).unwrap_or(u16::MAX);
        let inner = modal(frame, bounds, (w, h), "Errors", &self.hints(ctx), theme);
        let top = self.scroll.top_for(all.len(), usize::from(inner.height));
        let shown: Vec<Line> = all.into_iter().skip(top).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}
