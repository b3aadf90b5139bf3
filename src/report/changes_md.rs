//! The report's "since the last standup" section: per team, each figure with its leads.

use std::fmt::Write;

use super::Report;
use crate::domain::changes::Change;

/// Leads named per row before "+ N more".
const NAMED: usize = 5;

fn leads(r: &Report, c: &Change) -> String {
    let mut names: Vec<String> = c
        .lead_ids
        .iter()
        .take(NAMED)
        .map(|id| {
            let name = r.names.get(id).map_or(id.as_str(), String::as_str);
            super::markdown::cell(name)
        })
        .collect();
    if c.count > NAMED {
        names.push(format!("+ {} more", c.count - NAMED));
    }
    names.join(", ")
}

pub fn changes_markdown(r: &Report) -> String {
    let c = &r.changes;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### Since {} ({})\n\n| team | what changed | leads | who |\n|---|---|---:|---|",
        c.since.format("%a %Y-%m-%d %H:%M UTC"),
        crate::units::age(c.until - c.since),
    );
    let reasons = c
        .rejection_reasons
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rejected = if reasons.is_empty() {
        "rejected".to_string()
    } else {
        format!("rejected ({reasons})")
    };
    let rows: [(&str, &str, &Change); 10] = [
        ("marketing", "new MQLs", &c.new_mqls),
        ("marketing", "recycled to nurture", &c.recycles),
        ("sales", "handed off (owner assigned)", &c.handoffs),
        ("sales", "accepted (reached SAL)", &c.accepted),
        ("sales", &rejected, &c.rejected),
        ("sales", "won (deal closed)", &c.won),
        ("sales", "lost (deal closed)", &c.lost),
        ("shared", "new SLA breaches", &c.breaches_new),
        ("shared", "SLA breaches cleared", &c.breaches_cleared),
        ("shared", "escalated to a team lead", &c.escalations_new),
    ];
    for (team, what, change) in rows {
        let _ = writeln!(
            out,
            "| {team} | {what} | {} | {} |",
            change.count,
            leads(r, change)
        );
    }
    if c.from_stage_dates > 0 {
        let _ = writeln!(
            out,
            "\n{} of these leads had no history in the CRM: their changes are dated by stage \
             dates, which date only the latest entry into each stage.",
            c.from_stage_dates
        );
    }
    out
}
