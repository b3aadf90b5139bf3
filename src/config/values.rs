//! Config scalars that validate while parsing, so a bad value is reported at its own line.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::domain::{Stage, Team};

/// A duration written like "30m", "4h", "14d" or "1d12h".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub chrono::Duration);

/// The longest duration any setting takes. Five years covers every SLA, revisit and target
/// anyone writes, and keeps every instant the engine adds it to far inside chrono's range.
pub const MAX_DURATION_DAYS: i64 = 1825;

pub fn parse_duration(s: &str) -> Result<chrono::Duration, String> {
    let expected = || format!("expected a duration like \"30m\", \"4h\" or \"14d\", found {s:?}");
    let too_long =
        || format!("{s:?} is too long: a duration is at most \"{MAX_DURATION_DAYS}d\" (5 years)");
    let max = chrono::Duration::days(MAX_DURATION_DAYS);
    let mut total = chrono::Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for ch in s.trim().chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if digits.is_empty() {
            return Err(expected());
        }
        let unit: fn(i64) -> Option<chrono::Duration> = match ch {
            's' => chrono::Duration::try_seconds,
            'm' => chrono::Duration::try_minutes,
            'h' => chrono::Duration::try_hours,
            'd' => chrono::Duration::try_days,
            'w' => chrono::Duration::try_weeks,
            _ => return Err(expected()),
        };
        // Only digits are collected, so a parse failure means the number is too big.
        let n: i64 = digits.parse().map_err(|_| too_long())?;
        digits.clear();
        total = unit(n)
            .and_then(|p| total.checked_add(&p))
            .filter(|t| *t <= max)
            .ok_or_else(too_long)?;
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(expected());
    }
    Ok(total)
}

/// Implement `Deserialize` from a string through a parser that explains what it expected.
macro_rules! from_str_with {
    ($ty:ty, $what:literal, $parse:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$ty, E> {
                        let parse: fn(&str) -> Result<$ty, String> = $parse;
                        parse(s).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

from_str_with!(Span, "a duration like \"4h\"", |s| parse_duration(s)
    .map(Span));

/// Implement `Deserialize` from a TOML integer or float through a check that explains what it
/// expected; `$what` is what a value of another type is told.
macro_rules! from_number_with {
    ($ty:ty, $what:literal, $check:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_f64<E: de::Error>(self, n: f64) -> Result<$ty, E> {
                        let check: fn(f64) -> Result<$ty, String> = $check;
                        check(n).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, n: i64) -> Result<$ty, E> {
                        self.visit_f64(n as f64)
                    }
                    fn visit_u64<E: de::Error>(self, n: u64) -> Result<$ty, E> {
                        self.visit_f64(n as f64)
                    }
                }
                d.deserialize_f64(V)
            }
        }
    };
}

/// A fraction: 0.70 means 70%. Anything outside 0..=1 (a percentage, nan) is a typo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio(pub f64);

from_number_with!(Ratio, "a number between 0 and 1", |n| {
    if (0.0..=1.0).contains(&n) {
        Ok(Ratio(n))
    } else {
        Err(format!(
            "expected a ratio between 0 and 1: write 0.70 for 70%, found {n}"
        ))
    }
});

/// Money, a multiple or a rate: finite and not negative, so sums and pro-rating stay numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount(pub f64);

from_number_with!(Amount, "a number, 0 or more", |n| {
    if n.is_finite() && n >= 0.0 {
        Ok(Amount(n))
    } else {
        Err(format!(
            "expected a number, 0 or more (not nan or inf), found {n}"
        ))
    }
});

/// A count of things (MQLs, leaked leads): a whole number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u64);

from_number_with!(Count, "a whole number, 0 or more", |n| {
    if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
        Ok(Count(n as u64))
    } else {
        Err(format!(
            "expected a whole number from 0 to {}, found {n}",
            u32::MAX
        ))
    }
});

/// A time of day, "09:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay(pub NaiveTime);

from_str_with!(TimeOfDay, "a time like \"09:00\"", |s| {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map(TimeOfDay)
        .map_err(|_| format!("expected a time like \"09:00\", found {s:?}"))
});

/// A calendar date, "2026-12-25".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

from_str_with!(Date, "a date like \"2026-12-25\"", |s| {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(Date)
        .map_err(|_| format!("expected a date like \"2026-12-25\", found {s:?}"))
});

/// An IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub chrono_tz::Tz);

from_str_with!(Zone, "an IANA time zone like \"Europe/Berlin\"", |s| {
    s.trim()
        .parse::<chrono_tz::Tz>()
        .map(Zone)
        .map_err(|_| format!("expected an IANA time zone like \"Europe/Berlin\", found {s:?}"))
});

/// A weekday, "mon" … "sun".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub Weekday);

from_str_with!(Day, "a weekday like \"mon\"", |s| {
    s.trim()
        .parse::<Weekday>()
        .map(Day)
        .map_err(|_| format!("expected a weekday (mon, tue, …, sun), found {s:?}"))
});

/// One of the shared stage ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageId(pub Stage);

from_str_with!(StageId, "a stage id", |s| {
    Stage::ALL
        .into_iter()
        .find(|st| st.id() == s.trim())
        .map(StageId)
        .ok_or_else(|| {
            let ids: Vec<&str> = Stage::ALL.iter().map(|s| s.id()).collect();
            format!(
                "expected one of the shared stages ({}), found {s:?}",
                ids.join(", ")
            )
        })
});

/// "marketing" or "sales".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamName(pub Team);

from_str_with!(TeamName, "\"marketing\" or \"sales\"", |s| match s.trim() {
    "marketing" => Ok(TeamName(Team::Marketing)),
    "sales" => Ok(TeamName(Team::Sales)),
    other => Err(format!(
        "expected \"marketing\" or \"sales\", found {other:?}"
    )),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("4h"), Ok(chrono::Duration::hours(4)));
        assert_eq!(parse_duration("1d12h"), Ok(chrono::Duration::hours(36)));
        assert_eq!(parse_duration("90m"), Ok(chrono::Duration::minutes(90)));
        assert_eq!(parse_duration("0s"), Ok(chrono::Duration::zero()));
        for bad in ["", "4", "h", "4x", "-4h", "4 h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_past_the_bound_are_errors_that_name_it() {
        assert_eq!(parse_duration("1825d"), Ok(chrono::Duration::days(1825)));
        for huge in [
            "999999999999d",
            "99999999999999999w",
            "9223372036854775807s",
            "99999999999999999999s",
            "20000000w",
            "1825d1s",
            "1000d1000d",
        ] {
            let e = parse_duration(huge).expect_err(huge);
            assert!(e.contains("at most \"1825d\" (5 years)"), "{huge}: {e}");
        }
        // A bad unit is reported as such, however big the number before it.
        let e = parse_duration("99999999999999999999x").unwrap_err();
        assert!(e.contains("expected a duration"), "{e}");
    }
}
