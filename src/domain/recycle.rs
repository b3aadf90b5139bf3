//! The recycle agreement: why sales may send a lead back, where it goes, when to look again.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct RecycleReason {
    /// Written into the recycle note (`#recycle reason=<code>`); letters, digits, `_`.
    pub code: String,
    pub label: String,
    /// The nurture track the lead joins.
    pub track: Option<String>,
    pub revisit_after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecyclePolicy {
    /// A lead recycled more than this many times is flagged.
    pub max_loops: u32,
    /// The marketing owner (email or CRM id) a recycled lead passes to; `None` keeps the owner.
    pub nurture_owner: Option<String>,
    /// The contact property the revisit date is written to; `None` writes none.
    pub revisit_property: Option<String>,
    pub reasons: Vec<RecycleReason>,
}

impl RecyclePolicy {
    pub fn reason(&self, code: &str) -> Option<&RecycleReason> {
        self.reasons.iter().find(|r| r.code == code)
    }

    /// When marketing should look at a lead recycled at `at` for `code` again; `None` also
    /// when that date is past the end of time (config caps it, but never panic on it).
    pub fn revisit_at(&self, code: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        at.checked_add_signed(self.reason(code)?.revisit_after?)
    }

    /// The working day marketing should revisit a lead recycled at `at` for `code`: the
    /// reason's delay, moved forward past weekends and holidays.
    pub fn revisit_day(
        &self,
        code: &str,
        at: DateTime<Utc>,
        cal: &super::business_hours::BusinessCalendar,
    ) -> Option<chrono::NaiveDate> {
        let mut day = self
            .revisit_at(code, at)?
            .with_timezone(&cal.tz)
            .date_naive();
        for _ in 0..366 {
            if cal.is_working_day(day) {
                return Some(day);
            }
            day = day.succ_opt()?;
        }
        Some(day)
    }

    /// Whether `loops` recycles are more than the agreed cap.
    pub fn over_cap(&self, loops: usize) -> bool {
        loops > self.max_loops as usize
    }
}

/// Whether `code` can ride in a note's tag line.
pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisit_and_cap() {
        let policy = RecyclePolicy {
            nurture_owner: None,
            revisit_property: None,
            max_loops: 2,
            reasons: vec![RecycleReason {
                code: "no_budget".into(),
                label: "no budget".into(),
                track: None,
                revisit_after: Some(Duration::days(90)),
            }],
        };
        let at = DateTime::parse_from_rfc3339("2026-11-20T15:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            policy.revisit_at("no_budget", at),
            Some(at + Duration::days(90))
        );
        assert_eq!(policy.revisit_at("other", at), None);
        assert!(!policy.over_cap(2) && policy.over_cap(3));
        assert!(valid_code("no_budget") && !valid_code("No budget") && !valid_code(""));
    }

    #[test]
    fn the_revisit_day_is_a_working_day() {
        let policy = RecyclePolicy {
            nurture_owner: None,
            revisit_property: None,
            max_loops: 2,
            reasons: vec![RecycleReason {
                code: "later".into(),
                label: "later".into(),
                track: None,
                revisit_after: Some(Duration::days(1)),
            }],
        };
        let mut cal = crate::domain::business_hours::BusinessCalendar::default();
        let friday = DateTime::parse_from_rfc3339("2026-11-20T15:00:00Z")
            .unwrap()
            .to_utc();
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Friday + 1 day is a Saturday: Monday instead.
        assert_eq!(
            policy.revisit_day("later", friday, &cal),
            Some(day(2026, 11, 23))
        );
        // And Monday a holiday: Tuesday.
        cal.holidays.push(day(2026, 11, 23));
        assert_eq!(
            policy.revisit_day("later", friday, &cal),
            Some(day(2026, 11, 24))
        );
    }

    #[test]
    fn a_revisit_past_the_end_of_time_is_none_not_a_panic() {
        let policy = RecyclePolicy {
            nurture_owner: None,
            revisit_property: None,
            max_loops: 2,
            reasons: vec![RecycleReason {
                code: "forever".into(),
                label: "forever".into(),
                track: None,
                revisit_after: Some(Duration::MAX),
            }],
        };
        assert_eq!(
            policy.revisit_at("forever", DateTime::<Utc>::UNIX_EPOCH),
            None
        );
    }
}
