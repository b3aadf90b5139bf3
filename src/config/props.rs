//! Property tests: no input makes the config parser panic, and whatever it accepts the
//! engine can compute with. The case count comes from `PROPTEST_CASES` (256 when unset);
//! `scripts/fuzz` runs these with many more.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::values::MAX_DURATION_DAYS;
use super::{Config, EXAMPLE};
use crate::domain::attribution::{Milestones, Model, Touch, weights};
use crate::domain::kpi::KpiValue;

/// Indices of the example's lines that set a value (`key = value`, not commented out).
fn value_lines() -> Vec<usize> {
    EXAMPLE
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#') && l.contains(" = "))
        .map(|(i, _)| i)
        .collect()
}

/// The example with the value on line `at` replaced by `value`.
fn with_value(at: usize, value: &str) -> String {
    let mut lines: Vec<String> = EXAMPLE.lines().map(str::to_string).collect();
    let key = lines[at]
        .split(" = ")
        .next()
        .unwrap_or_default()
        .to_string();
    lines[at] = format!("{key} = {value}");
    lines.join("\n")
}

/// `s` as a TOML basic string, so arbitrary text reaches the value parsers.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_float(f: f64) -> String {
    match f {
        f if f.is_nan() => "nan".into(),
        f if f == f64::INFINITY => "inf".into(),
        f if f == f64::NEG_INFINITY => "-inf".into(),
        f => format!("{f:?}"),
    }
}

/// A replacement value: any string, any number, something duration-like, or raw junk.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| toml_string(&s)),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(toml_float),
        (-2.0..200.0f64).prop_map(toml_float),
        "[0-9]{1,20}[smhdwx]([0-9]{0,20}[smhdw])?".prop_map(|s| toml_string(&s)),
        "[-0-9a-z.\"\\[\\]{} ]{0,16}",
    ]
}

/// Text that looks enough like TOML to reach past the first line now and then.
fn toml_ish_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "([\\[\\]a-z_.]{0,12}( = )?[-0-9a-z\"{}\\[\\],. ]{0,20}\n){0,12}",
    ]
}

/// What a config that passed validation must let the engine do without panicking or
/// producing non-numbers.
fn engine_can_compute(c: &Config) -> Result<(), TestCaseError> {
    let now: DateTime<Utc> = "2026-11-20T15:00:00Z".parse().expect("a valid instant");
    for r in &c.recycle.reasons {
        if r.revisit_after.is_some() {
            prop_assert!(c.recycle.revisit_at(&r.code, now).is_some(), "{}", r.code);
        }
    }
    for def in &c.slas {
        prop_assert!(
            def.clock.add(&c.calendar, now, def.limit) > now,
            "{}",
            def.id
        );
    }
    // Touches a season and a year before the deal still earn some time-decay credit.
    let touches: Vec<Touch> = [365, 60]
        .map(|days| Touch {
            campaign: format!("{days}d").into(),
            at: now - Duration::days(days),
        })
        .into();
    let deal = Milestones {
        opportunity_created: Some(now),
        ..Milestones::default()
    };
    let half_life = c.attribution.half_life;
    let w = weights(Model::TimeDecay { half_life }, &touches, &deal);
    prop_assert!(w.iter().all(|x| x.is_finite()), "{half_life}: {w:?}");
    let max = Duration::days(MAX_DURATION_DAYS);
    for (id, value) in c.targets.by_period.values().flatten() {
        let fine = match *value {
            KpiValue::Count(_) => true,
            KpiValue::Ratio(r) => r.is_some_and(|r| (0.0..=1.0).contains(&r)),
            KpiValue::Money(x) => x.is_finite() && x >= 0.0,
            KpiValue::Multiple(x) | KpiValue::MoneyPerDay(x) => {
                x.is_some_and(|x| x.is_finite() && x >= 0.0)
            }
            KpiValue::Duration(d) => d.is_some_and(|d| d >= Duration::zero() && d <= max),
        };
        prop_assert!(fine, "{id}: {value:?}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn prop_any_text_is_a_config_or_an_error(text in toml_ish_text()) {
        if let Err(e) = Config::parse("fuzz.toml", &text) {
            prop_assert!(e.to_string().starts_with("fuzz.toml"), "{e}");
        }
    }

    #[test]
    fn prop_one_changed_value_is_computable_or_refused(
        at in prop::sample::select(value_lines()),
        value in toml_value(),
    ) {
        let text = with_value(at, &value);
        match Config::parse("fuzz.toml", &text) {
            Ok(config) => engine_can_compute(&config)?,
            Err(e) => prop_assert!(e.to_string().starts_with("fuzz.toml"), "{e}"),
        }
    }
}
