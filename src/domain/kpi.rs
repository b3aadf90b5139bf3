//! Each team's KPIs over a period, computed from the shared records.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use super::business_hours::BusinessCalendar;
use super::lead::{Deal, DealStage, Lead};
use super::stage::{Stage, Team};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KpiValue {
    Count(u64),
    /// 0.0–1.0; `None` when there is nothing to divide by yet.
    Ratio(Option<f64>),
    Money(f64),
    /// Business time; `None` when no lead has been measured yet.
    Duration(Option<Duration>),
}

/// Whether a bigger value is better (speed to lead is the one where it isn't).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub id: &'static str,
    pub team: Team,
    pub label: &'static str,
    pub value: KpiValue,
    pub target: Option<KpiValue>,
    pub better: Better,
}

impl Kpi {
    /// Whether the value meets its target; `None` without a target or a value.
    pub fn on_target(&self) -> Option<bool> {
        let (v, t) = (scalar(self.value)?, scalar(self.target?)?);
        Some(match self.better {
            Better::Higher => v >= t,
            Better::Lower => v <= t,
        })
    }
}

fn scalar(v: KpiValue) -> Option<f64> {
    match v {
        KpiValue::Count(n) => Some(n as f64),
        KpiValue::Ratio(r) => r,
        KpiValue::Money(m) => Some(m),
        KpiValue::Duration(d) => d.map(|d| d.num_seconds() as f64),
    }
}

/// The reporting periods a team can be judged over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 3] = [PeriodKind::Week, PeriodKind::Month, PeriodKind::Quarter];

    pub fn id(self) -> &'static str {
        match self {
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        Self::ALL.into_iter().find(|p| p.id() == s)
    }

    /// Start of the period containing `t` (UTC, so every reader sees the same period).
    pub fn start_of(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let midnight =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"));
        match self {
            PeriodKind::Week => BusinessCalendar::week_start(t),
            PeriodKind::Month => midnight(t.date_naive().with_day(1).expect("day 1")),
            PeriodKind::Quarter => {
                let month = (t.month0() / 3) * 3 + 1;
                midnight(NaiveDate::from_ymd_opt(t.year(), month, 1).expect("quarter start"))
            }
        }
    }

    /// Start of the period after the one containing `t`.
    pub fn next_start(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let start = self.start_of(t);
        match self {
            PeriodKind::Week => start + Duration::days(7),
            PeriodKind::Month => start
                .checked_add_months(chrono::Months::new(1))
                .expect("date in range"),
            PeriodKind::Quarter => start
                .checked_add_months(chrono::Months::new(3))
                .expect("date in range"),
        }
    }
}

/// A half-open window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// The current period up to `now`.
    pub fn current(kind: PeriodKind, now: DateTime<Utc>) -> Period {
        Period {
            kind,
            start: kind.start_of(now),
            end: now,
        }
    }

    /// The ISO week so far.
    pub fn this_week(now: DateTime<Utc>) -> Period {
        Self::current(PeriodKind::Week, now)
    }

    /// The `n`-th whole period before the current one (n = 1 is the last one).
    pub fn previous(kind: PeriodKind, now: DateTime<Utc>, n: u32) -> Period {
        let mut start = kind.start_of(now);
        for _ in 0..n {
            start = kind.start_of(start - Duration::seconds(1));
        }
        Period {
            kind,
            start,
            end: kind.next_start(start),
        }
    }

    pub fn contains(&self, t: Option<DateTime<Utc>>) -> bool {
        t.is_some_and(|t| t >= self.start && t < self.end)
    }
}

/// Original-source channels that count as marketing-sourced. `OFFLINE` (imports, sales
/// prospecting) does not.
pub const MARKETING_CHANNELS: [&str; 8] = [
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "PAID_SOCIAL",
    "OTHER_CAMPAIGNS",
    "REFERRALS",
    "DIRECT_TRAFFIC",
];

/// KPI id → target, for one period kind.
pub type PeriodTargets = BTreeMap<String, KpiValue>;

/// The targets both teams agreed on, per period kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    pub by_period: BTreeMap<PeriodKind, PeriodTargets>,
}

impl Targets {
    pub fn get(&self, kind: PeriodKind, kpi: &str) -> Option<KpiValue> {
        self.by_period.get(&kind)?.get(kpi).copied()
    }
}

/// The records a KPI computation reads.
pub struct KpiInput<'a> {
    pub leads: &'a [Lead],
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub calendar: &'a BusinessCalendar,
}

fn accepted_or_beyond(stage: Option<Stage>) -> bool {
    matches!(
        stage,
        Some(Stage::Sal | Stage::Sql | Stage::Opportunity | Stage::Customer)
    )
}

fn sql_or_beyond(stage: Option<Stage>) -> bool {
    matches!(
        stage,
        Some(Stage::Sql | Stage::Opportunity | Stage::Customer)
    )
}

fn ratio(num: usize, den: usize) -> KpiValue {
    KpiValue::Ratio((den > 0).then(|| num as f64 / den as f64))
}

fn median(mut xs: Vec<Duration>) -> Option<Duration> {
    if xs.is_empty() {
        return None;
    }
    xs.sort();
    let mid = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2
    })
}

/// Compute the first KPI set over `period`. Formulas are documented in the README.
pub fn compute(input: &KpiInput<'_>, period: Period, targets: &Targets) -> Vec<Kpi> {
    let leads = input.leads;
    let stage_of = |id: &str| input.deal_stages.iter().find(|s| s.id == id);
    let open_deal = |d: &&Deal| stage_of(&d.stage_id).is_none_or(|s| !s.is_closed);
    let by_id: HashMap<&str, &Lead> = leads.iter().map(|l| (l.id.as_str(), l)).collect();

    // Marketing.
    let mqls: Vec<&Lead> = leads
        .iter()
        .filter(|l| period.contains(l.dates.mql))
        .collect();
    let left_mql: Vec<&&Lead> = mqls
        .iter()
        .filter(|l| l.stage != Some(Stage::Mql))
        .collect();
    let accepted = left_mql
        .iter()
        .filter(|l| accepted_or_beyond(l.stage))
        .count();

    let mut sourced = 0.0;
    let mut touched = 0.0;
    for deal in input.deals.iter().filter(open_deal) {
        let contacts: Vec<&Lead> = deal
            .contact_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        if contacts
            .iter()
            .any(|l| MARKETING_CHANNELS.contains(&l.source_channel.as_str()))
        {
            sourced += deal.amount;
        }
        let touched_before = |l: &&Lead| {
            l.first_campaign.is_some()
                && match (l.dates.created, deal.created_at) {
                    (Some(c), Some(d)) => c <= d,
                    _ => true,
                }
        };
        if contacts.iter().any(touched_before) {
            touched += deal.amount;
        }
    }

    // Sales.
    let accepted_in_period: Vec<&Lead> = leads
        .iter()
        .filter(|l| period.contains(l.dates.accepted))
        .collect();
    let speed: Vec<Duration> = accepted_in_period
        .iter()
        .filter_map(|l| Some(input.calendar.between(l.dates.mql?, l.dates.accepted?)))
        .filter(|d| *d >= Duration::zero())
        .collect();
    let left_sal: Vec<&&Lead> = accepted_in_period
        .iter()
        .filter(|l| l.stage != Some(Stage::Sal))
        .collect();
    let to_sql = left_sal.iter().filter(|l| sql_or_beyond(l.stage)).count();
    let (mut won, mut lost) = (0, 0);
    for deal in input.deals.iter().filter(|d| period.contains(d.close_date)) {
        match stage_of(&deal.stage_id) {
            Some(s) if s.is_closed && s.is_won => won += 1,
            Some(s) if s.is_closed => lost += 1,
            _ => {}
        }
    }

    let kpi = |id, team, label, value, better| Kpi {
        id,
        team,
        label,
        value,
        target: targets.get(period.kind, id),
        better,
    };
    use Better::*;
    use Team::*;
    vec![
        kpi(
            "mqls_created",
            Marketing,
            "MQLs created",
            KpiValue::Count(mqls.len() as u64),
            Higher,
        ),
        kpi(
            "mql_acceptance",
            Marketing,
            "MQL→SAL accepted",
            ratio(accepted, left_mql.len()),
            Higher,
        ),
        kpi(
            "sourced_pipeline",
            Marketing,
            "sourced pipeline",
            KpiValue::Money(sourced),
            Higher,
        ),
        kpi(
            "touched_pipeline",
            Marketing,
            "touched pipeline",
            KpiValue::Money(touched),
            Higher,
        ),
        kpi(
            "speed_to_lead",
            Sales,
            "speed to lead (med)",
            KpiValue::Duration(median(speed)),
            Lower,
        ),
        kpi(
            "sal_to_sql",
            Sales,
            "SAL→SQL",
            ratio(to_sql, left_sal.len()),
            Higher,
        ),
        kpi(
            "win_rate",
            Sales,
            "win rate",
            ratio(won, won + lost),
            Higher,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::tests_support::lead_in;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn stages() -> Vec<DealStage> {
        let s = |id: &str, closed, won| DealStage {
            id: id.into(),
            label: id.into(),
            order: 0,
            is_closed: closed,
            is_won: won,
        };
        vec![
            s("open", false, false),
            s("won", true, true),
            s("lost", true, false),
        ]
    }

    fn deal(id: &str, stage: &str, amount: f64, contact: &str) -> Deal {
        Deal {
            id: id.into(),
            name: id.into(),
            amount,
            stage_id: stage.into(),
            created_at: Some(at("2026-11-10T00:00:00Z")),
            close_date: Some(at("2026-11-18T12:00:00Z")),
            owner_id: None,
            contact_ids: vec![contact.into()],
            updated_at: at("2026-11-18T12:00:00Z"),
        }
    }

    fn value(kpis: &[Kpi], id: &str) -> KpiValue {
        kpis.iter().find(|k| k.id == id).unwrap().value
    }

    #[test]
    fn hand_computed_week() {
        let now = at("2026-11-20T15:00:00Z");
        let mut leads = Vec::new();
        for (i, stage) in [Stage::Mql, Stage::Sal, Stage::Sql, Stage::Nurture]
            .iter()
            .enumerate()
        {
            let mut l = lead_in(*stage);
            l.id = format!("{i}");
            // MQL Monday 10:00; accepted Monday 12:30 (2h30 business).
            l.dates.mql = Some(at("2026-11-16T10:00:00Z"));
            if matches!(stage, Stage::Sal | Stage::Sql) {
                l.dates.accepted = Some(at("2026-11-16T12:30:00Z"));
            }
            l.dates.created = Some(at("2026-11-01T00:00:00Z"));
            l.source_channel = if i == 2 {
                "OFFLINE".into()
            } else {
                "PAID_SEARCH".into()
            };
            l.first_campaign = (i == 2).then(|| "ROI webinar".to_string());
            leads.push(l);
        }
        let mut old = lead_in(Stage::Mql);
        old.id = "old".into();
        old.dates.mql = Some(at("2026-11-13T10:00:00Z"));
        leads.push(old);
        let deals = vec![
            deal("d1", "open", 1000.0, "2"),
            deal("d2", "open", 500.0, "1"),
            deal("d3", "won", 700.0, "1"),
            deal("d4", "lost", 100.0, "1"),
            deal("d5", "lost", 100.0, "1"),
        ];
        let cal = BusinessCalendar::default();
        let stages = stages();
        let input = KpiInput {
            leads: &leads,
            deals: &deals,
            deal_stages: &stages,
            calendar: &cal,
        };
        let kpis = compute(&input, Period::this_week(now), &Targets::default());
        assert_eq!(value(&kpis, "mqls_created"), KpiValue::Count(4));
        // Three left MQL: two accepted, one recycled.
        assert_eq!(
            value(&kpis, "mql_acceptance"),
            KpiValue::Ratio(Some(2.0 / 3.0))
        );
        assert_eq!(value(&kpis, "sourced_pipeline"), KpiValue::Money(500.0));
        assert_eq!(value(&kpis, "touched_pipeline"), KpiValue::Money(1000.0));
        assert_eq!(
            value(&kpis, "speed_to_lead"),
            KpiValue::Duration(Some(Duration::minutes(150)))
        );
        // Of the two accepted, one is still in SAL, the other reached SQL.
        assert_eq!(value(&kpis, "sal_to_sql"), KpiValue::Ratio(Some(1.0)));
        assert_eq!(value(&kpis, "win_rate"), KpiValue::Ratio(Some(1.0 / 3.0)));
    }

    #[test]
    fn empty_world_has_no_ratios() {
        let cal = BusinessCalendar::default();
        let input = KpiInput {
            leads: &[],
            deals: &[],
            deal_stages: &[],
            calendar: &cal,
        };
        let mut targets = Targets::default();
        targets.by_period.insert(
            PeriodKind::Week,
            [("mqls_created".to_string(), KpiValue::Count(60))].into(),
        );
        let kpis = compute(
            &input,
            Period::this_week(at("2026-11-20T15:00:00Z")),
            &targets,
        );
        assert_eq!(value(&kpis, "win_rate"), KpiValue::Ratio(None));
        assert_eq!(value(&kpis, "speed_to_lead"), KpiValue::Duration(None));
        assert_eq!(kpis[0].target, Some(KpiValue::Count(60)));
        assert_eq!(kpis[0].on_target(), Some(false));
        assert_eq!(kpis[1].target, None, "no target written, none shown");
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn period_bounds() {
        let now = at("2026-11-20T15:02:00Z");
        assert_eq!(PeriodKind::Month.start_of(now), at("2026-11-01T00:00:00Z"));
        assert_eq!(
            PeriodKind::Quarter.start_of(now),
            at("2026-10-01T00:00:00Z")
        );
        assert_eq!(
            PeriodKind::Quarter.next_start(now),
            at("2027-01-01T00:00:00Z")
        );
        let last_week = Period::previous(PeriodKind::Week, now, 1);
        assert_eq!(
            (last_week.start, last_week.end),
            (at("2026-11-09T00:00:00Z"), at("2026-11-16T00:00:00Z"))
        );
        let two_months_ago = Period::previous(PeriodKind::Month, now, 2);
        assert_eq!(two_months_ago.start, at("2026-09-01T00:00:00Z"));
    }
}
