//! The what-if view (`w`): the proposed definitions file (`--proposed`, or `proposed` in the
//! config) replayed over the last weeks beside the current one, as `tandem replay` prints
//! it: what changes, one line per SLA, each week's figures with their differences, and the
//! leads whose verdict changes with the reason. Replayed when opened (and on `r`), from the
//! data on screen, the whole pipeline whatever the lens.

use std::cell::RefCell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::text::clean;
use crate::report::replay::rows::{week_rows, week_title};
use crate::report::replay::{Replay, ReplayInput};
use crate::ui::ViewCtx;
use crate::ui::widgets::Hint;
use crate::ui::widgets::cursor::list_step;
use crate::ui::widgets::format::{fit, fit_right, truncate, wrap_words};
use crate::ui::widgets::input::plain_char;
use crate::ui::widgets::modal::modal;
use crate::ui::widgets::theme::Theme;

use super::{Dialog, Outcome};

/// Whole weeks replayed before the week in progress, as `tandem replay` by default.
const WEEKS: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Tab {
    #[default]
    Leads,
    Weeks,
}

#[derive(Debug, Default)]
pub struct WhatIf {
    tab: Tab,
    /// The selected lead, in the leads tab.
    lead: usize,
    /// The week shown, from the newest (0: the week in progress).
    back: usize,
    /// The first figure row shown, in the weeks tab.
    row: usize,
    /// The replay, made at the first draw after opening (or after `r`).
    replay: RefCell<Option<Replay>>,
}

impl WhatIf {
    fn replayed<'c>(&self, ctx: &ViewCtx<'c>) -> Option<std::cell::Ref<'_, Replay>> {
        let proposed = ctx.proposed?;
        if self.replay.borrow().is_none() && ctx.loaded() {
            let replay = Replay::build(&ReplayInput {
                current: ctx.full_config,
                proposed,
                store: ctx.everyone,
                weeks: WEEKS,
                now: ctx.now,
                simulated: ctx.simulated,
                history: None,
            });
            *self.replay.borrow_mut() = Some(replay);
        }
        std::cell::Ref::filter_map(self.replay.borrow(), Option::as_ref).ok()
    }

    fn counts(&self) -> (usize, usize) {
        self.replay
            .borrow()
            .as_ref()
            .map_or((0, 0), |r| (r.changed_leads.len(), r.weeks.len()))
    }
}

/// Properties the proposed rules read whose history no lead holds: their replay would be
/// guesswork, and the view says so.
fn missing_history(ctx: &ViewCtx) -> Vec<String> {
    let Some(proposed) = ctx.proposed else {
        return Vec::new();
    };
    let own = ctx.full_config.stages.properties();
    proposed
        .stages
        .properties()
        .into_iter()
        .filter(|p| !own.contains(p))
        .filter(|p| {
            !ctx.everyone
                .leads()
                .iter()
                .any(|l| l.history.props().iter().any(|c| c.prop.as_str() == p))
        })
        .collect()
}

impl Dialog for WhatIf {
    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Outcome {
        let (leads, weeks) = self.counts();
        match self.tab {
            Tab::Leads => {
                if let Some(pos) = list_step(key, self.lead, leads) {
                    self.lead = pos;
                    return Outcome::Stay;
                }
            }
            Tab::Weeks => {
                if let Some(pos) = list_step(key, self.row, 200) {
                    self.row = pos;
                    return Outcome::Stay;
                }
                match key.code {
                    KeyCode::Left => self.back = (self.back + 1).min(weeks.saturating_sub(1)),
                    KeyCode::Right => self.back = self.back.saturating_sub(1),
                    _ => {}
                }
            }
        }
        match (key.code, plain_char(key)) {
            (KeyCode::Esc, _) | (_, Some('w' | 'q')) => Outcome::Close,
            (KeyCode::Tab, _) => {
                self.tab = match self.tab {
                    Tab::Leads => Tab::Weeks,
                    Tab::Weeks => Tab::Leads,
                };
                Outcome::Stay
            }
            (_, Some('r')) => {
                *self.replay.borrow_mut() = None;
                Outcome::Say("replayed again from the data on screen".into())
            }
            _ => Outcome::Stay,
        }
    }

    fn hints(&self, _ctx: &ViewCtx) -> Vec<Hint> {
        match self.tab {
            Tab::Leads => vec![
                ("Esc", "close"),
                ("↑↓", "lead"),
                ("Tab", "weeks"),
                ("r", "replay again"),
            ],
            Tab::Weeks => vec![
                ("Esc", "close"),
                ("←→", "week"),
                ("↑↓", "scroll"),
                ("Tab", "leads"),
            ],
        }
    }

    fn draw(&self, frame: &mut Frame, bounds: Rect, theme: Theme, ctx: &ViewCtx) {
        let w = (u32::from(bounds.width) * 19 / 20).min(130) as u16;
        let h = bounds.height;
        let text_w = usize::from(w.saturating_sub(4));
        let mut lines = vec![Line::raw("")];
        let body = match (ctx.proposed, self.replayed(ctx)) {
            (None, _) => {
                lines.push(Line::raw(
                    " no proposed definitions file: start with --proposed FILE, or set \
                     proposed = \"FILE\" in the config",
                ));
                None
            }
            (Some(_), None) => {
                lines.push(Line::styled(
                    " loading: the replay waits for the first complete load",
                    theme.dim(),
                ));
                None
            }
            (Some(_), Some(r)) => Some(r),
        };
        if let Some(r) = body {
            self.head(&mut lines, &r, ctx, theme, text_w);
            let room = usize::from(h).saturating_sub(lines.len() + 3);
            match self.tab {
                Tab::Leads => self.leads(&mut lines, &r, theme, text_w, room),
                Tab::Weeks => self.week(&mut lines, &r, theme, text_w, room),
            }
        }
        let title = match ctx.proposed.and_then(|p| p.path.as_ref()) {
            Some(path) => format!("What-if: {}", clean(&path.display().to_string())),
            None => "What-if".to_string(),
        };
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(h);
        let inner = modal(frame, bounds, (w, height), &title, &self.hints(ctx), theme);
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

impl WhatIf {
    fn head(&self, lines: &mut Vec<Line>, r: &Replay, ctx: &ViewCtx, theme: Theme, w: usize) {
        lines.push(Line::styled(
            truncate(
                &format!(
                    " replayed as of {} · {} whole weeks and this one, each under both files",
                    r.generated_at.format("%a %H:%M UTC"),
                    r.weeks_replayed
                ),
                w,
            ),
            theme.dim(),
        ));
        lines.push(Line::styled(" WHAT CHANGES", theme.bold()));
        const SHOWN: usize = 4;
        for l in r.definitions_changed.iter().take(SHOWN) {
            lines.push(Line::raw(truncate(&format!("   {}", clean(l)), w)));
        }
        if r.definitions_changed.len() > SHOWN {
            lines.push(Line::styled(
                format!(
                    "   + {} more (tandem config diff lists them)",
                    r.definitions_changed.len() - SHOWN
                ),
                theme.dim(),
            ));
        }
        if r.definitions_changed.is_empty() {
            lines.push(Line::styled("   the two files mean the same", theme.dim()));
        }
        lines.push(Line::styled(" WHAT IT WOULD HAVE MEANT", theme.bold()));
        for s in &r.summary {
            let style = match s.difference {
                d if d > 0 => theme.bad(),
                d if d < 0 => theme.good(),
                _ => theme.dim(),
            };
            for (i, l) in wrap_words(&s.line, w.saturating_sub(5))
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { "   " } else { "     " };
                lines.push(Line::styled(format!("{lead}{l}"), style));
            }
        }
        if let Some(moved) = r.restaged_line() {
            lines.push(Line::raw(truncate(&format!("   {moved}"), w)));
        }
        for p in missing_history(ctx) {
            lines.push(Line::styled(
                truncate(
                    &format!(
                        "   ⚠ this source gave no history of {p}: its rule is replayed on \
                         today's values only (tandem replay reads it)"
                    ),
                    w,
                ),
                theme.warning(),
            ));
        }
        let tab = |t: Tab, label: String| {
            if self.tab == t {
                Span::styled(label, theme.selected())
            } else {
                Span::styled(label, theme.dim())
            }
        };
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::raw(" "),
            tab(
                Tab::Leads,
                format!(" leads whose verdict changes ({}) ", r.changed_leads.len()),
            ),
            Span::raw("  "),
            tab(Tab::Weeks, " week by week ".into()),
        ]));
    }

    fn leads(&self, lines: &mut Vec<Line>, r: &Replay, theme: Theme, w: usize, room: usize) {
        if r.changed_leads.is_empty() {
            lines.push(Line::styled("   none: every verdict stands", theme.dim()));
            return;
        }
        let sel = self.lead.min(r.changed_leads.len() - 1);
        let reason = r.changed_leads[sel].reasons.join("; ");
        let reason_lines = wrap_words(&clean(&reason), w.saturating_sub(5));
        let list_room = room.saturating_sub(reason_lines.len().min(6) + 1).max(3);
        let first = sel.saturating_sub(list_room.saturating_sub(1));
        for (i, c) in r
            .changed_leads
            .iter()
            .enumerate()
            .skip(first)
            .take(list_room)
        {
            let what: Vec<String> = c
                .stage_current
                .map(|a| format!("{a} → {}", c.stage_proposed.unwrap_or("—")))
                .into_iter()
                .chain(c.breaches.iter().map(|b| format!("{} {}", b.sla, b.change)))
                .collect();
            let text = format!(
                " {} {} {} {}",
                if i == sel { "▶" } else { " " },
                fit(&clean(&c.lead), 24),
                fit(&clean(&c.company), 26),
                what.join(", ")
            );
            let style = if i == sel {
                theme.selected()
            } else {
                ratatui::style::Style::default()
            };
            lines.push(Line::styled(truncate(&text, w), style));
        }
        lines.push(Line::raw(""));
        for l in reason_lines.into_iter().take(6) {
            lines.push(Line::styled(format!("   {l}"), theme.dim()));
        }
    }

    fn week(&self, lines: &mut Vec<Line>, r: &Replay, theme: Theme, w: usize, room: usize) {
        let Some(week) = r.weeks.iter().rev().nth(self.back) else {
            return;
        };
        lines.push(Line::styled(
            format!(" ◀ {} ▶", week_title(week)),
            theme.bold(),
        ));
        // Values as wide as the room allows (KPIs with their n are long), the label the rest.
        let val_w = (w.saturating_sub(3 + 20) * 2 / 5).clamp(10, 36);
        let delta_w = (val_w / 2).clamp(7, 10);
        let label_w = w.saturating_sub(3 + 2 * val_w + delta_w).clamp(14, 34);
        let row = |a: &str, b: &str, c: &str, d: &str| {
            format!(
                "   {}{}{}{}",
                fit(a, label_w),
                fit_right(b, val_w),
                fit_right(c, val_w),
                fit_right(d, delta_w)
            )
        };
        lines.push(Line::styled(
            truncate(&row("figure", "current", "proposed", "Δ"), w),
            theme.dim(),
        ));
        let rows = week_rows(week);
        let room = room.saturating_sub(2).max(1);
        let first = self.row.min(rows.len().saturating_sub(room));
        for f in rows.iter().skip(first).take(room) {
            let style = if f.delta == "·" {
                ratatui::style::Style::default()
            } else {
                theme.bold()
            };
            lines.push(Line::styled(
                truncate(&row(&clean(&f.label), &f.current, &f.proposed, &f.delta), w),
                style,
            ));
        }
    }
}
