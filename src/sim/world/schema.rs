//! Which properties each object type has, and what kind of value each holds.
//!
//! HubSpot validates writes against the portal's property definitions and compares search
//! filters by property type (datetimes as instants, numbers numerically). Keeping the
//! definitions in one table lets list, search and PATCH agree on exactly the same rules.

use super::ObjType;

/// How a property's string value is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    DateTime,
    /// An enumeration with a fixed option list.
    Enum(&'static [&'static str]),
    /// An owner id (must name an existing owner).
    Owner,
}

pub struct PropDef {
    pub name: &'static str,
    pub kind: Kind,
    /// Calculated by HubSpot; a write is rejected with `READ_ONLY_VALUE`.
    pub read_only: bool,
}

const fn p(name: &'static str, kind: Kind) -> PropDef {
    PropDef {
        name,
        kind,
        read_only: false,
    }
}

const fn ro(name: &'static str, kind: Kind) -> PropDef {
    PropDef {
        name,
        kind,
        read_only: true,
    }
}

/// Lifecycle stages in HubSpot's forward-only order.
pub const LIFECYCLE_STAGES: &[&str] = &[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
];

pub const LEAD_STATUSES: &[&str] = &[
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
];

pub const NUM_EMPLOYEES: &[&str] = &[
    "1-5",
    "5-25",
    "25-50",
    "50-100",
    "100-500",
    "500-1000",
    "1000-5000",
    "5000-10000",
    "10000+",
];

pub const ANALYTICS_SOURCES: &[&str] = &[
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "PAID_SOCIAL",
    "REFERRALS",
    "OTHER_CAMPAIGNS",
    "DIRECT_TRAFFIC",
    "OFFLINE",
];

pub const DEAL_STAGES: &[&str] = &[
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
];

use Kind::*;

const CONTACT: &[PropDef] = &[
    p("firstname", Text),
    p("lastname", Text),
    p("email", Text),
    p("phone", Text),
    p("company", Text),
    p("jobtitle", Text),
    p("country", Text),
    p("numemployees", Enum(NUM_EMPLOYEES)),
    p("lifecyclestage", Enum(LIFECYCLE_STAGES)),
    p("hs_lead_status", Enum(LEAD_STATUSES)),
    // The scoring workflow's score: set when the contact becomes an MQL (50–99).
    p("hubspotscore", Number),
    p("hubspot_owner_id", Owner),
    p("hubspot_owner_assigneddate", DateTime),
    p("createdate", DateTime),
    ro("lastmodifieddate", DateTime),
    ro("hs_object_id", Number),
    p("hs_lifecyclestage_subscriber_date", DateTime),
    p("hs_lifecyclestage_lead_date", DateTime),
    p("hs_lifecyclestage_marketingqualifiedlead_date", DateTime),
    p("hs_lifecyclestage_salesqualifiedlead_date", DateTime),
    p("hs_lifecyclestage_opportunity_date", DateTime),
    p("hs_lifecyclestage_customer_date", DateTime),
    p("hs_lifecyclestage_evangelist_date", DateTime),
    p("hs_lifecyclestage_other_date", DateTime),
    p("notes_last_contacted", DateTime),
    // First sales activity; HubSpot derives it from the first `notes_last_contacted`.
    ro("hs_sa_first_engagement_date", DateTime),
    p("notes_last_updated", DateTime),
    // A custom property this portal's admin created for tandem's recycles (named in config).
    p("tandem_revisit_date", DateTime),
    p("hs_email_last_send_date", DateTime),
    p("hs_analytics_source", Enum(ANALYTICS_SOURCES)),
    p("hs_analytics_first_touch_converting_campaign", Text),
    p("hs_analytics_last_touch_converting_campaign", Text),
    p("first_conversion_event_name", Text),
    p("recent_conversion_event_name", Text),
    p("first_conversion_date", DateTime),
    p("recent_conversion_date", DateTime),
    p("num_conversion_events", Number),
];

const DEAL: &[PropDef] = &[
    p("dealname", Text),
    p("amount", Number),
    p("dealstage", Enum(DEAL_STAGES)),
    p("pipeline", Enum(&["default"])),
    p("closedate", DateTime),
    p("closed_lost_reason", Text),
    p("createdate", DateTime),
    ro("hs_lastmodifieddate", DateTime),
    p("hubspot_owner_id", Owner),
    ro("hs_object_id", Number),
];

const NOTE: &[PropDef] = &[
    p("hs_note_body", Text),
    p("hs_timestamp", DateTime),
    p("hubspot_owner_id", Owner),
    p("hs_attachment_ids", Text),
    ro("hs_createdate", DateTime),
    ro("hs_lastmodifieddate", DateTime),
    ro("hs_object_id", Number),
];

pub fn props(t: ObjType) -> &'static [PropDef] {
    match t {
        ObjType::Contacts => CONTACT,
        ObjType::Deals => DEAL,
        ObjType::Notes => NOTE,
    }
}

pub fn lookup(t: ObjType, name: &str) -> Option<&'static PropDef> {
    props(t).iter().find(|d| d.name == name)
}

/// What GET/list return when the client names no properties (HubSpot's defaults).
pub fn default_props(t: ObjType) -> &'static [&'static str] {
    match t {
        ObjType::Contacts => &[
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname",
        ],
        ObjType::Deals => &[
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline",
        ],
        ObjType::Notes => &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    }
}

/// Returned even when the client asks for other properties, as HubSpot does.
pub fn always_props(t: ObjType) -> &'static [&'static str] {
    match t {
        ObjType::Contacts => &["createdate", "hs_object_id", "lastmodifieddate"],
        ObjType::Deals => &["createdate", "hs_lastmodifieddate", "hs_object_id"],
        ObjType::Notes => &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
    }
}

/// The property that records the last write (bumped on every change).
pub fn modified_prop(t: ObjType) -> &'static str {
    match t {
        ObjType::Contacts => "lastmodifieddate",
        _ => "hs_lastmodifieddate",
    }
}

pub fn created_prop(t: ObjType) -> &'static str {
    match t {
        ObjType::Notes => "hs_createdate",
        _ => "createdate",
    }
}

/// Free-text `query` in search looks at these properties.
pub fn query_props(t: ObjType) -> &'static [&'static str] {
    match t {
        ObjType::Contacts => &["firstname", "lastname", "email", "phone", "company"],
        ObjType::Deals => &["dealname"],
        ObjType::Notes => &["hs_note_body"],
    }
}

pub fn lifecycle_rank(stage: &str) -> Option<usize> {
    LIFECYCLE_STAGES.iter().position(|s| *s == stage)
}
