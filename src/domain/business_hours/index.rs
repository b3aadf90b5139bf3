//! What makes business-time sums closed-form. Per calendar: the length of a regular working
//! window, the few odd days whose window differs (next to a UTC-offset change) and the
//! holidays, each sorted with running totals. Any stretch of days then sums with whole weeks,
//! a remainder and a few binary searches, whatever its length.
//!
//! Indexes are memoised per calendar value, so a changed calendar (say a holiday added) gets
//! its own and a stale one is never used.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, Duration, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

use super::BusinessCalendar;

/// A date as a day number (chrono's days from the common era: 0001-01-01 is day 1, a Monday).
pub(super) type Day = i64;

pub(super) fn day(d: NaiveDate) -> Day {
    i64::from(d.num_days_from_ce())
}

pub(super) fn date(d: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(d).ok()?)
}

/// Monday = 0.
fn weekday(d: Day) -> usize {
    (d - 1).rem_euclid(7) as usize
}

/// chrono-tz's tables run from 1845 to 2099; outside them every zone keeps one offset.
const SCAN_FROM: (i32, u32, u32) = (1840, 1, 1);
const SCAN_TO: (i32, u32, u32) = (2101, 1, 1);

/// Days either side of an offset change whose window may differ from a regular one: local
/// dates are within a day of UTC dates, and a DST gap pushes an opening by up to a day.
const ODD_MARGIN: Day = 3;

/// Calendars kept; more than a process uses, but bounded for property tests.
const MAX_CACHED: usize = 64;

pub(super) struct Index {
    days: [bool; 7],
    per_week: i64,
    /// A regular working day's window, `end - start`; zero when the hours are empty.
    length: Duration,
    /// Working weekdays near an offset change, ascending.
    odd: Vec<Day>,
    /// `odd_excess[i]`: Σ (window − length) over `odd[..i]`.
    odd_excess: Vec<Duration>,
    /// Holidays on working weekdays, ascending, once each.
    holidays: Vec<Day>,
    /// `holiday_time[i]`: Σ window over `holidays[..i]`.
    holiday_time: Vec<Duration>,
}

impl Index {
    fn build(cal: &BusinessCalendar) -> Index {
        let length = if cal.end > cal.start {
            cal.end - cal.start
        } else {
            Duration::zero()
        };
        let works = |d: Day| cal.days[weekday(d)];
        // The window of a working weekday, computed the slow, exact way.
        let window = |d: Day| {
            date(d)
                .and_then(|d| cal.weekday_window(d))
                .map_or(Duration::zero(), |(open, close)| {
                    (close - open).max(Duration::zero())
                })
        };
        let mut odd: Vec<Day> = Vec::new();
        if !length.is_zero() {
            for &change in zone_changes(cal.tz).iter() {
                let from = odd.last().map_or(Day::MIN, |&d| d + 1);
                odd.extend(
                    ((change - ODD_MARGIN).max(from)..=change + ODD_MARGIN).filter(|&d| works(d)),
                );
            }
        }
        let odd_excess = running(odd.iter().map(|&d| window(d) - length));
        let mut holidays: Vec<Day> = cal
            .holidays
            .iter()
            .map(|&d| day(d))
            .filter(|&d| works(d))
            .collect();
        holidays.sort_unstable();
        holidays.dedup();
        let holiday_time = running(holidays.iter().map(|&d| window(d)));
        Index {
            days: cal.days,
            per_week: cal.days.iter().filter(|&&w| w).count() as i64,
            length,
            odd,
            odd_excess,
            holidays,
            holiday_time,
        }
    }

    pub(super) fn is_holiday(&self, d: Day) -> bool {
        self.holidays.binary_search(&d).is_ok()
    }

    /// Working weekdays in `first..=last`: whole weeks, then the remainder.
    fn weekdays(&self, first: Day, last: Day) -> i64 {
        let n = last - first + 1;
        let rest = (0..n % 7)
            .filter(|i| self.days[(weekday(first) + *i as usize) % 7])
            .count() as i64;
        n / 7 * self.per_week + rest
    }

    /// Business time of every whole working window of the days `first..=last`.
    pub(super) fn full_days(&self, first: Day, last: Day) -> Duration {
        if first > last || self.length.is_zero() {
            return Duration::zero();
        }
        let count = i32::try_from(self.weekdays(first, last)).unwrap_or(i32::MAX);
        self.length * count + sum_within(&self.odd, &self.odd_excess, first, last)
            - sum_within(&self.holidays, &self.holiday_time, first, last)
    }
}

/// Running totals, starting at zero: `out[i]` is the sum of the first `i` items.
fn running(items: impl Iterator<Item = Duration>) -> Vec<Duration> {
    let mut out = vec![Duration::zero()];
    for x in items {
        out.push(*out.last().expect("starts non-empty") + x);
    }
    out
}

/// Σ over the `days` within `first..=last`, from their running totals.
fn sum_within(days: &[Day], totals: &[Duration], first: Day, last: Day) -> Duration {
    let lo = days.partition_point(|&d| d < first);
    let hi = days.partition_point(|&d| d <= last);
    totals[hi] - totals[lo]
}

/// UTC days `k` whose midnight offset differs from the next midnight's. tzdb never changes
/// a zone's offset twice within a day (the closest changes are a week apart), so a daily
/// sample sees every change.
fn scan_zone(tz: Tz) -> Vec<Day> {
    let midnight =
        |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d).expect("valid scan bound");
    let (from, to) = (midnight(SCAN_FROM), midnight(SCAN_TO));
    let offset = |d: NaiveDate| {
        tz.offset_from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .fix()
            .local_minus_utc()
    };
    let mut changes = Vec::new();
    let mut prev = offset(from);
    let mut d = from;
    while d < to {
        let next = d.succ_opt().expect("scan stays in range");
        let off = offset(next);
        if off != prev {
            changes.push(day(d));
            prev = off;
        }
        d = next;
    }
    changes
}

fn memo<K: Eq + Hash + Clone, V>(
    cell: &'static OnceLock<Mutex<HashMap<K, Arc<V>>>>,
    key: &K,
    make: impl FnOnce() -> V,
) -> Arc<V> {
    let map = cell.get_or_init(Default::default);
    // A panic elsewhere cannot leave a half-written entry: entries are inserted whole.
    let lock = || map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(v) = lock().get(key) {
        return v.clone();
    }
    let v = Arc::new(make());
    let mut m = lock();
    if m.len() >= MAX_CACHED {
        m.clear();
    }
    m.insert(key.clone(), v.clone());
    v
}

fn zone_changes(tz: Tz) -> Arc<Vec<Day>> {
    static ZONES: OnceLock<Mutex<HashMap<Tz, Arc<Vec<Day>>>>> = OnceLock::new();
    memo(&ZONES, &tz, || scan_zone(tz))
}

/// The index of `cal`, built on first use.
pub(super) fn get(cal: &BusinessCalendar) -> Arc<Index> {
    static INDEXES: OnceLock<Mutex<HashMap<BusinessCalendar, Arc<Index>>>> = OnceLock::new();
    memo(&INDEXES, cal, || Index::build(cal))
}

#[cfg(test)]
mod index_tests {
    use super::*;

    #[test]
    fn zones_keep_one_offset_outside_the_scanned_years() {
        let offset = |tz: Tz, y: i32, m: u32| {
            let d = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
            tz.offset_from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .fix()
                .local_minus_utc()
        };
        for tz in [
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe,
        ] {
            assert_eq!(offset(tz, SCAN_FROM.0, 1), offset(tz, -3000, 7), "{tz}");
            assert_eq!(offset(tz, SCAN_TO.0, 1), offset(tz, 9000, 7), "{tz}");
        }
    }

    #[test]
    fn berlin_changes_twice_a_year() {
        let changes = zone_changes(chrono_tz::Europe::Berlin);
        let in_2026: Vec<NaiveDate> = changes
            .iter()
            .filter_map(|&d| date(d))
            .filter(|d| d.year() == 2026)
            .collect();
        // Clocks move at 01:00 UTC; the change shows between the midnights either side.
        assert_eq!(
            in_2026,
            [
                NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
                NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
            ]
        );
    }

    #[test]
    fn weekdays_count_whole_weeks_and_the_rest() {
        let idx = Index::build(&BusinessCalendar::default());
        let monday = day(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        assert_eq!(weekday(monday), 0);
        assert_eq!(idx.weekdays(monday, monday + 6), 5);
        assert_eq!(idx.weekdays(monday + 4, monday + 7), 2); // Fri, Sat, Sun, Mon
        assert_eq!(idx.weekdays(monday, monday + 7 * 52 - 1), 5 * 52);
    }
}
