//! Business-time arithmetic: SLA clocks only run during working hours.
//!
//! Spans can be decades long (a 1970 MQL date), so nothing here walks day by day: whole
//! stretches are counted in closed form (see [`index`]) and only the few days at either end,
//! where the span cuts a working window, are looked at one by one.

mod index;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use index::{Day, Index};

/// Working days and hours in a time zone, minus holidays (dates in that zone).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// Far enough to cover any SLA; bounds `add` if the calendar has no working days.
const MAX_DAYS: i64 = 3660;

/// Days at each end of a span that are looked at one by one. A day further inside has its
/// whole window within the span, even where clocks skip a day (Apia, 2011) or fall back
/// across midnight (Brazil), so it can be counted in closed form.
const EDGE: i64 = 3;

#[cfg(test)]
thread_local! {
    /// Windows worked out on this thread, so tests can see the work does not grow with a span.
    static WINDOWS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `t + d`, saturating at the end of time instead of panicking.
fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl BusinessCalendar {
    /// A local wall-clock time as an instant. In a DST gap the clock jumps forward, so the
    /// instant is the first one after the gap; in an overlap, the earlier one.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => match local.checked_add_signed(Duration::hours(1)) {
                Some(later) => self.instant(later),
                // Only at the very end of time; nothing sensible is open there.
                None => DateTime::<Utc>::MAX_UTC,
            },
        }
    }

    /// Whether `day` (local) is a working day: a working weekday and no holiday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.days[day.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&day)
    }

    /// `at` (local time) on the last working day before `now`'s local date: yesterday's
    /// standup on a working day, whatever the time of day (Friday's on a Monday), and the
    /// last working day's on a weekend or holiday. `None` if none in the past year.
    pub fn previous_working_time(
        &self,
        at: NaiveTime,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut day = now.with_timezone(&self.tz).date_naive();
        for _ in 0..366 {
            day = day.pred_opt()?;
            if self.is_working_day(day) {
                return Some(self.instant(day.and_time(at)));
            }
        }
        None
    }

    /// The working window of one local weekday, holidays not considered.
    fn weekday_window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        #[cfg(test)]
        WINDOWS.with(|n| n.set(n.get() + 1));
        if !self.days[day.weekday().num_days_from_monday() as usize] || self.end <= self.start {
            return None;
        }
        Some((
            self.instant(day.and_time(self.start)),
            self.instant(day.and_time(self.end)),
        ))
    }

    /// The working window of one local day, if it is a working day.
    fn window(&self, idx: &Index, day: Day) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if idx.is_holiday(day) {
            return None;
        }
        self.weekday_window(index::date(day)?)
    }

    fn local_day(&self, t: DateTime<Utc>) -> Day {
        let utc = t.naive_utc();
        let offset = self.tz.offset_from_utc_datetime(&utc).fix();
        // At the very ends of time the local date may not exist; the UTC one is close enough.
        index::day(utc.checked_add_offset(offset).unwrap_or(utc).date())
    }

    /// Business time of `day` that falls within `[from, to]`.
    fn part_of_day(
        &self,
        idx: &Index,
        day: Day,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Duration {
        match self.window(idx, day) {
            Some((open, close)) if close.min(to) > open.max(from) => close.min(to) - open.max(from),
            _ => Duration::zero(),
        }
    }

    /// Business time from `from` to `to`; negative when `to` is earlier.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to < from {
            return -self.between(to, from);
        }
        let idx = index::get(self);
        let (first, last) = (self.local_day(from), self.local_day(to));
        let part = |days: std::ops::RangeInclusive<Day>| {
            days.map(|d| self.part_of_day(&idx, d, from, to))
                .fold(Duration::zero(), |a, b| a + b)
        };
        if last - first <= 2 * EDGE + 1 {
            return part(first..=last);
        }
        part(first..=first + EDGE)
            + idx.full_days(first + EDGE + 1, last - EDGE - 1)
            + part(last - EDGE..=last)
    }

    /// The instant `amount` of business time after `from`.
    pub fn add(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
        if amount <= Duration::zero() {
            return from;
        }
        let idx = index::get(self);
        let first = self.local_day(from);
        let mut left = amount;
        // Near `from` a window may already be open: use what is left of it.
        for day in first..=first + EDGE {
            if let Some((open, close)) = self.window(&idx, day) {
                let a = open.max(from);
                if close > a {
                    if close - a >= left {
                        return later(a, left);
                    }
                    left -= close - a;
                }
            }
        }
        // Later windows open after `from`: find the first day whose whole windows so far
        // cover what is left, by bisection over the closed-form sum.
        let (lo, hi) = (first + EDGE + 1, first + MAX_DAYS - 1);
        let give_up = later(from, Duration::days(MAX_DAYS));
        if idx.full_days(lo, hi) < left {
            return give_up;
        }
        let (mut a, mut b) = (lo, hi);
        while a < b {
            let mid = a + (b - a) / 2;
            if idx.full_days(lo, mid) >= left {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        let before = idx.full_days(lo, a - 1);
        // That day has a window: its full length took the sum past `before`.
        self.window(&idx, a)
            .map_or(give_up, |(open, _)| later(open, left - before))
    }

    /// Start of the ISO week (Monday 00:00 UTC) containing `now`. KPI periods use UTC so
    /// every reader of a report sees the same week.
    pub fn week_start(now: DateTime<Utc>) -> DateTime<Utc> {
        let monday =
            now.date_naive() - Duration::days(i64::from(now.weekday().num_days_from_monday()));
        Utc.from_utc_datetime(&monday.and_time(NaiveTime::MIN))
    }
}
