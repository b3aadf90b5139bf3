//! Where a contact's journey stands at the anchor: the milestones generation writes.
//!
//! [`Plan::at`] folds the events of a [`Journey`] up to an instant into the dates HubSpot
//! keeps (stage dates, last activity, last nurture email) and the stage the contact is in.
//! The "planted" journeys (see [`journey::planted`]) guarantee the SLA breaches tandem exists
//! to catch at that instant: MQLs left unaccepted past 4 business hours, accepted leads
//! without sales activity for 24 business hours, and recycled leads without a marketing email
//! in 14 days.
//!
//! [`journey::planted`]: super::journey::planted

use chrono::{DateTime, Utc};

use super::journey::{Journey, Step};

/// The stage a contact is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Subscriber,
    Lead,
    Mql,
    Sal,
    Sql,
    Opportunity,
    Customer,
    Nurture,
    Disqualified,
}

/// A deliberately placed SLA case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plant {
    OverdueMql,
    FreshMql,
    SilentSal,
    ForgottenNurture,
}

/// How many of each planted case a world of `n` contacts gets.
pub fn plants(n: usize) -> Vec<Plant> {
    let mut v = Vec::new();
    v.extend(std::iter::repeat_n(Plant::OverdueMql, (n / 200).max(5)));
    v.extend(std::iter::repeat_n(Plant::FreshMql, (n / 400).max(3)));
    v.extend(std::iter::repeat_n(Plant::SilentSal, (n / 250).max(4)));
    v.extend(std::iter::repeat_n(
        Plant::ForgottenNurture,
        (n / 250).max(4),
    ));
    v
}

/// The contact's deal, when it has one.
#[derive(Debug, Clone)]
pub struct DealPlan {
    /// Seeds the deal's terms (amount, product, expected close).
    pub salt: u64,
    /// Open stages moved through after the first.
    pub advances: usize,
    /// When it last moved (opened or advanced).
    pub moved: DateTime<Utc>,
    /// `Some(won)` once closed.
    pub won: Option<bool>,
}

/// Milestones of one contact; `None` means the stage was never reached.
#[derive(Debug, Clone)]
pub struct Plan {
    pub fate: Fate,
    pub created: DateTime<Utc>,
    pub subscriber: Option<DateTime<Utc>>,
    pub lead: Option<DateTime<Utc>>,
    pub mql: Option<DateTime<Utc>>,
    pub accepted: Option<DateTime<Utc>>,
    pub sql: Option<DateTime<Utc>>,
    pub opp: Option<DateTime<Utc>>,
    /// Deal closed (won for customers, lost for nurture-after-loss).
    pub closed: Option<DateTime<Utc>>,
    pub evangelist: Option<DateTime<Utc>>,
    /// Recycled to nurture, rejected or disqualified.
    pub exited: Option<DateTime<Utc>>,
    pub lost_deal: bool,
    /// First and last sales activity.
    pub first_activity: Option<DateTime<Utc>>,
    pub activity: Option<DateTime<Utc>>,
    /// Last marketing email (`hs_email_last_send_date`).
    pub email: Option<DateTime<Utc>>,
    /// Seeds of the acceptance (sales owner) and the exit (marketing owner, reason).
    pub accept_salt: u64,
    pub exit_salt: u64,
    /// Seed of the latest MQL step (its lead score).
    pub mql_salt: Option<u64>,
    pub deal: Option<DealPlan>,
}

impl Plan {
    /// The journey's state at `at`.
    pub fn at(j: &Journey, at: DateTime<Utc>) -> Plan {
        let mut p = Plan {
            fate: if j.subscriber {
                Fate::Subscriber
            } else {
                Fate::Lead
            },
            created: j.created,
            subscriber: j.subscriber.then_some(j.created),
            lead: (!j.subscriber).then_some(j.created),
            mql: None,
            accepted: None,
            sql: None,
            opp: None,
            closed: None,
            evangelist: None,
            exited: None,
            lost_deal: false,
            first_activity: None,
            activity: None,
            email: None,
            accept_salt: 0,
            exit_salt: 0,
            mql_salt: None,
            deal: None,
        };
        for e in j.events.iter().take_while(|e| e.at <= at) {
            let t = Some(e.at);
            match e.step {
                Step::Lead => (p.lead, p.fate) = (t, Fate::Lead),
                Step::Mql => (p.mql, p.mql_salt, p.fate) = (t, Some(e.salt), Fate::Mql),
                Step::Accept => (p.accepted, p.accept_salt, p.fate) = (t, e.salt, Fate::Sal),
                Step::Touch => {
                    p.first_activity = p.first_activity.or(t);
                    p.activity = t;
                }
                Step::Sql => (p.sql, p.fate) = (t, Fate::Sql),
                Step::OpenDeal => {
                    (p.opp, p.fate) = (t, Fate::Opportunity);
                    p.deal = Some(DealPlan {
                        salt: e.salt,
                        advances: 0,
                        moved: e.at,
                        won: None,
                    });
                }
                Step::Advance => {
                    if let Some(d) = &mut p.deal {
                        d.advances += 1;
                        d.moved = e.at;
                    }
                }
                Step::Win => {
                    (p.closed, p.fate) = (t, Fate::Customer);
                    if let Some(d) = &mut p.deal {
                        d.won = Some(true);
                    }
                }
                Step::Lose => {
                    (p.closed, p.lost_deal) = (t, true);
                    (p.exited, p.exit_salt, p.fate) = (t, e.salt, Fate::Nurture);
                    if let Some(d) = &mut p.deal {
                        d.won = Some(false);
                    }
                }
                Step::Recycle => (p.exited, p.exit_salt, p.fate) = (t, e.salt, Fate::Nurture),
                Step::Reject | Step::Disqualify => {
                    (p.exited, p.exit_salt, p.fate) = (t, e.salt, Fate::Disqualified)
                }
                Step::NurtureEmail => p.email = t,
                Step::Evangelist => p.evangelist = t,
                Step::Feedback => {}
            }
        }
        p
    }

    /// The latest instant among the milestones: the contact's last modification.
    pub fn latest(&self) -> DateTime<Utc> {
        [
            self.subscriber,
            self.lead,
            self.mql,
            self.accepted,
            self.sql,
            self.opp,
            self.closed,
            self.evangelist,
            self.exited,
            self.first_activity,
            self.activity,
            self.email,
        ]
        .into_iter()
        .flatten()
        .fold(self.created, DateTime::max)
    }
}
