//! Spans several panes and dialogs show the same way: an SLA clock, an action's sync state,
//! an outbox line, a source's freshness badge.

use chrono::{DateTime, Duration, Utc};
use ratatui::style::Style;
use ratatui::text::Span;

use crate::domain::sla::SlaState;
use crate::sync::{ActionStatus, OutboxEntry, SourceHealth};

use super::format::{age, count};
use super::theme::Theme;
use crate::units::sla_due;

/// Data younger than this is only "a bit stale" (yellow) while its source fails.
const STALE_AFTER: Duration = Duration::minutes(2);

/// `⇑ overdue 5h20` (escalated), `✖ overdue 1h12`, `⚠ due in 0h40`, `⏳ due in 3h05` with
/// its style; the time is on the SLA's own clock (business or calendar).
pub fn sla_span(
    theme: Theme,
    state: SlaState,
    remaining: Duration,
    clock: crate::domain::sla::Clock,
) -> Span<'static> {
    let text = sla_due(state.is_breach(), remaining, clock);
    match state {
        SlaState::Escalated => Span::styled(
            format!("⇑ {text}"),
            theme
                .breached()
                .add_modifier(ratatui::style::Modifier::BOLD),
        ),
        SlaState::Breached => Span::styled(format!("✖ {text}"), theme.breached()),
        SlaState::Warning => Span::styled(format!("⚠ {text}"), theme.warning()),
        SlaState::Running => Span::raw(format!("⏳ {text}")),
    }
}

/// The newest outbox entry about a lead, if any.
pub fn entry_for_lead<'a>(outbox: &'a [OutboxEntry], lead_id: &str) -> Option<&'a OutboxEntry> {
    outbox.iter().rev().find(|e| e.action.lead_id == lead_id)
}

/// Whether an action on this lead is still waiting for the vendor.
pub fn has_pending(outbox: &[OutboxEntry], lead_id: &str) -> bool {
    outbox
        .iter()
        .any(|e| e.action.lead_id == lead_id && e.status.is_open())
}

/// `… pending`, `✓ done`, `✖ failed` for the lead's newest outbox entry.
pub fn sync_span(theme: Theme, outbox: &[OutboxEntry], lead_id: &str) -> Span<'static> {
    match entry_for_lead(outbox, lead_id).map(|e| &e.status) {
        Some(ActionStatus::Queued) => Span::styled("… queued", theme.warning()),
        Some(ActionStatus::Sending { .. }) => Span::styled("… sending", theme.warning()),
        Some(ActionStatus::Retrying { .. }) => Span::styled("… retrying", theme.warning()),
        Some(ActionStatus::Done) => Span::styled("✓ done", theme.good()),
        Some(ActionStatus::Failed { .. }) => Span::styled("✖ failed", theme.bad()),
        Some(ActionStatus::Conflict(_)) => Span::styled("⚠ conflict", theme.bad()),
        Some(ActionStatus::Cancelled) => Span::styled("cancelled", theme.dim()),
        None => Span::raw(""),
    }
}

fn progressive(entry: &OutboxEntry) -> &'static str {
    use crate::domain::action::ActionKind;
    match entry.action.kind {
        ActionKind::HandOff { .. } => "handing off",
        ActionKind::Recycle { .. } => "recycling",
        ActionKind::Feedback { .. } => "sending note on",
        ActionKind::Restore { .. } => "undoing the last action on",
        ActionKind::Accept { .. } => "accepting",
        ActionKind::Reject { .. } => "rejecting",
    }
}

/// `… handing off Jonas Weber`, `✓ handed off Jonas Weber`, `✖ recycle Jonas Weber failed: …`.
pub fn outbox_status(theme: Theme, entry: &OutboxEntry) -> (String, Style) {
    let a = &entry.action;
    match &entry.status {
        ActionStatus::Queued | ActionStatus::Sending { done: 0, .. } => (
            format!("… {} {}", progressive(entry), a.lead_name),
            theme.warning(),
        ),
        ActionStatus::Sending { done, total } => (
            format!(
                "… {} {} ({done}/{total} done)",
                progressive(entry),
                a.lead_name
            ),
            theme.warning(),
        ),
        ActionStatus::Retrying { done, total, error } => (
            format!(
                "… {} {} {done}/{total} done, retrying: {error}",
                a.verb(),
                a.lead_name
            ),
            theme.warning(),
        ),
        ActionStatus::Done => (
            format!("✓ {} {}", a.past_tense(), a.lead_name),
            theme.good(),
        ),
        ActionStatus::Failed { .. } => (
            format!("✖ {} — {}", a.lead_name, entry.status.describe(a.verb())),
            theme.bad(),
        ),
        ActionStatus::Conflict(_) => (
            format!(
                // Short enough for any footer: what changed is in the outbox view.
                "⚠ {} {} not sent: the lead changed · o to decide",
                a.verb(),
                a.lead_name
            ),
            theme.bad(),
        ),
        ActionStatus::Cancelled => (
            format!("{} {} cancelled", a.verb(), a.lead_name),
            theme.dim(),
        ),
    }
}

/// The badge text and style of one source, and the style its error takes in the footer.
/// One state at a time, worst first: token refused, rate-limited (until), failing (since),
/// loading (how far), slow, healthy; each with how old the shown data is.
pub fn source_badge(theme: Theme, h: &SourceHealth, now: DateTime<Utc>) -> (String, Style) {
    let (text, style) = badge_state(theme, h, now);
    match &h.trouble {
        // A request being retried right now: said at once, not after the retries run out.
        Some(what) if !h.unauthorised => (format!("{text} · {what}"), style.patch(theme.warning())),
        _ => (text, style),
    }
}

fn badge_state(theme: Theme, h: &SourceHealth, now: DateTime<Utc>) -> (String, Style) {
    let data_age = h.last_success.map(|t| now - t);
    if h.unauthorised {
        // Polling stopped until the token is fixed: no amount of waiting will help.
        return (
            format!("{} ✖ token refused · check token and scopes", h.name),
            theme.breached(),
        );
    }
    if let Some(until) = h.rate_limited_until.filter(|u| *u > now) {
        let at = super::format::moment(until, now);
        return (
            format!("{} ⏸ rate-limited until {at}{}", h.name, joined_parts(h)),
            theme.warning(),
        );
    }
    if !h.loaded && (h.loaded_leads > 0 || h.last_error.is_none()) {
        // A first load that fails part-way keeps its pages and resumes: say how far it got.
        let retrying = if h.last_error.is_some() {
            " · retrying"
        } else {
            ""
        };
        return (
            format!("{} ⟳ loading{}{retrying}", h.name, load_progress(h)),
            theme.warning(),
        );
    }
    if h.last_error.is_some() {
        let style = match data_age {
            Some(a) if a < STALE_AFTER => theme.warning(),
            _ => theme.breached(),
        };
        let since = h
            .failing_since
            .map(|t| format!(" since {}", super::format::moment(t, now)))
            .unwrap_or_default();
        let which = joined_parts(h);
        let text = match data_age {
            Some(a) => format!("{} ✖ failing{since} · data {} old{which}", h.name, age(a)),
            None => format!("{} ✖ failing{since} · no data{which}", h.name),
        };
        return (text, style);
    }
    let shown = data_age.map(|a| format!(" {}", age(a))).unwrap_or_default();
    if let Some(slow) = h.slow {
        let secs = slow.as_secs_f64();
        return (
            format!("{} ◔ slow ({secs:.1}s a request) ·{shown}", h.name),
            theme.warning(),
        );
    }
    // The daily allowance, and what the join left unmatched: worth a glance, not an alarm
    // until the allowance is nearly spent.
    let (mut extra, nearly_spent) = parts(h);
    let style = if nearly_spent {
        theme.warning()
    } else {
        theme.good()
    };
    if let Some(r) = &h.reconciled {
        // When the held records were last checked against the vendor's own counts.
        let at = super::format::moment(r.at, now);
        extra.push_str(&match r.repaired {
            0 => format!(" · reconciled {at}"),
            n => format!(" · reconciled {at}, {} repaired", count(n)),
        });
    }
    let conflicts = h.join_conflicts.len();
    if conflicts > 0 {
        let s = if conflicts == 1 { "" } else { "s" };
        extra.push_str(&format!(" · {} join conflict{s} (e)", count(conflicts)));
    }
    (format!("{} ✓{shown}{extra}", h.name), style)
}

/// Behind a joined source, which system is failing; nothing for a single one.
fn joined_parts(h: &SourceHealth) -> String {
    if h.parts.len() > 1 {
        parts(h).0
    } else {
        String::new()
    }
}

/// Each system's allowance (` · api 1 204/15 000`) and, behind a joined source, which one
/// is failing (` · Salesforce ✓ api 34/15 000 · Marketo ✖`); and whether any allowance is
/// nine-tenths spent.
fn parts(h: &SourceHealth) -> (String, bool) {
    let mut out = String::new();
    let mut nearly_spent = false;
    let joined = h.parts.len() > 1;
    for p in &h.parts {
        let mut bits = Vec::new();
        if joined {
            let mark = if p.failing.is_some() { "✖" } else { "✓" };
            bits.push(format!("{} {mark}", p.name));
        }
        if let Some((used, limit)) = p.quota.filter(|(_, l)| *l > 0) {
            bits.push(format!(
                "api {}/{}",
                count(used as usize),
                count(limit as usize)
            ));
            nearly_spent |= used * 10 >= limit * 9;
        }
        if !bits.is_empty() {
            out.push_str(" · ");
            out.push_str(&bits.join(" "));
        }
    }
    (out, nearly_spent)
}

/// ` 3,600 / 5,000`, ` 3,600` (total not known yet) or nothing.
fn load_progress(h: &SourceHealth) -> String {
    if let Some(total) = h.loading_total {
        format!(" {} / {}", count(h.loaded_leads), count(total))
    } else if h.loaded_leads > 0 {
        format!(" {}", count(h.loaded_leads))
    } else {
        String::new()
    }
}
