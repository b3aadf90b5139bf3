//! Hand a lead to sales: shows the lead and the owner the coverage map proposes (round-robin
//! within the lead's segment), ←/→ picks another sales owner, `y` sends, `n`/Esc cancels.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use std::collections::HashMap;

use crate::domain::action::ActionKind;
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
    /// The rotation the lead falls in: its segment, or the fallback.
    pub rotation_key: String,
    /// Hand-offs already proposed in that rotation, when the dialog opened.
    pub turn: usize,
    /// How far the user moved away from the proposed owner.
    pub shift: usize,
}

/// Rotation key for leads in no listed segment.
const FALLBACK: &str = "(fallback)";

impl HandOff {
    pub fn new(lead: &Lead, ctx: &ViewCtx, turns: &HashMap<String, usize>) -> Self {
        let rotation = ctx.config.coverage.rotation(lead, ctx.store.owners());
        let rotation_key = if rotation.fallback {
            FALLBACK.to_string()
        } else {
            rotation.segment
        };
        Self {
            lead_id: lead.id.clone(),
            lead_name: lead.name.clone(),
            turn: turns.get(&rotation_key).copied().unwrap_or(0),
            rotation_key,
            shift: 0,
        }
    }
}

/// The owners the chooser cycles through: the lead's rotation first (the proposal is the
/// one whose turn it is), then every other sales owner.
pub(crate) fn choices<'a>(d: &HandOff, ctx: &ViewCtx<'a>) -> (Vec<&'a Owner>, usize) {
    let Some(lead) = ctx.store.lead(&d.lead_id) else {
        return (sales_rotation(ctx), 0);
    };
    let rotation = ctx.config.coverage.rotation(lead, ctx.store.owners());
    let in_rotation = rotation.owners.len();
    let mut all = rotation.owners;
    for o in sales_rotation(ctx) {
        if !all.iter().any(|x| x.id == o.id) {
            all.push(o);
        }
    }
    (all, in_rotation)
}

/// The sales owner the dialog proposes right now.
pub(crate) fn proposed<'a>(d: &HandOff, ctx: &ViewCtx<'a>) -> Option<&'a Owner> {
    let (all, in_rotation) = choices(d, ctx);
    if all.is_empty() {
        return None;
    }
    let base = d.turn % in_rotation.max(1);
    Some(all[(base + d.shift) % all.len()])
}

pub(crate) fn on_key(d: &mut HandOff, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
    let n = choices(d, ctx).0.len().max(1);
    match (key.code, plain_char(key)) {
        (_, Some('y' | 'Y')) => match proposed(d, ctx) {
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
    d: &HandOff,
) {
    let title = Line::styled(" Hand off to sales ", theme.bold());
    let inner = modal(frame, bounds, 72, 11, title, hint, theme);
    let lead = ctx.store.lead(&d.lead_id);
    let (all, in_rotation) = choices(d, ctx);
    let rotation = &all[..in_rotation];
    let pick = proposed(d, ctx);

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
    let segment = if d.rotation_key == FALLBACK {
        let seg = lead.map_or_else(String::new, |l| {
            ctx.config.coverage.segment_by.segment_of(l)
        });
        format!("{seg} (no segment) → fallback: ")
    } else {
        format!("{} → round-robin: ", d.rotation_key)
    };
    let mut coverage = vec![Span::raw(segment)];
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
