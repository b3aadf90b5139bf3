//! The report as Markdown that pastes cleanly into chat, and the short text `check` prints.

use std::fmt::Write;

use chrono::{Datelike, Duration};

use super::{KpiOut, Report};
use crate::units::{count, money, percent, signed_hm};

/// Breach rows shown before "… and N more".
const BREACH_ROWS: usize = 25;

/// Remote text on one line: any line break would end a table row or a check line early.
fn line(s: &str) -> String {
    s.replace(
        [
            '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}',
        ],
        " ",
    )
}

/// Remote text as one table cell: on one line, with pipes escaped. Backslashes are escaped
/// too, or in `a\|b` the added escape would pair with the text's own and leave the pipe bare.
fn cell(s: &str) -> String {
    line(s).replace('\\', "\\\\").replace('|', "\\|")
}

fn value(unit: &str, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    match unit {
        "count" => count(v.max(0.0) as usize),
        "ratio" => percent(Some(v)),
        "money" => money(v),
        "seconds" => signed_hm(Duration::seconds(v as i64)),
        "multiple" => format!("{v:.1}×"),
        "money_per_day" => format!("{}/d", money(v)),
        _ => format!("{v}"),
    }
}

fn mark(k: &KpiOut) -> &'static str {
    match k.on_target {
        Some(true) => "▲ ok",
        Some(false) => "▼ off",
        None => "",
    }
}

pub fn to_markdown(r: &Report) -> String {
    let mut out = String::new();
    let when = match r.period.kind {
        "week" => r.period.start.format("%G-W%V").to_string(),
        "month" => r.period.start.format("%Y-%m").to_string(),
        _ => format!(
            "{}-Q{}",
            r.period.start.format("%Y"),
            r.period.start.month0() / 3 + 1
        ),
    };
    let _ = writeln!(
        out,
        "## tandem standup · this {} ({} → {}) · as of {}",
        r.period.kind,
        r.period.start.format("%Y-%m-%d"),
        r.period.end.format("%Y-%m-%d"),
        r.generated_at.format("%a %Y-%m-%d %H:%M UTC"),
    );
    if let Some(at) = r.cached_at {
        out.push_str(&format!(
            "_offline: cached data, last complete load {} ({} before this report)_\n",
            at.format("%a %Y-%m-%d %H:%M UTC"),
            crate::units::age(r.generated_at - at)
        ));
    }
    if r.simulated {
        out.push_str("_simulated data_\n");
    }
    let _ = writeln!(
        out,
        "\n### Pipeline ({when})\n\n| stage | owner | leads |\n|---|---|---:|"
    );
    for s in &r.stages {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&s.label),
            s.team.unwrap_or("—"),
            count(s.count)
        );
    }
    if r.unmapped > 0 {
        let _ = writeln!(out, "\n{} leads match no stage rule.", count(r.unmapped));
    }

    out.push_str("\n### KPIs\n\n| team | KPI | value | target | |\n|---|---|---:|---:|---|\n");
    for k in &r.kpis {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            k.team,
            k.label,
            value(k.unit, k.value),
            value(k.unit, k.target),
            mark(k)
        );
    }

    let breached = r.breaches.iter().filter(|b| b.state == "breached").count();
    let warnings = r.breaches.len() - breached;
    let _ = writeln!(
        out,
        "\n### SLA breaches ({breached}) and warnings ({warnings})\n"
    );
    if r.breaches.is_empty() {
        out.push_str("Every promise is being kept.\n");
    } else {
        out.push_str("| | SLA | lead | owner | stage | overdue |\n|---|---|---|---|---|---:|\n");
        for b in r.breaches.iter().take(BREACH_ROWS) {
            let icon = if b.state == "breached" { "✖" } else { "⚠" };
            let _ = writeln!(
                out,
                "| {icon} | {} | {} ({}) | {} | {} | {} |",
                b.sla,
                cell(&b.lead),
                cell(&b.company),
                cell(b.owner.as_deref().unwrap_or("—")),
                b.stage,
                signed_hm(Duration::seconds(b.overdue_seconds)),
            );
        }
        if r.breaches.len() > BREACH_ROWS {
            let _ = writeln!(out, "\n… and {} more.", r.breaches.len() - BREACH_ROWS);
        }
    }
    if !r.paces.is_empty() {
        out.push_str("\n### Pace\n\n");
        for p in &r.paces {
            let icon = match p.state {
                "breached" => "✖",
                "warning" => "⚠",
                _ => "✓",
            };
            let _ = writeln!(
                out,
                "- {icon} {}: {:.0} {} so far, {:.0} expected by now (target {:.0})",
                p.sla, p.actual, p.kpi, p.expected, p.target
            );
        }
    }
    out.push_str("\n### Messaging feedback from sales\n\n");
    if r.feedback.is_empty() {
        out.push_str("No feedback yet.\n");
    } else {
        out.push_str("| campaign / message | works | doesn't |\n|---|---:|---:|\n");
        for f in &r.feedback {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&f.campaign),
                f.works,
                f.does_not_work
            );
        }
    }
    out
}

/// One line per breached promise, for `tandem check`.
pub fn to_check_text(r: &Report) -> String {
    let mut out = String::new();
    for b in r.breaches.iter().filter(|b| b.state == "breached") {
        let _ = writeln!(
            out,
            "✖ {} {} ({}) owner {} stage {}: {} overdue",
            b.sla,
            line(&b.lead),
            line(&b.company),
            line(b.owner.as_deref().unwrap_or("—")),
            b.stage,
            signed_hm(Duration::seconds(b.overdue_seconds)),
        );
    }
    for p in r.paces.iter().filter(|p| p.state == "breached") {
        let _ = writeln!(
            out,
            "✖ {}: {:.0} {} so far, {:.0} expected by now",
            p.sla, p.actual, p.kpi, p.expected
        );
    }
    out
}
