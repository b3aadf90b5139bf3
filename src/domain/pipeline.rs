//! The open pipeline deal by deal: whether each deal is open, whether marketing sourced it
//! (a contact from a marketing channel) or touched it (a contact with a campaign touch
//! before the deal was created), and what each attribution model credits each campaign
//! (metrics.md). A deal's part reads that deal and its contacts alone, so a change to k
//! leads (or k deals) recounts the parts of those deals only. Each campaign's credit is
//! kept as a running total in millionths of the amount's unit: integers, so taking a part
//! out and putting its new version in gives exactly what counting every deal from scratch
//! gives, whatever the order.

use std::collections::HashMap;

use super::attribution::{self, Milestones, Model};
use super::kpi::MARKETING_CHANNELS;
use super::lead::{Deal, DealStage, Lead};
use super::snapshot::{Attributed, ChangedDeal};

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
    by_contact: HashMap<String, Vec<usize>, foldhash::fast::RandomState>,
    /// Campaign names, interned.
    campaigns: Vec<String>,
    campaign_of: HashMap<String, u32, foldhash::fast::RandomState>,
    /// Per attribution model, per campaign: the open deals' credits summed.
    totals: Vec<Vec<Total>>,
}

/// One campaign's credit under one model.
#[derive(Debug, Clone, Copy, Default)]
struct Total {
    /// The credits in millionths of their unit: sums of integers are exact.
    micros: i128,
    /// How many credits (a campaign no open deal credits is not listed).
    n: u32,
    /// How many of them are too large (or not finite) to count in millionths: then the
    /// total is summed again in deal order, as floats.
    huge: u32,
}

/// Past this, a credit is summed as a float (a mistyped amount, not a real deal).
const HUGE: f64 = 1e18;

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
        p.parts.reserve(input.deals.len());
        for (i, deal) in input.deals.iter().enumerate() {
            for contact in &deal.contact_ids {
                p.by_contact.entry(contact.clone()).or_default().push(i);
            }
            let part = p.part(input, deal);
            p.set_part(i, part);
        }
        p
    }

    /// Recount the deals that changed or arrived: each index with the version this
    /// pipeline counted (`None` for a new deal).
    pub fn update_deals(&mut self, input: &PipelineInput<'_>, changed: &[ChangedDeal]) {
        for (i, old) in changed {
            for contact in old.iter().flat_map(|d| &d.contact_ids) {
                if let Some(deals) = self.by_contact.get_mut(contact.as_str()) {
                    deals.retain(|d| d != i);
                    if deals.is_empty() {
                        self.by_contact.remove(contact.as_str());
                    }
                }
            }
            let Some(deal) = input.deals.get(*i) else {
                continue;
            };
            for contact in &deal.contact_ids {
                self.by_contact.entry(contact.clone()).or_default().push(*i);
            }
            let part = self.part(input, deal);
            self.set_part(*i, part);
        }
    }

    /// Put `part` in as deal `i`'s, its credits into the totals in place of the old one's.
    fn set_part(&mut self, i: usize, part: DealPart) {
        if i >= self.parts.len() {
            self.parts.resize_with(i + 1, DealPart::default);
        }
        let old = std::mem::replace(&mut self.parts[i], part);
        self.count(&old, -1);
        let new = std::mem::take(&mut self.parts[i]);
        self.count(&new, 1);
        self.parts[i] = new;
    }

    /// Add (`sign` 1) or take out (-1) a part's credits.
    fn count(&mut self, part: &DealPart, sign: i64) {
        for (m, credits) in part.credits.iter().enumerate() {
            if self.totals.len() <= m {
                self.totals.resize_with(m + 1, Vec::new);
            }
            let totals = &mut self.totals[m];
            for &(campaign, amount) in credits {
                let c = campaign as usize;
                if totals.len() <= c {
                    totals.resize(c + 1, Total::default());
                }
                let t = &mut totals[c];
                t.n = t.n.wrapping_add_signed(sign as i32);
                if amount.abs() < HUGE {
                    t.micros += i128::from(sign) * (amount * 1e6).round() as i128;
                } else {
                    t.huge = t.huge.wrapping_add_signed(sign as i32);
                }
            }
        }
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
                let part = self.part(input, deal);
                self.set_part(i, part);
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
                    lead_created: lead.dates.mql(),
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

    /// Open pipeline by campaign under every model, most credited first: from the running
    /// totals, so it costs the campaigns, not the deals.
    pub fn attribution(&self, half_life: chrono::Duration) -> Vec<Attributed> {
        let none = Vec::new();
        Model::all(half_life)
            .into_iter()
            .enumerate()
            .map(|(m, model)| {
                let totals = self.totals.get(m).unwrap_or(&none);
                let mut campaigns: Vec<(String, f64)> = (totals.iter().enumerate())
                    .filter(|(_, t)| t.n > 0)
                    .map(|(c, t)| {
                        let sum = match t.huge {
                            0 => t.micros as f64 / 1e6,
                            _ => self.summed(m, c as u32),
                        };
                        (self.campaigns[c].clone(), sum)
                    })
                    .collect();
                campaigns.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                Attributed { model, campaigns }
            })
            .collect()
    }

    /// A campaign's credit under model `m`, every open deal's in deal order, as floats.
    fn summed(&self, m: usize, campaign: u32) -> f64 {
        (self.parts.iter())
            .filter_map(|p| p.credits.get(m))
            .flatten()
            .filter(|(c, _)| *c == campaign)
            .map(|(_, amount)| amount)
            .sum()
    }
}
