//! The KPI formulas, one place each (documented in the README).

use chrono::{Duration, Utc};

use super::cohort::Cohort;
pub use super::deals::DealDates;
use super::deals::DealFacts;
use super::tally::{LeadPart, LeadTally};
use super::{Better, Kpi, KpiInput, KpiValue, Parts, Period, Targets};
use crate::domain::lead::Lead;
use crate::domain::sla::{SlaTimer, pro_rated};
use crate::domain::stage::{Stage, Team};
use crate::domain::timeline::Timeline;

/// A share of counted cases, with what it divides.
struct Share {
    value: KpiValue,
    parts: Parts,
    n: usize,
}

fn share(num: usize, den: usize, num_is: &'static str, den_is: &'static str) -> Share {
    Share {
        value: KpiValue::Ratio((den > 0).then(|| num as f64 / den as f64)),
        parts: Parts {
            num: num as f64,
            den: den as f64,
            num_is,
            den_is,
            money: false,
            pending: None,
            exited: None,
        },
        n: den,
    }
}

/// A cohort's conversion: converted ÷ members, with its pending and exited members.
fn cohort_share(c: Cohort, num_is: &'static str, den_is: &'static str) -> Share {
    let mut s = share(c.converted, c.members, num_is, den_is);
    s.parts.pending = Some(c.pending);
    s.parts.exited = Some(c.exited);
    s
}

fn median(mut xs: Vec<Duration>) -> Option<Duration> {
    if xs.is_empty() {
        return None;
    }
    xs.sort();
    let mid = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2
    })
}

/// One KPI as computed, before its targets are looked up.
struct Figure {
    id: &'static str,
    team: Option<Team>,
    label: &'static str,
    value: KpiValue,
    better: Better,
    parts: Option<Parts>,
    n: Option<usize>,
    n_is: &'static str,
    /// For a median of durations that not every case has yet: the cases still waiting.
    pending: Option<usize>,
    /// Accrues over the period, so it is judged on its target pro-rated to now.
    accrues: bool,
}

impl Figure {
    fn new(
        id: &'static str,
        team: Option<Team>,
        label: &'static str,
        value: KpiValue,
        better: Better,
    ) -> Self {
        Self {
            id,
            team,
            label,
            value,
            better,
            parts: None,
            n: None,
            n_is: "",
            pending: None,
            accrues: false,
        }
    }

    fn share(id: &'static str, team: Option<Team>, label: &'static str, s: Share) -> Self {
        Self {
            parts: Some(s.parts),
            n: Some(s.n),
            n_is: s.parts.den_is,
            ..Self::new(id, team, label, s.value, Better::Higher)
        }
    }

    fn sample(mut self, n: usize, n_is: &'static str) -> Self {
        self.n = Some(n);
        self.n_is = n_is;
        self
    }

    fn waiting(mut self, pending: usize) -> Self {
        self.pending = Some(pending);
        self
    }
}

/// The id of funnel leakage, the one figure that moves as clocks run out.
pub const LEAKAGE: &str = "funnel_leakage";

/// Leads with a clock breached at `at` (metrics.md: funnel leakage), each counted once.
pub fn leaking(timers: &[SlaTimer], at: chrono::DateTime<Utc>) -> usize {
    timers
        .iter()
        .filter(|t| t.state(at).is_breach())
        .map(|t| t.lead_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// For a figure that accrues over the period, its count target pro-rated to the business
/// time elapsed by `now`, rounded up to a whole count.
pub fn target_by_now(
    target: Option<KpiValue>,
    accrues: bool,
    cal: &crate::domain::business_hours::BusinessCalendar,
    period: Period,
    now: chrono::DateTime<Utc>,
) -> Option<KpiValue> {
    match target {
        Some(KpiValue::Count(t)) if accrues => {
            let expected = pro_rated(t as f64, cal, period.start, period.end, now);
            Some(KpiValue::Count(expected.ceil() as u64))
        }
        _ => None,
    }
}

/// Compute every KPI over `period`, with targets from the config.
pub fn compute(input: &KpiInput<'_>, period: Period, targets: &Targets) -> Vec<Kpi> {
    compute_tallied(input, period, targets, &tallies(input, &[period])[0])
}

/// [`compute`] with the period's lead-counted sums already at hand.
pub fn compute_tallied(
    input: &KpiInput<'_>,
    period: Period,
    targets: &Targets,
    tally: &LeadTally,
) -> Vec<Kpi> {
    compute_periods(input, &[(period, tally)], targets, None, None)
        .pop()
        .unwrap_or_default()
}

/// Every KPI over each of `periods`, each with its lead-counted sums: the deals are dated
/// once for all of them. `marketing` (the open pipeline marketing sourced and touched, see
/// [`Pipeline`](crate::domain::pipeline::Pipeline)) and `dates` where the caller keeps them.
pub fn compute_periods(
    input: &KpiInput<'_>,
    periods: &[(Period, &LeadTally)],
    targets: &Targets,
    marketing: Option<(f64, f64)>,
    dates: Option<&DealDates>,
) -> Vec<Vec<Kpi>> {
    let owned;
    let dates = match dates {
        Some(d) => d,
        None => {
            owned = DealDates::of(input.deals, input.deal_stages);
            &owned
        }
    };
    let facts = DealFacts::new(input, marketing, dates);
    periods
        .iter()
        .map(|(period, tally)| assemble(input, *period, targets, tally, &facts))
        .collect()
}

fn assemble(
    input: &KpiInput<'_>,
    period: Period,
    targets: &Targets,
    tally: &LeadTally,
    facts: &DealFacts<'_>,
) -> Vec<Kpi> {
    let cal = input.calendar;
    let goal = match targets.get(period.kind, "revenue") {
        Some(KpiValue::Money(m)) => Some(m),
        _ => None,
    };
    figures(input, period, goal, tally, facts)
        .into_iter()
        .map(|f| {
            let target = targets.get(period.kind, f.id);
            let target_by_now = target_by_now(target, f.accrues, cal, period, input.now);
            Kpi {
                id: f.id,
                team: f.team,
                label: f.label,
                value: f.value,
                target,
                target_by_now,
                better: f.better,
                parts: f.parts,
                n: f.n,
                n_is: f.n_is,
                pending: f.pending,
                min_sample: targets.min_sample,
                accrues: f.accrues,
            }
        })
        .collect()
}

/// The lead-counted tally of each of `periods` over the input's cohort leads, from
/// scratch. Each lead's timeline is built once and counted into every period while at
/// hand, so a million leads' timelines are never held at once.
pub fn tallies(input: &KpiInput<'_>, periods: &[Period]) -> Vec<LeadTally> {
    // Every figure that counts leads reads their timelines (metrics.md §1). Under a person
    // or team lens the cohorts are every lead's, kept by the owner at their entry.
    let (cohort_leads, by_owner) = match input.by_owner {
        Some((all, rule)) => (all, Some(rule)),
        None => (input.leads, None),
    };
    let member = |t: &Timeline, at: chrono::DateTime<Utc>| {
        by_owner.is_none_or(|r| {
            r.keeps(
                t.owner_at(at),
                t.stage_at(at).and_then(|s| input.stages.team(s)),
            )
        })
    };
    let mut tallies: Vec<LeadTally> = periods.iter().map(|_| LeadTally::default()).collect();
    let mut count = |lead: &Lead, t: &Timeline| {
        for (tally, period) in tallies.iter_mut().zip(periods) {
            tally.push(&LeadPart::of(lead, t, period, &member, input.calendar));
        }
    };
    match input.timelines {
        Some(timelines) => (cohort_leads.iter().zip(timelines)).for_each(|(l, t)| count(l, t)),
        None => {
            for lead in cohort_leads {
                count(lead, &Timeline::of(lead, input.stages));
            }
        }
    }
    tallies.iter_mut().for_each(LeadTally::seal);
    tallies
}

/// `goal`: the period's revenue target, for pipeline coverage; `tally`: the period's
/// lead-counted sums.
fn figures(
    input: &KpiInput<'_>,
    period: Period,
    goal: Option<f64>,
    tally: &LeadTally,
    facts: &DealFacts<'_>,
) -> Vec<Figure> {
    let deals = &facts.deals;
    let mut out = Vec::new();
    use Better::*;
    let mql_cohort = tally.cohort(Stage::Mql);

    // ── Marketing ──
    let mkt = Some(Team::Marketing);
    out.push(Figure {
        accrues: true,
        ..Figure::new(
            "mqls_created",
            mkt,
            "MQLs created",
            KpiValue::Count(mql_cohort.members as u64),
            Higher,
        )
    });

    // Sales' decision rate over the period's MQLs: accepted ÷ (accepted + rejected); the
    // MQLs still waiting for a decision are shown beside it, never hidden.
    let mut decided = share(
        mql_cohort.converted,
        mql_cohort.converted + mql_cohort.exited,
        "accepted",
        "MQLs decided",
    );
    decided.parts.pending = Some(mql_cohort.pending);
    decided.parts.exited = Some(mql_cohort.exited);
    out.push(Figure::share(
        "mql_acceptance",
        mkt,
        "MQL→SAL accepted",
        decided,
    ));

    let (sourced, touched) = (facts.sourced, facts.touched);
    out.push(Figure::new(
        "sourced_pipeline",
        mkt,
        "sourced pipeline",
        KpiValue::Money(sourced),
        Higher,
    ));
    out.push(Figure::new(
        "touched_pipeline",
        mkt,
        "touched pipeline",
        KpiValue::Money(touched),
        Higher,
    ));

    // Sent to nurture in the period (recycled or rejected; the latest entry there), picked
    // up by a marketing touch since.
    out.push(Figure::share(
        "nurture_pickup",
        mkt,
        "nurture pickup",
        share(
            tally.picked_up,
            tally.recycled,
            "touched",
            "leads sent to nurture",
        ),
    ));

    // ── Sales ──
    let sls = Some(Team::Sales);
    // The period's MQLs (each at its first MQL entry in the period), each timed to the
    // first sales touch after that entry; those not touched yet are pending, not dropped.
    let n = tally.speed.len();
    out.push(
        Figure::new(
            "speed_to_lead",
            sls,
            "speed to lead (med)",
            KpiValue::Duration(tally.median_speed()),
            Lower,
        )
        .sample(n, "MQLs touched")
        .waiting(tally.untouched),
    );

    // Every SAL of the period, recycled ones too: only a cohort that all converted is 100 %.
    out.push(Figure::share(
        "sal_to_sql",
        sls,
        "SAL→SQL",
        cohort_share(tally.cohort(Stage::Sal), "reached SQL", "SALs"),
    ));

    let (won, lost) = deals.closed_in(&period);
    out.push(Figure::share(
        "win_rate",
        sls,
        "win rate",
        share(won.len(), won.len() + lost.len(), "won", "closed deals"),
    ));

    let cycles: Vec<Duration> = won
        .iter()
        .filter_map(|d| Some(d.close_date? - d.created_at?))
        .filter(|d| *d >= Duration::zero())
        .collect();
    let n = cycles.len();
    out.push(
        Figure::new(
            "sales_cycle",
            sls,
            "sales cycle (med)",
            KpiValue::Duration(median(cycles)),
            Lower,
        )
        .sample(n, "won deals"),
    );

    // Coverage: only pipeline that is due to close in the period can cover what is left of
    // its goal; deals closing months out cannot.
    let open_amount: f64 = deals.open().map(|d| d.amount).sum();
    // A fold from +0.0: an empty f64 sum is -0.0, which would print as "-0.0×".
    let closing = deals
        .open()
        .filter(|d| period.contains(d.close_date))
        .fold(0.0, |sum, d| sum + d.amount);
    let won_amount: f64 = won.iter().map(|d| d.amount).sum();
    let to_reach = goal
        .map(|goal| goal - won_amount)
        .filter(|left| *left > 0.0);
    let coverage = to_reach
        .map(|left| closing / left)
        .filter(|c| c.is_finite());
    out.push(Figure {
        parts: to_reach.map(|left| Parts {
            num: closing,
            den: left,
            num_is: "closing this period",
            den_is: "still to win",
            money: true,
            pending: None,
            exited: None,
        }),
        ..Figure::new(
            "pipeline_coverage",
            sls,
            "pipeline coverage",
            KpiValue::Multiple(coverage),
            Higher,
        )
    });

    // ── Shared ──
    let conv_ids = [
        (
            "conv_inquiry_mql",
            "conv. inquiry→MQL",
            "became MQLs",
            "inquiries",
        ),
        ("conv_mql_sal", "conv. MQL→SAL", "accepted", "MQLs"),
        ("conv_sal_sql", "conv. SAL→SQL", "reached SQL", "SALs"),
        (
            "conv_sql_opportunity",
            "conv. SQL→opp",
            "reached opportunity",
            "SQLs",
        ),
        (
            "conv_opportunity_customer",
            "conv. opp→customer",
            "became customers",
            "opportunities",
        ),
    ];
    for (c, (id, label, num_is, den_is)) in tally.cohorts.iter().copied().zip(conv_ids) {
        out.push(Figure::share(
            id,
            None,
            label,
            cohort_share(c, num_is, den_is),
        ));
    }

    // Velocity: open opportunities × win rate × average deal size ÷ average cycle (days).
    let open = &deals.open;
    let closed = won.len() + lost.len();
    let win_rate = (closed > 0).then(|| won.len() as f64 / closed as f64);
    let avg_size = (!open.is_empty()).then(|| open_amount / open.len() as f64);
    let avg_cycle_days = {
        let days: Vec<f64> = won
            .iter()
            .filter_map(|d| Some((d.close_date? - d.created_at?).num_seconds() as f64 / 86_400.0))
            .filter(|d| *d > 0.0)
            .collect();
        (!days.is_empty()).then(|| days.iter().sum::<f64>() / days.len() as f64)
    };
    let velocity = match (win_rate, avg_size, avg_cycle_days) {
        (Some(w), Some(s), Some(c)) => KpiValue::MoneyPerDay(Some(open.len() as f64 * w * s / c)),
        _ => KpiValue::MoneyPerDay(None),
    };
    // It rests on the period's win rate: as few cases as that.
    out.push(
        Figure::new(
            "pipeline_velocity",
            None,
            "pipeline velocity",
            velocity,
            Higher,
        )
        .sample(closed, "closed deals"),
    );

    let at = period.end.min(input.now);
    let leaking = match input.urgent {
        // A lead leaks once its most urgent clock is due.
        Some(urgent) => urgent.partition_point(|due| *due <= at),
        None => leaking(input.timers, at),
    };
    out.push(Figure::new(
        LEAKAGE,
        None,
        "funnel leakage",
        KpiValue::Count(leaking as u64),
        Lower,
    ));
    out
}
