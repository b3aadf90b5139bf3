//! Cohorts (metrics.md §4): the leads that entered a stage in a period, each counted once at
//! its first entry there, and each with exactly one outcome as of now, whichever came first
//! after that entry: converted (entered the next stage or a later one in the funnel), exited
//! (entered `nurture` or `disqualified`), or still pending.

use crate::domain::stage::Stage;
use crate::domain::timeline::Timeline;

use super::Period;

fn step(s: Stage) -> Option<usize> {
    Stage::FUNNEL.iter().position(|f| *f == s)
}

/// How a cohort stands: `converted + exited + pending == members`, always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cohort {
    pub members: usize,
    pub converted: usize,
    pub exited: usize,
    pub pending: usize,
}

/// One lead's outcome in the cohort of `from` for `period`, if it is a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Converted,
    Exited,
    Pending,
}

/// Which cohort members count: the whole cohort, or (under a person or team lens) those
/// whose owner at their entry the lens keeps.
pub type Member<'a> = &'a dyn Fn(&Timeline, chrono::DateTime<chrono::Utc>) -> bool;

/// The outcome of `t`'s first entry into `from` in `period`, towards `to` (or later).
pub fn outcome(t: &Timeline, from: Stage, to: Stage, period: &Period) -> Option<Outcome> {
    outcome_of(t, from, to, period, &|_, _| true)
}

pub(super) fn outcome_of(
    t: &Timeline,
    from: Stage,
    to: Stage,
    period: &Period,
    member: Member<'_>,
) -> Option<Outcome> {
    let entry = t.entries(from).find(|at| period.contains(Some(*at)))?;
    if !member(t, entry) {
        return None;
    }
    let goal = step(to).unwrap_or(usize::MAX);
    for (at, stage) in &t.stages {
        let Some(s) = stage else { continue };
        if *at <= entry {
            continue;
        }
        if step(*s).is_some_and(|i| i >= goal) {
            return Some(Outcome::Converted);
        }
        if matches!(s, Stage::Nurture | Stage::Disqualified) {
            return Some(Outcome::Exited);
        }
    }
    Some(Outcome::Pending)
}

/// The cohort of `from` for `period` over `timelines`, judged on reaching `to`.
pub fn cohort<'a>(
    timelines: impl IntoIterator<Item = &'a Timeline>,
    from: Stage,
    to: Stage,
    period: &Period,
    member: Member<'_>,
) -> Cohort {
    let mut c = Cohort::default();
    for t in timelines {
        match outcome_of(t, from, to, period, member) {
            Some(Outcome::Converted) => c.converted += 1,
            Some(Outcome::Exited) => c.exited += 1,
            Some(Outcome::Pending) => c.pending += 1,
            None => continue,
        }
        c.members += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    //! The awkward cases of metrics.md §7, each on a hand-built timeline.
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// A timeline through `steps` (day of week 47, stage), the lead created on Monday.
    fn through(steps: &[(&str, Stage)]) -> Timeline {
        let mut t = Timeline::default();
        t.stages
            .push((at("2026-11-16T09:00:00Z"), Some(Stage::Inquiry)));
        for (when, s) in steps {
            t.stages.push((at(when), Some(*s)));
        }
        t
    }

    fn week() -> Period {
        Period::this_week(at("2026-11-20T15:00:00Z"))
    }

    fn all(ts: &[Timeline], from: Stage, to: Stage) -> Cohort {
        cohort(ts, from, to, &week(), &|_, _| true)
    }

    #[test]
    fn a_sal_recycled_before_sql_stays_in_the_denominator() {
        let qualified = through(&[
            ("2026-11-16T10:00:00Z", Stage::Mql),
            ("2026-11-16T11:00:00Z", Stage::Sal),
            ("2026-11-18T11:00:00Z", Stage::Sql),
        ]);
        let recycled = through(&[
            ("2026-11-16T10:00:00Z", Stage::Mql),
            ("2026-11-16T11:00:00Z", Stage::Sal),
            ("2026-11-19T11:00:00Z", Stage::Nurture),
        ]);
        let c = all(&[qualified, recycled], Stage::Sal, Stage::Sql);
        assert_eq!(
            c,
            Cohort {
                members: 2,
                converted: 1,
                exited: 1,
                pending: 0
            },
            "SAL→SQL is 1/2, never 100 % by dropping the recycled SAL"
        );
    }

    #[test]
    fn an_sql_recycled_later_stays_converted() {
        let t = through(&[
            ("2026-11-16T10:00:00Z", Stage::Mql),
            ("2026-11-16T11:00:00Z", Stage::Sal),
            ("2026-11-17T11:00:00Z", Stage::Sql),
            ("2026-11-19T11:00:00Z", Stage::Nurture),
        ]);
        assert_eq!(
            outcome(&t, Stage::Sal, Stage::Sql, &week()),
            Some(Outcome::Converted)
        );
    }

    #[test]
    fn an_mql_that_jumps_to_sql_converts_past_sal() {
        let t = through(&[
            ("2026-11-17T10:00:00Z", Stage::Mql),
            ("2026-11-17T14:00:00Z", Stage::Sql),
        ]);
        assert_eq!(
            outcome(&t, Stage::Mql, Stage::Sal, &week()),
            Some(Outcome::Converted)
        );
        // It never entered `sal`: no SAL cohort holds it.
        assert_eq!(outcome(&t, Stage::Sal, Stage::Sql, &week()), None);
    }

    #[test]
    fn a_re_entry_counts_once_with_the_first_entrys_outcome() {
        // Rejected to nurture on Tuesday, an MQL again on Thursday and accepted Friday: the
        // week's MQL cohort holds it once, exited (the later entry converted, not this one).
        let t = through(&[
            ("2026-11-16T10:00:00Z", Stage::Mql),
            ("2026-11-17T10:00:00Z", Stage::Nurture),
            ("2026-11-19T10:00:00Z", Stage::Mql),
            ("2026-11-20T10:00:00Z", Stage::Sal),
        ]);
        let c = all(std::slice::from_ref(&t), Stage::Mql, Stage::Sal);
        assert_eq!((c.members, c.exited, c.converted), (1, 1, 0));
    }

    #[test]
    fn an_undone_hand_off_leaves_a_pending_mql() {
        // The hand-off is an owner change only: the stage never left `mql`.
        let mut t = through(&[("2026-11-20T10:00:00Z", Stage::Mql)]);
        t.owners = vec![
            (at("2026-11-20T13:00:00Z"), Some("s1".into())),
            (at("2026-11-20T13:00:40Z"), None),
        ];
        assert_eq!(
            outcome(&t, Stage::Mql, Stage::Sal, &week()),
            Some(Outcome::Pending)
        );
    }
}
