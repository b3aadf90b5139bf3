//! Sales answers an MQL (the SLA's other half): `a` accepts it (owner = you, it moves to
//! SAL and the response clock stops), `x` rejects it with one of the agreed reasons, which
//! disqualifies or recycles it as the config says. Nothing is sent before `y`.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::domain::Lead;
use crate::domain::action::ActionKind;
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::{field, modal, render_fitted};
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

#[derive(Debug, Clone, PartialEq)]
pub struct Respond {
    pub lead_id: String,
    pub lead_name: String,
    /// `None`: accept. `Some(i)`: reject for the config's `i`-th reason.
    pub reject: Option<usize>,
}

impl Respond {
    pub fn accept(lead: &Lead) -> Self {
        Self {
            lead_id: lead.id.to_string(),
            lead_name: lead.name().to_string(),
            reject: None,
        }
    }

    pub fn reject(lead: &Lead) -> Self {
        Self {
            reject: Some(0),
            ..Self::accept(lead)
        }
    }
}

impl Dialog for Respond {
    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
        let reasons = &ctx.config.reject_reasons;
        let last = reasons.len().saturating_sub(1);
        match (key.code, plain_char(key), self.reject) {
            (KeyCode::Esc, ..) | (_, Some('n' | 'N'), _) => Outcome::Close,
            (KeyCode::Down, ..) | (_, Some('j'), _) if self.reject.is_some() => {
                self.reject = self.reject.map(|i| (i + 1).min(last));
                Outcome::Stay
            }
            (KeyCode::Up, ..) | (_, Some('k'), _) if self.reject.is_some() => {
                self.reject = self.reject.map(|i| i.saturating_sub(1));
                Outcome::Stay
            }
            (_, Some('y' | 'Y'), None) => match ctx.me {
                Some(me) => Outcome::Submit(ActionKind::Accept {
                    owner_id: me.to_string(),
                }),
                None => Outcome::Say("you map to no CRM owner: set `user` in the config".into()),
            },
            (_, Some('y' | 'Y'), Some(i)) => match reasons.get(i) {
                Some(r) => Outcome::Submit(ActionKind::Reject {
                    reason: r.code.clone(),
                    recycle: r.recycle,
                    note: String::new(),
                    // The app fills in the nurture owner and revisit day from the policy.
                    owner_id: None,
                    revisit: None,
                }),
                None => Outcome::Say("no reject reasons are configured ([[reject]])".into()),
            },
            _ => Outcome::Stay,
        }
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        match self.reject {
            None => vec![("y", "accept"), ("n", "cancel")],
            Some(_) => vec![("y", "reject"), ("n", "cancel"), ("↑↓", "reason")],
        }
    }

    fn lead(&self) -> Option<(&str, &str)> {
        Some((&self.lead_id, &self.lead_name))
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let lead = ctx.store.lead(&self.lead_id);
        let mut who = vec![Span::styled(self.lead_name.clone(), theme.bold())];
        if let Some(l) = lead {
            who.push(Span::raw(format!(" · {}", l.company)));
        }
        let mut lines = vec![Line::raw(""), field(theme, "lead", who)];
        let title = match self.reject {
            None => {
                let me = ctx
                    .me
                    .and_then(|id| ctx.store.owner(id))
                    .map_or("you".to_string(), |o| o.name.clone());
                lines.push(field(
                    theme,
                    "stage",
                    vec![Span::raw("mql → sal (sales-accepted)")],
                ));
                lines.push(field(theme, "owner", vec![Span::styled(me, theme.bold())]));
                lines.push(field(
                    theme,
                    "clock",
                    vec![Span::styled("the response SLA stops", theme.dim())],
                ));
                "Accept this MQL"
            }
            Some(chosen) => {
                lines.push(Line::raw(""));
                for (i, r) in ctx.config.reject_reasons.iter().enumerate() {
                    let then = if r.recycle {
                        "back to nurture"
                    } else {
                        "disqualified"
                    };
                    let (mark, style) = if i == chosen {
                        ("▶ ", theme.selected())
                    } else {
                        ("  ", theme.bold())
                    };
                    lines.push(Line::from(vec![
                        Span::raw(format!(" {mark}")),
                        Span::styled(format!("{:<16}", r.label), style),
                        Span::styled(format!(" → {then}"), theme.dim()),
                    ]));
                }
                "Reject this MQL"
            }
        };
        let h = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
        let inner = modal(frame, bounds, (64, h), title, &self.hints(ctx), theme);
        render_fitted(frame, inner, lines);
    }
}
