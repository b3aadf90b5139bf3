//! Lenses: one narrowing that every pane follows (a rep's own leads, a team, a segment, the
//! top accounts), named in the header. Pure: which leads and deals a lens keeps.

use std::collections::{HashMap, HashSet};

use super::lead::{Deal, DealStage, Lead, Owner};
use super::stage::Team;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Lens {
    #[default]
    All,
    /// One owner's leads and deals, and the unowned leads in their team's queue ("me" when
    /// it is the user).
    Owner { id: String, name: String, me: bool },
    /// Leads and deals owned by someone on the team.
    Team(Team),
    /// Leads in one segment ("EMEA ent"), and their deals.
    Segment(String),
    /// Leads at the companies with the most open deal value, and their deals.
    TopAccounts(usize),
    /// Leads at the companies a named account list holds, and their deals.
    NamedAccounts(Vec<String>),
}

/// Which companies are the top accounts (config `[lens]`): the `count` with the most open
/// deal value, or, when `named` is not empty, exactly those companies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopAccounts {
    pub count: usize,
    pub named: Vec<String>,
}

impl Default for TopAccounts {
    fn default() -> Self {
        Self {
            count: 20,
            named: Vec::new(),
        }
    }
}

impl Lens {
    /// For the header: "me (Tom Okonkwo)", "team sales", "EMEA ent", "top 20 accounts".
    pub fn label(&self) -> String {
        match self {
            Lens::All => "everyone".into(),
            Lens::Owner { name, me: true, .. } => format!("me ({name})"),
            Lens::Owner { name, .. } => name.clone(),
            Lens::Team(t) => format!("team {}", t.label()),
            Lens::Segment(s) => s.clone(),
            Lens::TopAccounts(n) => format!("top {n} accounts"),
            Lens::NamedAccounts(list) => format!("named accounts ({})", list.len()),
        }
    }

    /// The lenses to cycle through, in order: me (when the user is an owner), each team,
    /// each segment with leads, the top accounts, everyone.
    pub fn cycle(me: Option<&Owner>, leads: &[Lead], top: &TopAccounts) -> Vec<Lens> {
        let mut out = Vec::new();
        if let Some(o) = me {
            out.push(Lens::Owner {
                id: o.id.clone(),
                name: o.name.clone(),
                me: true,
            });
        }
        out.push(Lens::Team(Team::Sales));
        out.push(Lens::Team(Team::Marketing));
        // Every segment, unknown ones ("— —") too: segment lenses partition the leads.
        let mut segments: Vec<String> = leads
            .iter()
            .map(Lead::segment)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        segments.sort();
        out.extend(segments.into_iter().map(Lens::Segment));
        if !top.named.is_empty() {
            out.push(Lens::NamedAccounts(top.named.clone()));
        } else if top.count > 0 {
            out.push(Lens::TopAccounts(top.count));
        }
        out.push(Lens::All);
        out
    }
}

/// The CRM owner a user is: the one with that email, or, for a bare OS user name, the one
/// owner whose address starts with it (never a guess between several).
pub fn identify<'a>(owners: &'a [Owner], user: &str) -> Option<&'a Owner> {
    let wanted = user.trim().to_lowercase();
    if let Some(exact) = owners.iter().find(|o| o.email.to_lowercase() == wanted) {
        return Some(exact);
    }
    let mut hits = owners.iter().filter(|o| {
        o.email
            .split_once('@')
            .is_some_and(|(local, _)| local.to_lowercase() == wanted)
    });
    match (hits.next(), hits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// A lens as `report --lens` names it: `everyone`, `me`, `team:sales`, `team:marketing`,
/// `segment:EMEA smb`, `top-accounts`. `me` is the owner `user` maps to.
pub fn parse(spec: &str, owners: &[Owner], user: &str, top: &TopAccounts) -> Result<Lens, String> {
    let spec = spec.trim();
    let (kind, arg) = spec.split_once(':').unwrap_or((spec, ""));
    let arg = arg.trim().trim_matches('"');
    match (kind.trim().to_lowercase().as_str(), arg) {
        ("everyone" | "all", "") => Ok(Lens::All),
        ("me", "") => identify(owners, user)
            .map(|o| Lens::Owner {
                id: o.id.clone(),
                name: o.name.clone(),
                me: true,
            })
            .ok_or_else(|| {
                format!("--lens me: {user:?} maps to no CRM owner; pass --user with your CRM email")
            }),
        ("team", t) => match Team::from_team_name(t) {
            Some(team) => Ok(Lens::Team(team)),
            None => Err(format!(
                "--lens team:{t}: the teams are sales and marketing"
            )),
        },
        ("segment", s) if !s.is_empty() => Ok(Lens::Segment(s.to_string())),
        ("top-accounts", "") if !top.named.is_empty() => Ok(Lens::NamedAccounts(top.named.clone())),
        ("top-accounts", "") => Ok(Lens::TopAccounts(top.count)),
        _ => Err(format!(
            "--lens {spec}: expected everyone, me, team:sales, team:marketing, segment:\"EMEA smb\" or top-accounts"
        )),
    }
}

/// Under a person or team lens, whose events a figure counts (metrics.md §6): the owner at
/// the event (right after it for a flow, at the cohort's entry for a cohort), or, for an
/// unowned lead, the team whose queue its stage is in. Selecting by the *current* owner would
/// keep a cohort's survivors and inflate every ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct ByOwner {
    members: HashSet<String>,
    /// The team whose queue an unowned lead is in for this lens's lists.
    queue: Option<Team>,
    /// A person's events are their own; a team's include its queue's unowned leads.
    person: bool,
}

impl ByOwner {
    /// The rule of a person or team lens; `None` for lenses that select by an attribute the
    /// outcome cannot change (segment, accounts, everyone).
    pub fn of(lens: &Lens, owners: &[Owner]) -> Option<ByOwner> {
        match lens {
            Lens::Owner { id, .. } => Some(ByOwner {
                members: HashSet::from([id.clone()]),
                queue: owners.iter().find(|o| &o.id == id).and_then(|o| o.team),
                person: true,
            }),
            Lens::Team(t) => Some(ByOwner {
                members: owners
                    .iter()
                    .filter(|o| o.team == Some(*t))
                    .map(|o| o.id.clone())
                    .collect(),
                queue: Some(*t),
                person: false,
            }),
            _ => None,
        }
    }

    /// Whether an event with this owner (right after it, or at a cohort's entry), on a lead
    /// whose stage then belongs to `stage_team`, is this lens's: a person's own events; a
    /// team's members' and its queue's.
    pub fn keeps(&self, owner: Option<&str>, stage_team: Option<Team>) -> bool {
        match owner {
            Some(o) => self.members.contains(o),
            None => !self.person && self.queue.is_some() && stage_team == self.queue,
        }
    }

    /// Whether a lead is this lens's to act on now (its current owner, or for an unowned
    /// one its team's queue), as the lists and breaches show it.
    pub fn acts_now(&self, owner: Option<&str>, stage_team: Option<Team>) -> bool {
        match owner {
            Some(o) => self.members.contains(o),
            None => self.queue.is_some() && stage_team == self.queue,
        }
    }
}

/// What a lens keeps, worked out once per data change.
pub struct Kept {
    pub leads: HashSet<String>,
    pub deals: HashSet<String>,
}

/// The records a lens looks at, and which team owns each shared stage (from the config).
pub struct LensInput<'a> {
    pub leads: &'a [Lead],
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub owners: &'a [Owner],
    pub stage_team: &'a dyn Fn(super::stage::Stage) -> Option<Team>,
}

/// The leads and deals `lens` keeps.
pub fn keep(lens: &Lens, input: &LensInput<'_>) -> Kept {
    let LensInput {
        leads,
        deals,
        deal_stages: stages,
        owners,
        stage_team,
    } = *input;
    let team_of: HashMap<&str, Option<Team>> =
        owners.iter().map(|o| (o.id.as_str(), o.team)).collect();
    let owned_by = |owner: Option<&str>, f: &dyn Fn(&str) -> bool| owner.is_some_and(f);
    let lead_keeps: Box<dyn Fn(&Lead) -> bool> = match lens {
        Lens::All => Box::new(|_| true),
        Lens::Owner { id, .. } => {
            // Their own leads, and the unowned ones waiting in their team's queue.
            let team = team_of.get(id.as_str()).copied().flatten();
            Box::new(move |l| {
                l.owner_id.as_deref() == Some(id)
                    || (l.owner_id.is_none()
                        && team.is_some()
                        && l.stage.and_then(stage_team) == team)
            })
        }
        Lens::Team(t) => Box::new(|l| {
            owned_by(l.owner_id.as_deref(), &|o| team_of.get(o).copied().flatten() == Some(*t))
                // An unowned lead sits in its stage team's queue.
                || (l.owner_id.is_none() && l.stage.and_then(stage_team) == Some(*t))
        }),
        Lens::Segment(s) => Box::new(move |l| l.segment() == *s),
        Lens::TopAccounts(n) => {
            let top = top_companies(leads, deals, stages, *n);
            Box::new(move |l| top.contains(l.company.as_str()))
        }
        Lens::NamedAccounts(list) => {
            let named: HashSet<String> = list.iter().map(|c| c.trim().to_lowercase()).collect();
            Box::new(move |l| named.contains(&l.company.trim().to_lowercase()))
        }
    };
    let kept: HashSet<String> = leads
        .iter()
        .filter(|l| lead_keeps(l))
        .map(|l| l.id.to_string())
        .collect();
    let deals = deals
        .iter()
        .filter(|d| match lens {
            Lens::All => true,
            Lens::Owner { id, .. } => d.owner_id.as_deref() == Some(id),
            Lens::Team(t) => owned_by(d.owner_id.as_deref(), &|o| {
                team_of.get(o).copied().flatten() == Some(*t)
            }),
            _ => d.contact_ids.iter().any(|c| kept.contains(c)),
        })
        .map(|d| d.id.clone())
        .collect();
    Kept { leads: kept, deals }
}

/// The `n` companies with the most open deal value (deals reach a company through their
/// contacts), largest first; ties by name.
pub fn top_companies(
    leads: &[Lead],
    deals: &[Deal],
    stages: &[DealStage],
    n: usize,
) -> HashSet<String> {
    let company: HashMap<&str, &str> = leads
        .iter()
        .map(|l| (l.id.as_str(), l.company.as_str()))
        .collect();
    let open = |d: &Deal| !stages.iter().any(|s| s.id == d.stage_id && s.is_closed);
    let mut value: HashMap<&str, f64> = HashMap::new();
    for d in deals.iter().filter(|d| open(d)) {
        let companies: HashSet<&str> = d
            .contact_ids
            .iter()
            .filter_map(|c| company.get(c.as_str()).copied())
            .filter(|c| !c.is_empty())
            .collect();
        for c in companies {
            *value.entry(c).or_default() += d.amount;
        }
    }
    let mut ranked: Vec<(&str, f64)> = value.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(n)
        .map(|(c, _)| c.to_string())
        .collect()
}

#[cfg(test)]
#[path = "lens_tests.rs"]
mod tests;
