//! Messaging feedback for marketing: which campaign, whether it works, what the buyer said.
//!
//! Focus model: the lead (when there is more than one to choose from), the campaign, the
//! verdict and the text; Tab/Shift-Tab cycle them, the text box has focus first.
//! In the text box every key types and ⏎ starts a new line; Ctrl-S asks "send?" (y/n).
//! On the campaign or verdict field ←/→ change the value, `y` sends and `n` cancels.
//! Esc cancels, asking first when text was typed. An empty note is refused with a message.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph};

use crate::domain::Lead;
use crate::domain::action::ActionKind;
use crate::domain::feedback::Verdict;
use crate::domain::snapshot::Snapshot;

use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::format::{truncate, width, wrap};
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::{field, modal};
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

const TEXT_MAX_CHARS: usize = 2000;
pub(crate) const EMPTY_REFUSAL: &str = "the note is empty: write what the buyer said first";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteField {
    Lead,
    Campaign,
    Verdict,
    Text,
}

impl NoteField {
    /// The next field; the lead field only when there is a lead to switch to.
    fn next(self, with_lead: bool) -> Self {
        match self {
            NoteField::Lead => NoteField::Campaign,
            NoteField::Campaign => NoteField::Verdict,
            NoteField::Verdict => NoteField::Text,
            NoteField::Text if with_lead => NoteField::Lead,
            NoteField::Text => NoteField::Campaign,
        }
    }

    fn prev(self, with_lead: bool) -> Self {
        match self {
            NoteField::Lead => NoteField::Text,
            NoteField::Campaign if with_lead => NoteField::Lead,
            NoteField::Campaign => NoteField::Text,
            NoteField::Verdict => NoteField::Campaign,
            NoteField::Text => NoteField::Verdict,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoteDraft {
    pub lead_id: String,
    pub lead_name: String,
    /// The leads the note can be written on, `(id, name)`: the one it opened on first. More
    /// than one when it opened from a campaign (`n` in the feedback pane): ←/→ switch.
    pub leads: Vec<(String, String)>,
    /// The lead's own campaigns first, then every campaign with feedback.
    pub campaigns: Vec<String>,
    pub campaign: usize,
    pub verdict: Verdict,
    pub text: String,
    pub focus: NoteField,
    /// Showing "send this note? y/n".
    pub confirming: bool,
    /// Showing "discard what you wrote? y/n" after Esc.
    pub discarding: bool,
}

/// Campaign choices for a lead: its last, first and most recent conversion, then the
/// campaigns already discussed, without duplicates or blanks.
pub(crate) fn campaign_choices(lead: &Lead, snapshot: &Snapshot) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let own = [
        &lead.last_campaign,
        &lead.first_campaign,
        &lead.recent_conversion,
    ];
    let seen = snapshot.feedback.iter().map(|f| f.campaign.as_str());
    for c in own.into_iter().flatten().map(|c| c.as_str()).chain(seen) {
        let c = c.trim();
        if !c.is_empty() && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

impl NoteDraft {
    pub fn new(lead: &Lead, campaigns: Vec<String>) -> Self {
        Self {
            lead_id: lead.id.to_string(),
            lead_name: lead.name().to_string(),
            leads: vec![(lead.id.to_string(), lead.name().to_string())],
            campaigns,
            campaign: 0,
            verdict: Verdict::Works,
            text: String::new(),
            focus: NoteField::Text,
            confirming: false,
            discarding: false,
        }
    }

    fn submit(&self) -> Outcome {
        let text = self.text.trim();
        if text.is_empty() {
            return Outcome::Say(EMPTY_REFUSAL.into());
        }
        let Some(campaign) = self.campaigns.get(self.campaign) else {
            return Outcome::Say("no campaign to give feedback on".into());
        };
        Outcome::Submit(ActionKind::Feedback {
            campaign: campaign.clone(),
            verdict: self.verdict,
            text: text.to_string(),
        })
    }

    /// Offer `others` too (after the lead it opened on, without repeats).
    pub fn add_leads(&mut self, others: impl IntoIterator<Item = (String, String)>) {
        for l in others {
            if !self.leads.iter().any(|(id, _)| *id == l.0) {
                self.leads.push(l);
            }
        }
    }

    fn switching(&self) -> bool {
        self.leads.len() > 1
    }

    fn change(&mut self, forward: bool) {
        match self.focus {
            NoteField::Lead if self.switching() => {
                let n = self.leads.len();
                let i = self
                    .leads
                    .iter()
                    .position(|(id, _)| *id == self.lead_id)
                    .unwrap_or(0);
                let next = if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                (self.lead_id, self.lead_name) = self.leads[next].clone();
            }
            NoteField::Campaign if !self.campaigns.is_empty() => {
                let n = self.campaigns.len();
                self.campaign = if forward {
                    (self.campaign + 1) % n
                } else {
                    (self.campaign + n - 1) % n
                };
            }
            NoteField::Verdict => {
                self.verdict = match self.verdict {
                    Verdict::Works => Verdict::DoesNotWork,
                    Verdict::DoesNotWork => Verdict::Works,
                };
            }
            _ => {}
        }
    }
}

impl Dialog for NoteDraft {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        on_key(self, key)
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        if self.discarding {
            vec![("y", "discard"), ("n", "keep editing")]
        } else if self.confirming {
            vec![("y", "send"), ("n", "keep editing"), ("Esc", "cancel")]
        } else if self.focus == NoteField::Text {
            vec![
                ("Ctrl-S", "review"),
                ("⏎", "new line"),
                ("Tab", "next field"),
                ("Esc", "cancel"),
            ]
        } else {
            vec![
                ("y", "send"),
                ("←→", "change"),
                ("Tab", "next field"),
                ("n", "cancel"),
            ]
        }
    }

    fn lead(&self) -> Option<(&str, &str)> {
        Some((&self.lead_id, &self.lead_name))
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let title = "Messaging feedback for marketing";
        let inner = modal(frame, bounds, (76, 15), title, &self.hints(ctx), theme);
        draw_body(frame, inner, theme, ctx, self);
    }
}

/// Cancelling: at once when nothing was typed, else ask (typed text is work).
fn cancel(d: &mut NoteDraft) -> Outcome {
    if d.text.trim().is_empty() {
        Outcome::Close
    } else {
        d.discarding = true;
        Outcome::Stay
    }
}

fn on_key(d: &mut NoteDraft, key: KeyEvent) -> Outcome {
    if d.discarding {
        match (key.code, plain_char(key)) {
            (_, Some('y' | 'Y')) => return Outcome::Close,
            (KeyCode::Esc, _) | (_, Some('n' | 'N')) => d.discarding = false,
            _ => {}
        }
        return Outcome::Stay;
    }
    if key.code == KeyCode::Esc {
        return cancel(d);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if d.confirming {
        match plain_char(key) {
            Some('y' | 'Y') => return d.submit(),
            Some('n' | 'N') => d.confirming = false,
            _ => {}
        }
        return Outcome::Stay;
    }
    if ctrl && matches!(key.code, KeyCode::Char('s' | 'S')) {
        if d.text.trim().is_empty() {
            return Outcome::Say(EMPTY_REFUSAL.into());
        }
        d.confirming = true;
        return Outcome::Stay;
    }
    let with_lead = d.switching();
    match key.code {
        KeyCode::Tab => d.focus = d.focus.next(with_lead),
        KeyCode::BackTab => d.focus = d.focus.prev(with_lead),
        _ if d.focus == NoteField::Text => match key.code {
            KeyCode::Enter => push(&mut d.text, '\n'),
            KeyCode::Backspace => {
                d.text.pop();
            }
            _ => {
                if let Some(c) = plain_char(key) {
                    push(&mut d.text, c);
                }
            }
        },
        KeyCode::Left => d.change(false),
        KeyCode::Right => d.change(true),
        KeyCode::Up => d.focus = d.focus.prev(with_lead),
        KeyCode::Down | KeyCode::Enter => d.focus = d.focus.next(with_lead),
        _ => match plain_char(key) {
            Some('y' | 'Y') => return d.submit(),
            Some('n' | 'N') => return cancel(d),
            Some('h') => d.change(false),
            Some('l' | ' ') => d.change(true),
            Some('k') => d.focus = d.focus.prev(with_lead),
            Some('j') => d.focus = d.focus.next(with_lead),
            _ => {}
        },
    }
    Outcome::Stay
}

fn push(text: &mut String, c: char) {
    if text.chars().count() < TEXT_MAX_CHARS {
        text.push(c);
    }
}

fn chooser<'a>(theme: Theme, value: &str, focused: bool, max: usize) -> Vec<Span<'a>> {
    let style = if focused {
        theme.selected()
    } else {
        theme.bold()
    };
    vec![
        Span::raw("◀ "),
        Span::styled(truncate(value, max), style),
        Span::raw(" ▶"),
    ]
}

fn draw_body(frame: &mut Frame, inner: Rect, theme: Theme, ctx: &ViewCtx, d: &NoteDraft) {
    // Below 10 rows the blank lines go, then the status line; the text box keeps 3 rows.
    let roomy = inner.height >= 10;
    let status_h = u16::from(inner.height >= 7);
    let [top, text_area, status] = Layout::vertical([
        Constraint::Length(if roomy { 5 } else { 3 }),
        Constraint::Min(3),
        Constraint::Length(status_h),
    ])
    .areas(inner);

    let max = usize::from(inner.width).saturating_sub(11 + 4 + 12);
    let mut lead = if d.switching() {
        let mut spans = chooser(theme, &d.lead_name, d.focus == NoteField::Lead, max);
        let i = d
            .leads
            .iter()
            .position(|(id, _)| *id == d.lead_id)
            .unwrap_or(0);
        spans.push(Span::styled(
            format!("  {} of {}", i + 1, d.leads.len()),
            theme.dim(),
        ));
        spans
    } else {
        vec![Span::styled(d.lead_name.clone(), theme.bold())]
    };
    if let Some(l) = ctx.store.lead(&d.lead_id) {
        lead.push(Span::raw(format!(" · {}", l.company)));
        // Whose lead it is, when it is not the user's own.
        if l.owner_id.is_some() && l.owner_id.as_deref() != ctx.me {
            let owner = l.owner_id.as_deref().and_then(|o| ctx.store.owner(o));
            lead.push(Span::styled(
                format!(" · {}'s", owner.map_or("someone else", |o| o.name.as_str())),
                theme.dim(),
            ));
        }
    }
    let campaign = d.campaigns.get(d.campaign).map_or("—", String::as_str);
    let mut campaign_spans = chooser(theme, campaign, d.focus == NoteField::Campaign, max);
    campaign_spans.push(Span::styled(
        format!("  {} of {}", d.campaign + 1, d.campaigns.len()),
        theme.dim(),
    ));
    let verdict_style = match d.verdict {
        Verdict::Works => theme.good(),
        Verdict::DoesNotWork => theme.bad(),
    };
    let mut verdict = chooser(theme, d.verdict.label(), d.focus == NoteField::Verdict, max);
    verdict[1].style = verdict[1].style.patch(verdict_style);
    let symbol = match d.verdict {
        Verdict::Works => "  + lands with buyers",
        Verdict::DoesNotWork => "  − falls flat",
    };
    verdict.push(Span::styled(symbol, theme.dim()));
    // The focused field is marked in text too, not only by colour or reverse video.
    let mark = |f: NoteField, label: &'static str| -> String {
        let marked = if d.focus == f && !d.confirming && !d.discarding {
            format!("▸ {label}")
        } else {
            format!("  {label}")
        };
        format!("{marked:<11}")
    };
    let mut lines = vec![
        field(theme, &mark(NoteField::Lead, "lead"), lead),
        field(
            theme,
            &mark(NoteField::Campaign, "campaign"),
            campaign_spans,
        ),
        field(theme, &mark(NoteField::Verdict, "verdict"), verdict),
    ];
    if roomy {
        lines.insert(0, Line::raw(""));
    }
    frame.render_widget(Paragraph::new(lines), top);

    let text_focused = d.focus == NoteField::Text && !d.confirming && !d.discarding;
    let block = Block::bordered()
        .title(Span::styled(
            if text_focused {
                " ▸ what did the buyer say? "
            } else {
                " what did the buyer say? "
            },
            theme.field(text_focused),
        ))
        .border_style(theme.border(text_focused))
        .border_type(theme.border_type(text_focused))
        .padding(Padding::horizontal(1));
    let box_inner = block.inner(text_area);
    frame.render_widget(block, text_area);
    let wrapped = wrap(&d.text, usize::from(box_inner.width).max(1));
    let h = usize::from(box_inner.height);
    let skip = wrapped.len().saturating_sub(h.max(1));
    let shown: Vec<Line> = wrapped
        .iter()
        .skip(skip)
        .map(|l| Line::raw(l.clone()))
        .collect();
    frame.render_widget(Paragraph::new(shown), box_inner);
    if text_focused && h > 0 {
        let last = wrapped.last().map_or(0, |l| width(l)) as u16;
        let row = (wrapped.len() - skip - 1) as u16;
        let (x, y) = (box_inner.x + last, box_inner.y + row);
        if x < box_inner.right() && y < box_inner.bottom() {
            frame.set_cursor_position(Position::new(x, y));
        }
    }

    let status_line = if d.discarding {
        Line::from(vec![
            Span::styled(
                " discard what you wrote? ",
                theme.warning().patch(theme.bold()),
            ),
            Span::styled("y", theme.key()),
            Span::raw(" discard · "),
            Span::styled("n", theme.key()),
            Span::raw(" keep editing"),
        ])
    } else if d.confirming {
        Line::from(vec![
            Span::styled(
                " send this to marketing? ",
                theme.warning().patch(theme.bold()),
            ),
            Span::styled("y", theme.key()),
            Span::raw(" send · "),
            Span::styled("n", theme.key()),
            Span::raw(" keep editing"),
        ])
    } else {
        Line::styled(
            format!(
                " {} characters · Ctrl-S to review and send",
                d.text.trim().chars().count()
            ),
            theme.dim(),
        )
    };
    frame.render_widget(Paragraph::new(status_line), status);
}
