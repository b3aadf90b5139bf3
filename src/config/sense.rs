//! Configs that parse and type-check but would mislead: a rule that matches every lead, a
//! calendar whose holidays stop every business clock. Each is refused where it is written.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

/// The longest run of days without a working day a calendar may have. Longer, and every
/// business-hours clock stands still for over a month: the SLAs would be silent.
const MAX_DAYS_OFF: i64 = 31;

/// Why a stage rule's `when` misleads, if it does.
pub fn rule_problem(when: &BTreeMap<String, Vec<String>>) -> Option<String> {
    if when.is_empty() {
        return Some(
            "`when` names no property, so the rule would match every lead; \
             name at least one (for example when = { lifecyclestage = [\"lead\"] })"
                .into(),
        );
    }
    if let Some((name, _)) = when.iter().find(|(_, values)| values.is_empty()) {
        return Some(format!(
            "`when.{name}` lists no value, so the rule could never match; list at least one"
        ));
    }
    // A value that starts like a comparison must be one: ">= sixty" would silently match
    // nothing.
    when.iter().find_map(|(name, values)| {
        values
            .iter()
            .find(|v| {
                v.trim_start().starts_with(['<', '>'])
                    && crate::domain::catalog::Threshold::parse(v).is_none()
            })
            .map(|v| {
                format!(
                    "`when.{name}`: {v:?} is not a comparison with a number; write \
                     \">= 60\", \"> 50\", \"<= 10\" or \"< 5\""
                )
            })
    })
}

/// Why holidays mislead, if they do: a run of more than [`MAX_DAYS_OFF`] days with no
/// working day (weekdays off by `days`, holidays by the list).
pub fn holidays_problem(days: &[bool; 7], holidays: &[NaiveDate]) -> Option<String> {
    let mut sorted: Vec<NaiveDate> = holidays.to_vec();
    sorted.sort();
    sorted.dedup();
    let off = |d: NaiveDate| {
        !days[d.weekday().num_days_from_monday() as usize] || sorted.binary_search(&d).is_ok()
    };
    // Only a run that contains a holiday can be new: walk out from each one.
    let mut seen_until: Option<NaiveDate> = None;
    for &h in &sorted {
        if seen_until.is_some_and(|u| h <= u) {
            continue;
        }
        let mut start = h;
        while let Some(p) = start.pred_opt().filter(|p| off(*p)) {
            start = p;
            if (h - start).num_days() > MAX_DAYS_OFF {
                break;
            }
        }
        let mut end = h;
        while let Some(n) = end.succ_opt().filter(|n| off(*n)) {
            end = n;
            if (end - start).num_days() > MAX_DAYS_OFF * 400 {
                break;
            }
        }
        seen_until = Some(end);
        let run = (end - start).num_days() + 1;
        if run > MAX_DAYS_OFF {
            return Some(format!(
                "holidays leave no working day from {start} to {end} ({run} days): every \
                 business-hours clock would stand still; at most {MAX_DAYS_OFF} days in a row"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEKDAYS: [bool; 7] = [true, true, true, true, true, false, false];

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_empty_when_or_an_empty_list_is_refused() {
        assert!(
            rule_problem(&BTreeMap::new())
                .unwrap()
                .contains("every lead")
        );
        let empty = BTreeMap::from([("lifecyclestage".to_string(), vec![])]);
        assert!(
            rule_problem(&empty)
                .unwrap()
                .contains("when.lifecyclestage")
        );
        let fine = BTreeMap::from([("lifecyclestage".to_string(), vec!["lead".to_string()])]);
        assert_eq!(rule_problem(&fine), None);
        let words = BTreeMap::from([("hubspotscore".to_string(), vec![">= sixty".to_string()])]);
        let why = rule_problem(&words).unwrap();
        assert!(
            why.contains("when.hubspotscore") && why.contains(">= 60"),
            "{why}"
        );
        let number = BTreeMap::from([("hubspotscore".to_string(), vec![">= 60".to_string()])]);
        assert_eq!(rule_problem(&number), None);
    }

    #[test]
    fn a_christmas_break_is_fine_and_twelve_years_of_holidays_are_not() {
        let xmas: Vec<NaiveDate> = (24..=31)
            .map(|day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap())
            .chain((1..=6).map(|day| NaiveDate::from_ymd_opt(2027, 1, day).unwrap()))
            .collect();
        assert_eq!(holidays_problem(&WEEKDAYS, &xmas), None);
        let all: Vec<NaiveDate> = d("2020-01-01")
            .iter_days()
            .take_while(|x| *x <= d("2031-12-31"))
            .collect();
        let why = holidays_problem(&WEEKDAYS, &all).unwrap();
        assert!(why.contains("from 2020-01-01 to 2031-12-31"), "{why}");
    }
}
