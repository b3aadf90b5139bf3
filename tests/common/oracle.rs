//! An oracle for the figures: timelines and cohorts recomputed from the simulated HubSpot's
//! raw `propertiesWithHistory` answers with the built-in stage rules written out again here,
//! never with tandem's own code (metrics.md §1, §4).

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use serde_json::Value;

use tandem::sim::SimHandle;

/// The built-in stage rules (`assets/config.example.toml`): higher priority first, then
/// file order. `None`: no rule matches (a cleared stage).
pub fn stage(lifecycle: &str, status: &str) -> Option<&'static str> {
    let working = ["OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED"];
    match (lifecycle, status) {
        ("customer" | "evangelist", _) => Some("customer"),
        (_, "BAD_TIMING") => Some("nurture"),
        (_, "UNQUALIFIED") => Some("disqualified"),
        ("subscriber" | "lead", _) => Some("inquiry"),
        ("marketingqualifiedlead", "" | "NEW") => Some("mql"),
        ("marketingqualifiedlead", s) if working.contains(&s) => Some("sal"),
        ("salesqualifiedlead", _) => Some("sql"),
        ("opportunity", _) => Some("opportunity"),
        _ => None,
    }
}

/// Every record of a list endpoint, paged with `query` (50 a page: HubSpot's page with
/// history).
async fn paged(sim: &SimHandle, path: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let mut q = vec![("limit", "50"), ("after", after.as_str())];
        q.extend_from_slice(query);
        let page = super::get_json(sim, path, &q).await;
        out.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => after = next.to_string(),
            None => return out,
        }
    }
}

/// Every contact with the history of the properties the rules read, the owner and the
/// activity dates.
pub async fn contacts_with_history(sim: &SimHandle) -> Vec<Value> {
    let with = "lifecyclestage,hs_lead_status,hubspot_owner_id,\
                notes_last_contacted,hs_email_last_send_date";
    let props = "lifecyclestage,hs_lead_status,hubspot_owner_id,createdate";
    let query = [("properties", props), ("propertiesWithHistory", with)];
    paged(sim, "/crm/v3/objects/contacts", &query).await
}

/// Every deal with its contacts and the history of its stage.
pub async fn deals_with_history(sim: &SimHandle) -> Vec<Value> {
    let query = [
        ("properties", "dealstage,closedate"),
        ("propertiesWithHistory", "dealstage"),
        ("associations", "contacts"),
    ];
    paged(sim, "/crm/v3/objects/deals", &query).await
}

/// When a deal entered `stage` (`closedwon`, `closedlost`), by its stage history, oldest
/// first.
pub fn deal_entries(d: &Value, stage: &str) -> Vec<DateTime<Utc>> {
    let mut h: Vec<(DateTime<Utc>, &str)> = d["propertiesWithHistory"]["dealstage"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let at = DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).unwrap();
            (at.to_utc(), e["value"].as_str().unwrap_or(""))
        })
        .collect();
    h.sort_by_key(|e| e.0);
    let mut out = Vec::new();
    let mut before = "";
    for (at, s) in h {
        if s == stage && before != stage {
            out.push(at);
        }
        before = s;
    }
    out
}

/// Each change of a contact's history, oldest first: (time, property, value).
pub fn changes(c: &Value) -> Vec<(DateTime<Utc>, String, String)> {
    let mut out = Vec::new();
    for prop in ["lifecyclestage", "hs_lead_status", "hubspot_owner_id"] {
        for e in c["propertiesWithHistory"][prop]
            .as_array()
            .into_iter()
            .flatten()
        {
            let at = DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap())
                .unwrap()
                .to_utc();
            out.push((
                at,
                prop.to_string(),
                e["value"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out.sort_by_key(|c| c.0);
    out
}

/// A contact's stages over time: each (time, stage) a change, unmapped moments skipped.
pub fn stages(c: &Value) -> Vec<(DateTime<Utc>, &'static str)> {
    let all = changes(c);
    let (mut lifecycle, mut status) = (String::new(), String::new());
    let mut out: Vec<(DateTime<Utc>, &'static str)> = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let at = all[i].0;
        while i < all.len() && all[i].0 == at {
            match all[i].1.as_str() {
                "lifecyclestage" => lifecycle = all[i].2.clone(),
                "hs_lead_status" => status = all[i].2.clone(),
                _ => {}
            }
            i += 1;
        }
        if let Some(s) = stage(&lifecycle, &status)
            && out.last().map(|(_, l)| *l) != Some(s)
        {
            out.push((at, s));
        }
    }
    out
}

const FUNNEL: [&str; 6] = ["inquiry", "mql", "sal", "sql", "opportunity", "customer"];

/// A cohort as metrics.md §4 defines it: members, converted, exited, pending.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct Cohort {
    pub members: u64,
    pub converted: u64,
    pub exited: u64,
    pub pending: u64,
}

/// The cohort of `from` in `[start, end)`, judged on reaching `to` or a later funnel stage.
pub fn cohort(
    contacts: &[Value],
    from: &str,
    to: &str,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> Cohort {
    let goal = FUNNEL.iter().position(|s| *s == to).unwrap();
    let mut c = Cohort::default();
    for contact in contacts {
        let st = stages(contact);
        let Some(entry) = st
            .iter()
            .position(|(at, s)| *s == from && *at >= start && *at < end)
        else {
            continue;
        };
        c.members += 1;
        let outcome = st[entry + 1..].iter().find_map(|(_, s)| {
            if FUNNEL
                .iter()
                .position(|f| f == s)
                .is_some_and(|i| i >= goal)
            {
                Some(true)
            } else if matches!(*s, "nurture" | "disqualified") {
                Some(false)
            } else {
                None
            }
        });
        match outcome {
            Some(true) => c.converted += 1,
            Some(false) => c.exited += 1,
            None => c.pending += 1,
        }
    }
    c
}

/// Every time a contact's `prop` (a date property: the last sales activity, the last
/// marketing email) was set, as the dates it took, from its history.
pub fn touches(c: &Value, prop: &str) -> Vec<DateTime<Utc>> {
    c["propertiesWithHistory"][prop]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| DateTime::parse_from_rfc3339(e["value"].as_str()?).ok())
        .map(|t| t.to_utc())
        .collect()
}

/// `limit` of business time after `from` on the built-in calendar (Monday to Friday,
/// 09:00–17:00 UTC; its holidays fall outside the tested weeks), a day at a time.
pub fn business_add(from: DateTime<Utc>, limit: Duration) -> DateTime<Utc> {
    let (open, close) = (
        NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
    );
    let (mut t, mut left) = (from, limit);
    loop {
        let day = t.date_naive();
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let start = t.max(day.and_time(open).and_utc());
            let end = day.and_time(close).and_utc();
            if start < end {
                if end - start >= left {
                    return start + left;
                }
                left -= end - start;
            }
        }
        t = day.succ_opt().unwrap().and_time(NaiveTime::MIN).and_utc();
    }
}

/// Whether a contact breached any built-in SLA at `t` (metrics.md §5), from its history:
/// the clock of the stage it was in then starts at its entry into that stage and stops on
/// a touch after the entry and by `t`.
///
/// - `mql`: accept or reject within 4 business hours;
/// - `sal`: a sales touch within 24 business hours;
/// - `nurture`: a marketing email within 14 calendar days.
pub fn breached_at(c: &Value, t: DateTime<Utc>) -> bool {
    let st = stages(c);
    let Some(&(entered, stage)) = st.iter().rev().find(|(at, _)| *at <= t) else {
        return false;
    };
    let touched = |prop: &str| touches(c, prop).iter().any(|x| *x > entered && *x <= t);
    let due = match stage {
        "mql" => business_add(entered, Duration::hours(4)),
        "sal" if !touched("notes_last_contacted") => business_add(entered, Duration::hours(24)),
        "nurture" if !touched("hs_email_last_send_date") => entered + Duration::days(14),
        _ => return false,
    };
    t >= due
}
