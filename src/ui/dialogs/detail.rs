//! Everything about one lead: fields, owner, the stage and its written definition, the SLA
//! that applies with its due time, the outbox status and the lead's recent notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::Note;
use crate::domain::feedback::NoteKind;
use crate::domain::sla::Clock;

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use crate::domain::handoff::{ActionChoice, offered};
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::Scroll;
use crate::ui::widgets::format::{age, wrap_words};
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::{LABEL_W, field, modal};
use crate::ui::widgets::spans::{entry_for_lead, outbox_status, sla_span};
use crate::ui::widgets::theme::Theme;
use crate::units::limit;

use super::{Dialog, Outcome, scroll_key};

const RECENT_NOTES: usize = 5;

/// One lead in full; `>`, `<` and `n` act on it from here.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub lead_id: String,
    scroll: Scroll,
}

impl Detail {
    pub fn new(lead_id: &str) -> Self {
        Self {
            lead_id: lead_id.to_string(),
            scroll: Scroll::default(),
        }
    }
}

impl Dialog for Detail {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        let open = |c| Outcome::Open(c, self.lead_id.clone());
        match plain_char(key) {
            Some('>') => open(ActionChoice::HandOff),
            Some('<') => open(ActionChoice::Recycle),
            Some('n') => open(ActionChoice::Note),
            // A rep reading an MQL answers it from here too.
            Some('a') => open(ActionChoice::Accept),
            Some('x') => open(ActionChoice::Reject),
            _ if key.code == KeyCode::Enter => Outcome::Close,
            _ => scroll_key(key, &mut self.scroll, &['q']),
        }
    }

    fn hints(&self, ctx: &ViewCtx) -> Vec<Hint> {
        let mut h = Vec::new();
        if let Some(lead) = ctx.store.lead(&self.lead_id) {
            if offered(ActionChoice::HandOff, lead.stage) {
                h.push((">", "hand off"));
            }
            if offered(ActionChoice::Recycle, lead.stage) {
                h.push(("<", "recycle"));
            }
            if offered(ActionChoice::Accept, lead.stage) {
                h.push(("a", "accept"));
                h.push(("x", "reject"));
            }
            h.push(("n", "note"));
        }
        h.extend([("↑↓", "scroll"), ("Esc", "close")]);
        h
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let w = (u32::from(bounds.width) * 9 / 10).min(100) as u16;
        let lines = lines(theme, ctx, &self.lead_id, usize::from(w.saturating_sub(2)));
        let h = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
        let inner = modal(
            frame,
            bounds,
            (w, h),
            "Lead detail",
            &self.hints(ctx),
            theme,
        );
        // Lines are wrapped already, so the scroll limit is exact.
        let top = self.scroll.top_for(lines.len(), usize::from(inner.height));
        let top = u16::try_from(top).unwrap_or(u16::MAX);
        frame.render_widget(Paragraph::new(lines).scroll((top, 0)), inner);
    }
}

/// A field whose value may run long: word-wrapped, continuation lines indented under it.
fn long_field<'a>(theme: Theme, label: &str, text: &str, style: Style, w: usize) -> Vec<Line<'a>> {
    wrap_words(text, w.saturating_sub(LABEL_W).max(8))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            field(
                theme,
                if i == 0 { label } else { "" },
                vec![Span::styled(part, style)],
            )
        })
        .collect()
}

/// `  4h ago  Sam Ortiz · feedback on "ROI" (works)` and the note text wrapped under it.
fn note_lines<'a>(theme: Theme, ctx: &ViewCtx, note: &Note, w: usize) -> Vec<Line<'a>> {
    let who = note
        .owner_id
        .as_deref()
        .and_then(|id| ctx.store.owner(id))
        .map_or_else(|| "someone".to_string(), |o| o.name.clone());
    let (kind, text) = match &note.kind {
        NoteKind::Feedback {
            campaign,
            verdict,
            text,
        } => (
            format!(" · feedback on \"{campaign}\" ({})", verdict.label()),
            text.as_str(),
        ),
        NoteKind::Recycle { reason, text } => (
            format!(
                " · recycled: {}",
                match reason.as_deref() {
                    // Show the agreed label; an unknown code (policy changed) as written.
                    Some(code) => ctx
                        .config
                        .recycle
                        .reason(code)
                        .map_or(code, |r| r.label.as_str()),
                    None => "no reason given",
                }
            ),
            text.as_str(),
        ),
        NoteKind::Reject { reason, text } => (
            format!(
                " · rejected the MQL: {}",
                match reason.as_deref() {
                    Some(code) => ctx
                        .config
                        .reject_reasons
                        .iter()
                        .find(|r| r.code == code)
                        .map_or(code, |r| r.label.as_str()),
                    None => "no reason given",
                }
            ),
            text.as_str(),
        ),
        NoteKind::Plain(text) => (String::new(), text.as_str()),
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!(" {:>4} ago  ", age(ctx.now - note.at)), theme.dim()),
        Span::styled(who, theme.bold()),
        Span::styled(kind, theme.dim()),
    ])];
    for part in wrap_words(text, w.saturating_sub(LABEL_W).max(8)) {
        if !part.is_empty() {
            out.push(Line::raw(format!("{}{part}", " ".repeat(LABEL_W))));
        }
    }
    out
}

/// The detail lines of a lead at `w` columns, or a short message if it left the data.
fn lines<'a>(theme: Theme, ctx: &ViewCtx, lead_id: &str, w: usize) -> Vec<Line<'a>> {
    let Some(lead) = ctx.store.lead(lead_id) else {
        return vec![
            Line::raw(""),
            Line::styled(" this lead is no longer in the data", theme.warning()),
        ];
    };
    let mut out = vec![Line::raw("")];
    let mut who = vec![Span::styled(lead.name().to_string(), theme.bold())];
    if !lead.title().is_empty() {
        who.push(Span::raw(format!(" — {}", lead.title())));
    }
    out.push(field(theme, "lead", who));
    out.push(field(
        theme,
        "company",
        vec![Span::raw(lead.company.as_str())],
    ));
    out.push(field(
        theme,
        "email",
        vec![Span::raw(lead.email().to_string())],
    ));
    out.push(field(
        theme,
        "segment",
        vec![Span::raw(format!(
            "{}  ({}, {} employees)",
            lead.segment(),
            lead.country,
            lead.company_size
        ))],
    ));
    let owner = lead.owner_id.as_deref().and_then(|id| ctx.store.owner(id));
    out.push(field(
        theme,
        "owner",
        match owner {
            Some(o) => vec![
                Span::styled(o.name.clone(), theme.team(o.team)),
                Span::styled(
                    o.team
                        .map_or(String::new(), |t| format!(" ({})", t.label())),
                    theme.dim(),
                ),
            ],
            None => vec![Span::styled("unassigned", theme.dim())],
        },
    ));
    // The open deals this lead is a contact on.
    let open =
        crate::domain::accounts::open_value_by_lead(ctx.store.deals(), ctx.store.deal_stages());
    out.push(field(
        theme,
        "deals",
        vec![match open.get(lead.id.as_str()) {
            Some(v) => Span::styled(format!("{} open", crate::units::money(*v)), theme.bold()),
            None => Span::styled("no open deal", theme.dim()),
        }],
    ));
    out.push(Line::raw(""));
    match lead.stage {
        Some(stage) => {
            let mut spans = vec![Span::styled(
                stage.id(),
                theme
                    .team(ctx.config.stages.team(stage))
                    .patch(theme.bold()),
            )];
            if let Some(team) = ctx.config.stages.team(stage) {
                spans.push(Span::raw(format!(" · {} to act", team.label())));
            }
            if let Some(t) = lead.entered_current_stage() {
                spans.push(Span::raw(format!(" · for {}", age(ctx.now - t))));
            }
            out.push(field(theme, "stage", spans));
            let loops = ctx.store.recycles_of(&lead.id);
            if loops > 0 {
                let policy = &ctx.config.recycle;
                let over = policy.over_cap(loops);
                let text = format!(
                    "{}recycled {loops} time(s); the agreed cap is {}",
                    if over { "⚠ " } else { "" },
                    policy.max_loops
                );
                let style = if over { theme.warning() } else { theme.dim() };
                out.push(field(theme, "recycles", vec![Span::styled(text, style)]));
            }
            let definition = &ctx.config.stages.info(stage).definition;
            out.extend(long_field(theme, "", definition, theme.dim(), w));
        }
        None => out.push(field(
            theme,
            "stage",
            vec![Span::styled(
                format!("unmapped (CRM: {})", rule_values(lead, ctx)),
                theme.warning(),
            )],
        )),
    }
    let timers: Vec<_> = ctx
        .snapshot
        .board
        .timers
        .iter()
        .filter(|t| t.lead_id == lead.id)
        .collect();
    if timers.is_empty() {
        out.push(field(
            theme,
            "SLA",
            vec![Span::styled("no clock running", theme.dim())],
        ));
    }
    for (i, t) in timers.into_iter().enumerate() {
        let Some(def) = ctx.config.slas.get(t.sla) else {
            continue;
        };
        let clock = match def.clock {
            Clock::Business => "business",
            Clock::Calendar => "calendar",
        };
        let label = if i == 0 { "SLA" } else { "" };
        let promise = format!(
            "{} ({}): {} within {} {clock} time",
            def.id,
            def.team.label(),
            def.label,
            limit(def.limit, def.clock)
        );
        out.extend(long_field(
            theme,
            label,
            &promise,
            theme.team(Some(def.team)),
            w,
        ));
        out.push(field(
            theme,
            "",
            vec![
                sla_span(
                    theme,
                    t.state(ctx.now),
                    t.remaining(def, &ctx.config.calendar, ctx.now),
                    def.clock,
                ),
                Span::raw(format!(
                    " {clock} time · due {}",
                    t.due_at.format("%a %d %b %H:%M UTC")
                )),
            ],
        ));
    }
    out.push(Line::raw(""));
    let channel = if lead.source_channel.is_empty() {
        "—"
    } else {
        lead.source_channel.as_str()
    };
    out.push(field(theme, "source", vec![Span::raw(channel.to_string())]));
    let campaigns: Vec<String> = [
        ("first", &lead.first_campaign),
        ("last", &lead.last_campaign),
    ]
    .into_iter()
    .filter_map(|(label, c)| c.as_ref().map(|c| format!("{label}: {c}")))
    .collect();
    if !campaigns.is_empty() {
        out.extend(long_field(
            theme,
            "campaigns",
            &campaigns.join(" · "),
            Style::new(),
            w,
        ));
    }
    if let Some(conv) = &lead.recent_conversion {
        out.extend(long_field(theme, "converted", conv, Style::new(), w));
    }
    if let Some(entry) = entry_for_lead(ctx.outbox, &lead.id) {
        let (text, style) = outbox_status(theme, entry);
        out.extend(long_field(theme, "outbox", &text, style, w));
    }

    out.push(Line::raw(""));
    let mut notes: Vec<&Note> = ctx
        .store
        .notes()
        .iter()
        .filter(|n| n.lead_ids.contains(&lead.id))
        .collect();
    notes.sort_by_key(|n| std::cmp::Reverse(n.at));
    let shown = notes.len().min(RECENT_NOTES);
    out.push(Line::styled(
        format!(" Recent notes ({shown} of {})", notes.len()),
        theme.bold(),
    ));
    if notes.is_empty() {
        out.push(Line::styled("   none yet", theme.dim()));
    }
    for note in notes.into_iter().take(RECENT_NOTES) {
        out.extend(note_lines(theme, ctx, note, w));
    }
    out
}

/// The values the stage rules read, as the vendor has them: `lifecyclestage=other ·
/// hs_lead_status=—`, so an unmapped lead says what no rule matched.
fn rule_values(lead: &crate::domain::Lead, ctx: &ViewCtx) -> String {
    ctx.config
        .stages
        .properties()
        .iter()
        .map(|p| {
            let v = lead
                .props
                .get(p)
                .map(|v| v.as_str())
                .filter(|v| !v.is_empty());
            format!("{p}={}", v.unwrap_or("—"))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
