//! Business-time arithmetic: SLA clocks only run during working hours.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

/// Working days and hours in a time zone, minus holidays (dates in that zone).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    /// Monday first.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub tz: Tz,
    pub holidays: Vec<NaiveDate>,
}

impl Default for BusinessCalendar {
    /// Mon–Fri 09:00–17:00 UTC, no holidays.
    fn default() -> Self {
        Self {
            days: [true, true, true, true, true, false, false],
            start: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(17, 0, 0).expect("valid time"),
            tz: Tz::UTC,
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

    /// A local wall-clock time as an instant. In a DST gap the clock jumps forward, so the
    /// instant is the first one after the gap; in an overlap, the earlier one.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => self.instant(local + Duration::hours(1)),
        }
    }

    /// The working window of one local day, if it is a working day.
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working(day) || self.end <= self.start {
            return None;
        }
        Some((
            self.instant(day.and_time(self.start)),
            self.instant(day.and_time(self.end)),
        ))
    }

    fn local_day(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// Business time from `from` to `to`; negative when `to` is earlier.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to < from {
            return -self.between(to, from);
        }
        let mut total = Duration::zero();
        let mut day = self.local_day(from);
        let last = self.local_day(to);
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
        let mut day = self.local_day(from);
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

    /// Start of the ISO week (Monday 00:00 UTC) containing `now`. KPI periods use UTC so
    /// every reader of a report sees the same week.
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

    fn berlin() -> BusinessCalendar {
        BusinessCalendar {
            tz: chrono_tz::Europe::Berlin,
            ..BusinessCalendar::default()
        }
    }

    #[test]
    fn hours_are_local_to_the_zone() {
        // 09:00–17:00 Berlin in winter (UTC+1) is 08:00–16:00 UTC.
        let cal = berlin();
        assert_eq!(
            cal.between(at("2026-11-20T07:00:00Z"), at("2026-11-20T18:00:00Z")),
            Duration::hours(8)
        );
        assert_eq!(
            cal.add(at("2026-11-20T15:00:00Z"), Duration::hours(2)),
            at("2026-11-23T09:00:00Z")
        );
    }

    #[test]
    fn dst_changes_move_the_utc_window_not_the_length() {
        let cal = berlin();
        // Fri 2026-03-27 is UTC+1, Mon 2026-03-30 is UTC+2 (clocks went forward on Sunday).
        // Fri 15:00 UTC = 16:00 local: 1h left; Monday opens at 07:00 UTC.
        assert_eq!(
            cal.add(at("2026-03-27T15:00:00Z"), Duration::hours(2)),
            at("2026-03-30T08:00:00Z")
        );
        // Autumn: Fri 2026-10-23 UTC+2, Mon 2026-10-26 UTC+1.
        assert_eq!(
            cal.between(at("2026-10-23T14:00:00Z"), at("2026-10-26T09:00:00Z")),
            Duration::hours(2)
        );
    }

    #[test]
    fn a_business_hour_inside_a_dst_gap_starts_after_it() {
        // A night shift 01:00–05:00 local: on 2026-03-29 02:00–03:00 does not exist.
        let cal = BusinessCalendar {
            days: [true; 7],
            start: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(5, 0, 0).unwrap(),
            tz: chrono_tz::Europe::Berlin,
            holidays: vec![],
        };
        // 02:30 local does not exist that night; the window opens at 03:30 CEST = 01:30 UTC.
        assert_eq!(
            cal.between(at("2026-03-29T00:00:00Z"), at("2026-03-29T06:00:00Z")),
            Duration::minutes(90)
        );
    }

    #[test]
    fn holidays_are_local_dates() {
        let mut cal = BusinessCalendar {
            tz: chrono_tz::America::New_York,
            ..BusinessCalendar::default()
        };
        cal.holidays
            .push(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        // Wed 16:00 New York (21:00 UTC) + 2h: 1h Wed, Thanksgiving off, 1h Fri (10:00 local).
        assert_eq!(
            cal.add(at("2026-11-25T21:00:00Z"), Duration::hours(2)),
            at("2026-11-27T15:00:00Z")
        );
    }

    #[test]
    fn week_starts_monday_midnight() {
        assert_eq!(
            BusinessCalendar::week_start(at("2026-11-20T15:02:00Z")),
            at("2026-11-16T00:00:00Z")
        );
    }
}
