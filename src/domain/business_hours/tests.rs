//! Business time: worked examples, and the closed form against the day-by-day reference.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use proptest::prelude::*;

use super::BusinessCalendar;
use super::reference;

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

#[test]
fn changing_a_calendar_never_reuses_its_old_answers() {
    let mut cal = BusinessCalendar::default();
    let (from, to) = (at("2026-11-23T00:00:00Z"), at("2026-12-05T00:00:00Z"));
    assert_eq!(cal.between(from, to), Duration::hours(80));
    cal.holidays
        .push(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    assert_eq!(cal.between(from, to), Duration::hours(72));
}

#[test]
fn fifty_six_years_are_every_working_day_counted_once() {
    // A 1970 MQL date against today: the span that froze the cockpit.
    let cal = BusinessCalendar {
        holidays: (1970..2026)
            .map(|y| NaiveDate::from_ymd_opt(y, 12, 25).unwrap())
            .collect(),
        ..BusinessCalendar::default()
    };
    let (first, last) = (
        NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    );
    // Independently: every Mon–Fri that is not Christmas, eight hours each.
    let days = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| d.weekday().num_days_from_monday() < 5)
        .filter(|d| !cal.holidays.contains(d))
        .count();
    assert_eq!(days, 14_610 - 40);
    let (from, to) = (at("1970-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"));
    assert_eq!(cal.between(from, to), Duration::hours(8 * days as i64));
    assert_eq!(cal.between(to, from), -Duration::hours(8 * days as i64));
}

#[test]
fn work_does_not_grow_with_the_span() {
    let cal = berlin();
    let (from, to) = (at("1970-01-02T10:00:00Z"), at("2026-11-20T15:02:00Z"));
    let windows = |f: &dyn Fn()| {
        f(); // the first call may build the calendar's index
        super::WINDOWS.with(|n| n.set(0));
        f();
        super::WINDOWS.with(|n| n.get())
    };
    // Only the days at either end are looked at: 56 years cost what a month does.
    let edges = 2 * (super::EDGE as usize + 1);
    assert!(
        windows(&|| {
            let _ = cal.between(from, to);
        }) <= edges
    );
    assert!(
        windows(&|| {
            let _ = cal.between(to - Duration::days(30), to);
        }) <= edges
    );
    assert!(
        windows(&|| {
            let _ = cal.add(from, Duration::hours(8 * 2000));
        }) <= edges
    );
}

#[test]
fn decades_in_a_dst_zone_agree_with_the_day_walk() {
    let mut cal = berlin();
    cal.holidays = vec![NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()];
    let (from, to) = (at("1970-01-01T10:00:00Z"), at("2026-11-20T15:02:00Z"));
    assert_eq!(cal.between(from, to), reference::between(&cal, from, to));
}

#[test]
fn apia_skipping_a_day_agrees_with_the_day_walk() {
    // Samoa jumped from UTC−10 to UTC+14 in 2011: local 2011-12-30 never happened.
    let cal = BusinessCalendar {
        days: [true; 7],
        tz: chrono_tz::Pacific::Apia,
        ..BusinessCalendar::default()
    };
    let from = at("2011-12-20T00:00:00Z");
    for days in [8, 9, 10, 11, 12, 20] {
        let to = from + Duration::days(days);
        assert_eq!(cal.between(from, to), reference::between(&cal, from, to));
    }
    for hours in [60, 64, 72, 80, 100] {
        let amount = Duration::hours(hours);
        assert_eq!(cal.add(from, amount), reference::add(&cal, from, amount));
    }
}

#[test]
fn the_ends_of_time_do_not_panic() {
    let cal = berlin();
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    assert!(cal.between(min, max) > Duration::zero());
    assert_eq!(cal.between(max, min), -cal.between(min, max));
    assert!(cal.add(max - Duration::days(1), Duration::hours(100)) <= max);
    assert!(cal.add(min, Duration::hours(100)) > min);
}

/// Zones with DST at odd hours, half-hour DST, midnight changes, a skipped day and Ramadan
/// suspensions, and two without DST.
fn zone() -> impl Strategy<Value = chrono_tz::Tz> {
    use chrono_tz::{Africa, America, Asia, Australia, Europe, Pacific, Tz};
    prop::sample::select(vec![
        Tz::UTC,
        Europe::Berlin,
        America::New_York,
        America::Sao_Paulo,
        America::St_Johns,
        Australia::Lord_Howe,
        Pacific::Apia,
        Africa::Casablanca,
        Asia::Kolkata,
    ])
}

fn time_of_day() -> impl Strategy<Value = NaiveTime> {
    // Any minute, or often the small hours when clocks change; now and then a second.
    let minute = prop_oneof![0u32..24 * 60, 0u32..5 * 60];
    (minute, prop::sample::select(vec![0u32, 0, 0, 1, 59]))
        .prop_map(|(m, s)| NaiveTime::from_hms_opt(m / 60, m % 60, s).unwrap())
}

/// A span start: mostly 2009–2013 (Apia, Casablanca's busy years), or anywhere in 1965–2105
/// (past the end of the zone tables).
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let year = 365 * 86_400i64;
    prop_oneof![
        (0..4 * year).prop_map(|s| at("2009-01-01T00:00:00Z") + Duration::seconds(s)),
        (0..140 * year).prop_map(|s| at("1965-01-01T00:00:00Z") + Duration::seconds(s)),
    ]
}

prop_compose! {
    /// A calendar with up to 40 holidays within `days` of `near`.
    fn calendar(near: DateTime<Utc>, days: i64)(
        tz in zone(),
        working in any::<[bool; 7]>(),
        start in time_of_day(),
        end in time_of_day(),
        holidays in prop::collection::vec(-3..days + 3, 0..40),
    ) -> BusinessCalendar {
        let base = near.date_naive();
        BusinessCalendar {
            days: working,
            start,
            end,
            tz,
            holidays: holidays.into_iter().map(|d| base + Duration::days(d)).collect(),
        }
    }
}

fn span() -> impl Strategy<Value = (BusinessCalendar, DateTime<Utc>, DateTime<Utc>)> {
    (
        instant(),
        prop_oneof![0..86_400i64 * 10, 0..86_400i64 * 800],
    )
        .prop_flat_map(|(from, secs)| {
            let days = secs / 86_400 + 1;
            (
                calendar(from, days),
                Just(from),
                Just(from + Duration::seconds(secs)),
                any::<bool>(),
            )
        })
        .prop_map(|(cal, a, b, reversed)| if reversed { (cal, b, a) } else { (cal, a, b) })
}

proptest! {
    #[test]
    fn prop_between_matches_the_day_walk((cal, from, to) in span()) {
        prop_assert_eq!(cal.between(from, to), reference::between(&cal, from, to));
    }

    #[test]
    fn prop_add_matches_the_day_walk(
        (cal, from, _) in span(),
        minutes in prop_oneof![0i64..60 * 24 * 3, 0i64..60 * 24 * 400],
    ) {
        let amount = Duration::minutes(minutes);
        prop_assert_eq!(cal.add(from, amount), reference::add(&cal, from, amount));
    }
}
