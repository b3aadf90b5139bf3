//! Each team's KPIs over a period, computed from the shared records.

pub mod cohort;
mod deals;
mod formulas;
mod period;
pub mod tally;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_judging;

use std::collections::BTreeMap;

use chrono::Duration;

pub use formulas::{
    DealDates, LEAKAGE, compute, compute_periods, compute_tallied, leaking, tallies, target_by_now,
};
pub use period::{Period, PeriodKind};

use super::business_hours::BusinessCalendar;
use super::lead::{Deal, DealStage, Lead};
use super::stage::Team;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KpiValue {
    Count(u64),
    /// 0.0–1.0; `None` when there is nothing to divide by yet.
    Ratio(Option<f64>),
    Money(f64),
    /// A duration (business time for speed to lead, calendar time for the sales cycle);
    /// `None` when nothing has been measured yet.
    Duration(Option<Duration>),
    /// A multiple such as pipeline coverage (3.2×).
    Multiple(Option<f64>),
    /// Money per day, such as pipeline velocity.
    MoneyPerDay(Option<f64>),
}

/// Whether a bigger value is better (speed to lead is the one where it isn't).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// What a ratio divides, as counted: `num` of `den`, and what each counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parts {
    pub num: f64,
    pub den: f64,
    /// What the numerator counts ("won"); the denominator ("closed deals").
    pub num_is: &'static str,
    pub den_is: &'static str,
    /// Amounts of money rather than counts (pipeline coverage).
    pub money: bool,
    /// For a cohort: its members still pending, and those that exited (nurture or
    /// disqualified) before converting. `None` for other ratios.
    pub pending: Option<usize>,
    pub exited: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub id: &'static str,
    /// `None` for the shared KPIs both teams answer for.
    pub team: Option<Team>,
    pub label: &'static str,
    pub value: KpiValue,
    /// The period's target, as configured.
    pub target: Option<KpiValue>,
    /// For a KPI that accrues over the period (MQLs created): the target pro-rated to the
    /// business time elapsed by now, rounded up to a whole count. The value is judged on it.
    pub target_by_now: Option<KpiValue>,
    pub better: Better,
    /// Numerator and denominator of a ratio (and of pipeline coverage).
    pub parts: Option<Parts>,
    /// How many cases the figure rests on: a ratio's denominator, a median's count of
    /// values. `None` for sums and counts, which are not samples.
    pub n: Option<usize>,
    /// What those cases are ("won deals"), for people reading `n`.
    pub n_is: &'static str,
    /// For a median of durations: the cases that have no duration yet (MQLs not touched
    /// yet, for speed to lead), shown beside `n`, never dropped silently.
    pub pending: Option<usize>,
    /// Below this `n` the figure is "n too small" and never judged.
    pub min_sample: usize,
    /// Accrues over the period: judged on [`target_by_now`](Self::target_by_now).
    pub accrues: bool,
}

impl Kpi {
    /// Too few cases to read anything into (`[targets] min_sample`). No case at all is
    /// not "too few": there is no value to hide.
    pub fn too_small(&self) -> bool {
        self.n.is_some_and(|n| n > 0 && n < self.min_sample)
    }

    /// What the value is judged against: the pro-rated target if it accrues, else the target.
    pub fn judged_target(&self) -> Option<KpiValue> {
        self.target_by_now.or(self.target)
    }

    /// A cohort most of whose members are still pending: its rate says more about the
    /// calendar than about the teams (the week's SALs have not had time to qualify).
    pub fn mostly_pending(&self) -> bool {
        self.parts.is_some_and(|p| match (p.pending, p.exited) {
            (Some(pending), Some(exited)) => {
                let members = p.num as usize + exited + pending;
                members > 0 && pending * 2 > members
            }
            _ => false,
        })
    }

    /// Whether the value meets its target; `None` without a target or a value, on too
    /// small a sample, for a cohort mostly still pending, and for a value that is not a
    /// finite number (invalid data is never on target).
    pub fn on_target(&self) -> Option<bool> {
        if self.too_small() || self.mostly_pending() {
            return None;
        }
        let (v, t) = (scalar(self.value)?, scalar(self.judged_target()?)?);
        Some(match self.better {
            Better::Higher => v >= t,
            Better::Lower => v <= t,
        })
    }

    /// The value as one number if it is worth showing: none on too small a sample.
    pub fn shown(&self) -> Option<f64> {
        if self.too_small() {
            None
        } else {
            self.value.scalar()
        }
    }
}

impl KpiValue {
    /// The value as one number (durations in seconds), for comparisons and sparklines;
    /// `None` when there is none or it is not finite (a sum that overflowed is no value).
    pub fn scalar(self) -> Option<f64> {
        scalar(self)
    }
}

fn scalar(v: KpiValue) -> Option<f64> {
    let x = match v {
        KpiValue::Count(n) => Some(n as f64),
        KpiValue::Ratio(r) => r,
        KpiValue::Money(m) => Some(m),
        KpiValue::Duration(d) => d.map(|d| d.num_seconds() as f64),
        KpiValue::Multiple(x) | KpiValue::MoneyPerDay(x) => x,
    };
    x.filter(|x| x.is_finite())
}

/// Original-source channels that count as marketing-sourced. `OFFLINE` (imports, sales
/// prospecting) does not.
pub const MARKETING_CHANNELS: [&str; 8] = [
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "PAID_SOCIAL",
    "OTHER_CAMPAIGNS",
    "REFERRALS",
    "DIRECT_TRAFFIC",
];

/// KPI id → target, for one period kind.
pub type PeriodTargets = BTreeMap<String, KpiValue>;

/// The targets both teams agreed on, per period kind, and the smallest sample judged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    pub by_period: BTreeMap<PeriodKind, PeriodTargets>,
    /// Ratios and medians resting on fewer cases show "n too small" and are not judged
    /// (0: always judged).
    pub min_sample: usize,
}

impl Targets {
    pub fn get(&self, kind: PeriodKind, kpi: &str) -> Option<KpiValue> {
        self.by_period.get(&kind)?.get(kpi).copied()
    }
}

/// Finds a lead by its id.
pub type LeadOf<'a> = &'a dyn Fn(&str) -> Option<&'a Lead>;

/// The records a KPI computation reads.
pub struct KpiInput<'a> {
    pub leads: &'a [Lead],
    /// Running SLA timers, for funnel leakage.
    pub timers: &'a [crate::domain::sla::SlaTimer],
    /// The present: leakage is counted at the period's end or now, whichever is first.
    pub now: chrono::DateTime<chrono::Utc>,
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub calendar: &'a BusinessCalendar,
    /// The stage rules each lead's timeline is classified with.
    pub stages: &'a crate::domain::catalog::StageCatalog,
    /// Under a person or team lens: every lead, and whose cohort entries count (the owner
    /// at the entry, metrics.md §6); `leads` then holds the lens's current leads.
    pub by_owner: Option<(&'a [Lead], &'a crate::domain::lens::ByOwner)>,
    /// The timelines of the cohort leads (`by_owner`'s leads under a lens, else `leads`),
    /// in their order, when the caller built them already: a snapshot computes seven
    /// periods from the same timelines. `None`: built here.
    pub timelines: Option<&'a [crate::domain::timeline::Timeline]>,
    /// Finds a lead by id (a deal's contacts); `None`: an index of `leads` is built here.
    pub lead_of: Option<LeadOf<'a>>,
    /// Each lead's most urgent clock's due time, soonest first, where the caller keeps it:
    /// leakage is then a binary search instead of a pass over `timers`.
    pub urgent: Option<&'a [chrono::DateTime<chrono::Utc>]>,
}
