//! The deals the KPIs read: each deal's stage dated once (open, and when it closed), the
//! open and the closed deals sorted out once for every period, and the open pipeline
//! marketing sourced and touched.

use std::collections::HashMap;

use chrono::Utc;

use super::{KpiInput, Period};
use crate::domain::lead::{Deal, DealStage, Lead};
use crate::domain::pipeline::{Pipeline, PipelineInput};

/// What each deal's stage says, dated once: whether it is open, and every time it closed
/// (when, won). Depends on the deals and the pipeline's stages alone, so it is kept while
/// only leads change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealDates {
    open: Vec<bool>,
    closings: Vec<Vec<(chrono::DateTime<Utc>, bool)>>,
}

impl DealDates {
    pub fn of(deals: &[Deal], stages: &[DealStage]) -> Self {
        DealDates {
            open: (deals.iter())
                .map(|d| crate::domain::pipeline::deal_is_open(stages, &d.stage_id))
                .collect(),
            closings: deals.iter().map(|d| d.closings(stages)).collect(),
        }
    }

    /// Date again the deals at these indices (changed or new; the others as they were).
    pub fn update(&mut self, deals: &[Deal], stages: &[DealStage], changed: &[usize]) {
        if deals.len() > self.open.len() {
            self.open.resize(deals.len(), false);
            self.closings.resize_with(deals.len(), Vec::new);
        }
        for &i in changed {
            let Some(d) = deals.get(i) else { continue };
            self.open[i] = crate::domain::pipeline::deal_is_open(stages, &d.stage_id);
            self.closings[i] = d.closings(stages);
        }
    }
}

/// The deals tandem counts, with what their stages say: sorted out once for every period
/// (open ones, and those with a close), since six periods each read them.
pub(super) struct Deals<'a> {
    /// The open deals, in deal order.
    pub(super) open: Vec<&'a Deal>,
    /// The deals with a close, each with its closes, in deal order.
    closed: Vec<(&'a Deal, Closes<'a>)>,
}

/// A deal's closes: (when, won).
type Closes<'a> = &'a [(chrono::DateTime<Utc>, bool)];

impl<'a> Deals<'a> {
    fn of(all: &'a [Deal], dates: &'a DealDates) -> Self {
        let open = (all.iter().zip(&dates.open))
            .filter(|(_, open)| **open)
            .map(|(d, _)| d)
            .collect();
        let closed = (all.iter().zip(&dates.closings))
            .filter(|(_, closings)| !closings.is_empty())
            .map(|(d, closings)| (d, closings.as_slice()))
            .collect();
        Deals { open, closed }
    }

    pub(super) fn open(&self) -> impl Iterator<Item = &'a Deal> + '_ {
        self.open.iter().copied()
    }

    /// Deals closed in the period: (won, lost), each by its latest close in the period as
    /// its stage history dates it (a deal lost, reopened and won counts once, as won).
    pub(super) fn closed_in(&self, period: &Period) -> (Vec<&'a Deal>, Vec<&'a Deal>) {
        let mut won = Vec::new();
        let mut lost = Vec::new();
        for &(d, closings) in &self.closed {
            let last = closings
                .iter()
                .filter(|(at, _)| period.contains(Some(*at)))
                .max_by_key(|(at, _)| *at);
            match last {
                Some((_, true)) => won.push(d),
                Some((_, false)) => lost.push(d),
                None => {}
            }
        }
        (won, lost)
    }
}

/// What every period's figures share: the deals with their closings dated, and the open
/// pipeline marketing sourced (a contact from a marketing channel) or touched (a contact
/// with a campaign touch before the deal was created).
pub(super) struct DealFacts<'a> {
    pub(super) deals: Deals<'a>,
    pub(super) sourced: f64,
    pub(super) touched: f64,
}

impl<'d> DealFacts<'d> {
    /// `marketing`: the open pipeline marketing (sourced, touched) where the caller keeps
    /// it, else counted here; `dates`, the deals' stages dated.
    pub(super) fn new<'a: 'd>(
        input: &KpiInput<'a>,
        marketing: Option<(f64, f64)>,
        dates: &'d DealDates,
    ) -> Self {
        let (sourced, touched) = marketing.unwrap_or_else(|| {
            // Without a lookup at hand, an index of the leads built once here.
            let by_id: HashMap<&'a str, &'a Lead> = match input.lead_of {
                Some(_) => HashMap::new(),
                None => input.leads.iter().map(|l| (l.id.as_str(), l)).collect(),
            };
            let lead_of = |id: &str| match input.lead_of {
                Some(f) => f(id),
                None => by_id.get(id).copied(),
            };
            let pipeline = Pipeline::build(&PipelineInput {
                deals: input.deals,
                deal_stages: input.deal_stages,
                lead_of: &lead_of,
                half_life: chrono::Duration::days(7),
            });
            pipeline.marketing(input.deals)
        });
        DealFacts {
            deals: Deals::of(input.deals, dates),
            sourced,
            touched,
        }
    }
}
