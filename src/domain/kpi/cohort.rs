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

fn outcome_of(
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
