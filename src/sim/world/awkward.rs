//! The awkward cases of `../shared/metrics.md` §7, planted in every generated world of at
//! least [`MIN_CONTACTS`] contacts, so the figures are checked where they are easiest to get
//! wrong. Each takes a plain lead that generation left untouched (no owner, no status) and
//! writes its story through [`write::commit`] at fixed business hours before the anchor, so
//! its history reads as HubSpot would record it:
//!
//! - `busy_day`: handed off (by tandem), accepted, touched and recycled on the anchor's day;
//! - `mql_reentry`: an MQL rejected to nurture, an MQL again in the last hours;
//! - `mql_to_sql`: an MQL that a rep takes straight to `salesqualifiedlead`;
//! - `sal_recycled`: accepted, touched, recycled before ever reaching `sql`;
//! - `handoff_undone`: handed off by tandem and undone 40 s later, still a waiting MQL;
//! - `deal_reopened`: its deal lost, reopened, then won.
//!
//! [`planted`] names them by contact id, for tests and for a curious user (`/_sim/stats`).

use chrono::{DateTime, Duration, Utc};

use super::history::Source;
use super::time::{fmt_ts, minus_business_hours, trunc_ms};
use super::write::{self, Changes};
use super::{ObjType, Team, World};

/// Smaller worlds are left as generated: their tests count exact small numbers.
pub const MIN_CONTACTS: usize = 200;

/// The cases, in planting order.
pub const CASES: [&str; 6] = [
    "busy_day",
    "mql_reentry",
    "mql_to_sql",
    "sal_recycled",
    "handoff_undone",
    "deal_reopened",
];

/// How far back (business hours) a candidate lead must have been created: before every
/// step of every story.
const OLDEST_STEP: f64 = 130.0;

const MQL: &str = "marketingqualifiedlead";

/// Plant every case; returns (case, contact id) for each planted one.
pub fn plant(w: &mut World, anchor: DateTime<Utc>, contacts: usize) -> Vec<(&'static str, u64)> {
    if contacts < MIN_CONTACTS {
        return Vec::new();
    }
    let (Some(&rep), Some(&marketer)) = (
        w.owners_in(Team::Sales).first(),
        w.owners_in(Team::Marketing).first(),
    ) else {
        return Vec::new();
    };
    let oldest = minus_business_hours(anchor, OLDEST_STEP);
    let candidates: Vec<u64> = w
        .table(ObjType::Contacts)
        .values()
        .filter(|r| {
            r.get("lifecyclestage") == Some("lead")
                && r.get("hubspot_owner_id").is_none()
                && r.get("hs_lead_status").is_none()
                && r.updated_at < oldest
        })
        .map(|r| r.id)
        .take(CASES.len())
        .collect();
    let story = Story {
        anchor,
        rep: rep.to_string(),
        marketer: marketer.to_string(),
    };
    let mut out = Vec::new();
    for (case, &id) in CASES.iter().zip(&candidates) {
        match *case {
            "busy_day" => story.busy_day(w, id),
            "mql_reentry" => story.mql_reentry(w, id),
            "mql_to_sql" => story.mql_to_sql(w, id),
            "sal_recycled" => story.sal_recycled(w, id),
            "handoff_undone" => story.handoff_undone(w, id),
            _ => story.deal_reopened(w, id),
        }
        out.push((*case, id));
    }
    out
}

struct Story {
    anchor: DateTime<Utc>,
    rep: String,
    marketer: String,
}

fn v(s: &str) -> Option<String> {
    Some(s.to_string())
}

impl Story {
    /// `hours` business hours before the anchor.
    fn at(&self, hours: f64) -> DateTime<Utc> {
        trunc_ms(minus_business_hours(self.anchor, hours))
    }

    fn write(
        &self,
        w: &mut World,
        t: ObjType,
        id: u64,
        at: DateTime<Utc>,
        props: &[(&str, Option<String>)],
        source: Source,
    ) {
        let changes: Changes = props
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        write::commit(w, t, id, changes, at, source);
    }

    fn contact(&self, w: &mut World, id: u64, at: f64, props: &[(&str, Option<String>)]) {
        let source = if props.iter().any(|(n, _)| *n == "hubspot_owner_id")
            && !props.iter().any(|(n, _)| *n == "hs_lead_status")
        {
            // An owner alone is tandem's hand-off (or its undo) through the API.
            Source::Integration
        } else if props.contains(&("lifecyclestage", v(MQL))) {
            Source::Automation
        } else {
            Source::CrmUi
        };
        let at = self.at(at);
        self.write(w, ObjType::Contacts, id, at, props, source);
    }

    fn mql(&self, w: &mut World, id: u64, at: f64) {
        // The scoring workflow scores it as it makes it an MQL.
        let score = super::journey::mql_score(id ^ at.to_bits());
        let props = [
            ("lifecyclestage", v(MQL)),
            ("hs_lead_status", v("NEW")),
            ("hubspotscore", Some(score.to_string())),
        ];
        self.contact(w, id, at, &props);
    }

    fn accept(&self, w: &mut World, id: u64, at: f64) {
        let props = [
            ("hs_lead_status", v("OPEN")),
            ("hubspot_owner_id", Some(self.rep.clone())),
        ];
        self.contact(w, id, at, &props);
    }

    fn touch(&self, w: &mut World, id: u64, at: f64) {
        let when = fmt_ts(self.at(at));
        self.contact(w, id, at, &[("notes_last_contacted", Some(when))]);
    }

    /// Back to marketing's nurture, as a rep does it in HubSpot: the lifecycle stage is
    /// cleared first (a backward move), then set with the nurture status and owner.
    fn recycle(&self, w: &mut World, id: u64, at: f64) {
        self.contact(w, id, at, &[("lifecyclestage", None)]);
        let props = [
            ("lifecyclestage", v("lead")),
            ("hs_lead_status", v("BAD_TIMING")),
            ("hubspot_owner_id", Some(self.marketer.clone())),
        ];
        self.contact(w, id, at - 0.0001, &props);
    }

    fn busy_day(&self, w: &mut World, id: u64) {
        self.mql(w, id, 5.0);
        self.contact(w, id, 4.5, &[("hubspot_owner_id", Some(self.rep.clone()))]);
        self.contact(w, id, 3.5, &[("hs_lead_status", v("OPEN"))]);
        self.touch(w, id, 3.0);
        self.recycle(w, id, 1.0);
    }

    fn mql_reentry(&self, w: &mut World, id: u64) {
        self.mql(w, id, 80.0);
        // Rejected back to nurture without being accepted.
        self.recycle(w, id, 76.0);
        self.mql(w, id, 3.0);
    }

    fn mql_to_sql(&self, w: &mut World, id: u64) {
        self.mql(w, id, 6.0);
        let props = [
            ("lifecyclestage", v("salesqualifiedlead")),
            ("hs_lead_status", v("IN_PROGRESS")),
            ("hubspot_owner_id", Some(self.rep.clone())),
        ];
        self.contact(w, id, 2.0, &props);
    }

    fn sal_recycled(&self, w: &mut World, id: u64) {
        self.mql(w, id, 40.0);
        self.accept(w, id, 38.0);
        self.touch(w, id, 30.0);
        self.recycle(w, id, 1.5);
    }

    fn handoff_undone(&self, w: &mut World, id: u64) {
        self.mql(w, id, 5.0);
        self.contact(w, id, 2.0, &[("hubspot_owner_id", Some(self.rep.clone()))]);
        let undone = self.at(2.0) + Duration::seconds(40);
        self.write(
            w,
            ObjType::Contacts,
            id,
            undone,
            &[
                ("hubspot_owner_id", None),
                ("hubspot_owner_assigneddate", None),
            ],
            Source::Integration,
        );
    }

    fn deal_reopened(&self, w: &mut World, id: u64) {
        self.mql(w, id, 120.0);
        self.accept(w, id, 118.0);
        self.touch(w, id, 110.0);
        let sql = [
            ("lifecyclestage", v("salesqualifiedlead")),
            ("hs_lead_status", v("IN_PROGRESS")),
        ];
        self.contact(w, id, 100.0, &sql);
        self.contact(w, id, 96.0, &[("lifecyclestage", v("opportunity"))]);
        let opened = self.at(96.0);
        let deal = w.insert_new(ObjType::Deals, opened);
        let company = w
            .get(ObjType::Contacts, id)
            .and_then(|c| c.get("company"))
            .unwrap_or("Unknown")
            .to_string();
        let terms = [
            ("dealname", Some(format!("{company} - Platform renewal"))),
            ("amount", v("24000")),
            ("dealstage", v("appointmentscheduled")),
            ("pipeline", v("default")),
            ("closedate", Some(fmt_ts(opened + Duration::days(45)))),
            ("hubspot_owner_id", Some(self.rep.clone())),
        ];
        self.write(w, ObjType::Deals, deal, opened, &terms, Source::CrmUi);
        w.associate(ObjType::Deals, deal, ObjType::Contacts, id);
        let stage = |w: &mut World, hours: f64, to: &str, close: DateTime<Utc>| {
            let at = self.at(hours);
            let props = [("dealstage", v(to)), ("closedate", Some(fmt_ts(close)))];
            self.write(w, ObjType::Deals, deal, at, &props, Source::CrmUi);
        };
        stage(w, 64.0, "closedlost", self.at(64.0));
        let reopened = self.at(20.0) + Duration::days(30);
        stage(w, 20.0, "qualifiedtobuy", reopened);
        stage(w, 2.0, "closedwon", self.at(2.0));
        self.contact(w, id, 2.0 - 0.0001, &[("lifecyclestage", v("customer"))]);
    }
}
