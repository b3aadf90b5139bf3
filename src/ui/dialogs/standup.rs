//! The standup view (`S`): what changed since the last standup, per team, each figure with
//! the leads behind it. The same figures as `tandem report` (`domain/changes.rs`), computed
//! from the data on screen at the moment it is drawn.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Team;
use crate::domain::changes::{Change, Changes, ChangesInput, previous_standup};
use crate::domain::text::clean;
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::list_step;
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

/// One figure: the team it belongs to (`None`: shared), its label, and where it is.
type Row = (Option<Team>, &'static str, fn(&Changes) -> &Change);

/// The figures in the order shown.
const ROWS: [Row; 10] = [
    (Some(Team::Marketing), "new MQLs", |c| &c.new_mqls),
    (Some(Team::Marketing), "recycled to nurture", |c| {
        &c.recycles
    }),
    (Some(Team::Sales), "handed off (owner assigned)", |c| {
        &c.handoffs
    }),
    (Some(Team::Sales), "accepted (reached SAL)", |c| &c.accepted),
    (Some(Team::Sales), "rejected", |c| &c.rejected),
    (Some(Team::Sales), "won", |c| &c.won),
    (Some(Team::Sales), "lost", |c| &c.lost),
    (None, "new SLA breaches", |c| &c.breaches_new),
    (None, "SLA breaches cleared", |c| &c.breaches_cleared),
    (None, "escalated to a team lead", |c| &c.escalations_new),
];

/// Leads listed under the selected figure.
const LISTED: usize = 12;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Standup {
    selected: usize,
    /// Look back 24 hours instead of to the last standup (`w`).
    last_day: bool,
}

impl Standup {
    fn since(&self, ctx: &ViewCtx) -> DateTime<Utc> {
        if self.last_day {
            ctx.now - chrono::Duration::hours(24)
        } else {
            previous_standup(&ctx.config.calendar, ctx.config.standup_at, ctx.now)
        }
    }

    fn changes(&self, ctx: &ViewCtx) -> Changes {
        // A person or team lens counts every lead's events by their owner; other lenses
        // have narrowed the leads already.
        let leads = match ctx.by_owner {
            Some(_) => ctx.everyone.leads(),
            None => ctx.store.leads(),
        };
        let input = ChangesInput {
            by_owner: ctx.by_owner,
            leads,
            deals: ctx.store.deals(),
            deal_stages: ctx.store.deal_stages(),
            notes: ctx.store.notes(),
            slas: &ctx.config.slas,
            calendar: &ctx.config.calendar,
            stages: &ctx.config.stages,
            owners: ctx.store.owners(),
            timelines: None,
        };
        Changes::compute(&input, self.since(ctx), ctx.now)
    }
}

impl Dialog for Standup {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        if let Some(pos) = list_step(key, self.selected, ROWS.len()) {
            self.selected = pos;
            return Outcome::Stay;
        }
        match (key.code, plain_char(key)) {
            (KeyCode::Esc, _) | (_, Some('S' | 'q')) => Outcome::Close,
            (_, Some('w')) => {
                self.last_day = !self.last_day;
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        let window = if self.last_day {
            "since the standup"
        } else {
            "last 24h"
        };
        vec![("Esc", "close"), ("↑↓", "figure"), ("w", window)]
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let loaded = !ctx.health.is_empty() && ctx.health.iter().all(|h| h.loaded);
        let changes = self.changes(ctx);
        let mut lines = vec![Line::raw("")];
        if !loaded {
            lines.push(Line::styled(
                " loading: the figures wait for the first complete load",
                theme.dim(),
            ));
        }
        let mut team_shown = None;
        for (i, (team, label, field)) in ROWS.iter().enumerate() {
            if team_shown != Some(*team) {
                team_shown = Some(*team);
                let name = team.map_or("SHARED", |t| match t {
                    Team::Marketing => "MARKETING",
                    Team::Sales => "SALES",
                });
                lines.push(Line::styled(format!(" {name}"), theme.team(*team)));
            }
            let count = if loaded {
                field(&changes).count.to_string()
            } else {
                "—".into()
            };
            let style = if i == self.selected {
                theme.selected()
            } else {
                theme.bold()
            };
            lines.push(Line::from(vec![Span::styled(
                format!("   {count:>5}  {label}"),
                style,
            )]));
        }
        let (_, label, field) = ROWS[self.selected];
        let change = field(&changes);
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!(" {label}:"), theme.bold()));
        if label == "rejected" && !changes.rejection_reasons.is_empty() {
            let why: Vec<String> = changes
                .rejection_reasons
                .iter()
                .map(|(code, n)| {
                    let label = ctx
                        .config
                        .reject_reasons
                        .iter()
                        .find(|r| r.code == *code)
                        .map_or(code.as_str(), |r| r.label.as_str());
                    format!("{label} {n}")
                })
                .collect();
            lines.push(Line::styled(
                format!("   why: {}", why.join(" · ")),
                theme.dim(),
            ));
        }
        for id in change.lead_ids.iter().take(LISTED) {
            let (name, company, stage) = ctx.store.lead(id).map_or_else(
                || (id.clone(), String::new(), "—"),
                |l| {
                    (
                        clean(l.name()),
                        clean(&l.company),
                        l.stage.map_or("—", |s| s.id()),
                    )
                },
            );
            lines.push(Line::raw(format!("   {name:<24} {company:<28} {stage}")));
        }
        if change.count > LISTED {
            lines.push(Line::styled(
                format!(
                    "   + {} more (tandem report lists every id)",
                    change.count - LISTED
                ),
                theme.dim(),
            ));
        }
        if change.count == 0 && loaded {
            lines.push(Line::styled("   none", theme.dim()));
        }
        let title = format!(
            "Since {} ({})",
            changes.since.format("%a %H:%M"),
            if self.last_day {
                "last 24h"
            } else {
                "the last standup"
            }
        );
        let w = (u32::from(bounds.width) * 9 / 10).min(90) as u16;
        let h = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
        let inner = modal(frame, bounds, (w, h), &title, &self.hints(ctx), theme);
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
