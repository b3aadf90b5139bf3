//! The replay as Markdown: the summary lines first, then week by week, then the leads.

use std::fmt::Write;

use super::{Replay, WeekOut};
use crate::report::markdown::{cell, line};

/// Leads listed before "… and N more" (the JSON lists every one).
const LEAD_ROWS: usize = 40;

fn week_table(out: &mut String, w: &WeekOut) {
    let _ = writeln!(out, "| figure | current | proposed | Δ |");
    let _ = writeln!(out, "|---|--:|--:|--:|");
    for r in super::rows::week_rows(w) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&r.label),
            r.current,
            r.proposed,
            r.delta
        );
    }
}

pub fn to_markdown(r: &Replay) -> String {
    let mut out = String::new();
    let weeks = r.weeks.len();
    let _ = writeln!(
        out,
        "# Replay: the proposed definitions over {weeks} weeks ({} → {}){}",
        r.window_start.format("%Y-%m-%d"),
        r.generated_at.format("%Y-%m-%d %H:%M UTC"),
        if r.simulated {
            " — simulated data"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "\n{} whole weeks and the week in progress, each replayed twice from the leads' \
         timelines: under the current file and under the proposed one.",
        r.weeks_replayed
    );
    let _ = writeln!(out, "\n## What changes\n");
    if r.definitions_changed.is_empty() {
        let _ = writeln!(out, "- the two files mean the same");
    }
    for l in &r.definitions_changed {
        let _ = writeln!(out, "- {}", line(l));
    }
    let _ = writeln!(out, "\n## What it would have meant\n");
    for s in &r.summary {
        let _ = writeln!(out, "- {}", s.line);
    }
    if let Some(moved) = r.restaged_line() {
        let _ = writeln!(out, "- {moved}");
    }
    if let Some(h) = &r.history {
        let _ = writeln!(
            out,
            "- history: the proposed rules read {}, which the current ones do not: read \
             with the load, {} requests in all",
            h.properties.join(", "),
            h.requests
        );
    }
    let _ = writeln!(out, "\n## Week by week");
    for w in &r.weeks {
        let _ = writeln!(out, "\n### {}\n", super::rows::week_title(w));
        week_table(&mut out, w);
    }
    let _ = writeln!(
        out,
        "\n## Leads whose verdict changes ({})\n",
        r.changed_leads.len()
    );
    if r.changed_leads.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for c in r.changed_leads.iter().take(LEAD_ROWS) {
        let _ = writeln!(
            out,
            "- **{}** ({}, id {}): {}",
            line(&c.lead),
            line(&c.company),
            line(&c.lead_id),
            line(&c.reasons.join("; "))
        );
    }
    if r.changed_leads.len() > LEAD_ROWS {
        let _ = writeln!(
            out,
            "- … and {} more (`--format json` lists every one)",
            r.changed_leads.len() - LEAD_ROWS
        );
    }
    out
}
