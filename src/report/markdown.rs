//! The report as Markdown that pastes cleanly into chat, and the short text `check` prints.

use std::fmt::Write;

use chrono::{Datelike, Duration};

use super::{BreachOut, KpiOut, Report};
use crate::domain::sla::Clock;
use crate::units::{count, limit, money, percent, signed_hm, sla_due};

/// Rows shown per SLA before "… and N more", so every team's and SLA's breaches show.
const BREACH_ROWS: usize = 10;

/// Remote text on one line: any line break would end a table row or a check line early.
pub(super) fn line(s: &str) -> String {
    s.replace(
        [
            '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}',
        ],
        " ",
    )
}

/// Remote text as one table cell: on one line, with pipes escaped. Backslashes are escaped
/// too, or in `a\|b` the added escape would pair with the text's own and leave the pipe bare.
pub(super) fn cell(s: &str) -> String {
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

/// The value, or "n too small" when there are too few cases to read it.
pub(super) fn kpi_value(k: &KpiOut) -> String {
    if k.too_small && k.value.is_some() {
        "n too small".into()
    } else {
        value(k.unit, k.value)
    }
}

/// The target; for one that accrues, what is due by now first: `58 by now (60)`.
fn kpi_target(k: &KpiOut) -> String {
    match k.target_by_now {
        Some(by_now) => format!(
            "{} by now ({})",
            value(k.unit, Some(by_now)),
            value(k.unit, k.target)
        ),
        None => value(k.unit, k.target),
    }
}

/// What the figure rests on: `12/40` for a ratio, `n=7` for a median.
pub(super) fn kpi_n(k: &KpiOut) -> String {
    match (k.numerator, k.denominator, k.n) {
        (Some(num), Some(den), _) if k.unit == "multiple" => {
            format!("{}/{}", money(num), money(den))
        }
        (Some(num), Some(den), _) => {
            let mut s = format!("{num:.0}/{den:.0}");
            if let Some(p) = k.pending {
                s.push_str(&format!(", {p} pending"));
            }
            if let Some(e) = k.exited {
                s.push_str(&format!(", {e} exited"));
            }
            s
        }
        (_, _, Some(n)) => match k.pending {
            Some(p) => format!("n={n}, {p} pending"),
            None => format!("n={n}"),
        },
        _ => String::new(),
    }
}

/// The SLA's limit as the config writes it: `4h`, `14d`.
fn limit_text(b: &BreachOut) -> String {
    let clock = if b.clock == "calendar" {
        Clock::Calendar
    } else {
        Clock::Business
    };
    limit(Duration::seconds(b.limit_seconds), clock)
}

/// `overdue 54h58` / `due in 0h40`, as in the cockpit.
fn due(b: &BreachOut) -> String {
    let clock = if b.clock == "calendar" {
        Clock::Calendar
    } else {
        Clock::Business
    };
    sla_due(is_breach(b), Duration::seconds(-b.overdue_seconds), clock)
}

/// Breached, escalated or not.
fn is_breach(b: &BreachOut) -> bool {
    matches!(b.state, "breached" | "escalated")
}

/// `✖`, or `⇑` once the breach went up to the team's lead, `⚠` for a warning.
fn icon(b: &BreachOut) -> &'static str {
    match b.state {
        "escalated" => "⇑",
        "breached" => "✖",
        _ => "⚠",
    }
}

/// Who must act: the owner or queue, and the lead it went up to once escalated.
fn acts(b: &BreachOut, clean: impl Fn(&str) -> String) -> String {
    match &b.escalated_to {
        Some(to) => format!("{}, escalated to {}", clean(&b.acts), clean(to)),
        None => clean(&b.acts),
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
    if r.lens != "everyone" {
        out.push_str(&format!(
            "_lens: {} · flows and cohorts count events by the owner at each event; lists and \
             breaches are what is theirs to act on now; team-wide targets are not judged_\n",
            cell(&r.lens)
        ));
    }
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
    out.push_str(&super::changes_md::changes_markdown(r));
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

    out.push_str(
        "\n### KPIs\n\n| team | KPI | value | target | | n |\n|---|---|---:|---:|---|---:|\n",
    );
    for k in &r.kpis {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            k.team,
            k.label,
            kpi_value(k),
            kpi_target(k),
            mark(k),
            kpi_n(k)
        );
    }
    let _ = writeln!(
        out,
        "\nn: what a ratio divides (numerator/denominator) or how many values a median has; \
         below {} it is \"n too small\" and not judged. A cohort (the leads that entered a \
         stage in the period, each once) also gives its members still pending and those that \
         exited to nurture or disqualified: converted + exited + pending = the cohort.",
        r.min_sample
    );

    let breached = r.breaches.iter().filter(|b| is_breach(b)).count();
    let escalated = r.breaches.iter().filter(|b| b.state == "escalated").count();
    let warnings = r.breaches.len() - breached;
    let _ = writeln!(
        out,
        "\n### SLA breaches ({breached}{}) and warnings ({warnings})\n",
        if escalated > 0 {
            format!(", {escalated} escalated")
        } else {
            String::new()
        }
    );
    if r.breaches.is_empty() {
        out.push_str("Every promise is being kept.\n");
    } else {
        out.push_str(
            "By the team that must act, most urgent first (overdue as a share of the SLA's limit).\n",
        );
    }
    // The report lists breaches grouped already; a new group starts where the SLA changes.
    let mut rest = &r.breaches[..];
    while let Some(first) = rest.first() {
        let len = rest.iter().take_while(|b| b.sla == first.sla).count();
        let (group, tail) = rest.split_at(len);
        rest = tail;
        let breached = group.iter().filter(|b| is_breach(b)).count();
        let _ = writeln!(
            out,
            "\n#### {} · {} (`{}`, {} {} time) · {breached} breached, {} warnings\n",
            first.team,
            cell(&first.sla_label),
            first.sla,
            limit_text(first),
            first.clock,
            group.len() - breached
        );
        out.push_str("| | lead | to act | stage | |\n|---|---|---|---|---|\n");
        for b in group.iter().take(BREACH_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} ({}) | {} | {} | {} |",
                icon(b),
                cell(&b.lead),
                cell(&b.company),
                acts(b, cell),
                b.stage,
                due(b),
            );
        }
        if group.len() > BREACH_ROWS {
            let _ = writeln!(out, "\n… and {} more.", group.len() - BREACH_ROWS);
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
                "- {icon} {} · {} (`{}`): {:.0} {} so far, {:.0} expected by now (target {:.0})",
                p.team,
                line(&p.sla_label),
                p.sla,
                p.actual,
                p.kpi,
                p.expected.ceil(),
                p.target
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

/// One line per breached promise, for `tandem check`, most urgent first within each team.
pub fn to_check_text(r: &Report) -> String {
    let mut out = String::new();
    for b in r.breaches.iter().filter(|b| is_breach(b)) {
        let _ = writeln!(
            out,
            "{} {} ({}, {}): {} ({}) in {}, {} to act{}, {} {} time",
            icon(b),
            b.sla,
            line(&b.sla_label),
            b.team,
            line(&b.lead),
            line(&b.company),
            b.stage,
            line(&b.acts),
            b.escalated_to
                .as_deref()
                .map_or_else(String::new, |to| format!(", escalated to {}", line(to))),
            due(b),
            b.clock,
        );
    }
    for p in r.paces.iter().filter(|p| p.state == "breached") {
        let _ = writeln!(
            out,
            "✖ {} ({}, {}): {:.0} {} so far, {:.0} expected by now (target {:.0})",
            p.sla,
            line(&p.sla_label),
            p.team,
            p.actual,
            p.kpi,
            p.expected.ceil(),
            p.target
        );
    }
    out
}
