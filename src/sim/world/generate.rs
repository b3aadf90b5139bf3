//! Builds the initial world from a seed: owners, companies, contacts, deals, notes.
//!
//! Everything is derived from `(seed, now)` and nothing else, so the same options give
//! byte-identical API responses forever. Ids are handed out in creation order, as HubSpot's
//! mostly are, which keeps paging by id and sorting by `createdate` in rough agreement.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::names::*;
use super::plan::{self, Fate, Plan, Plant};
use super::seed_notes::{self, NoteSpec};
use super::{ObjType, Owner, Team, World};
use crate::sim::rng::Rng;

/// What the note generator needs to know about a contact.
pub struct Placed {
    pub id: u64,
    pub plan: Plan,
    /// The sales rep who worked the lead (kept after a recycle hands it back to marketing).
    pub sales_owner: Option<u64>,
    pub last_campaign: &'static str,
}

pub(super) struct Company {
    pub(super) name: String,
    slug: String,
    size: &'static str,
    country: &'static str,
}

struct DealSpec {
    contact: u64,
    owner: u64,
    created: DateTime<Utc>,
    name: String,
    amount: i64,
    stage: &'static str,
    close: DateTime<Utc>,
    lost_reason: Option<&'static str>,
    modified: DateTime<Utc>,
}

pub fn generate(seed: u64, contacts: usize, now: DateTime<Utc>, frozen: bool) -> World {
    let mut w = World::empty(seed, now, frozen);
    let now = w.now();
    let mut root = Rng::new(seed);
    make_owners(&mut w, &mut root.fork(1));
    let companies = make_companies(&mut root.fork(2), contacts / 3 + 5);

    let mut rng = root.fork(3);
    let mut plans: Vec<(Plan, Plant)> = plan::plants(contacts)
        .into_iter()
        .take(contacts)
        .map(|k| (plan::plan(&mut rng, now, k), k))
        .collect();
    while plans.len() < contacts {
        plans.push((plan::plan(&mut rng, now, Plant::None), Plant::None));
    }
    plans.sort_by_key(|(p, _)| p.created);

    let mut emails = HashSet::new();
    let mut placed = Vec::with_capacity(contacts);
    let mut deals = Vec::new();
    let mut notes = Vec::new();
    let sales = w.owners_in(Team::Sales);
    let marketing = w.owners_in(Team::Marketing);
    for (plan, _) in plans {
        let company = &companies[rng.below(companies.len() as u64) as usize];
        let id = w.insert_new(ObjType::Contacts, plan.created);
        let sales_owner = plan.accepted.map(|_| *rng.pick(&sales));
        let last_campaign = fill_contact(&mut w, &mut rng, id, &plan, company, &mut emails);
        if let (Some(owner), Some(exited)) = (sales_owner, plan.exited) {
            let c = w.get_mut(ObjType::Contacts, id).expect("just inserted");
            if plan.fate == Fate::Nurture {
                // Recycled leads go back to marketing.
                c.set("hubspot_owner_id", rng.pick(&marketing).to_string());
                c.set_ts("hubspot_owner_assigneddate", exited);
                if rng.chance(0.85) {
                    notes.push(seed_notes::recycle_note(&mut rng, id, owner, exited, &plan));
                }
            } else {
                c.set("hubspot_owner_id", owner.to_string());
                c.set_ts(
                    "hubspot_owner_assigneddate",
                    plan.accepted.unwrap_or(exited),
                );
            }
        } else if let Some(owner) = sales_owner {
            let c = w.get_mut(ObjType::Contacts, id).expect("just inserted");
            c.set("hubspot_owner_id", owner.to_string());
            c.set_ts("hubspot_owner_assigneddate", plan.accepted.unwrap_or(now));
        }
        if let (Some(opp), Some(owner)) = (plan.opp, sales_owner) {
            deals.push(deal_spec(&mut rng, id, owner, opp, &plan, company, now));
        }
        placed.push(Placed {
            id,
            plan,
            sales_owner,
            last_campaign,
        });
    }

    deals.sort_by_key(|d| d.created);
    for d in deals {
        insert_deal(&mut w, d);
    }
    notes.extend(seed_notes::feedback_notes(&mut root.fork(4), &placed, now));
    notes.extend(seed_notes::plain_notes(&mut root.fork(5), &placed, now));
    notes.sort_by_key(|n: &NoteSpec| n.ts);
    for n in notes {
        seed_notes::insert(&mut w, n);
    }
    w.rng = root.fork(6);
    first_engagements(&mut w, &mut root.fork(7), &placed);
    w
}

/// `hs_sa_first_engagement_date` for every contact with sales activity. Runs last, on its
/// own stream, so the rest of the world for a seed is what it was before this property.
fn first_engagements(w: &mut World, rng: &mut Rng, placed: &[Placed]) {
    for p in placed {
        if let Some(at) = plan::first_activity(rng, &p.plan) {
            let c = w.get_mut(ObjType::Contacts, p.id).expect("placed");
            c.set_ts("hs_sa_first_engagement_date", at);
        }
    }
}

fn make_owners(w: &mut World, rng: &mut Rng) {
    let teams = SALES_OWNERS
        .iter()
        .map(|n| (n, Team::Sales))
        .chain(MARKETING_OWNERS.iter().map(|n| (n, Team::Marketing)));
    for (i, ((first, last), team)) in teams.enumerate() {
        let created = w.portal_created + Duration::days(rng.range(1, 600));
        w.owners.push(Owner {
            id: 61_000_000 + i as u64 * 1_117 + rng.below(1_000),
            user_id: 9_100_000 + i as u64 * 331 + rng.below(300),
            first: first.to_string(),
            last: last.to_string(),
            email: format!(
                "{}.{}@{OWN_DOMAIN}",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            team,
            created_at: created,
        });
    }
}

/// Distinct company names. The head × tail pool (plus one legal suffix per name) runs out
/// near 4,800 companies; past that a name gets a number ("Atlas Labs 2") instead of being
/// redrawn, so any size finishes in O(n). Until a suffix class is full the draws are exactly
/// the historical ones, so every world that could be generated before is unchanged.
pub(super) fn make_companies(rng: &mut Rng, n: usize) -> Vec<Company> {
    const SUFFIXES: [&str; 5] = ["Group", "Inc", "GmbH", "Ltd", "Co"];
    let pool = distinct_pairs();
    let mut seen = HashSet::new();
    let mut bare = 0usize;
    let mut suffixed = [0usize; SUFFIXES.len()];
    let mut numbered: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let head = rng.pick(COMPANY_HEADS);
        let tail = rng.pick(COMPANY_TAILS);
        let class = out.len() % SUFFIXES.len();
        let mut name = format!("{head} {tail}");
        if !seen.insert(name.clone()) {
            let with_suffix = format!("{head} {tail} {}", SUFFIXES[class]);
            if seen.insert(with_suffix.clone()) {
                suffixed[class] += 1;
                name = with_suffix;
            } else if bare < pool || suffixed[class] < pool {
                // A free name is left for this slot: redraw, as it always has.
                continue;
            } else {
                name = next_numbered(&mut numbered, &mut seen, &name);
            }
        } else {
            bare += 1;
        }
        let slug: String = name
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let sizes = [8, 16, 14, 14, 18, 10, 10, 5, 5];
        let country = COUNTRIES[rng.weighted(&COUNTRIES.iter().map(|c| c.1).collect::<Vec<_>>())].0;
        out.push(Company {
            name,
            slug,
            size: super::schema::NUM_EMPLOYEES[rng.weighted(&sizes)],
            country,
        });
    }
    out
}

/// How many different "head tail" names the tables can make.
fn distinct_pairs() -> usize {
    let names: HashSet<String> = COMPANY_HEADS
        .iter()
        .flat_map(|h| COMPANY_TAILS.iter().map(move |t| format!("{h} {t}")))
        .collect();
    names.len()
}

/// "Atlas Labs 2", "Atlas Labs 3", …: the next unused number for `base`.
fn next_numbered(
    numbered: &mut HashMap<String, u32>,
    seen: &mut HashSet<String>,
    base: &str,
) -> String {
    let k = numbered.entry(base.to_string()).or_insert(1);
    loop {
        *k += 1;
        let name = format!("{base} {k}");
        if seen.insert(name.clone()) {
            return name;
        }
    }
}

/// Writes the contact's properties from its plan; returns its last-touch campaign.
fn fill_contact(
    w: &mut World,
    rng: &mut Rng,
    id: u64,
    plan: &Plan,
    company: &Company,
    emails: &mut HashSet<String>,
) -> &'static str {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let local = format!("{}.{}", first, last)
        .to_lowercase()
        .replace([' ', '\''], "");
    let mut email = format!("{local}@{}.example", company.slug);
    let mut k = 2;
    while !emails.insert(email.clone()) {
        email = format!("{local}{k}@{}.example", company.slug);
        k += 1;
    }
    let first_c = rng.pick(CAMPAIGNS);
    let last_c = if rng.chance(0.5) {
        first_c
    } else {
        rng.pick(CAMPAIGNS)
    };
    let source = SOURCES[rng.weighted(&SOURCES.iter().map(|s| s.1).collect::<Vec<_>>())].0;
    let conversions = match plan.fate {
        Fate::Subscriber => 1,
        Fate::Lead => rng.range(1, 3),
        _ => rng.range(2, 7),
    };
    let recent_conv = plan.mql.or(plan.lead).unwrap_or(plan.created);
    let title = *rng.pick(JOB_TITLES);

    let c = w.get_mut(ObjType::Contacts, id).expect("just inserted");
    c.set("firstname", first);
    c.set("lastname", last);
    c.set("email", email);
    c.set("company", company.name.clone());
    c.set("jobtitle", title);
    c.set("country", company.country);
    c.set("numemployees", company.size);
    c.set("hs_analytics_source", source);
    c.set("hs_analytics_first_touch_converting_campaign", first_c.0);
    c.set("hs_analytics_last_touch_converting_campaign", last_c.0);
    c.set(
        "first_conversion_event_name",
        format!("{}: {}", first_c.0, first_c.1),
    );
    c.set(
        "recent_conversion_event_name",
        format!("{}: {}", last_c.0, last_c.1),
    );
    c.set_ts("first_conversion_date", plan.created);
    c.set_ts("recent_conversion_date", recent_conv);
    c.set("num_conversion_events", conversions.to_string());

    let stage_dates = [
        ("subscriber", plan.subscriber),
        ("lead", plan.lead),
        ("marketingqualifiedlead", plan.mql),
        ("salesqualifiedlead", plan.sql),
        ("opportunity", plan.opp),
        ("customer", if plan.lost_deal { None } else { plan.closed }),
        ("evangelist", plan.evangelist),
    ];
    for (stage, at) in stage_dates {
        if let Some(at) = at {
            c.set_ts(&format!("hs_lifecyclestage_{stage}_date"), at);
        }
    }
    let (stage, status): (&str, Option<&str>) = match plan.fate {
        Fate::Subscriber => ("subscriber", None),
        Fate::Lead => ("lead", rng.chance(0.3).then_some("NEW")),
        Fate::Mql => ("marketingqualifiedlead", rng.chance(0.5).then_some("NEW")),
        Fate::Sal => (
            "marketingqualifiedlead",
            Some(match plan.activity {
                None => "OPEN",
                Some(_) => *rng.pick(&["ATTEMPTED_TO_CONTACT", "CONNECTED", "IN_PROGRESS"]),
            }),
        ),
        Fate::Sql => (
            "salesqualifiedlead",
            Some(*rng.pick(&["IN_PROGRESS", "CONNECTED"])),
        ),
        Fate::Opportunity => (
            "opportunity",
            Some(*rng.pick(&["OPEN_DEAL", "OPEN_DEAL", "CONNECTED"])),
        ),
        Fate::Customer if plan.evangelist.is_some() => ("evangelist", Some("CONNECTED")),
        Fate::Customer => ("customer", Some("CONNECTED")),
        Fate::Nurture => ("lead", Some("BAD_TIMING")),
        Fate::Disqualified if rng.chance(0.3) => ("other", Some("UNQUALIFIED")),
        Fate::Disqualified => ("marketingqualifiedlead", Some("UNQUALIFIED")),
    };
    c.set("lifecyclestage", stage);
    if let Some(s) = status {
        c.set("hs_lead_status", s);
    }
    match plan.fate {
        // A recycle re-enters `lead`, which is what stamps the recycle time.
        Fate::Nurture => c.set_ts("hs_lifecyclestage_lead_date", plan.exited.expect("nurture")),
        Fate::Disqualified if stage == "other" => {
            c.set_ts("hs_lifecyclestage_other_date", plan.exited.expect("disq"))
        }
        _ => {}
    }
    if let Some(a) = plan.activity {
        c.set_ts("notes_last_contacted", a);
    }
    if let Some(e) = plan.email {
        c.set_ts("hs_email_last_send_date", e);
    }
    let latest = c
        .props
        .values()
        .filter_map(|v| super::time::parse_ts(v))
        .max();
    let modified = latest.unwrap_or(plan.created);
    c.set_ts("lastmodifieddate", modified);
    c.updated_at = modified;
    last_c.0
}

fn deal_spec(
    rng: &mut Rng,
    contact: u64,
    owner: u64,
    opp: DateTime<Utc>,
    plan: &Plan,
    company: &Company,
    now: DateTime<Utc>,
) -> DealSpec {
    let size_factor = match company.size {
        "1-5" | "5-25" => 0.4,
        "25-50" | "50-100" => 0.8,
        "100-500" => 1.0,
        "500-1000" | "1000-5000" => 2.0,
        _ => 3.5,
    };
    let amount = ((rng.uniform(8_000.0, 60_000.0) * size_factor / 500.0).round() * 500.0) as i64;
    let product = rng.pick(DEAL_PRODUCTS);
    let (stage, close, lost_reason, modified) = match plan.closed {
        Some(c) if plan.lost_deal => ("closedlost", c, Some(*rng.pick(LOST_REASONS)), c),
        Some(c) => ("closedwon", c, None, c),
        None => {
            let open = [
                "appointmentscheduled",
                "qualifiedtobuy",
                "presentationscheduled",
                "decisionmakerboughtin",
                "contractsent",
            ];
            let stage = open[rng.weighted(&[30, 25, 20, 15, 10])];
            let moved = opp + (now - opp) / rng.range(1, 3) as i32;
            (stage, now + Duration::days(rng.range(7, 90)), None, moved)
        }
    };
    DealSpec {
        contact,
        owner,
        created: opp,
        name: format!("{} - {product}", company.name),
        amount,
        stage,
        close,
        lost_reason,
        modified,
    }
}

fn insert_deal(w: &mut World, d: DealSpec) {
    let id = w.insert_new(ObjType::Deals, d.created);
    let r = w.get_mut(ObjType::Deals, id).expect("just inserted");
    r.set("dealname", d.name);
    r.set("amount", d.amount.to_string());
    r.set("dealstage", d.stage);
    r.set("pipeline", "default");
    r.set_ts("closedate", super::time::trunc_ms(d.close));
    r.set("hubspot_owner_id", d.owner.to_string());
    if let Some(reason) = d.lost_reason {
        r.set("closed_lost_reason", reason);
    }
    w.touch(ObjType::Deals, id, d.modified);
    w.associate(ObjType::Deals, id, ObjType::Contacts, d.contact);
}
