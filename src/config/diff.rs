//! `tandem config diff`: every change of meaning between two definitions files, in plain
//! words ("mql_response: limit 4h → 2h (business)"), never a text diff. Both files are
//! parsed first, so a reordered table, a comment or a default written out changes nothing.

use std::collections::BTreeSet;
use std::fmt::Display;

use chrono::Duration;

use super::Config;
use crate::domain::catalog::{MatchRule, Threshold};
use crate::domain::kpi::PeriodKind;
use crate::domain::sla::{Clock, StopWhen};
use crate::domain::stage::{Stage, Team};
use crate::units;

/// Each change of meaning from `current` to `proposed`, one line each, grouped by section
/// in file order. Empty when the two mean the same.
pub fn diff(current: &Config, proposed: &Config) -> Vec<String> {
    let mut out = Vec::new();
    sources(current, proposed, &mut out);
    calendar(current, proposed, &mut out);
    stages(current, proposed, &mut out);
    slas(current, proposed, &mut out);
    paces(current, proposed, &mut out);
    targets(current, proposed, &mut out);
    recycle(current, proposed, &mut out);
    rest(current, proposed, &mut out);
    out
}

/// `what: a → b` when they differ.
fn changed<T: PartialEq + Display>(out: &mut Vec<String>, what: &str, a: T, b: T) {
    if a != b {
        out.push(format!("{what}: {a} → {b}"));
    }
}

fn team(t: Option<Team>) -> String {
    t.map_or_else(|| "nobody".into(), |t| t.label().to_lowercase())
}

fn stop(s: StopWhen) -> &'static str {
    match s {
        StopWhen::LeavesStage => "leaving the stage",
        StopWhen::SalesActivity => "a sales activity",
        StopWhen::MarketingTouch => "a marketing touch",
    }
}

fn share(r: f64) -> String {
    units::percent(Some(r))
}

/// A span as the file writes it, on a calendar clock (days are days).
fn span(d: Duration) -> String {
    units::limit(d, Clock::Calendar)
}

fn sources(a: &Config, b: &Config, out: &mut Vec<String>) {
    let show = |c: &Config| -> Vec<String> {
        c.sources
            .iter()
            .map(|s| format!("{} ({}, {})", s.name, s.kind.id(), s.base_url))
            .collect()
    };
    let (was, now) = (show(a), show(b));
    if was != now {
        let list = |v: &[String]| {
            if v.is_empty() {
                "the embedded simulator".to_string()
            } else {
                v.join(", ")
            }
        };
        out.push(format!("sources: {} → {}", list(&was), list(&now)));
    }
    for (x, y) in a.sources.iter().zip(&b.sources) {
        if x.name == y.name {
            let every = |p: Option<std::time::Duration>| {
                p.map_or("on refresh only".to_string(), |d| {
                    format!("every {}", span(Duration::seconds(d.as_secs() as i64)))
                })
            };
            changed(
                out,
                &format!("source {}: polls", x.name),
                every(x.poll_interval),
                every(y.poll_interval),
            );
        }
    }
}

fn calendar(a: &Config, b: &Config, out: &mut Vec<String>) {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let (x, y) = (&a.calendar, &b.calendar);
    let days = |d: &[bool; 7]| -> String {
        let on: Vec<&str> = DAYS
            .iter()
            .zip(d)
            .filter(|(_, on)| **on)
            .map(|(n, _)| *n)
            .collect();
        on.join(" ")
    };
    changed(out, "business days", days(&x.days), days(&y.days));
    let hours = |c: &crate::domain::business_hours::BusinessCalendar| {
        format!("{}–{}", c.start.format("%H:%M"), c.end.format("%H:%M"))
    };
    changed(out, "business hours", hours(x), hours(y));
    changed(out, "business time zone", x.tz.name(), y.tz.name());
    let (hx, hy): (BTreeSet<_>, BTreeSet<_>) =
        (x.holidays.iter().collect(), y.holidays.iter().collect());
    for d in hy.difference(&hx) {
        out.push(format!("holiday added: {d}"));
    }
    for d in hx.difference(&hy) {
        out.push(format!("holiday removed: {d}"));
    }
}

/// A rule's condition in words: `lifecyclestage is marketingqualifiedlead and
/// hs_lead_status is empty or NEW`.
fn condition(r: &MatchRule) -> String {
    let parts: Vec<String> = r
        .when
        .iter()
        .map(|(prop, values)| format!("{prop} {}", said(values)))
        .collect();
    let mut text = parts.join(" and ");
    if r.priority != 0 {
        text.push_str(&format!(" (priority {})", r.priority));
    }
    text
}

/// What a rule asks of one property: `≥ 60`, `is NEW`, `is empty or NEW`.
fn said(values: &[String]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|v| match Threshold::parse(v) {
            Some(t) => t.words(),
            None if v.is_empty() => "empty".to_string(),
            None => v.clone(),
        })
        .collect();
    let list = match shown.len() {
        0 => "nothing".into(),
        1 => shown[0].clone(),
        n => format!("{} or {}", shown[..n - 1].join(", "), shown[n - 1]),
    };
    match values {
        [one] if Threshold::parse(one).is_some() => list,
        _ => format!("is {list}"),
    }
}

fn stages(a: &Config, b: &Config, out: &mut Vec<String>) {
    for stage in Stage::ALL {
        let (x, y) = (a.stages.info(stage), b.stages.info(stage));
        let id = stage.id();
        changed(out, &format!("stage {id}: label"), &x.label, &y.label);
        changed(
            out,
            &format!("stage {id}: owned by"),
            team(x.team),
            team(y.team),
        );
        if x.definition != y.definition {
            out.push(format!(
                "stage {id}: definition now reads \"{}\"",
                y.definition
            ));
        }
        let vendors: BTreeSet<&str> = a
            .stages
            .rules()
            .iter()
            .chain(b.stages.rules())
            .map(|r| r.vendor.as_str())
            .collect();
        for vendor in vendors {
            let of = |c: &Config| -> Vec<MatchRule> {
                c.stages
                    .rules()
                    .iter()
                    .filter(|r| r.stage == stage && r.vendor == vendor)
                    .cloned()
                    .collect()
            };
            rules(&format!("stage {id} ({vendor})"), &of(a), &of(b), out);
        }
    }
}

/// Rules of one stage and vendor: a rule whose properties stay the same is a change of
/// values; others are added or removed.
fn rules(what: &str, was: &[MatchRule], now: &[MatchRule], out: &mut Vec<String>) {
    let props = |r: &MatchRule| -> Vec<String> { r.when.iter().map(|(p, _)| p.clone()).collect() };
    let mut unmatched: Vec<&MatchRule> = now.iter().collect();
    for old in was {
        if now.contains(old) {
            unmatched.retain(|n| *n != old);
            continue;
        }
        match unmatched.iter().position(|n| props(n) == props(old)) {
            Some(i) => {
                let new = unmatched.remove(i);
                for ((prop, before), (_, after)) in old.when.iter().zip(&new.when) {
                    if before != after {
                        out.push(format!("{what}: {prop} {} → {}", said(before), said(after)));
                    }
                }
                if old.priority != new.priority {
                    out.push(format!(
                        "{what}: priority {} → {} for {}",
                        old.priority,
                        new.priority,
                        condition(new)
                    ));
                }
            }
            None => match unmatched
                .iter()
                .position(|n| n.priority == old.priority && (within(old, n) || within(n, old)))
            {
                // The same rule with a condition more or fewer.
                Some(i) => {
                    let new = unmatched.remove(i);
                    for (prop, values) in new.when.iter().filter(|c| !old.when.contains(c)) {
                        out.push(format!("{what}: now also needs {prop} {}", said(values)));
                    }
                    for (prop, values) in old.when.iter().filter(|c| !new.when.contains(c)) {
                        out.push(format!("{what}: no longer needs {prop} {}", said(values)));
                    }
                }
                None => out.push(format!("{what}: rule removed: {}", condition(old))),
            },
        }
    }
    for new in unmatched {
        if !was.contains(new) {
            out.push(format!("{what}: rule added: {}", condition(new)));
        }
    }
}

/// Whether every condition of `a` is one of `b`'s.
fn within(a: &MatchRule, b: &MatchRule) -> bool {
    a.when.iter().all(|c| b.when.contains(c))
}

fn slas(a: &Config, b: &Config, out: &mut Vec<String>) {
    for x in &a.slas {
        let Some(y) = b.slas.iter().find(|s| s.id == x.id) else {
            out.push(format!("{}: removed", x.id));
            continue;
        };
        let id = &x.id;
        if (x.limit, x.clock) != (y.limit, y.clock) {
            let clock = |c| units::clock_name(c);
            let same_clock = x.clock == y.clock;
            out.push(if same_clock {
                format!(
                    "{id}: limit {} → {} ({})",
                    units::limit(x.limit, x.clock),
                    units::limit(y.limit, y.clock),
                    clock(x.clock)
                )
            } else {
                format!(
                    "{id}: limit {} ({}) → {} ({})",
                    units::limit(x.limit, x.clock),
                    clock(x.clock),
                    units::limit(y.limit, y.clock),
                    clock(y.clock)
                )
            });
        }
        changed(
            out,
            &format!("{id}: watches stage"),
            x.stage.id(),
            y.stage.id(),
        );
        changed(
            out,
            &format!("{id}: team"),
            team(Some(x.team)),
            team(Some(y.team)),
        );
        changed(
            out,
            &format!("{id}: warns at"),
            share(x.warn_at),
            share(y.warn_at),
        );
        changed(out, &format!("{id}: met by"), stop(x.stop), stop(y.stop));
        changed(
            out,
            &format!("{id}: unowned breaches go to"),
            &x.queue,
            &y.queue,
        );
        changed(out, &format!("{id}: label"), &x.label, &y.label);
        let escalates = |after: Option<Duration>, clock| {
            after.map_or("never".to_string(), |d| {
                format!("{} after the breach", units::limit(d, clock))
            })
        };
        changed(
            out,
            &format!("{id}: escalates"),
            escalates(x.escalate_after, x.clock),
            escalates(y.escalate_after, y.clock),
        );
    }
    for y in b
        .slas
        .iter()
        .filter(|y| a.slas.iter().all(|x| x.id != y.id))
    {
        out.push(format!(
            "{}: new — a lead in {} must see {} within {} ({}), {}'s promise",
            y.id,
            y.stage.id(),
            stop(y.stop),
            units::limit(y.limit, y.clock),
            units::clock_name(y.clock),
            team(Some(y.team))
        ));
    }
}

fn paces(a: &Config, b: &Config, out: &mut Vec<String>) {
    for x in &a.paces {
        match b.paces.iter().find(|p| p.id == x.id) {
            Some(y) => {
                changed(out, &format!("{}: watches", x.id), &x.kpi, &y.kpi);
                changed(
                    out,
                    &format!("{}: warns below", x.id),
                    share(x.warn_at),
                    share(y.warn_at),
                );
                changed(
                    out,
                    &format!("{}: team", x.id),
                    team(Some(x.team)),
                    team(Some(y.team)),
                );
            }
            None => out.push(format!("{}: removed", x.id)),
        }
    }
    for y in b
        .paces
        .iter()
        .filter(|y| a.paces.iter().all(|x| x.id != y.id))
    {
        out.push(format!(
            "{}: new — {} on pace for the period target",
            y.id, y.kpi
        ));
    }
}

fn targets(a: &Config, b: &Config, out: &mut Vec<String>) {
    changed(
        out,
        "targets: smallest sample judged",
        a.targets.min_sample,
        b.targets.min_sample,
    );
    for kind in PeriodKind::ALL {
        let empty = Default::default();
        let x = a.targets.by_period.get(&kind).unwrap_or(&empty);
        let y = b.targets.by_period.get(&kind).unwrap_or(&empty);
        let kpis: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for kpi in kpis {
            let what = format!("{} target {kpi}", kind.id());
            match (x.get(kpi), y.get(kpi)) {
                (Some(v), Some(w)) if v != w => out.push(format!(
                    "{what}: {} → {}",
                    units::kpi_value(*v),
                    units::kpi_value(*w)
                )),
                (Some(v), None) => out.push(format!("{what}: {} → none", units::kpi_value(*v))),
                (None, Some(w)) => out.push(format!("{what}: none → {}", units::kpi_value(*w))),
                _ => {}
            }
        }
    }
}

fn recycle(a: &Config, b: &Config, out: &mut Vec<String>) {
    let (x, y) = (&a.recycle, &b.recycle);
    changed(
        out,
        "recycle: flagged after loops",
        x.max_loops,
        y.max_loops,
    );
    let owner = |o: &Option<String>| o.clone().unwrap_or_else(|| "the same owner".into());
    changed(
        out,
        "recycle: passes to",
        owner(&x.nurture_owner),
        owner(&y.nurture_owner),
    );
    let prop = |p: &Option<String>| p.clone().unwrap_or_else(|| "nothing".into());
    changed(
        out,
        "recycle: revisit date written to",
        prop(&x.revisit_property),
        prop(&y.revisit_property),
    );
    for r in &x.reasons {
        match y.reason(&r.code) {
            Some(s) => {
                let what = format!("recycle reason {}", r.code);
                changed(out, &format!("{what}: label"), &r.label, &s.label);
                let track = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".into());
                changed(
                    out,
                    &format!("{what}: track"),
                    track(&r.track),
                    track(&s.track),
                );
                let after = |d: Option<Duration>| d.map_or("never".to_string(), span);
                changed(
                    out,
                    &format!("{what}: revisit after"),
                    after(r.revisit_after),
                    after(s.revisit_after),
                );
            }
            None => out.push(format!("recycle reason {}: removed", r.code)),
        }
    }
    for s in y.reasons.iter().filter(|s| x.reason(&s.code).is_none()) {
        out.push(format!("recycle reason {}: new — {}", s.code, s.label));
    }
}

fn rest(a: &Config, b: &Config, out: &mut Vec<String>) {
    changed(
        out,
        "attribution model",
        a.attribution.model.label(),
        b.attribution.model.label(),
    );
    changed(
        out,
        "attribution half-life",
        span(a.attribution.half_life),
        span(b.attribution.half_life),
    );
    changed(out, "undo window", span(a.undo_window), span(b.undo_window));
    changed(
        out,
        "standup at",
        a.standup_at.format("%H:%M").to_string(),
        b.standup_at.format("%H:%M").to_string(),
    );
    for r in &a.reject_reasons {
        let then = |recycle: bool| if recycle { "recycles" } else { "disqualifies" };
        match b.reject_reasons.iter().find(|s| s.code == r.code) {
            Some(s) => {
                changed(
                    out,
                    &format!("reject reason {}: label", r.code),
                    &r.label,
                    &s.label,
                );
                changed(
                    out,
                    &format!("reject reason {}", r.code),
                    then(r.recycle),
                    then(s.recycle),
                );
            }
            None => out.push(format!("reject reason {}: removed", r.code)),
        }
    }
    for s in b
        .reject_reasons
        .iter()
        .filter(|s| a.reject_reasons.iter().all(|r| r.code != s.code))
    {
        out.push(format!("reject reason {}: new — {}", s.code, s.label));
    }
    for t in [Team::Sales, Team::Marketing] {
        let lead = |c: &Config| c.team_lead(t).unwrap_or("nobody").to_string();
        changed(
            out,
            &format!("{} lead (escalations go to)", t.label()),
            lead(a),
            lead(b),
        );
    }
    if a.coverage != b.coverage {
        out.push("coverage: the segments or their owners change".into());
    }
    if a.top_accounts != b.top_accounts {
        out.push("top-accounts lens: the accounts it keeps change".into());
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
