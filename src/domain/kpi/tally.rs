//! The lead-counted part of a period's figures, as sums of each lead's own part: the funnel
//! cohorts (metrics.md §4), the leads sent to nurture and picked up again, and speed to
//! lead. A lead's part depends on that lead alone, so when k leads change the tally moves
//! by k parts out and k parts in, and the figures follow without reading every lead.

use chrono::Duration;

use super::Period;
use super::cohort::{Cohort, Member, Outcome, outcome_of};
use crate::domain::business_hours::BusinessCalendar;
use crate::domain::lead::Lead;
use crate::domain::stage::Stage;
use crate::domain::timeline::Timeline;

/// The funnel's steps, in order: the cohort of each step's stage, judged on the next.
pub const STEPS: usize = Stage::FUNNEL.len() - 1;

/// One lead's part in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LeadPart {
    /// Per funnel step: the lead's outcome, if it entered that step's stage in the period.
    cohorts: [Option<Outcome>; STEPS],
    /// Sent to nurture in the period: whether a marketing touch picked it up since.
    nurture: Option<bool>,
    /// An MQL of the period: business time to the first sales touch after its entry, if
    /// touched yet.
    speed: Option<Option<Duration>>,
}

impl LeadPart {
    pub fn of(
        lead: &Lead,
        t: &Timeline,
        period: &Period,
        member: Member<'_>,
        cal: &BusinessCalendar,
    ) -> LeadPart {
        let mut part = LeadPart::default();
        for (i, pair) in Stage::FUNNEL.windows(2).enumerate() {
            part.cohorts[i] = outcome_of(t, pair[0], pair[1], period, member);
        }
        // The latest entry into nurture in the period.
        if let Some(at) = t
            .entries(Stage::Nurture)
            .filter(|at| period.contains(Some(*at)))
            .last()
            .filter(|at| member(t, *at))
        {
            part.nurture = Some(marketing_touch_after(lead, at));
        }
        // The first MQL entry in the period.
        if let Some(entry) = t
            .entries(Stage::Mql)
            .find(|at| period.contains(Some(*at)))
            .filter(|at| member(t, *at))
        {
            part.speed =
                Some(first_touch_after(lead, entry).map(|touch| cal.between(entry, touch)));
        }
        part
    }
}

/// The sum of every lead's part in one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadTally {
    pub cohorts: [Cohort; STEPS],
    /// Leads sent to nurture in the period, and those picked up since.
    pub recycled: usize,
    pub picked_up: usize,
    /// Speed to lead of the period's touched MQLs, shortest first.
    pub speed: Vec<Duration>,
    /// The period's MQLs not touched yet.
    pub untouched: usize,
}

impl LeadTally {
    /// Count one more lead's part in a tally being built; [`seal`](Self::seal) it after.
    pub fn push(&mut self, part: &LeadPart) {
        if let Some(Some(d)) = part.speed {
            self.speed.push(d);
        }
        self.count(part, 1);
    }

    /// Done pushing: the speeds in order.
    pub fn seal(&mut self) {
        self.speed.sort();
    }

    pub fn add(&mut self, part: &LeadPart) {
        if let Some(Some(d)) = part.speed {
            let at = self.speed.partition_point(|x| *x < d);
            self.speed.insert(at, d);
        }
        self.count(part, 1);
    }

    pub fn remove(&mut self, part: &LeadPart) {
        if let Some(Some(d)) = part.speed
            && let Ok(at) = self.speed.binary_search(&d)
        {
            self.speed.remove(at);
        }
        self.count(part, -1);
    }

    /// Count `part` in (`by` = 1) or out (-1); its duration is placed by the caller.
    fn count(&mut self, part: &LeadPart, by: isize) {
        let bump = |n: &mut usize| *n = n.wrapping_add_signed(by);
        for (c, outcome) in self.cohorts.iter_mut().zip(part.cohorts) {
            let Some(outcome) = outcome else { continue };
            bump(&mut c.members);
            match outcome {
                Outcome::Converted => bump(&mut c.converted),
                Outcome::Exited => bump(&mut c.exited),
                Outcome::Pending => bump(&mut c.pending),
            }
        }
        if let Some(picked) = part.nurture {
            bump(&mut self.recycled);
            if picked {
                bump(&mut self.picked_up);
            }
        }
        if part.speed == Some(None) {
            bump(&mut self.untouched);
        }
    }

    /// The cohort of the funnel step starting at `from`.
    pub fn cohort(&self, from: Stage) -> Cohort {
        let i = Stage::FUNNEL
            .iter()
            .position(|s| *s == from)
            .filter(|i| *i < STEPS)
            .expect("a funnel step");
        self.cohorts[i]
    }

    /// The median speed to lead, if any MQL was touched.
    pub fn median_speed(&self) -> Option<Duration> {
        let xs = &self.speed;
        if xs.is_empty() {
            return None;
        }
        let mid = xs.len() / 2;
        Some(if xs.len() % 2 == 1 {
            xs[mid]
        } else {
            (xs[mid - 1] + xs[mid]) / 2
        })
    }
}

/// The first sales touch after `entry`: from the vendor's history of every touch, or for
/// want of it the first and latest touches the lead's dates give.
fn first_touch_after(
    l: &Lead,
    entry: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let after = |t: &chrono::DateTime<chrono::Utc>| *t > entry;
    if l.history.sales_touches().is_empty() {
        [
            l.dates.first_sales_activity(),
            l.dates.last_sales_activity(),
        ]
        .into_iter()
        .flatten()
        .filter(after)
        .min()
    } else {
        l.history.sales_touches().first_after(entry)
    }
}

/// Whether marketing touched the lead after `at`: any marketing email in the vendor's
/// history of them, or for want of it the latest one its dates give.
fn marketing_touch_after(l: &Lead, at: chrono::DateTime<chrono::Utc>) -> bool {
    if l.history.marketing_touches().is_empty() {
        l.dates.last_marketing_touch().is_some_and(|t| t > at)
    } else {
        l.history.marketing_touches().any_within(at, None)
    }
}
