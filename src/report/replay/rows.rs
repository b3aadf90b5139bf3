//! A replayed week as rows of figures (current, proposed, difference): the Markdown table
//! and the cockpit's what-if view show the same rows.

use super::{FiguresOut, WeekOut, flows};
use crate::report::KpiOut;
use crate::report::markdown::{kpi_n, kpi_value};

/// One figure of a week under both files.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRow {
    pub label: String,
    pub current: String,
    pub proposed: String,
    /// Proposed minus current, `·` when equal, `—` when either has no value.
    pub delta: String,
}

fn signed(d: i64) -> String {
    if d == 0 {
        "·".into()
    } else {
        format!("{d:+}")
    }
}

fn count_row(label: String, a: usize, b: usize) -> FigureRow {
    FigureRow {
        label,
        current: a.to_string(),
        proposed: b.to_string(),
        delta: signed(b as i64 - a as i64),
    }
}

/// `Week of Mon 2026-11-16`, and for the week in progress how far it goes.
pub fn week_title(w: &WeekOut) -> String {
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

fn kpi_shown(k: &KpiOut) -> String {
    let n = kpi_n(k);
    if n.is_empty() {
        kpi_value(k)
    } else {
        format!("{} ({n})", kpi_value(k))
    }
}

/// Stage counts at the week's end, the standup flows, each SLA's breaches and warnings, and
/// every KPI with what it rests on. Flows no side had are left out.
pub fn week_rows(w: &WeekOut) -> Vec<FigureRow> {
    let (a, b): (&FiguresOut, &FiguresOut) = (&w.current, &w.proposed);
    let mut rows = Vec::new();
    for (x, y) in a.stages.iter().zip(&b.stages) {
        rows.push(count_row(
            format!("in {} at the end", x.label),
            x.count,
            y.count,
        ));
    }
    if a.unmapped + b.unmapped > 0 {
        rows.push(count_row(
            "unmapped at the end".into(),
            a.unmapped,
            b.unmapped,
        ));
    }
    for ((name, x), (_, y)) in flows(&a.changes).iter().zip(flows(&b.changes)) {
        if *x + y > 0 {
            rows.push(count_row(name.replace('_', " "), *x, y));
        }
    }
    for y in &b.slas {
        let x = a.slas.iter().find(|s| s.sla == y.sla);
        let (xb, xw) = x.map_or((0, 0), |s| (s.breaches, s.warnings));
        rows.push(count_row(format!("{} breaches", y.sla), xb, y.breaches));
        rows.push(count_row(format!("{} warnings", y.sla), xw, y.warnings));
    }
    for x in a
        .slas
        .iter()
        .filter(|x| !b.slas.iter().any(|y| y.sla == x.sla))
    {
        rows.push(count_row(format!("{} breaches", x.sla), x.breaches, 0));
    }
    for y in &b.kpis {
        let Some(x) = a.kpis.iter().find(|k| k.id == y.id) else {
            continue;
        };
        let delta = match w.difference.kpis.get(y.id).copied().flatten() {
            Some(d) if d.abs() < 1e-9 => "·".to_string(),
            Some(d) if y.unit == "ratio" => format!("{:+.1} pt", d * 100.0),
            Some(d) if y.unit == "seconds" => {
                let s = crate::units::signed_hm(chrono::Duration::seconds(d as i64));
                if d > 0.0 { format!("+{s}") } else { s }
            }
            Some(d) => format!("{d:+.1}"),
            None => "—".into(),
        };
        rows.push(FigureRow {
            label: y.label.to_string(),
            current: kpi_shown(x),
            proposed: kpi_shown(y),
            delta,
        });
    }
    rows
}
