//! Waits a vendor asks for are untrusted numbers. Every one is read through here with a
//! stated cap, and every instant built from one uses checked arithmetic, so no header,
//! body or config value can overflow a clock (`Retry-After: 18446744073709551615`).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// The longest wait any vendor value can impose: a day. Daily quotas reset within one, and
/// a longer demand is treated as "a day" (the header shows the date; `r` still asks again).
pub const MAX_VENDOR_WAIT: Duration = Duration::from_secs(86_400);

/// A `Retry-After` value: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), capped at
/// [`MAX_VENDOR_WAIT`]. Digits too many for any integer still mean "longer than the cap".
/// `None` for anything else, so the caller falls back to its own pacing.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_VENDOR_WAIT));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    let wait = at.signed_duration_since(now).to_std().unwrap_or_default();
    Some(wait.min(MAX_VENDOR_WAIT))
}

/// A whole number of milliseconds from a header (`X-HubSpot-RateLimit-Interval-Milliseconds`),
/// capped at [`MAX_VENDOR_WAIT`].
pub fn millis(value: &str) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms = value.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_millis(ms).min(MAX_VENDOR_WAIT))
}

/// `base + wait`, the wait capped at [`MAX_VENDOR_WAIT`]; never overflows.
pub fn instant_after(base: Instant, wait: Duration) -> Instant {
    let wait = wait.min(MAX_VENDOR_WAIT);
    base.checked_add(wait).unwrap_or(base)
}

/// `base + wait` on the wall clock, the wait capped at [`MAX_VENDOR_WAIT`]; never overflows.
pub fn utc_after(base: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    let wait = TimeDelta::from_std(wait.min(MAX_VENDOR_WAIT)).unwrap_or(TimeDelta::zero());
    base.checked_add_signed(wait)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A wait in words for messages: `45s`, `12m`, `3h 20m`, `1d`.
pub fn words(d: Duration) -> String {
    let s = d.as_secs().max(1);
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 if s % 3_600 < 60 => format!("{}h", s / 3_600),
        3_600..86_400 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
        _ if s % 86_400 < 3_600 => format!("{}d", s / 86_400),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-11-20T15:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_issues_values_are_capped_not_overflowed() {
        for v in [
            "18446744073709551615",
            "9223372036854775807",
            "10000000000000",
            "99999999999999999999999999999999",
        ] {
            assert_eq!(retry_after(v, now()), Some(MAX_VENDOR_WAIT), "{v}");
        }
        assert_eq!(retry_after("30", now()), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(" 0 ", now()), Some(Duration::ZERO));
    }

    #[test]
    fn an_http_date_is_a_wait_from_now() {
        let v = "Fri, 20 Nov 2026 15:02:00 GMT";
        assert_eq!(retry_after(v, now()), Some(Duration::from_secs(120)));
        let past = "Thu, 19 Nov 2026 15:02:00 GMT";
        assert_eq!(retry_after(past, now()), Some(Duration::ZERO));
        let far = "Fri, 31 Dec 9999 23:59:59 GMT";
        assert_eq!(retry_after(far, now()), Some(MAX_VENDOR_WAIT));
    }

    #[test]
    fn nonsense_is_no_wait_at_all() {
        for v in ["", "-5", "1.5", "soon", "12s", "+3"] {
            assert_eq!(retry_after(v, now()), None, "{v:?}");
            assert_eq!(millis(v), None, "{v:?}");
        }
    }

    #[test]
    fn words_read_as_a_person_says_them() {
        assert_eq!(words(Duration::from_secs(45)), "45s");
        assert_eq!(words(Duration::from_secs(720)), "12m");
        assert_eq!(words(Duration::from_secs(3 * 3_600 + 1_200)), "3h 20m");
        assert_eq!(words(Duration::from_secs(7_200)), "2h");
        assert_eq!(words(MAX_VENDOR_WAIT), "1d");
        assert!(words(Duration::MAX).ends_with('h'));
    }

    proptest! {
        #[test]
        fn any_header_text_parses_without_panic_and_within_the_cap(v in ".{0,40}") {
            if let Some(d) = retry_after(&v, now()) {
                prop_assert!(d <= MAX_VENDOR_WAIT);
            }
            if let Some(d) = millis(&v) {
                prop_assert!(d <= MAX_VENDOR_WAIT);
            }
        }

        #[test]
        fn any_digit_run_parses_within_the_cap(digits in "[0-9]{1,60}") {
            let d = retry_after(&digits, now()).expect("digits are delta-seconds");
            prop_assert!(d <= MAX_VENDOR_WAIT);
            prop_assert!(millis(&digits).expect("digits are millis") <= MAX_VENDOR_WAIT);
        }

        #[test]
        fn any_wait_makes_a_later_or_equal_instant(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
            let wait = Duration::new(secs, nanos);
            let base = Instant::now();
            let at = instant_after(base, wait);
            prop_assert!(at >= base && at <= base + MAX_VENDOR_WAIT);
            let t = utc_after(now(), wait);
            prop_assert!(t >= now() && t <= now() + TimeDelta::days(1));
            let _ = words(wait);
        }
    }
}
