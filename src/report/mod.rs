//! One standup snapshot, headless: stage counts, KPIs against targets, SLA breaches and
//! warnings, pace promises, and messaging feedback rolled up by campaign.
//!
//! `tandem report` prints it as Markdown (pastes cleanly into chat) or JSON; `tandem check`
//! prints only the breaches and exits 1 when there are any, for cron and CI alerting.

mod changes_md;
pub(crate) mod markdown;
pub mod replay;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use markdown::{to_check_text, to_markdown};

use crate::config::Config;
use crate::domain::Stage;
use crate::domain::breach::{Filter, board, urgency, who_acts};
use crate::domain::changes::{Changes, ChangesInput, previous_standup};
use crate::domain::kpi::{KpiValue, PeriodKind};
use crate::domain::lens::{ByOwner, Lens};
use crate::domain::sla::{SlaState, pace};
use crate::domain::snapshot::stage_index;
use crate::store::Store;
use crate::units::clock_name;

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
    /// Ratios and medians on fewer cases are "n too small" and not judged.
    pub min_sample: usize,
    pub kpis: Vec<KpiOut>,
    /// Grouped by the team that must act, then by SLA, most urgent first (see README).
    pub breaches: Vec<BreachOut>,
    pub paces: Vec<PaceOut>,
    pub feedback: Vec<FeedbackOut>,
    /// What changed since the last standup (or `--since`); see `domain/changes.rs`.
    pub changes: Changes,
    /// Lead names for the changes, for the Markdown; JSON carries ids only.
    #[serde(skip)]
    pub names: std::collections::HashMap<String, String>,
    /// What the config names that the CRM does not have (`file:line:col: warning: …`);
    /// `report` and `check` also print these to stderr.
    pub warnings: Vec<String>,
    /// The lens every figure is under (`everyone`, `team sales`, `EMEA smb`, `me (…)`).
    pub lens: String,
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
    /// The period's target, as configured.
    pub target: Option<f64>,
    /// For a KPI that accrues over the period: the target pro-rated to the business time
    /// elapsed, which `on_target` judges against.
    pub target_by_now: Option<f64>,
    pub on_target: Option<bool>,
    /// A ratio's (or coverage's) numerator and denominator, as counted.
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// How many cases the figure rests on (ratios, medians); null for sums and counts.
    pub n: Option<usize>,
    /// For a cohort figure (conversions, MQL acceptance, SAL→SQL): the members still
    /// pending and those that exited to nurture or disqualified; null otherwise.
    pub pending: Option<usize>,
    pub exited: Option<usize>,
    /// `n` is below `min_sample`: shown as "n too small" and never judged.
    pub too_small: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreachOut {
    pub sla: String,
    /// The SLA's label from the config.
    pub sla_label: String,
    /// The team that must act: "sales" or "marketing".
    pub team: &'static str,
    /// "business" or "calendar": the clock `overdue_seconds` and `limit_seconds` are on.
    pub clock: &'static str,
    pub limit_seconds: i64,
    pub state: &'static str,
    pub lead_id: String,
    pub lead: String,
    pub company: String,
    pub owner: Option<String>,
    /// Who must act: the owner if on the SLA's team, else the SLA's queue.
    pub acts: String,
    pub stage: &'static str,
    pub due_at: DateTime<Utc>,
    /// Past due on the SLA's own clock (business or calendar); negative for warnings.
    pub overdue_seconds: i64,
    /// `overdue_seconds ÷ limit_seconds`: comparable across SLAs; the list's order.
    pub urgency: f64,
    /// When an unanswered breach goes up to the team's lead (`None`: the SLA never does).
    pub escalate_at: Option<DateTime<Utc>>,
    /// Who it went to, once `state` is "escalated": the team's lead by name (or email).
    pub escalated_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PaceOut {
    pub sla: String,
    pub sla_label: String,
    pub team: &'static str,
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

/// Who an escalated breach of `team`'s went to: its lead, by the CRM's name for that
/// email when the CRM knows it.
fn escalated_to(config: &Config, store: &Store, team: crate::domain::stage::Team) -> String {
    let lead = config.team_lead(team);
    crate::domain::breach::escalated_to(lead, team, store.owners())
}

fn state_id(s: SlaState) -> &'static str {
    match s {
        SlaState::Running => "running",
        SlaState::Warning => "warning",
        SlaState::Breached => "breached",
        SlaState::Escalated => "escalated",
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

/// Each stage with its label, team and count (`counts` in [`Stage::ALL`] order).
pub(crate) fn stage_outs(config: &Config, counts: &[usize; 8]) -> Vec<StageOut> {
    Stage::ALL
        .iter()
        .map(|&s| {
            let info = config.stages.info(s);
            StageOut {
                id: s.id(),
                label: info.label.clone(),
                team: info.team.map(|t| t.label()),
                count: counts[stage_index(s)],
            }
        })
        .collect()
}

/// A KPI as the report's JSON carries it.
pub(crate) fn kpi_out(k: &crate::domain::kpi::Kpi) -> KpiOut {
    let (unit, value) = unit_and_value(k.value);
    KpiOut {
        team: k.team.map_or("shared", |t| t.label()),
        id: k.id,
        label: k.label,
        unit,
        value,
        target: k.target.and_then(|t| unit_and_value(t).1),
        target_by_now: k.target_by_now.and_then(|t| unit_and_value(t).1),
        on_target: k.on_target(),
        numerator: k.parts.map(|p| p.num),
        denominator: k.parts.map(|p| p.den),
        n: k.n,
        pending: k.parts.and_then(|p| p.pending).or(k.pending),
        exited: k.parts.and_then(|p| p.exited),
        too_small: k.too_small(),
    }
}

impl Report {
    /// Everything as of `now`, from the store's records and the teams' config.
    /// `since`: where "what changed" starts (`None`: the previous working day's standup).
    pub fn build(
        config: &Config,
        store: &Store,
        period: PeriodKind,
        (since, now): (Option<DateTime<Utc>>, DateTime<Utc>),
        simulated: bool,
    ) -> Report {
        Self::build_lensed(config, store, &Lens::All, period, (since, now), simulated)
    }

    /// [`build`](Self::build) under `lens`, as the cockpit's lens shows it: a segment or
    /// account lens narrows the leads; a person or team lens lists its current leads but
    /// counts flows and cohorts by the owner at each event (metrics.md §6). Team-wide targets
    /// are neither shown nor judged under a lens.
    pub fn build_lensed(
        config: &Config,
        everyone: &Store,
        lens: &Lens,
        period: PeriodKind,
        (since, now): (Option<DateTime<Utc>>, DateTime<Utc>),
        simulated: bool,
    ) -> Report {
        let (lensed, lens_config);
        let (store, config) = match lens {
            Lens::All => (everyone, config),
            _ => {
                let kept = crate::domain::lens::keep(
                    lens,
                    &crate::domain::lens::LensInput {
                        leads: everyone.leads(),
                        deals: everyone.deals(),
                        deal_stages: everyone.deal_stages(),
                        owners: everyone.owners(),
                        stage_team: &|s| config.stages.team(s),
                    },
                );
                lensed = everyone.lensed(&kept);
                let mut c = config.clone();
                c.targets.by_period.clear();
                lens_config = c;
                (&lensed, &lens_config)
            }
        };
        let by_owner = ByOwner::of(lens, everyone.owners());
        let since =
            since.unwrap_or_else(|| previous_standup(&config.calendar, config.standup_at, now));
        let changes_input = ChangesInput {
            leads: if by_owner.is_some() {
                everyone.leads()
            } else {
                store.leads()
            },
            deals: store.deals(),
            deal_stages: store.deal_stages(),
            notes: store.notes(),
            slas: &config.slas,
            calendar: &config.calendar,
            stages: &config.stages,
            owners: store.owners(),
            by_owner: by_owner.as_ref(),
            timelines: None,
        };
        // The snapshot and the standup changes each walk every lead and share nothing: on
        // two cores they take the time of the longer (140 ms against 199 ms at 100k leads).
        let (snap, changes) = std::thread::scope(|scope| {
            let changes = scope.spawn(|| Changes::compute(&changes_input, since, now));
            let snap = store.snapshot_with(
                config,
                period,
                now,
                by_owner.as_ref().map(|r| (everyone.leads(), r)),
            );
            let changes = changes
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (snap, changes)
        });
        // Only the leads the changes list: a map of every lead's name cost a million-lead
        // report two strings a lead.
        let names = changes
            .lead_ids()
            .filter_map(|id| Some((id.clone(), everyone.lead(id)?.name().to_string())))
            .collect();
        let p = snap.period.expect("the snapshot has a period");
        let stages = stage_outs(config, &snap.board.counts);
        let kpis = snap.kpis.iter().map(kpi_out).collect();
        let groups = board(
            &snap.board.timers,
            &config.slas,
            &config.calendar,
            now,
            Filter::default(),
        );
        let breaches = groups
            .iter()
            .flat_map(|g| g.timers.iter().map(move |&t| (g.sla, t)))
            .filter_map(|(sla, t)| {
                let (t, def) = (&snap.board.timers[t], config.slas.get(sla)?);
                let lead = store.lead(&t.lead_id)?;
                let owner = lead.owner_id.as_deref().and_then(|id| store.owner(id));
                let remaining = t.remaining(def, &config.calendar, now);
                let state = t.state(now);
                let escalated_to =
                    (state == SlaState::Escalated).then(|| escalated_to(config, store, def.team));
                Some(BreachOut {
                    escalate_at: t.escalate_at,
                    escalated_to,
                    sla: def.id.clone(),
                    sla_label: def.label.clone(),
                    team: def.team.label(),
                    clock: clock_name(def.clock),
                    limit_seconds: def.limit.num_seconds(),
                    state: state_id(state),
                    lead_id: lead.id.to_string(),
                    lead: lead.name().to_string(),
                    company: lead.company.to_string(),
                    owner: owner.map(|o| o.name.clone()),
                    acts: who_acts(def, owner).to_string(),
                    stage: lead.stage.map_or("unmapped", Stage::id),
                    due_at: t.due_at,
                    overdue_seconds: -remaining.num_seconds(),
                    urgency: urgency(def, remaining),
                })
            })
            .collect();
        let paces = config
            .paces
            .iter()
            .filter_map(|def| {
                let actual = snap.kpis.iter().find(|k| k.id == def.kpi)?.value.scalar()?;
                let target = config.targets.get(p.kind, &def.kpi)?.scalar()?;
                let status = pace(def, actual, target, &config.calendar, p.start, p.end, now);
                Some(PaceOut {
                    sla: def.id.clone(),
                    sla_label: def.label.clone(),
                    team: def.team.label(),
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
            unmapped: snap.board.unmapped,
            min_sample: config.targets.min_sample,
            kpis,
            breaches,
            paces,
            feedback,
            changes,
            names,
            warnings: config.owner_warnings(store.owners()),
            lens: lens.label(),
        }
    }

    /// Breached promises only, escalated ones included (warnings don't fail a check).
    pub fn breached(&self) -> usize {
        self.breaches
            .iter()
            .filter(|b| matches!(b.state, "breached" | "escalated"))
            .count()
            + self.paces.iter().filter(|p| p.state == "breached").count()
    }
}
