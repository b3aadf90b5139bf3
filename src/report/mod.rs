//! One standup snapshot, headless: stage counts, KPIs against targets, SLA breaches and
//! warnings, pace promises, and messaging feedback rolled up by campaign.
//!
//! `tandem report` prints it as Markdown (pastes cleanly into chat) or JSON; `tandem check`
//! prints only the breaches and exits 1 when there are any, for cron and CI alerting.

mod markdown;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use markdown::{to_check_text, to_markdown};

use crate::config::Config;
use crate::domain::Stage;
use crate::domain::kpi::{KpiValue, PeriodKind};
use crate::domain::sla::{SlaState, pace};
use crate::domain::snapshot::stage_index;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub generated_at: DateTime<Utc>,
    pub simulated: bool,
    /// With `--offline`: when the cached data was last completely loaded (`null` when the
    /// report was loaded from the source just now).
    pub cached_at: Option<DateTime<Utc>>,
    pub period: PeriodOut,
    pub stages: Vec<StageOut>,
    /// Leads whose vendor stage maps to no shared stage.
    pub unmapped: usize,
    pub kpis: Vec<KpiOut>,
    pub breaches: Vec<BreachOut>,
    pub paces: Vec<PaceOut>,
    pub feedback: Vec<FeedbackOut>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodOut {
    pub kind: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageOut {
    pub id: &'static str,
    pub label: String,
    pub team: Option<&'static str>,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiOut {
    /// "marketing", "sales" or "shared".
    pub team: &'static str,
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub on_target: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreachOut {
    pub sla: String,
    pub state: &'static str,
    pub lead_id: String,
    pub lead: String,
    pub company: String,
    pub owner: Option<String>,
    pub stage: &'static str,
    pub due_at: DateTime<Utc>,
    /// Past due on the SLA's own clock (business or calendar); negative for warnings.
    pub overdue_seconds: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PaceOut {
    pub sla: String,
    pub state: &'static str,
    pub kpi: String,
    pub actual: f64,
    pub expected: f64,
    pub target: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedbackOut {
    pub campaign: String,
    pub works: usize,
    pub does_not_work: usize,
}

fn state_id(s: SlaState) -> &'static str {
    match s {
        SlaState::Running => "running",
        SlaState::Warning => "warning",
        SlaState::Breached => "breached",
    }
}

/// A KPI value's unit and number; no number when it is missing or not finite.
fn unit_and_value(v: KpiValue) -> (&'static str, Option<f64>) {
    let unit = match v {
        KpiValue::Count(_) => "count",
        KpiValue::Ratio(_) => "ratio",
        KpiValue::Money(_) => "money",
        KpiValue::Duration(_) => "seconds",
        KpiValue::Multiple(_) => "multiple",
        KpiValue::MoneyPerDay(_) => "money_per_day",
    };
    (unit, v.scalar())
}

impl Report {
    /// Everything as of `now`, from the store's records and the teams' config.
    pub fn build(
        config: &Config,
        store: &Store,
        period: PeriodKind,
        now: DateTime<Utc>,
        simulated: bool,
    ) -> Report {
        let snap = store.snapshot(config, period, now);
        let p = snap.period.expect("the snapshot has a period");
        let stages = Stage::ALL
            .iter()
            .map(|&s| {
                let info = config.stages.info(s);
                StageOut {
                    id: s.id(),
                    label: info.label.clone(),
                    team: info.team.map(|t| t.label()),
                    count: snap.counts[stage_index(s)],
                }
            })
            .collect();
        let kpis = snap
            .kpis
            .iter()
            .map(|k| {
                let (unit, value) = unit_and_value(k.value);
                KpiOut {
                    team: k.team.map_or("shared", |t| t.label()),
                    id: k.id,
                    label: k.label,
                    unit,
                    value,
                    target: k.target.and_then(|t| unit_and_value(t).1),
                    on_target: k.on_target(),
                }
            })
            .collect();
        let mut breaches: Vec<BreachOut> = snap
            .timers
            .iter()
            .filter(|t| t.state(now) != SlaState::Running)
            .filter_map(|t| {
                let def = config.slas.get(t.sla)?;
                let lead = store.lead(&t.lead_id)?;
                Some(BreachOut {
                    sla: def.id.clone(),
                    state: state_id(t.state(now)),
                    lead_id: lead.id.clone(),
                    lead: lead.name.clone(),
                    company: lead.company.clone(),
                    owner: lead
                        .owner_id
                        .as_deref()
                        .and_then(|id| store.owner(id))
                        .map(|o| o.name.clone()),
                    stage: lead.stage.map_or("unmapped", Stage::id),
                    due_at: t.due_at,
                    overdue_seconds: -t.remaining(def, &config.calendar, now).num_seconds(),
                })
            })
            .collect();
        breaches.sort_by(|a, b| {
            b.overdue_seconds
                .cmp(&a.overdue_seconds)
                .then(a.lead_id.cmp(&b.lead_id))
        });
        let paces = config
            .paces
            .iter()
            .filter_map(|def| {
                let actual = snap.kpis.iter().find(|k| k.id == def.kpi)?.value.scalar()?;
                let target = config.targets.get(p.kind, &def.kpi)?.scalar()?;
                let status = pace(def, actual, target, &config.calendar, p.start, p.end, now);
                Some(PaceOut {
                    sla: def.id.clone(),
                    state: state_id(status.state),
                    kpi: def.kpi.clone(),
                    actual,
                    expected: status.expected,
                    target,
                })
            })
            .collect();
        let feedback = snap
            .feedback
            .iter()
            .map(|f| FeedbackOut {
                campaign: f.campaign.clone(),
                works: f.works,
                does_not_work: f.does_not_work,
            })
            .collect();
        Report {
            generated_at: now,
            simulated,
            cached_at: None,
            period: PeriodOut {
                kind: p.kind.id(),
                start: p.start,
                end: p.end,
            },
            stages,
            unmapped: snap.unmapped,
            kpis,
            breaches,
            paces,
            feedback,
        }
    }

    /// Breached promises only (warnings don't fail a check).
    pub fn breached(&self) -> usize {
        self.breaches
            .iter()
            .filter(|b| b.state == "breached")
            .count()
            + self.paces.iter().filter(|p| p.state == "breached").count()
    }
}
