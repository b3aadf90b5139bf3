//! Business-time arithmetic: SLA clocks only run during working hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

/// Working days and hours (in UTC for now), minus holidays.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    /// Monday first.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub holidays: Vec<NaiveDate>,
}

impl Default for BusinessCalendar {
    /// Mon–Fri 09:00–17:00 UTC, no holidays.
    fn default() -> Self {
        Self {
            days: [true, true, true, true, true, false, false],
            start: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(17, 0, 0).expect("valid time"),
            holidays: Vec::new(),
        }
    }
}

/// Far enough to cover any SLA; bounds the day walk if the calendar has no working days.
const MAX_DAYS: i64 = 3660;

impl BusinessCalendar {
    fn is_working(&self, day: NaiveDate) -> bool {
        self.days[day.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&day)
    }

    /// The working window of one day, if it is a working day.
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working(day) || self.end <= self.start {
            return None;
        }
        Some((
            Utc.from_utc_datetime(&day.and_time(self.start)),
            Utc.from_utc_datetime(&day.and_time(self.end)),
        ))
    }

    /// Business time from `from` to `to`; negative when `to` is earlier.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to < from {
            return -self.between(to, from);
        }
        let mut total = Duration::zero();
        let mut day = from.date_naive();
        let last = to.date_naive();
        while day <= last {
            if let Some((open, close)) = self.window(day) {
                let a = open.max(from);
                let b = close.min(to);
                if b > a {
                    total += b - a;
                }
            }
            day = day.succ_opt().expect("date in range");
        }
        total
    }

    /// The instant `amount` of business time after `from`.
    pub fn add(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
        if amount <= Duration::zero() {
            return from;
        }
        let mut left = amount;
        let mut day = from.date_naive();
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.window(day) {
                let a = open.max(from);
                if close > a {
                    if close - a >= left {
                        return a + left;
                    }
                    left -= close - a;
                }
            }
            day = day.succ_opt().expect("date in range");
        }
        from + Duration::days(MAX_DAYS)
    }

    /// Start of the ISO week (Monday 00:00 UTC) containing `now`.
    pub fn week_start(now: DateTime<Utc>) -> DateTime<Utc> {
        let monday =
            now.date_naive() - Duration::days(i64::from(now.weekday().num_days_from_monday()));
        Utc.from_utc_datetime(&monday.and_time(NaiveTime::MIN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn within_one_day() {
        let cal = BusinessCalendar::default();
        // Fri 2026-11-20 10:00 → 15:30 is 5h30 of business time.
        let d = cal.between(at("2026-11-20T10:00:00Z"), at("2026-11-20T15:30:00Z"));
        assert_eq!(d, Duration::minutes(330));
    }

    #[test]
    fn across_a_weekend() {
        let cal = BusinessCalendar::default();
        // Fri 16:00 → Mon 10:00: one hour on Friday, one on Monday.
        let from = at("2026-11-20T16:00:00Z");
        let to = at("2026-11-23T10:00:00Z");
        assert_eq!(cal.between(from, to), Duration::hours(2));
        assert_eq!(cal.between(to, from), -Duration::hours(2));
        assert_eq!(
            cal.add(from, Duration::hours(4)),
            at("2026-11-23T12:00:00Z")
        );
    }

    #[test]
    fn outside_hours_start_counts_from_next_opening() {
        let cal = BusinessCalendar::default();
        // Sat 20:00 + 4h → Mon 13:00.
        assert_eq!(
            cal.add(at("2026-11-21T20:00:00Z"), Duration::hours(4)),
            at("2026-11-23T13:00:00Z")
        );
        // Tue 18:00 + 1h → Wed 10:00.
        assert_eq!(
            cal.add(at("2026-11-24T18:00:00Z"), Duration::hours(1)),
            at("2026-11-25T10:00:00Z")
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let mut cal = BusinessCalendar::default();
        cal.holidays
            .push(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        // Wed 16:00 + 2h: one hour Wed, Thu is a holiday, one hour Fri.
        assert_eq!(
            cal.add(at("2026-11-25T16:00:00Z"), Duration::hours(2)),
            at("2026-11-27T10:00:00Z")
        );
    }

    #[test]
    fn add_and_between_agree() {
        let cal = BusinessCalendar::default();
        let from = at("2026-11-19T11:17:00Z");
        for hours in [1, 4, 8, 24, 40] {
            let due = cal.add(from, Duration::hours(hours));
            assert_eq!(cal.between(from, due), Duration::hours(hours));
        }
    }

    #[test]
    fn week_starts_monday_midnight() {
        assert_eq!(
            BusinessCalendar::week_start(at("2026-11-20T15:02:00Z")),
            at("2026-11-16T00:00:00Z")
        );
    }
}
