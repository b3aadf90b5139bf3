//! Timestamps the way HubSpot writes them, and business-hours arithmetic.
//!
//! HubSpot returns every datetime as an ISO-8601 UTC string with milliseconds and accepts
//! filter values as either epoch milliseconds or ISO strings; these helpers are the single
//! place that knows both forms. Business hours (Mon–Fri 09:00–17:00 UTC) exist so the
//! generator can plant leads that are *provably* overdue under tandem's SLAs, whatever
//! weekday the frozen `now` falls on.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};

/// `2026-11-20T14:03:11.123Z`. Written by hand: generating a large world formats millions
/// of these, and chrono's strftime parses its pattern every time.
pub fn fmt_ts(t: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis()
    )
}

/// Drop sub-millisecond precision so stored and rendered instants agree exactly.
pub fn trunc_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t.timestamp_millis())
        .single()
        .unwrap_or(t)
}

/// Parse a datetime value as HubSpot accepts it: epoch millis, RFC 3339, or a bare date
/// (midnight UTC).
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if !s.is_empty()
        && s.trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return Utc.timestamp_millis_opt(s.parse().ok()?).single();
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
}

const OPEN_HOUR: u32 = 9;
const CLOSE_HOUR: u32 = 17;
/// Every 7 calendar days hold exactly this many business hours, wherever they start.
const WEEK_MS: i64 = 5 * (CLOSE_HOUR - OPEN_HOUR) as i64 * 3_600_000;

fn is_workday(t: DateTime<Utc>) -> bool {
    !matches!(t.weekday(), Weekday::Sat | Weekday::Sun)
}

fn at_hour(t: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let d = t.date_naive().and_hms_opt(hour, 0, 0).expect("valid hour");
    Utc.from_utc_datetime(&d)
}

/// The instant `hours` business hours before `now` (Mon–Fri 09–17 UTC).
pub fn minus_business_hours(now: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
    let (weeks, left) = whole_weeks((hours * 3_600_000.0) as i64);
    let mut left = Duration::milliseconds(left);
    let mut t = now - Duration::days(7 * weeks);
    loop {
        if is_workday(t) && t.hour() >= OPEN_HOUR {
            let open = at_hour(t, OPEN_HOUR);
            let close = at_hour(t, CLOSE_HOUR);
            let end = t.min(close);
            let avail = end - open;
            if avail >= left {
                return end - left;
            }
            left -= avail;
        }
        // Jump to the end of the previous day (yesterday 23:59:59.999 → clamps to close).
        t = at_hour(t, 0) - Duration::milliseconds(1);
    }
}

/// The instant `hours` business hours after `t`.
pub fn plus_business_hours(t: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
    let (weeks, left) = whole_weeks((hours * 3_600_000.0) as i64);
    let mut left = Duration::milliseconds(left);
    let mut t = t + Duration::days(7 * weeks);
    loop {
        if is_workday(t) && t.hour() < CLOSE_HOUR {
            let open = at_hour(t, OPEN_HOUR);
            let close = at_hour(t, CLOSE_HOUR);
            let start = t.max(open);
            let avail = close - start;
            if avail >= left {
                return start + left;
            }
            left -= avail;
        }
        t = at_hour(t, 0) + Duration::days(1);
    }
}

/// Splits a span of business time into whole weeks and a rest in `(0, 1 week]`, so the
/// day-by-day walk never covers more than a week: the answer is the same (business time is
/// weekly periodic) and months-long spans cost what a few days do.
fn whole_weeks(ms: i64) -> (i64, i64) {
    if ms <= WEEK_MS {
        return (0, ms);
    }
    let weeks = (ms - 1) / WEEK_MS;
    (weeks, ms - weeks * WEEK_MS)
}

/// Business hours elapsed between `from` and `to` (0 if `to <= from`).
pub fn business_hours_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    if to <= from {
        return 0.0;
    }
    let weeks = (to - from).num_days() / 7;
    let mut total = Duration::milliseconds(weeks * WEEK_MS);
    let mut t = from + Duration::days(7 * weeks);
    while t < to {
        let next_day = at_hour(t, 0) + Duration::days(1);
        if is_workday(t) {
            let start = t.max(at_hour(t, OPEN_HOUR));
            let end = to.min(at_hour(t, CLOSE_HOUR));
            if end > start {
                total += end - start;
            }
        }
        t = next_day;
    }
    total.num_milliseconds() as f64 / 3_600_000.0
}

/// Whether `t` falls on a weekday between 09:00 and 17:00 UTC (both ends included: a span
/// of business time can end exactly at closing).
#[cfg(test)]
pub fn in_business_hours(t: DateTime<Utc>) -> bool {
    let open = at_hour(t, OPEN_HOUR);
    is_workday(t) && t >= open && t <= at_hour(t, CLOSE_HOUR)
}

/// The start of the UTC hour holding `t`.
pub fn hour_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    Utc.timestamp_opt(secs - secs.rem_euclid(3600), 0)
        .single()
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> DateTime<Utc> {
        parse_ts(s).unwrap()
    }

    #[test]
    fn formats_with_millis() {
        assert_eq!(
            fmt_ts(ts("2026-11-20T14:03:11.123Z")),
            "2026-11-20T14:03:11.123Z"
        );
        assert_eq!(ts("1763650800000"), ts("2025-11-20T15:00:00Z"));
    }

    #[test]
    fn business_hours_skip_weekends() {
        // Monday 10:00 minus 4 business hours = previous Friday 14:00.
        let mon = ts("2026-11-16T10:00:00Z");
        assert_eq!(minus_business_hours(mon, 4.0), ts("2026-11-13T14:00:00Z"));
        assert_eq!(plus_business_hours(ts("2026-11-13T14:00:00Z"), 4.0), mon);
        let h = business_hours_between(ts("2026-11-13T14:00:00Z"), mon);
        assert!((h - 4.0).abs() < 1e-9);
        // From a Sunday, the window is Friday afternoon.
        let sun = ts("2026-11-15T12:00:00Z");
        assert_eq!(minus_business_hours(sun, 1.0), ts("2026-11-13T16:00:00Z"));
    }

    /// The plain day-by-day walk the week jumps replaced.
    fn walk_back(now: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
        let mut left = Duration::milliseconds((hours * 3_600_000.0) as i64);
        let mut t = now;
        loop {
            if is_workday(t) && t.hour() >= OPEN_HOUR {
                let (open, end) = (at_hour(t, OPEN_HOUR), t.min(at_hour(t, CLOSE_HOUR)));
                if end - open >= left {
                    return end - left;
                }
                left -= end - open;
            }
            t = at_hour(t, 0) - Duration::milliseconds(1);
        }
    }

    #[test]
    fn week_jumps_give_the_day_by_day_answer() {
        let mut rng = crate::sim::rng::Rng::new(5);
        let base = ts("2026-11-16T00:00:00Z");
        for _ in 0..2000 {
            let t = base + Duration::minutes(rng.range(0, 60 * 24 * 14));
            // Whole weeks and whole hours included: the edges are where a jump could slip.
            let h = match rng.below(3) {
                0 => rng.range(0, 30) as f64 * 8.0,
                1 => rng.range(0, 400) as f64,
                _ => rng.uniform(0.0, 600.0),
            };
            let back = minus_business_hours(t, h);
            assert_eq!(back, walk_back(t, h), "{t} - {h}h");
            let between = business_hours_between(back, t);
            assert!(
                (between - h).abs() < 1e-6,
                "{back} .. {t}: {between} vs {h}"
            );
            let forward = plus_business_hours(back, h);
            assert!(business_hours_between(forward, t).abs() < 1e-6);
            assert!(in_business_hours(back) && in_business_hours(forward));
        }
    }

    #[test]
    fn formats_like_chrono() {
        let t = ts("2026-03-04T05:06:07.089Z");
        assert_eq!(fmt_ts(t), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        assert_eq!(hour_start(t), ts("2026-03-04T05:00:00Z"));
    }
}
