//! Accounts (`A`): the leads grouped by company, with the open deal value behind them, most
//! value first; follows the lens. ⏎ lists the company's leads (the search spans all stages).

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::accounts::{Account, accounts};
use crate::domain::text::clean;
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::list_step;
use crate::ui::widgets::format::fit;
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Accounts {
    selected: usize,
}

impl Accounts {
    fn all(ctx: &ViewCtx) -> Vec<Account> {
        accounts(
            ctx.store.leads(),
            ctx.store.deals(),
            ctx.store.deal_stages(),
        )
    }
}

impl Dialog for Accounts {
    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
        let n = Self::all(ctx).len();
        if let Some(pos) = list_step(key, self.selected, n) {
            self.selected = pos;
            return Outcome::Stay;
        }
        match (key.code, plain_char(key)) {
            (KeyCode::Esc, _) | (_, Some('A' | 'q')) => Outcome::Close,
            (KeyCode::Enter, _) => match Self::all(ctx).get(self.selected) {
                Some(a) => Outcome::Search(a.company.clone()),
                None => Outcome::Stay,
            },
            _ => Outcome::Stay,
        }
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("Esc", "close"), ("↑↓", "move"), ("⏎", "its leads")]
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let all = Self::all(ctx);
        let w = (u32::from(bounds.width) * 9 / 10).min(100) as u16;
        let h = bounds.height.saturating_sub(2).max(6);
        let title = format!(
            "Accounts · {} companies · by open deal value",
            crate::ui::widgets::format::count(all.len())
        );
        let inner = modal(frame, bounds, (w, h), &title, &self.hints(ctx), theme);
        let rows = usize::from(inner.height).saturating_sub(2);
        let name_w = usize::from(inner.width).saturating_sub(44).clamp(12, 40);
        let mut lines = vec![Line::styled(
            format!(
                " {:<name_w$}  {:>5}  {:<12} {:>6}  {:>12}",
                "company", "leads", "furthest", "deals", "open value"
            ),
            theme.dim(),
        )];
        let top = self.selected.saturating_sub(rows.saturating_sub(1));
        for (i, a) in all.iter().enumerate().skip(top).take(rows) {
            let style = if i == self.selected {
                theme.selected()
            } else {
                theme.bold()
            };
            let value = if a.open_deals == 0 {
                "—".to_string()
            } else {
                crate::units::money(a.open_value)
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {}", fit(&clean(&a.company), name_w)), style),
                Span::raw(format!(
                    "  {:>5}  {:<12} {:>6}  {:>12}",
                    a.leads,
                    a.furthest.map_or("—", |s| s.id()),
                    a.open_deals,
                    value
                )),
            ]));
        }
        if all.is_empty() {
            lines.push(Line::styled(" no companies in this lens", theme.dim()));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
