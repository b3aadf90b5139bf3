//! Hand a lead to sales: shows the lead and the owner the coverage map proposes (round-robin
//! within the lead's segment), ←/→ picks another sales owner, `y` sends, `n`/Esc cancels.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::domain::action::ActionKind;
use crate::domain::handoff::{HandOffChoices, Turns};
use crate::domain::{Lead, Stage};
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::{LABEL_W, field, flow, modal, render_fitted};
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

#[derive(Debug, Clone, PartialEq)]
pub struct HandOff {
    pub lead_id: String,
    pub lead_name: String,
    /// Hand-offs already confirmed in the lead's rotation when the dialog opened.
    pub turn: usize,
    /// How far the user moved away from the proposed owner.
    pub shift: usize,
}

impl HandOff {
    pub fn new(lead: &Lead, ctx: &ViewCtx, turns: &Turns) -> Self {
        let choices = HandOffChoices::new(&ctx.config.coverage, lead, ctx.store.owners());
        Self {
            lead_id: lead.id.to_string(),
            lead_name: lead.name().to_string(),
            turn: turns.get(&choices.rotation_key),
            shift: 0,
        }
    }

    /// The owners to choose from, recomputed from the data the user sees now.
    fn choices<'a>(&self, ctx: &ViewCtx<'a>) -> Option<HandOffChoices<'a>> {
        let lead = ctx.store.lead(&self.lead_id)?;
        Some(HandOffChoices::new(
            &ctx.config.coverage,
            lead,
            ctx.store.owners(),
        ))
    }

    /// The sales owner the dialog proposes right now.
    pub fn proposed<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a crate::domain::Owner> {
        self.choices(ctx)?.proposed(self.turn, self.shift)
    }
}

impl Dialog for HandOff {
    fn rotation_turn(&self, ctx: &ViewCtx) -> Option<(String, usize)> {
        Some((self.choices(ctx)?.rotation_key, self.turn))
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Outcome {
        let n = self.choices(ctx).map_or(0, |c| c.owners.len()).max(1);
        match (key.code, plain_char(key)) {
            (_, Some('y' | 'Y')) => match self.proposed(ctx) {
                Some(owner) => Outcome::Submit(ActionKind::HandOff {
                    owner_id: owner.id.clone(),
                }),
                None => Outcome::Say("no sales owner in the CRM to hand off to".into()),
            },
            (KeyCode::Esc, _) | (_, Some('n' | 'N')) => Outcome::Close,
            (KeyCode::Left, _) | (_, Some('h')) => {
                self.shift = (self.shift % n + n - 1) % n;
                Outcome::Stay
            }
            (KeyCode::Right | KeyCode::Tab, _) | (_, Some('l')) => {
                self.shift = (self.shift + 1) % n;
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        vec![("y", "confirm"), ("n", "cancel"), ("←→", "owner")]
    }

    fn lead(&self) -> Option<(&str, &str)> {
        Some((&self.lead_id, &self.lead_name))
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let inner = modal(
            frame,
            bounds,
            (72, 12),
            "Hand off to sales",
            &self.hints(ctx),
            theme,
        );
        draw_body(frame, inner, theme, ctx, self);
    }
}

fn draw_body(frame: &mut Frame, inner: Rect, theme: Theme, ctx: &ViewCtx, d: &HandOff) {
    let lead = ctx.store.lead(&d.lead_id);
    let choices = d.choices(ctx);
    let rotation = choices.as_ref().map_or(&[][..], |c| c.rotation());
    let pick = d.proposed(ctx);

    let mut who = vec![Span::styled(d.lead_name.clone(), theme.bold())];
    let mut context = Vec::new();
    match lead {
        Some(lead) => {
            who.push(Span::raw(format!(" · {}", lead.company)));
            context.push(field(theme, "segment", vec![Span::raw(lead.segment())]));
            let from = lead.stage.map_or("unmapped", Stage::id);
            let mut stage = vec![Span::styled(
                from,
                theme.team(lead.stage.and_then(|s| ctx.config.stages.team(s))),
            )];
            if lead.stage != Some(Stage::Mql) {
                stage.push(Span::raw(" → "));
                stage.push(Span::styled(
                    "mql",
                    theme.team(ctx.config.stages.team(Stage::Mql)),
                ));
            }
            // A hand-off routes the MQL; only the rep's answer moves it on.
            stage.push(Span::styled(
                " · waits for the rep: a accepts, x rejects",
                theme.dim(),
            ));
            context.push(field(theme, "stage", stage));
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
    let segment = match &choices {
        Some(c) if c.is_fallback() => format!("{} (no segment) → fallback: ", c.segment),
        Some(c) => format!("{} → round-robin: ", c.rotation_key),
        None => String::new(),
    };
    let mut coverage = vec![Span::raw(segment)];
    coverage.extend(names);

    let who = field(theme, "lead", who);
    let full_len = 2 + 1 + context.len() + 2;
    let height = usize::from(inner.height);
    // The rotation wraps onto the rows left over, so every name can be read.
    let coverage_rows = if height >= full_len {
        height - full_len + 1
    } else {
        1
    };
    let value_w = usize::from(inner.width).saturating_sub(LABEL_W);
    let coverage: Vec<Line> = flow(coverage, value_w, coverage_rows)
        .into_iter()
        .enumerate()
        .map(|(i, line)| field(theme, if i == 0 { "coverage" } else { "" }, line.spans))
        .collect();
    let lines = if height >= full_len {
        let mut lines = vec![Line::raw(""), who];
        lines.extend(context);
        lines.extend([Line::raw(""), hand_to]);
        lines.extend(coverage);
        lines
    } else {
        // Short terminal: the decision first, the context after.
        let mut lines = vec![who, hand_to];
        lines.extend(coverage);
        lines.extend(context);
        lines
    };
    render_fitted(frame, inner, lines);
}
