//! The replay as Markdown: the summary lines first, then week by week, then the leads.

use std::fmt::Write;

use super::{FiguresOut, Replay, WeekOut, flows};
use crate::report::markdown::{cell, kpi_n, kpi_value, line};

/// Leads listed before "… and N more" (the JSON lists every one).
const LEAD_ROWS: usize = 40;

fn signed(d: i64) -> String {
    if d == 0 {
        "·".into()
    } else {
        format!("{d:+}")
    }
}

fn count_row(out: &mut String, label: &str, a: usize, b: usize) {
    let _ = writeln!(
        out,
        "| {label} | {a} | {b} | {} |",
        signed(b as i64 - a as i64)
    );
}

fn week_title(w: &WeekOut) -> String {
    let to_date = w.until < w.end;
    format!(
        "Week of {}{}",
        w.start.format("%a %Y-%m-%d"),
        if to_date {
            format!(" (to date, {})", w.until.format("%a %H:%M UTC"))
        } else {
            String::new()
        }
    )
}

fn week_table(out: &mut String, w: &WeekOut) {
    let (a, b): (&FiguresOut, &FiguresOut) = (&w.current, &w.proposed);
    let _ = writeln!(out, "| figure | current | proposed | Δ |");
    let _ = writeln!(out, "|---|--:|--:|--:|");
    for (x, y) in a.stages.iter().zip(&b.stages) {
        count_row(
            out,
            &format!("in {} at the end", cell(&x.label)),
            x.count,
            y.count,
        );
    }
    if a.unmapped + b.unmapped > 0 {
        count_row(out, "unmapped at the end", a.unmapped, b.unmapped);
    }
    for ((name, x), (_, y)) in flows(&a.changes).iter().zip(flows(&b.changes)) {
        if *x + y > 0 {
            count_row(out, &name.replace('_', " "), *x, y);
        }
    }
    for y in &b.slas {
        let x = a.slas.iter().find(|s| s.sla == y.sla);
        let (xb, xw) = x.map_or((0, 0), |s| (s.breaches, s.warnings));
        count_row(out, &format!("{} breaches", y.sla), xb, y.breaches);
        count_row(out, &format!("{} warnings", y.sla), xw, y.warnings);
    }
    for x in a
        .slas
        .iter()
        .filter(|x| !b.slas.iter().any(|y| y.sla == x.sla))
    {
        count_row(out, &format!("{} breaches", x.sla), x.breaches, 0);
    }
    for y in &b.kpis {
        let Some(x) = a.kpis.iter().find(|k| k.id == y.id) else {
            continue;
        };
        let shown = |k: &crate::report::KpiOut| {
            let n = kpi_n(k);
            if n.is_empty() {
                kpi_value(k)
            } else {
                format!("{} ({n})", kpi_value(k))
            }
        };
        let d = match w.difference.kpis.get(y.id).copied().flatten() {
            Some(d) if d.abs() < 1e-9 => "·".to_string(),
            Some(d) if y.unit == "ratio" => format!("{:+.1} pt", d * 100.0),
            Some(d) if y.unit == "seconds" => {
                let s = crate::units::signed_hm(chrono::Duration::seconds(d as i64));
                if d > 0.0 { format!("+{s}") } else { s }
            }
            Some(d) => format!("{d:+.1}"),
            None => "—".into(),
        };
        let _ = writeln!(out, "| {} | {} | {} | {d} |", y.label, shown(x), shown(y));
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
    let moved: usize = r.restaged.iter().map(|s| s.count).sum();
    if moved > 0 {
        let parts: Vec<String> = r
            .restaged
            .iter()
            .map(|s| format!("{} → {} {}", s.from, s.to, s.count))
            .collect();
        let _ = writeln!(
            out,
            "- stage rules: {moved} leads would sit in another stage now ({})",
            parts.join(", ")
        );
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
        let _ = writeln!(out, "\n### {}\n", week_title(w));
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
