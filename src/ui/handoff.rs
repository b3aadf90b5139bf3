//! Hand a lead to sales: shows the lead and the round-robin owner, ←/→ picks another sales
//! owner, `y` sends, `n`/Esc cancels.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::action::{ActionKind, round_robin};
use crate::domain::{Lead, Owner, Stage, Team};

use super::ViewCtx;
use super::keys::plain_char;
use super::layout::{field, modal};
use super::state::{Outcome, sales_rotation};
use super::theme::Theme;

#[derive(Debug, Clone, PartialEq)]
pub struct HandOff {
    pub lead_id: String,
    pub lead_name: String,
    /// How far the user moved away from the round-robin pick.
    pub shift: usize,
}

impl HandOff {
    pub fn new(lead: &Lead) -> Self {
        Self {
            lead_id: lead.id.clone(),
            lead_name: lead.name.clone(),
            shift: 0,
        }
    }
}

/// The sales owner the dialog proposes right now.
pub(crate) fn proposed<'a>(d: &HandOff, ctx: &'a ViewCtx, turn: usize) -> Option<&'a Owner> {
    round_robin(ctx.store.owners(), Team::Sales, turn.wrapping_add(d.shift))
}

pub(crate) fn on_key(d: &mut HandOff, key: KeyEvent, ctx: &ViewCtx, turn: usize) -> Outcome {
    let n = sales_rotation(ctx).len().max(1);
    match (key.code, plain_char(key)) {
        (_, Some('y' | 'Y')) => match proposed(d, ctx, turn) {
            Some(owner) => Outcome::Submit(ActionKind::HandOff {
                owner_id: owner.id.clone(),
            }),
            None => Outcome::Say("no sales owner in the CRM to hand off to".into()),
        },
        (KeyCode::Esc, _) | (_, Some('n' | 'N')) => Outcome::Close,
        (KeyCode::Left, _) | (_, Some('h')) => {
            d.shift = (d.shift % n + n - 1) % n;
            Outcome::Stay
        }
        (KeyCode::Right | KeyCode::Tab, _) | (_, Some('l')) => {
            d.shift = (d.shift + 1) % n;
            Outcome::Stay
        }
        _ => Outcome::Stay,
    }
}

pub(crate) fn draw(
    frame: &mut Frame,
    bounds: Rect,
    theme: Theme,
    hint: Line,
    ctx: &ViewCtx,
    turn: usize,
    d: &HandOff,
) {
    let title = Line::styled(" Hand off to sales ", theme.bold());
    let inner = modal(frame, bounds, 72, 11, title, hint, theme);
    let lead = ctx.store.lead(&d.lead_id);
    let rotation = sales_rotation(ctx);
    let pick = proposed(d, ctx, turn);

    let mut who = vec![Span::styled(d.lead_name.clone(), theme.bold())];
    let mut context = Vec::new();
    match lead {
        Some(lead) => {
            who.push(Span::raw(format!(" · {}", lead.company)));
            context.push(field(theme, "segment", vec![Span::raw(lead.segment())]));
            let from = lead.stage.map_or("unmapped", Stage::id);
            context.push(field(
                theme,
                "stage",
                vec![
                    Span::styled(
                        from,
                        theme.team(lead.stage.and_then(|s| ctx.config.stages.team(s))),
                    ),
                    Span::raw(" → "),
                    Span::styled("sal", theme.team(Some(Team::Sales))),
                    Span::styled(" (sales-accepted)", theme.dim()),
                ],
            ));
            let now_owner = lead.owner_id.as_deref().and_then(|id| ctx.store.owner(id));
            context.push(field(
                theme,
                "owned by",
                match now_owner {
                    Some(o) => vec![Span::styled(o.name.clone(), theme.team(o.team))],
                    None => vec![Span::styled("nobody yet", theme.dim())],
                },
            ));
        }
        None => who.push(Span::styled("  (no longer in the data)", theme.warning())),
    }
    let position = pick
        .and_then(|p| rotation.iter().position(|o| o.id == p.id))
        .map_or(String::new(), |i| {
            format!("  {} of {} in rotation", i + 1, rotation.len())
        });
    let hand_to = field(
        theme,
        "hand to",
        match pick {
            Some(owner) => vec![
                Span::raw("◀ "),
                Span::styled(
                    owner.name.clone(),
                    theme.selected().patch(theme.team(owner.team)),
                ),
                Span::raw(" ▶"),
                Span::styled(position, theme.dim()),
            ],
            None => vec![Span::styled("no sales owners in the CRM", theme.bad())],
        },
    );
    let mut names = Vec::new();
    for (i, o) in rotation.iter().enumerate() {
        if i > 0 {
            names.push(Span::styled(" · ", theme.dim()));
        }
        let is_pick = pick.is_some_and(|p| p.id == o.id);
        names.push(Span::styled(
            o.name.clone(),
            if is_pick { theme.bold() } else { theme.dim() },
        ));
    }
    let segment = lead.map_or_else(String::new, |l| format!("{} → ", l.segment()));
    let mut coverage = vec![Span::raw(format!("{segment}round-robin: "))];
    coverage.extend(names);
    let coverage = field(theme, "coverage", coverage);

    let who = field(theme, "lead", who);
    let full_len = 2 + 1 + context.len() + 2;
    let lines = if usize::from(inner.height) >= full_len {
        let mut lines = vec![Line::raw(""), who];
        lines.extend(context);
        lines.extend([Line::raw(""), hand_to, coverage]);
        lines
    } else {
        // Short terminal: the decision first, the context after.
        let mut lines = vec![who, hand_to, coverage];
        lines.extend(context);
        lines
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
