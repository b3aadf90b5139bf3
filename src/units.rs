//! How numbers read to people, the same in the cockpit and in reports.

use chrono::Duration;

use crate::domain::kpi::KpiValue;

/// Remaining or overdue time as the cockpit shows it: `2h10`, `0h40`, `-1h12`; from 100 hours
/// on in days: `13d02`. Minutes are truncated toward zero.
pub fn signed_hm(d: Duration) -> String {
    let secs = d.num_seconds();
    let mins = secs.unsigned_abs() / 60;
    let (h, m) = (mins / 60, mins % 60);
    let body = if h >= 100 {
        format!("{}d{:02}", h / 24, h % 24)
    } else {
        format!("{h}h{m:02}")
    };
    if secs < 0 { format!("-{body}") } else { body }
}

/// Business time in hours only (`137h09`): a business day is not 24 hours, so days are
/// never used for it; `d` always means calendar days.
pub fn business_hm(d: Duration) -> String {
    let mins = d.num_seconds().unsigned_abs() / 60;
    let body = format!("{}h{:02}", mins / 60, mins % 60);
    if d < Duration::zero() {
        format!("-{body}")
    } else {
        body
    }
}

/// An SLA clock in words, the same in the cockpit, the report and `check`: `overdue 137h09`
/// on a business clock (hours only), `overdue 44d18` on a calendar one, `due in 1h10` before.
/// `remaining` is measured on the SLA's own clock (negative once overdue); a breached clock
/// never reads as time left.
pub fn sla_due(breached: bool, remaining: Duration, clock: crate::domain::sla::Clock) -> String {
    let show = |d: Duration| match clock {
        crate::domain::sla::Clock::Business => business_hm(d),
        crate::domain::sla::Clock::Calendar => signed_hm(d),
    };
    if breached {
        let over = if remaining <= Duration::zero() {
            show(remaining.abs())
        } else {
            "0h00".to_string()
        };
        format!("overdue {over}")
    } else {
        format!("due in {}", show(remaining.max(Duration::zero())))
    }
}

/// `business` or `calendar`: which clock an SLA's time is counted on.
pub fn clock_name(clock: crate::domain::sla::Clock) -> &'static str {
    match clock {
        crate::domain::sla::Clock::Business => "business",
        crate::domain::sla::Clock::Calendar => "calendar",
    }
}

/// An SLA's limit as written in the config: `4h`, `24h`, `14d`, `1h30m`. Days only on a
/// calendar clock, where a day is a day; on a business clock `1d` would read as a workday.
pub fn limit(d: Duration, clock: crate::domain::sla::Clock) -> String {
    let secs = d.num_seconds();
    let calendar = clock == crate::domain::sla::Clock::Calendar;
    if calendar && secs > 0 && secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else if secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else if secs % 60 == 0 && secs > 3600 {
        format!("{}h{}m", secs / 3600, secs % 3600 / 60)
    } else if secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// How long ago, coarsely: `12s`, `4m`, `2h`, `3d`. Never negative.
pub fn age(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Money in a few columns: `$950`, `$12k`, `$1.9M`, `$2.3B`.
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    let body = if a >= 999_500_000.0 {
        format!("{:.1}B", a / 1e9)
    } else if a >= 999_500.0 {
        format!("{:.1}M", a / 1e6)
    } else if a >= 1_000.0 {
        format!("{:.0}k", a / 1e3)
    } else {
        format!("{a:.0}")
    };
    format!("{sign}${body}")
}

/// A count with a space every three digits: `1 204`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A share as a whole percentage, `—` when there is nothing to divide by.
pub fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => format!("{:.0}%", r * 100.0),
        _ => "—".into(),
    }
}

/// A KPI value as shown in the cockpit and in Markdown reports.
pub fn kpi_value(v: KpiValue) -> String {
    match v {
        KpiValue::Count(n) => count(usize::try_from(n).unwrap_or(usize::MAX)),
        KpiValue::Ratio(r) => percent(r),
        KpiValue::Money(m) => money(m),
        KpiValue::Duration(d) => d.map_or_else(|| "—".to_string(), signed_hm),
        KpiValue::Multiple(x) => x.map_or_else(|| "—".to_string(), |x| format!("{x:.1}×")),
        KpiValue::MoneyPerDay(x) => {
            x.map_or_else(|| "—".to_string(), |x| format!("{}/d", money(x)))
        }
    }
}
