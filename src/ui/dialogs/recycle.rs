//! Recycle a lead to marketing: a reason from the list and an optional one-line note.
//!
//! Focus model: the reason list has focus at first (↑/↓ pick, `y` sends, `n`/Esc cancels).
//! Tab or ⏎ moves into the note, where every key types (so `y` and `n` are text); ⏎ or Tab
//! leaves it again. ↑/↓ change the reason from either place; Esc always cancels.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::domain::Lead;
use crate::domain::action::ActionKind;

use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::format::{fit, tail, width};
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::{field, modal, render_fitted};
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

const NOTE_MAX_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq)]
pub struct Recycle {
    pub lead_id: String,
    pub lead_name: String,
    /// Index into the recycle policy's reasons.
    pub reason: usize,
    pub note: String,
    pub editing_note: bool,
}

impl Recycle {
    pub fn new(lead: &Lead) -> Self {
        Self {
            lead_id: lead.id.to_string(),
            lead_name: lead.name().to_string(),
            reason: 0,
            note: String::new(),
            editing_note: false,
        }
    }

    fn move_reason(&mut self, down: bool, n: usize) {
        let n = n.max(1);
        self.reason = if down {
            (self.reason + 1).min(n - 1)
        } else {
            self.reason.saturating_sub(1)
        };
    }
}

impl Dialog for Recycle {
    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
        on_key(self, key, ctx)
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        if self.editing_note {
            vec![
                ("⏎", "done"),
                ("⌫", "delete"),
                ("↑↓", "reason"),
                ("Esc", "cancel"),
            ]
        } else {
            vec![
                ("y", "recycle"),
                ("n", "cancel"),
                ("↑↓", "reason"),
                ("Tab", "note"),
            ]
        }
    }

    fn lead(&self) -> Option<(&str, &str)> {
        Some((&self.lead_id, &self.lead_name))
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let inner = modal(
            frame,
            bounds,
            (72, 17),
            "Recycle to marketing",
            &self.hints(ctx),
            theme,
        );
        draw_body(frame, inner, theme, ctx, self);
    }
}

fn on_key(d: &mut Recycle, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
    let reasons = &ctx.config.recycle.reasons;
    let n = reasons.len();
    match key.code {
        KeyCode::Esc => return Outcome::Close,
        KeyCode::Up => d.move_reason(false, n),
        KeyCode::Down => d.move_reason(true, n),
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Enter => d.editing_note = !d.editing_note,
        KeyCode::Backspace if d.editing_note => {
            d.note.pop();
        }
        _ => match plain_char(key) {
            // While typing, every character is text (a `y` must never send).
            Some(c) if d.editing_note => push_limited(&mut d.note, c),
            Some('y' | 'Y') => {
                let Some(reason) = reasons.get(d.reason.min(n.saturating_sub(1))) else {
                    return Outcome::Say("no recycle reasons are configured".into());
                };
                // The app adds the nurture owner and the revisit day from the policy.
                return Outcome::Submit(ActionKind::Recycle {
                    reason: reason.code.clone(),
                    note: d.note.trim().to_string(),
                    owner_id: None,
                    revisit: None,
                });
            }
            Some('n' | 'N') => return Outcome::Close,
            Some('k') => d.move_reason(false, n),
            Some('j') => d.move_reason(true, n),
            _ => {}
        },
    }
    Outcome::Stay
}

fn push_limited(note: &mut String, c: char) {
    if note.chars().count() < NOTE_MAX_CHARS {
        note.push(c);
    }
}

fn draw_body(frame: &mut Frame, inner: Rect, theme: Theme, ctx: &ViewCtx, d: &Recycle) {
    let lead = ctx.store.lead(&d.lead_id);
    // Full layout needs 12 rows; below that the reasons collapse into one ◀ chooser ▶.
    let roomy = inner.height >= 14;
    let mut lines = Vec::new();
    if roomy {
        lines.push(Line::raw(""));
    }
    let mut who = vec![Span::styled(d.lead_name.clone(), theme.bold())];
    if let Some(lead) = lead {
        who.push(Span::raw(format!(" · {}", lead.company)));
        if let Some(stage) = lead.stage {
            who.push(Span::raw(" · "));
            who.push(Span::styled(
                stage.id(),
                theme.team(ctx.config.stages.team(stage)),
            ));
        }
    }
    lines.push(field(theme, "lead", who));
    let list_focused = !d.editing_note;
    if roomy {
        let reasons = &ctx.config.recycle.reasons;
        let chosen = reasons.get(d.reason.min(reasons.len().saturating_sub(1)));
        let track = chosen.and_then(|r| r.track.as_deref()).unwrap_or("nurture");
        lines.push(field(
            theme,
            "goes to",
            vec![Span::styled(
                format!("nurture (marketing) · {track}"),
                theme.dim(),
            )],
        ));
        let policy = &ctx.config.recycle;
        if let Some(t) =
            chosen.and_then(|r| policy.revisit_day(&r.code, ctx.now, &ctx.config.calendar))
        {
            let target = ctx.health.first().and_then(|h| h.revisit_target.as_deref());
            let written = match (&policy.revisit_property, target) {
                (Some(_), Some(t)) => format!("  (written to {t})"),
                (Some(p), None) => format!("  (written to {p})"),
                (None, _) => String::new(),
            };
            lines.push(field(
                theme,
                "revisit",
                vec![Span::styled(
                    format!("{}{written}", t.format("%a %Y-%m-%d")),
                    theme.dim(),
                )],
            ));
        }
        if let Some(owner) = policy.nurture_owner.as_deref() {
            let name = crate::domain::handoff::owner_by_email_or_id(ctx.store.owners(), owner)
                .map_or(owner.to_string(), |o| o.name.clone());
            lines.push(field(
                theme,
                "owner",
                vec![Span::styled(format!("→ {name} (nurture)"), theme.dim())],
            ));
        }
        let loops = ctx.store.recycles_of(&d.lead_id);
        if loops > 0 {
            let over = ctx.config.recycle.over_cap(loops + 1);
            let text = format!(
                "recycled {loops} time(s) before; the agreed cap is {}{}",
                ctx.config.recycle.max_loops,
                if over {
                    " — this one goes over it"
                } else {
                    ""
                }
            );
            let style = if over { theme.warning() } else { theme.dim() };
            let icon = if over { "⚠ " } else { "" };
            lines.push(field(
                theme,
                "history",
                vec![Span::styled(format!("{icon}{text}"), style)],
            ));
        }
        lines.push(Line::raw(""));
        for (i, reason) in ctx.config.recycle.reasons.iter().enumerate() {
            let label = if i == 0 { "reason" } else { "" };
            let chosen = i == d.reason;
            let text = if chosen {
                format!("▶ {}", reason.label)
            } else {
                format!("  {}", reason.label)
            };
            let style = match (chosen, list_focused) {
                (true, true) => theme.selected(),
                (true, false) => theme.bold(),
                _ => Style::new(),
            };
            lines.push(field(theme, label, vec![Span::styled(text, style)]));
        }
        lines.push(Line::raw(""));
    } else {
        let reasons = &ctx.config.recycle.reasons;
        let reason = reasons
            .get(d.reason.min(reasons.len().saturating_sub(1)))
            .map_or("—", |r| r.label.as_str());
        let style = if list_focused {
            theme.selected()
        } else {
            theme.bold()
        };
        lines.push(field(
            theme,
            "reason",
            vec![
                Span::raw("▲ "),
                Span::styled(reason, style),
                Span::raw(" ▼"),
            ],
        ));
    }
    let box_w = usize::from(inner.width).saturating_sub(11 + 2);
    let shown = if d.note.is_empty() && !d.editing_note {
        Span::styled(fit("(optional) Tab to write one", box_w), theme.dim())
    } else {
        Span::styled(
            fit(&tail(&d.note, box_w.saturating_sub(1)), box_w),
            theme.field(d.editing_note),
        )
    };
    let note_row = lines.len();
    lines.push(field(
        theme,
        "note",
        vec![Span::raw("["), shown, Span::raw("]")],
    ));
    render_fitted(frame, inner, lines);

    if d.editing_note && (note_row as u16) < inner.height {
        let x = inner.x + 11 + 1 + width(&tail(&d.note, box_w.saturating_sub(1))) as u16;
        if x < inner.right() {
            frame.set_cursor_position(Position::new(x, inner.y + note_row as u16));
        }
    }
}
