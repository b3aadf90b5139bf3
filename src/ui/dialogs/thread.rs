//! A campaign's feedback thread (⏎ in the feedback pane): every note sales wrote about it,
//! newest first — who, when, on which lead, the verdict — with the text wrapped in full.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::feedback::{NoteKind, Verdict};
use crate::domain::text::clean;
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::Scroll;
use crate::ui::widgets::format::{age, wrap_words};
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome, scroll_key};

#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub campaign: String,
    scroll: Scroll,
}

impl Thread {
    pub fn new(campaign: &str) -> Self {
        Self {
            campaign: campaign.to_string(),
            scroll: Scroll::default(),
        }
    }

    fn lines(&self, theme: Theme, ctx: &ViewCtx, w: usize) -> Vec<Line<'static>> {
        let mut notes: Vec<_> = ctx
            .store
            .notes()
            .iter()
            .filter_map(|n| match &n.kind {
                NoteKind::Feedback {
                    campaign,
                    verdict,
                    text,
                } if *campaign == self.campaign => Some((n, *verdict, text)),
                _ => None,
            })
            .collect();
        notes.sort_by_key(|n| std::cmp::Reverse(n.0.at));
        let (works, not) = notes.iter().fold((0, 0), |(w, n), (_, v, _)| match v {
            Verdict::Works => (w + 1, n),
            Verdict::DoesNotWork => (w, n + 1),
        });
        let mut out = vec![
            Line::raw(""),
            Line::from(vec![
                Span::styled(format!(" +{works} works"), theme.good()),
                Span::raw("  "),
                Span::styled(format!("−{not} doesn't"), theme.bad()),
                Span::styled(format!("  · {} notes", notes.len()), theme.dim()),
            ]),
        ];
        for (note, verdict, text) in notes {
            let who = note
                .owner_id
                .as_deref()
                .and_then(|id| ctx.store.owner(id))
                .map_or_else(|| "someone".to_string(), |o| o.name.clone());
            let lead = note
                .lead_ids
                .first()
                .and_then(|id| ctx.store.lead(id))
                .map_or_else(String::new, |l| {
                    format!(" · on {} ({})", clean(l.name()), clean(&l.company))
                });
            let mark = match verdict {
                Verdict::Works => Span::styled(" + ", theme.good()),
                Verdict::DoesNotWork => Span::styled(" − ", theme.bad()),
            };
            out.push(Line::raw(""));
            out.push(Line::from(vec![
                mark,
                Span::styled(who, theme.bold()),
                Span::styled(
                    format!(", {} ago{lead}", age(ctx.now - note.at)),
                    theme.dim(),
                ),
            ]));
            for part in wrap_words(&clean(text), w.saturating_sub(4).max(12)) {
                out.push(Line::raw(format!("   {part}")));
            }
        }
        out
    }
}

impl Dialog for Thread {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        scroll_key(key, &mut self.scroll, &['q'])
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("Esc", "close"), ("↑↓", "scroll")]
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let w = (u32::from(bounds.width) * 9 / 10).min(110) as u16;
        let all = self.lines(theme, ctx, usize::from(w.saturating_sub(2)));
        let h = u16::try_from(all.len() + 3).unwrap_or(u16::MAX);
        let title = format!("\"{}\" · what sales said", clean(&self.campaign));
        let inner = modal(frame, bounds, (w, h), &title, &self.hints(ctx), theme);
        let top = self.scroll.top_for(all.len(), usize::from(inner.height));
        let shown: Vec<Line> = all.into_iter().skip(top).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}
