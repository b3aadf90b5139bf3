//! When a lead entered each point of the funnel: twelve dates a lead, kept as
//! [`Moment`]s (96 bytes, against 144 as `Option<DateTime<Utc>>`s), read and written
//! through one getter and one setter each.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::moment::Moment;

/// The dates in their fixed order, which the cache's lead bodies also follow.
pub const DATES: usize = 12;

macro_rules! lead_dates {
    ($( $(#[$doc:meta])* $i:literal $name:ident $set:ident ),* $(,)?) => {
        /// The dates as plain fields, to build a lead's dates in one expression (a vendor's
        /// mapping, a fixture) and as their JSON form.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct Dates {
            $( $(#[$doc])* pub $name: Option<DateTime<Utc>>, )*
        }

        impl LeadDates {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Option<DateTime<Utc>> {
                    self.0[$i].map(Moment::at)
                }

                pub fn $set(&mut self, t: Option<DateTime<Utc>>) {
                    self.0[$i] = t.map(Moment::of);
                }
            )*
        }

        impl From<Dates> for LeadDates {
            fn from(d: Dates) -> LeadDates {
                let mut out = LeadDates::default();
                $( out.0[$i] = d.$name.map(Moment::of); )*
                out
            }
        }

        impl From<LeadDates> for Dates {
            fn from(d: LeadDates) -> Dates {
                Dates { $( $name: d.$name(), )* }
            }
        }
    };
}

/// When a lead entered each point of the funnel, as far as the vendor tells us, to the
/// millisecond.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Dates", into = "Dates")]
pub struct LeadDates([Option<Moment>; DATES]);

lead_dates! {
    0 created set_created,
    /// Became (or was recycled back to) an inquiry; for a nurture lead, the recycle time.
    1 inquiry set_inquiry,
    2 mql set_mql,
    /// Sales accepted the lead (owner assigned).
    3 accepted set_accepted,
    4 sql set_sql,
    5 opportunity set_opportunity,
    6 customer set_customer,
    /// The first sales activity (call, email, meeting) on the lead.
    7 first_sales_activity set_first_sales_activity,
    8 last_sales_activity set_last_sales_activity,
    9 last_marketing_touch set_last_marketing_touch,
    /// When the first campaign conversion happened.
    10 first_conversion set_first_conversion,
    /// When the most recent campaign conversion happened.
    11 recent_conversion set_recent_conversion,
}

impl LeadDates {
    /// Every date in the fixed order, for the cache's codec.
    pub fn moments(&self) -> &[Option<Moment>; DATES] {
        &self.0
    }

    pub fn from_moments(m: [Option<Moment>; DATES]) -> LeadDates {
        LeadDates(m)
    }
}

impl std::fmt::Debug for LeadDates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Dates::from(self.clone()).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_date_keeps_its_own_place() {
        let t = |h: i64| DateTime::from_timestamp(1_700_000_000 + h * 3600, 0);
        let open = Dates {
            created: t(0),
            mql: t(2),
            recent_conversion: t(11),
            ..Dates::default()
        };
        let mut d = LeadDates::from(open.clone());
        assert_eq!((d.created(), d.inquiry(), d.mql()), (t(0), None, t(2)));
        assert_eq!(d.recent_conversion(), t(11));
        d.set_sql(t(4));
        d.set_mql(None);
        let back = Dates::from(d);
        assert_eq!(back.sql, t(4));
        assert_eq!(back.mql, None);
        assert_eq!(back.created, open.created);
    }

    #[test]
    fn json_keeps_the_field_form() {
        let d = LeadDates::from(Dates {
            inquiry: DateTime::from_timestamp(1_700_000_000, 0),
            ..Dates::default()
        });
        let json = serde_json::to_string(&d).unwrap();
        assert!(
            json.contains("\"inquiry\":\"2023-11-14T22:13:20Z\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<LeadDates>(&json).unwrap(), d);
    }

    #[test]
    fn the_dates_take_96_bytes() {
        assert_eq!(std::mem::size_of::<LeadDates>(), 96);
    }
}
