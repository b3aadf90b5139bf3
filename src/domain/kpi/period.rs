//! Reporting periods: this week, month or quarter, and the ones before it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::domain::business_hours::BusinessCalendar;

/// The reporting periods a team can be judged over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 3] = [PeriodKind::Week, PeriodKind::Month, PeriodKind::Quarter];

    pub fn id(self) -> &'static str {
        match self {
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        Self::ALL.into_iter().find(|p| p.id() == s)
    }

    /// Start of the period containing `t` (UTC, so every reader sees the same period).
    pub fn start_of(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let midnight =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"));
        match self {
            PeriodKind::Week => BusinessCalendar::week_start(t),
            PeriodKind::Month => midnight(t.date_naive().with_day(1).expect("day 1")),
            PeriodKind::Quarter => {
                let month = (t.month0() / 3) * 3 + 1;
                midnight(NaiveDate::from_ymd_opt(t.year(), month, 1).expect("quarter start"))
            }
        }
    }

    /// Start of the period after the one containing `t`.
    pub fn next_start(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let start = self.start_of(t);
        match self {
            PeriodKind::Week => start + Duration::days(7),
            PeriodKind::Month => start
                .checked_add_months(chrono::Months::new(1))
                .expect("date in range"),
            PeriodKind::Quarter => start
                .checked_add_months(chrono::Months::new(3))
                .expect("date in range"),
        }
    }
}

/// A half-open window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// The period containing `now`, whole: it ends where the next one starts, so a record
    /// stamped a moment after the last rebuild (or by a server clock a little ahead) still
    /// counts.
    pub fn current(kind: PeriodKind, now: DateTime<Utc>) -> Period {
        Period {
            kind,
            start: kind.start_of(now),
            end: kind.next_start(now),
        }
    }

    /// The ISO week so far.
    pub fn this_week(now: DateTime<Utc>) -> Period {
        Self::current(PeriodKind::Week, now)
    }

    /// The `n`-th whole period before the current one (n = 1 is the last one).
    pub fn previous(kind: PeriodKind, now: DateTime<Utc>, n: u32) -> Period {
        let mut start = kind.start_of(now);
        for _ in 0..n {
            start = kind.start_of(start - Duration::seconds(1));
        }
        Period {
            kind,
            start,
            end: kind.next_start(start),
        }
    }

    pub fn contains(&self, t: Option<DateTime<Utc>>) -> bool {
        t.is_some_and(|t| t >= self.start && t < self.end)
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn period_bounds() {
        let now = at("2026-11-20T15:02:00Z");
        assert_eq!(PeriodKind::Month.start_of(now), at("2026-11-01T00:00:00Z"));
        assert_eq!(
            PeriodKind::Quarter.start_of(now),
            at("2026-10-01T00:00:00Z")
        );
        assert_eq!(
            PeriodKind::Quarter.next_start(now),
            at("2027-01-01T00:00:00Z")
        );
        let last_week = Period::previous(PeriodKind::Week, now, 1);
        assert_eq!(
            (last_week.start, last_week.end),
            (at("2026-11-09T00:00:00Z"), at("2026-11-16T00:00:00Z"))
        );
        let two_months_ago = Period::previous(PeriodKind::Month, now, 2);
        assert_eq!(two_months_ago.start, at("2026-09-01T00:00:00Z"));
    }
}
