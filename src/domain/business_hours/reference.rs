//! The day-by-day walk business time was first computed with, kept as the reference the
//! closed form must agree with (DST, holidays and all). Too slow for real spans.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::{BusinessCalendar, MAX_DAYS};

fn is_working(cal: &BusinessCalendar, day: NaiveDate) -> bool {
    cal.days[day.weekday().num_days_from_monday() as usize] && !cal.holidays.contains(&day)
}

fn instant(cal: &BusinessCalendar, local: NaiveDateTime) -> DateTime<Utc> {
    match cal.tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => instant(cal, local + Duration::hours(1)),
    }
}

fn window(cal: &BusinessCalendar, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if !is_working(cal, day) || cal.end <= cal.start {
        return None;
    }
    Some((
        instant(cal, day.and_time(cal.start)),
        instant(cal, day.and_time(cal.end)),
    ))
}

fn local_day(cal: &BusinessCalendar, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cal.tz).date_naive()
}

pub fn between(cal: &BusinessCalendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    if to < from {
        return -between(cal, to, from);
    }
    let mut total = Duration::zero();
    let mut day = local_day(cal, from);
    let last = local_day(cal, to);
    while day <= last {
        if let Some((open, close)) = window(cal, day) {
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

pub fn add(cal: &BusinessCalendar, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
    if amount <= Duration::zero() {
        return from;
    }
    let mut left = amount;
    let mut day = local_day(cal, from);
    for _ in 0..MAX_DAYS {
        if let Some((open, close)) = window(cal, day) {
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
