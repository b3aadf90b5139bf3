//! Accounts: leads grouped by company, with the open deal value behind them, for the
//! account view and the top-accounts lens. Pure.

use std::collections::{HashMap, HashSet};

use super::lead::{Deal, DealStage, Lead};
use super::stage::Stage;

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub company: String,
    pub leads: usize,
    /// The furthest shared stage any of its leads has reached (in [`Stage::ALL`] order).
    pub furthest: Option<Stage>,
    /// Open deals reaching the company through their contacts, each counted once.
    pub open_deals: usize,
    pub open_value: f64,
}

/// Open deals (not in a closed stage) of each lead, by lead id.
pub fn open_value_by_lead(deals: &[Deal], stages: &[DealStage]) -> HashMap<String, f64> {
    let mut out: HashMap<String, f64> = HashMap::new();
    for d in deals.iter().filter(|d| is_open(d, stages)) {
        for c in &d.contact_ids {
            *out.entry(c.clone()).or_default() += d.amount;
        }
    }
    out
}

fn is_open(d: &Deal, stages: &[DealStage]) -> bool {
    !stages.iter().any(|s| s.id == d.stage_id && s.is_closed)
}

/// Every company with leads, most open deal value first, then most leads, then by name.
/// Leads without a company are left out.
pub fn accounts(leads: &[Lead], deals: &[Deal], stages: &[DealStage]) -> Vec<Account> {
    let rank = |s: Stage| Stage::ALL.iter().position(|x| *x == s);
    let company_of: HashMap<&str, &str> = leads
        .iter()
        .filter(|l| !l.company.trim().is_empty())
        .map(|l| (l.id.as_str(), l.company.as_str()))
        .collect();
    let mut by: HashMap<&str, Account> = HashMap::new();
    for l in leads.iter().filter(|l| !l.company.trim().is_empty()) {
        let a = by.entry(l.company.as_str()).or_insert_with(|| Account {
            company: l.company.to_string(),
            leads: 0,
            furthest: None,
            open_deals: 0,
            open_value: 0.0,
        });
        a.leads += 1;
        // Disqualified and nurture are not "further" than a live sales stage.
        let live = l
            .stage
            .filter(|s| !matches!(s, Stage::Disqualified | Stage::Nurture));
        if live.and_then(rank) > a.furthest.and_then(rank) {
            a.furthest = live;
        }
    }
    for d in deals.iter().filter(|d| is_open(d, stages)) {
        let companies: HashSet<&str> = d
            .contact_ids
            .iter()
            .filter_map(|c| company_of.get(c.as_str()).copied())
            .collect();
        for c in companies {
            if let Some(a) = by.get_mut(c) {
                a.open_deals += 1;
                a.open_value += d.amount;
            }
        }
    }
    let mut out: Vec<Account> = by.into_values().collect();
    out.sort_by(|a, b| {
        b.open_value
            .total_cmp(&a.open_value)
            .then(b.leads.cmp(&a.leads))
            .then(a.company.cmp(&b.company))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::tests_support::lead_in;

    fn lead(id: &str, company: &str, stage: Stage) -> Lead {
        let mut l = lead_in(stage);
        l.id = id.into();
        l.company = company.into();
        l
    }

    fn deal(id: &str, contacts: &[&str], amount: f64, stage: &str) -> Deal {
        Deal {
            id: id.into(),
            name: id.into(),
            amount,
            stage_id: stage.into(),
            created_at: None,
            close_date: None,
            owner_id: None,
            contact_ids: contacts.iter().map(|c| c.to_string()).collect(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
            stage_history: Vec::new(),
        }
    }

    #[test]
    fn companies_rank_by_open_deal_value_each_deal_counted_once() {
        let leads = [
            lead("a1", "Acme", Stage::Sql),
            lead("a2", "Acme", Stage::Mql),
            lead("b1", "Beta", Stage::Opportunity),
            lead("x", "", Stage::Mql),
        ];
        let stages = [DealStage {
            id: "won".into(),
            label: "Won".into(),
            order: 9,
            is_closed: true,
            is_won: true,
        }];
        let deals = [
            // Two Acme contacts on one deal: Acme's value counts it once.
            deal("d1", &["a1", "a2"], 40_000.0, "open"),
            deal("d2", &["b1"], 25_000.0, "open"),
            deal("d3", &["b1"], 90_000.0, "won"),
        ];
        let all = accounts(&leads, &deals, &stages);
        assert_eq!(all.len(), 2, "no company, no account");
        assert_eq!(
            (
                all[0].company.as_str(),
                all[0].leads,
                all[0].open_deals,
                all[0].open_value
            ),
            ("Acme", 2, 1, 40_000.0)
        );
        assert_eq!(all[0].furthest, Some(Stage::Sql));
        assert_eq!(
            (all[1].company.as_str(), all[1].open_value),
            ("Beta", 25_000.0)
        );
        let by_lead = open_value_by_lead(&deals, &stages);
        assert_eq!(by_lead.get("a2"), Some(&40_000.0));
        assert_eq!(by_lead.get("b1"), Some(&25_000.0));
    }
}
