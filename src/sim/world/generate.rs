//! Builds the initial world from a seed: owners, companies, contacts, deals, notes.
//!
//! Everything is derived from `(seed, size, anchor)` and nothing else, so the same options
//! give byte-identical API responses forever. Contacts arrive at an even pace over the last
//! [`HISTORY_HOURS`] business hours before the anchor; each one's [`Journey`] is cut at the
//! anchor and written as HubSpot would hold it, and a live world keeps the rest of it for
//! later (`timeline.rs`). Ids are handed out in creation order, as HubSpot's mostly are,
//! which keeps paging by id and sorting by `createdate` in rough agreement.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::deals::{DealSpec, deal_spec, insert_deal};
use super::history::Replayer;
use super::journey::{self, Decks, Event, HISTORY_HOURS, Journey, Step};
use super::names::*;
use super::plan::{self, Fate, Plan};
use super::seed_notes::{self, NoteSpec};
use super::time::{business_hours_between, minus_business_hours, plus_business_hours};
use super::timeline::Timeline;
use super::{ObjType, Owner, Team, World};
use crate::sim::rng::Rng;

pub(super) struct Company {
    pub(super) name: String,
    slug: String,
    pub(super) size: &'static str,
    country: &'static str,
}

/// What generation collects besides the contacts, to insert in time order at the end.
#[derive(Default)]
struct Extras {
    deals: Vec<DealSpec>,
    notes: Vec<NoteSpec>,
    /// Steps after the anchor, for a live world.
    future: Vec<(u64, Event)>,
}

/// The world as it stands at `now`: frozen there, or live from there on.
pub fn generate(seed: u64, contacts: usize, now: DateTime<Utc>, frozen: bool) -> World {
    let mut w = World::empty(now, frozen);
    // Not `w.now()`: a live world's clock reads the wall clock, and the anchor may be past.
    let anchor = super::time::trunc_ms(now);
    let mut root = Rng::new(seed);
    make_owners(&mut w, &mut root.fork(1));
    let companies = make_companies(&mut root.fork(2), contacts / 3 + 5);

    let mut rng = root.fork(3);
    let mut paths = root.fork(5);
    let mut decks = Decks::new(root.fork(4));
    let mut planted: Vec<Journey> = plan::plants(contacts)
        .into_iter()
        .take(contacts)
        .map(|k| journey::planted(&mut paths, &mut decks, anchor, k))
        .collect();
    planted.sort_by_key(|j| j.created);
    // Everyone else arrives at an even pace, oldest first, so the decks deal in time order.
    let mut ages: Vec<f64> = (planted.len()..contacts)
        .map(|_| rng.uniform(0.0, HISTORY_HOURS))
        .collect();
    ages.sort_by(|a, b| b.total_cmp(a));
    let mut arrivals = ages
        .into_iter()
        .map(|h| minus_business_hours(anchor, h))
        .peekable();
    let mut planted = planted.into_iter().peekable();

    let mut emails = HashSet::new();
    let mut extras = Extras::default();
    let mut replayer = Replayer::new(&w.owners);
    loop {
        let j = match (planted.peek(), arrivals.peek()) {
            (Some(p), Some(&t)) if p.created <= t => planted.next(),
            (_, Some(_)) => {
                let t = arrivals.next().expect("peeked");
                Some(journey::journey(&mut paths, &mut decks, t))
            }
            (Some(_), None) => planted.next(),
            (None, None) => None,
        };
        let Some(j) = j else { break };
        let company = &companies[rng.below(companies.len() as u64) as usize];
        place(
            &mut w,
            &mut rng,
            (j, anchor),
            company,
            (&mut emails, &mut replayer),
            &mut extras,
        );
    }

    extras.deals.sort_by_key(|d| d.created);
    for d in extras.deals {
        insert_deal(&mut w, d);
    }
    extras.notes.sort_by_key(|n| n.ts);
    for n in extras.notes {
        seed_notes::insert(&mut w, n);
    }
    w.awkward = super::awkward::plant(&mut w, anchor, contacts);
    // A planted story is the whole of its lead's journey.
    extras
        .future
        .retain(|(c, _)| !w.awkward.iter().any(|(_, id)| id == c));
    if !frozen {
        let mut timeline = Timeline::new(decks, root.fork(6), anchor, contacts);
        for (contact, e) in extras.future {
            timeline.push(contact, e);
        }
        w.timeline = Some(timeline);
    }
    // Histories grew an entry at a time; at a million contacts the slack is gigabytes.
    for t in ObjType::ALL {
        let table = w.table_mut(t);
        for r in table.values_mut() {
            r.history.shrink_to_fit();
        }
        table.shrink_to_fit();
        // Filed now, not on the first search.
        w.refresh_modified(t);
    }
    w
}

/// Write one contact as its journey stands at the anchor; keep its deal, notes and future.
fn place(
    w: &mut World,
    rng: &mut Rng,
    (j, anchor): (Journey, DateTime<Utc>),
    company: &Company,
    (emails, replayer): (&mut HashSet<String>, &mut Replayer),
    extras: &mut Extras,
) {
    let mut plan = Plan::at(&j, anchor);
    plan.email = marketing_mail(rng, &plan, anchor);
    let id = w.insert_new(ObjType::Contacts, plan.created);
    let last_campaign = fill_contact(w, rng, id, &plan, company, emails);
    let sales_owner = plan
        .accepted
        .map(|_| journey::choose(plan.accept_salt, &w.owners_in(Team::Sales)));
    let owner = match (plan.fate, sales_owner) {
        // Recycled leads go back to marketing.
        (Fate::Nurture, _) => Some((
            journey::choose(plan.exit_salt, &w.owners_in(Team::Marketing)),
            plan.exited,
        )),
        (_, Some(owner)) => Some((owner, plan.accepted)),
        _ => None,
    };
    if let Some((owner, Some(since))) = owner {
        let c = w.get_mut(ObjType::Contacts, id).expect("just inserted");
        c.set("hubspot_owner_id", owner.to_string());
        c.set_ts("hubspot_owner_assigneddate", since);
    }
    // The past is folded, not replayed; its history comes from replaying the same steps.
    let c = w.get(ObjType::Contacts, id).expect("just inserted");
    let history = replayer.contact(&j, anchor, c);
    w.get_mut(ObjType::Contacts, id)
        .expect("just inserted")
        .history = history;
    if let (Some(opp), Some(deal), Some(owner)) = (plan.opp, &plan.deal, sales_owner) {
        let mut spec = deal_spec(id, owner, opp, deal, &plan, company, anchor);
        spec.history = replayer.deal();
        extras.deals.push(spec);
    }
    for e in j.events {
        if e.at > anchor {
            extras.future.push((id, e));
            continue;
        }
        let body = match (e.step, sales_owner) {
            (Step::Touch, Some(_)) => seed_notes::touch_note(e.salt),
            (Step::Recycle, Some(_)) => seed_notes::recycle_note(e.salt, false),
            (Step::Lose, Some(_)) => seed_notes::recycle_note(e.salt, true),
            (Step::Feedback, Some(_)) => {
                Some(seed_notes::feedback_note(e.salt, Some(last_campaign)))
            }
            _ => None,
        };
        if let (Some(body), Some(owner)) = (body, sales_owner) {
            extras.notes.push(NoteSpec {
                contact: id,
                owner,
                ts: e.at,
                body,
            });
        }
    }
}

/// The last marketing email: the nurture sequence's for recycled leads (or, for half of
/// those not yet mailed, one sent while they were MQLs — it does not count for the SLA);
/// for everyone else a newsletter some time since they arrived, for 70% of contacts.
fn marketing_mail(rng: &mut Rng, plan: &Plan, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if plan.fate == Fate::Nurture {
        let before_recycle = plan
            .mql
            .zip(plan.exited)
            .map(|(mql, exited)| plus_business_hours(mql, 2.0).min(exited));
        return plan
            .email
            .or_else(|| before_recycle.filter(|_| rng.chance(0.5)));
    }
    if !rng.chance(0.7) {
        return None;
    }
    let span = business_hours_between(plan.created, anchor);
    Some(plus_business_hours(plan.created, rng.uniform(0.0, span)).min(anchor))
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
    if let Some(salt) = plan.mql_salt {
        c.set("hubspotscore", journey::mql_score(salt).to_string());
    }

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
        Fate::Disqualified if journey::disqualified_as_other(plan.exit_salt) => {
            ("other", Some("UNQUALIFIED"))
        }
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
    if let Some(first) = plan.first_activity {
        c.set_ts("hs_sa_first_engagement_date", first);
    }
    if let Some(e) = plan.email {
        c.set_ts("hs_email_last_send_date", e);
    }
    // Every date written above is a milestone of the plan.
    let modified = plan.latest();
    c.set_ts("lastmodifieddate", modified);
    c.updated_at = modified;
    last_c.0
}
