//! The KPI formulas, one place each (documented in the README).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{Better, Kpi, KpiInput, KpiValue, MARKETING_CHANNELS, Period, Targets};
use crate::domain::lead::{Deal, DealStage, Lead};
use crate::domain::sla::SlaState;
use crate::domain::stage::{Stage, Team};

fn ratio(num: usize, den: usize) -> KpiValue {
    KpiValue::Ratio((den > 0).then(|| num as f64 / den as f64))
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

/// When a lead reached each funnel stage (or a later one), from the dates the CRM keeps.
fn reached(lead: &Lead, stage: Stage) -> Option<DateTime<Utc>> {
    let d = &lead.dates;
    match stage {
        Stage::Inquiry => d.created,
        Stage::Mql => d.mql,
        Stage::Sal => d.accepted,
        Stage::Sql => d.sql,
        Stage::Opportunity => d.opportunity,
        Stage::Customer => d.customer,
        Stage::Nurture | Stage::Disqualified => None,
    }
}

/// The deals tandem counts, with their stage looked up once.
struct Deals<'a> {
    all: Vec<(&'a Deal, Option<&'a DealStage>)>,
}

impl<'a> Deals<'a> {
    fn new(deals: &'a [Deal], stages: &'a [DealStage]) -> Self {
        let by_id: HashMap<&str, &DealStage> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
        Self {
            all: deals
                .iter()
                .map(|d| (d, by_id.get(d.stage_id.as_str()).copied()))
                .collect(),
        }
    }

    fn open(&self) -> impl Iterator<Item = &'a Deal> + '_ {
        self.all
            .iter()
            .filter(|(_, s)| s.is_none_or(|s| !s.is_closed))
            .map(|(d, _)| *d)
    }

    /// Deals closed in the period: (won, lost).
    fn closed_in(&self, period: &Period) -> (Vec<&'a Deal>, Vec<&'a Deal>) {
        let mut won = Vec::new();
        let mut lost = Vec::new();
        for (d, s) in &self.all {
            match s {
                Some(s) if s.is_closed && period.contains(d.close_date) => {
                    if s.is_won {
                        won.push(*d);
                    } else {
                        lost.push(*d);
                    }
                }
                _ => {}
            }
        }
        (won, lost)
    }
}

/// Compute every KPI over `period`, with targets from the config.
pub fn compute(input: &KpiInput<'_>, period: Period, targets: &Targets) -> Vec<Kpi> {
    let leads = input.leads;
    let by_id: HashMap<&str, &Lead> = leads.iter().map(|l| (l.id.as_str(), l)).collect();
    let deals = Deals::new(input.deals, input.deal_stages);
    let contacts = |d: &Deal| -> Vec<&Lead> {
        d.contact_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect()
    };
    let cal = input.calendar;
    let mut out = Vec::new();
    let mut push = |id: &'static str, team: Option<Team>, label: &'static str, value, better| {
        out.push(Kpi {
            id,
            team,
            label,
            value,
            target: targets.get(period.kind, id),
            better,
        })
    };
    use Better::*;

    // ── Marketing ──
    let mqls: Vec<&Lead> = leads
        .iter()
        .filter(|l| period.contains(l.dates.mql))
        .collect();
    let mkt = Some(Team::Marketing);
    push(
        "mqls_created",
        mkt,
        "MQLs created",
        KpiValue::Count(mqls.len() as u64),
        Higher,
    );

    let left_mql: Vec<&&Lead> = mqls
        .iter()
        .filter(|l| l.stage != Some(Stage::Mql))
        .collect();
    let accepted = left_mql
        .iter()
        .filter(|l| l.dates.accepted.is_some() || reached(l, Stage::Sql).is_some())
        .filter(|l| !matches!(l.stage, Some(Stage::Disqualified | Stage::Inquiry)))
        .count();
    push(
        "mql_acceptance",
        mkt,
        "MQL→SAL accepted",
        ratio(accepted, left_mql.len()),
        Higher,
    );

    let (mut sourced, mut touched) = (0.0, 0.0);
    for deal in deals.open() {
        let people = contacts(deal);
        if people
            .iter()
            .any(|l| MARKETING_CHANNELS.contains(&l.source_channel.as_str()))
        {
            sourced += deal.amount;
        }
        let touched_before = |l: &&Lead| {
            l.touches()
                .iter()
                .any(|t| deal.created_at.is_none_or(|c| t.at <= c))
        };
        if people.iter().any(touched_before) {
            touched += deal.amount;
        }
    }
    push(
        "sourced_pipeline",
        mkt,
        "sourced pipeline",
        KpiValue::Money(sourced),
        Higher,
    );
    push(
        "touched_pipeline",
        mkt,
        "touched pipeline",
        KpiValue::Money(touched),
        Higher,
    );

    let recycled: Vec<&Lead> = leads
        .iter()
        .filter(|l| l.stage == Some(Stage::Nurture) && period.contains(l.dates.inquiry))
        .collect();
    let picked_up = recycled
        .iter()
        .filter(|l| l.dates.last_marketing_touch > l.dates.inquiry)
        .count();
    push(
        "nurture_pickup",
        mkt,
        "nurture pickup",
        ratio(picked_up, recycled.len()),
        Higher,
    );

    // ── Sales ──
    let sls = Some(Team::Sales);
    let speed: Vec<Duration> = leads
        .iter()
        .filter(|l| period.contains(l.dates.first_sales_activity))
        .filter_map(|l| Some(cal.between(l.dates.mql?, l.dates.first_sales_activity?)))
        .filter(|d| *d >= Duration::zero())
        .collect();
    push(
        "speed_to_lead",
        sls,
        "speed to lead (med)",
        KpiValue::Duration(median(speed)),
        Lower,
    );

    let accepted_in: Vec<&Lead> = leads
        .iter()
        .filter(|l| period.contains(l.dates.accepted))
        .collect();
    let left_sal: Vec<&&Lead> = accepted_in
        .iter()
        .filter(|l| l.stage != Some(Stage::Sal))
        .collect();
    let to_sql = left_sal.iter().filter(|l| l.dates.sql.is_some()).count();
    push(
        "sal_to_sql",
        sls,
        "SAL→SQL",
        ratio(to_sql, left_sal.len()),
        Higher,
    );

    let (won, lost) = deals.closed_in(&period);
    push(
        "win_rate",
        sls,
        "win rate",
        ratio(won.len(), won.len() + lost.len()),
        Higher,
    );

    let cycles: Vec<Duration> = won
        .iter()
        .filter_map(|d| Some(d.close_date? - d.created_at?))
        .filter(|d| *d >= Duration::zero())
        .collect();
    push(
        "sales_cycle",
        sls,
        "sales cycle (med)",
        KpiValue::Duration(median(cycles)),
        Lower,
    );

    let open_amount: f64 = deals.open().map(|d| d.amount).sum();
    let won_amount: f64 = won.iter().map(|d| d.amount).sum();
    let coverage = targets
        .get(period.kind, "revenue")
        .and_then(|t| match t {
            KpiValue::Money(m) => Some(m),
            _ => None,
        })
        .map(|goal| {
            let remaining = goal - won_amount;
            if remaining <= 0.0 {
                f64::INFINITY
            } else {
                open_amount / remaining
            }
        })
        .filter(|c| c.is_finite());
    push(
        "pipeline_coverage",
        sls,
        "pipeline coverage",
        KpiValue::Multiple(coverage),
        Higher,
    );

    // ── Shared ──
    let funnel = [
        Stage::Inquiry,
        Stage::Mql,
        Stage::Sal,
        Stage::Sql,
        Stage::Opportunity,
        Stage::Customer,
    ];
    let conv_ids = [
        ("conv_inquiry_mql", "conv. inquiry→MQL"),
        ("conv_mql_sal", "conv. MQL→SAL"),
        ("conv_sal_sql", "conv. SAL→SQL"),
        ("conv_sql_opportunity", "conv. SQL→opp"),
        ("conv_opportunity_customer", "conv. opp→customer"),
    ];
    for (pair, (id, label)) in funnel.windows(2).zip(conv_ids) {
        let entered: Vec<&Lead> = leads
            .iter()
            .filter(|l| period.contains(reached(l, pair[0])))
            .collect();
        let moved = entered
            .iter()
            .filter(|l| reached(l, pair[1]).is_some())
            .count();
        push(id, None, label, ratio(moved, entered.len()), Higher);
    }

    // Velocity: open opportunities × win rate × average deal size ÷ average cycle (days).
    let open: Vec<&Deal> = deals.open().collect();
    let win_rate =
        (won.len() + lost.len() > 0).then(|| won.len() as f64 / (won.len() + lost.len()) as f64);
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
    push(
        "pipeline_velocity",
        None,
        "pipeline velocity",
        velocity,
        Higher,
    );

    let leaking = input
        .timers
        .iter()
        .filter(|t| t.state(period.end.min(input.now)) == SlaState::Breached)
        .map(|t| t.lead_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    push(
        "funnel_leakage",
        None,
        "funnel leakage",
        KpiValue::Count(leaking as u64),
        Lower,
    );
    out
}
