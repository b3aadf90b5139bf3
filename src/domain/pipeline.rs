//! The open pipeline deal by deal: whether each deal is open, whether marketing sourced it
//! (a contact from a marketing channel) or touched it (a contact with a campaign touch
//! before the deal was created), and what each attribution model credits each campaign
//! (metrics.md). A deal's part reads that deal and its contacts alone, so a change to k
//! leads recounts the parts of their deals only; the totals are summed again in deal order,
//! exactly as counting every deal from scratch sums them.

use std::collections::HashMap;

use super::attribution::{self, Milestones, Model};
use super::kpi::MARKETING_CHANNELS;
use super::lead::{Deal, DealStage, Lead};
use super::snapshot::Attributed;

/// What the pipeline is counted from.
pub struct PipelineInput<'a> {
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub lead_of: &'a dyn Fn(&str) -> Option<&'a Lead>,
    pub half_life: chrono::Duration,
}

#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    /// By deal index.
    parts: Vec<DealPart>,
    /// Contact id → the deals it is a contact of.
    by_contact: HashMap<String, Vec<usize>>,
    /// Campaign names, interned.
    campaigns: Vec<String>,
    campaign_of: HashMap<String, u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct DealPart {
    open: bool,
    sourced: bool,
    touched: bool,
    /// Per attribution model, in credit order: (campaign, amount).
    credits: Vec<Vec<(u32, f64)>>,
}

/// Pipelines are equal when every deal's part is, campaign by name.
impl PartialEq for Pipeline {
    fn eq(&self, other: &Self) -> bool {
        type Named<'p> = (bool, bool, bool, Vec<Vec<(&'p str, f64)>>);
        fn named<'p>(p: &'p Pipeline, part: &DealPart) -> Named<'p> {
            let credits = (part.credits.iter())
                .map(|m| {
                    m.iter()
                        .map(|(c, a)| (p.campaigns[*c as usize].as_str(), *a))
                        .collect()
                })
                .collect();
            (part.open, part.sourced, part.touched, credits)
        }
        self.parts.len() == other.parts.len()
            && (self.parts.iter().zip(&other.parts)).all(|(a, b)| named(self, a) == named(other, b))
    }
}

/// A deal in `stage` is open: its stage is not a closed one (or is unknown).
pub fn deal_is_open(stages: &[DealStage], stage: &str) -> bool {
    stages
        .iter()
        .find(|s| s.id == stage)
        .is_none_or(|s| !s.is_closed)
}

impl Pipeline {
    pub fn build(input: &PipelineInput<'_>) -> Pipeline {
        let mut p = Pipeline::default();
        for (i, deal) in input.deals.iter().enumerate() {
            for contact in &deal.contact_ids {
                p.by_contact.entry(contact.clone()).or_default().push(i);
            }
            let part = p.part(input, deal);
            p.parts.push(part);
        }
        p
    }

    /// Recount the deals of the leads with these ids (changed since the last count; the
    /// deals themselves did not change).
    pub fn update<'i>(
        &mut self,
        input: &PipelineInput<'_>,
        leads: impl IntoIterator<Item = &'i str>,
    ) {
        let mut deals: Vec<usize> = leads
            .into_iter()
            .filter_map(|id| self.by_contact.get(id))
            .flatten()
            .copied()
            .collect();
        deals.sort_unstable();
        deals.dedup();
        for i in deals {
            if let Some(deal) = input.deals.get(i) {
                self.parts[i] = self.part(input, deal);
            }
        }
    }

    /// Whether any of these lead ids is a deal's contact.
    pub fn has_contact<'i>(&self, mut leads: impl Iterator<Item = &'i str>) -> bool {
        leads.any(|id| self.by_contact.contains_key(id))
    }

    fn part(&mut self, input: &PipelineInput<'_>, deal: &Deal) -> DealPart {
        let open = deal_is_open(input.deal_stages, &deal.stage_id);
        if !open {
            return DealPart::default();
        }
        let people = || deal.contact_ids.iter().filter_map(|id| (input.lead_of)(id));
        let sourced = people().any(|l| MARKETING_CHANNELS.contains(&l.source_channel.as_str()));
        let touched = people().any(|l| {
            l.earliest_touch()
                .is_some_and(|t| deal.created_at.is_none_or(|c| t <= c))
        });
        // The deal's first contact with touches carries the attribution path.
        let credits = match people().find(|l| !l.touches().is_empty()) {
            None => Vec::new(),
            Some(lead) => {
                let touches: Vec<_> = lead
                    .touches()
                    .into_iter()
                    .filter(|t| deal.created_at.is_none_or(|c| t.at <= c))
                    .collect();
                let milestones = Milestones {
                    lead_created: lead.dates.mql,
                    opportunity_created: deal.created_at,
                    closed: None,
                };
                Model::all(input.half_life)
                    .iter()
                    .map(|model| {
                        attribution::credit(*model, deal.amount, &touches, &milestones)
                            .into_iter()
                            .map(|(campaign, amount)| (self.intern(campaign), amount))
                            .collect()
                    })
                    .collect()
            }
        };
        DealPart {
            open,
            sourced,
            touched,
            credits,
        }
    }

    fn intern(&mut self, campaign: String) -> u32 {
        if let Some(&id) = self.campaign_of.get(&campaign) {
            return id;
        }
        let id = self.campaigns.len() as u32;
        self.campaigns.push(campaign.clone());
        self.campaign_of.insert(campaign, id);
        id
    }

    /// Open pipeline marketing sourced and touched: (sourced, touched).
    pub fn marketing(&self, deals: &[Deal]) -> (f64, f64) {
        let (mut sourced, mut touched) = (0.0, 0.0);
        for (part, deal) in self.parts.iter().zip(deals) {
            if part.open && part.sourced {
                sourced += deal.amount;
            }
            if part.open && part.touched {
                touched += deal.amount;
            }
        }
        (sourced, touched)
    }

    /// Open pipeline by campaign under every model, most credited first.
    pub fn attribution(&self, half_life: chrono::Duration) -> Vec<Attributed> {
        let models = Model::all(half_life);
        let mut totals: Vec<Vec<Option<f64>>> =
            vec![vec![None; self.campaigns.len()]; models.len()];
        for part in self.parts.iter().filter(|p| p.open) {
            for (m, credits) in part.credits.iter().enumerate() {
                for &(campaign, amount) in credits {
                    let total = totals[m][campaign as usize].get_or_insert(0.0);
                    *total += amount;
                }
            }
        }
        models
            .into_iter()
            .zip(totals)
            .map(|(model, totals)| {
                let mut campaigns: Vec<(String, f64)> = (totals.into_iter().enumerate())
                    .filter_map(|(c, t)| Some((self.campaigns[c].clone(), t?)))
                    .collect();
                campaigns.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                Attributed { model, campaigns }
            })
            .collect()
    }
}
