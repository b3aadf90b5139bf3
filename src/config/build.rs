//! From the file's shape to the domain's types, checking what serde alone cannot.

use std::collections::BTreeMap;

use super::schema::{self, File};
use super::values::{Amount, Count, Ratio, Span};
use super::{AttributionConfig, Config, ConfigError};
use crate::domain::Stage;
use crate::domain::attribution::Model;
use crate::domain::business_hours::BusinessCalendar;
use crate::domain::catalog::{MatchRule, StageCatalog, StageInfo};
use crate::domain::coverage::{Coverage, Segment, SegmentBy};
use crate::domain::kpi::{KpiValue, PeriodKind, PeriodTargets};
use crate::domain::recycle::{RecyclePolicy, RecycleReason, valid_code};
use crate::domain::reject::RejectReason;
use crate::domain::snapshot::stage_index;
use crate::domain::stage::Team;

/// The shortest time-decay half-life. A weight of 0.5^(age / half-life) underflows to zero
/// after ~1075 half-lives: with a day that is ~3 years before the deal, with an hour only
/// 45 days, shorter than a typical sales cycle.
const MIN_HALF_LIFE: chrono::Duration = chrono::Duration::days(1);

/// The longest label a config may give (a stage, an SLA, a reason, an account).
const MAX_LABEL: usize = 80;
/// The longest stage definition.
const MAX_DEFINITION: usize = 600;

/// Config text reaches the terminal and the report like remote text does: control and
/// escape bytes stripped, whitespace folded, length capped.
pub(super) fn words(raw: &str) -> String {
    crate::domain::text::clean_within(raw, MAX_LABEL)
}

/// Parse and check `text`; sections it leaves out come from `base` (required when there is
/// no base, i.e. for the built-in file itself).
/// A rule's field as the joined lead holds it: a MAP's fields sit beside the CRM's on one
/// lead, so they carry the MAP's id (`marketo.leadStatus`); a CRM's are its own names.
fn tagged_field(vendor: &str, field: &str) -> String {
    match vendor {
        "marketo" => format!("{vendor}.{field}"),
        _ => field.to_string(),
    }
}

pub fn parse(path: &str, text: &str, base: Option<&Config>) -> Result<Config, ConfigError> {
    let file: File = toml::from_str(text)
        .map_err(|e| ConfigError::at(path, text, e.span(), e.message().trim().to_string()))?;
    let err =
        |span: std::ops::Range<usize>, msg: String| ConfigError::at(path, text, Some(span), msg);
    let missing = |what: &str| ConfigError::whole_file(path, format!("missing [{what}] section"));

    let sources = file
        .source
        .iter()
        .map(|s| super::source::check(s).map_err(|m| ConfigError::whole_file(path, m)))
        .collect::<Result<Vec<_>, _>>()?;

    let calendar = match &file.business_hours {
        Some(b) => {
            if b.end.get_ref().0 <= b.start.0 {
                return Err(err(
                    b.end.span(),
                    "business hours must end after they start".into(),
                ));
            }
            if b.days.is_empty() {
                return Err(ConfigError::whole_file(
                    path,
                    "business_hours.days is empty",
                ));
            }
            let mut days = [false; 7];
            for d in &b.days {
                days[d.0.num_days_from_monday() as usize] = true;
            }
            BusinessCalendar {
                days,
                start: b.start.0,
                end: b.end.get_ref().0,
                tz: b.timezone.map_or(chrono_tz::Tz::UTC, |z| z.0),
                holidays: match &b.holidays {
                    Some(h) => {
                        let dates: Vec<_> = h.get_ref().iter().map(|d| d.0).collect();
                        if let Some(why) = super::sense::holidays_problem(&days, &dates) {
                            return Err(err(h.span(), why));
                        }
                        dates
                    }
                    None => Vec::new(),
                },
            }
        }
        None => base
            .ok_or_else(|| missing("business_hours"))?
            .calendar
            .clone(),
    };

    let stages = stage_catalog(&file, base, &err)?;

    let (slas, paces) = if file.sla.is_empty() {
        let base = base.ok_or_else(|| missing("[sla]"))?;
        (base.slas.clone(), base.paces.clone())
    } else {
        super::slas::slas(&file, &err)?
    };

    let mut targets = base.map(|b| b.targets.clone()).unwrap_or_default();
    if let Some(n) = file.targets.min_sample {
        targets.min_sample = usize::try_from(n.0).unwrap_or(usize::MAX);
    }
    for (kind, written) in [
        (PeriodKind::Week, &file.targets.week),
        (PeriodKind::Month, &file.targets.month),
        (PeriodKind::Quarter, &file.targets.quarter),
    ] {
        if let Some(t) = written {
            targets.by_period.insert(kind, period_targets(t));
        }
    }

    let coverage = match &file.coverage {
        Some(c) => Coverage {
            segment_by: match c.segment_by.as_deref() {
                Some(by) => SegmentBy::parse(by),
                None => base
                    .map(|b| b.coverage.segment_by.clone())
                    .unwrap_or(SegmentBy::Region),
            },
            segments: c
                .segment
                .iter()
                .map(|s| Segment {
                    matches: s.matches.clone(),
                    owners: s.owners.iter().map(|o| o.get_ref().clone()).collect(),
                })
                .collect(),
            fallback: c.fallback.iter().map(|o| o.get_ref().clone()).collect(),
        },
        None => base.map(|b| b.coverage.clone()).unwrap_or_default(),
    };

    let recycle = match &file.recycle {
        Some(r) if !r.reason.is_empty() => {
            let mut reasons: Vec<RecycleReason> = Vec::new();
            for spanned in &r.reason {
                let reason = spanned.get_ref();
                if let Some(why) = code_problem(
                    "reason",
                    &reason.code,
                    reasons.iter().map(|x| x.code.as_str()),
                ) {
                    return Err(err(spanned.span(), why));
                }
                reasons.push(RecycleReason {
                    code: reason.code.clone(),
                    label: words(&reason.label),
                    track: reason.track.clone(),
                    revisit_after: reason.revisit_after.map(|s| s.0),
                });
            }
            RecyclePolicy {
                max_loops: r.max_loops.unwrap_or(2),
                reasons,
                nurture_owner: r.nurture_owner.as_ref().map(|o| o.get_ref().clone()),
                revisit_property: r.revisit_property.clone(),
            }
        }
        Some(r) => {
            let mut policy = base
                .ok_or_else(|| missing("recycle.reason"))?
                .recycle
                .clone();
            if let Some(max) = r.max_loops {
                policy.max_loops = max;
            }
            if let Some(o) = &r.nurture_owner {
                policy.nurture_owner = Some(o.get_ref().clone());
            }
            if let Some(p) = &r.revisit_property {
                policy.revisit_property = Some(p.clone());
            }
            policy
        }
        None => base.ok_or_else(|| missing("recycle"))?.recycle.clone(),
    };

    let attribution = match &file.attribution {
        Some(a) => {
            let base = base.map(|b| b.attribution);
            let half_life = match &a.half_life {
                Some(h) if h.get_ref().0 < MIN_HALF_LIFE => {
                    return Err(err(
                        h.span(),
                        "attribution.half_life must be at least \"1d\": time decay halves a \
                         touch's weight every half-life, so a shorter one rounds every touch a \
                         few weeks before the deal to zero and leaves no credit to share"
                            .into(),
                    ));
                }
                Some(h) => h.get_ref().0,
                None => base.map_or(chrono::Duration::days(7), |b| b.half_life),
            };
            let model = match a.model {
                Some(name) => model(name, half_life),
                None => base.map_or(Model::WShaped, |b| b.model),
            };
            AttributionConfig { model, half_life }
        }
        None => base.ok_or_else(|| missing("attribution"))?.attribution,
    };

    // Relative to the file that names it, as a reader of that file would take it.
    let proposed = match &file.proposed {
        Some(p) if p.get_ref().trim().is_empty() => {
            return Err(err(p.span(), "proposed must name a file".into()));
        }
        Some(p) => {
            let named = std::path::Path::new(p.get_ref().trim());
            let beside = std::path::Path::new(path)
                .parent()
                .unwrap_or(std::path::Path::new(""));
            Some(if named.is_absolute() {
                named.to_path_buf()
            } else {
                beside.join(named)
            })
        }
        None => base.and_then(|b| b.proposed.clone()),
    };
    let data_dir = match &file.data_dir {
        Some(d) => Some(std::path::PathBuf::from(d)),
        None => base.and_then(|b| b.data_dir.clone()),
    };
    let undo_window = match file.actions.as_ref().and_then(|a| a.undo_window.as_ref()) {
        Some(span) if span.get_ref().0 > chrono::Duration::hours(1) => {
            return Err(err(
                span.span(),
                "actions.undo_window is at most \"1h\": undo is for the moment after a mistake"
                    .to_string(),
            ));
        }
        Some(span) if span.get_ref().0 < chrono::Duration::seconds(1) => {
            return Err(err(
                span.span(),
                "actions.undo_window is at least \"1s\": a zero window would offer an undo that \
                 can never be taken"
                    .to_string(),
            ));
        }
        Some(span) => span.get_ref().0,
        None => base.map_or(chrono::Duration::seconds(10), |b| b.undo_window),
    };
    let reject_reasons = if file.reject.is_empty() {
        base.map(|b| b.reject_reasons.clone()).unwrap_or_default()
    } else {
        let mut reasons: Vec<RejectReason> = Vec::new();
        for spanned in &file.reject {
            let r = spanned.get_ref();
            if let Some(why) =
                code_problem("reject", &r.code, reasons.iter().map(|x| x.code.as_str()))
            {
                return Err(err(spanned.span(), why));
            }
            reasons.push(RejectReason {
                code: r.code.clone(),
                label: words(&r.label),
                recycle: r.then == schema::RejectThen::Recycle,
            });
        }
        reasons
    };
    if let Some(n) = file.lens.as_ref().and_then(|l| l.top_accounts.as_ref())
        && *n.get_ref() == 0
    {
        return Err(err(
            n.span(),
            "lens.top_accounts is at least 1: a lens of no accounts shows nothing".into(),
        ));
    }
    let top_accounts = match &file.lens {
        Some(l) => crate::domain::lens::TopAccounts {
            count: l
                .top_accounts
                .as_ref()
                .map_or(20, |n| *n.get_ref() as usize),
            named: l
                .accounts
                .iter()
                .map(|a| words(a))
                .filter(|a| !a.is_empty())
                .collect(),
        },
        None => base.map(|b| b.top_accounts.clone()).unwrap_or_default(),
    };
    let standup_at = match file.standup.as_ref().and_then(|s| s.at) {
        Some(t) => t.0,
        None => base.map_or(
            chrono::NaiveTime::from_hms_opt(9, 30, 0).expect("a valid time"),
            |b| b.standup_at,
        ),
    };
    let user = file
        .user
        .as_ref()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .or_else(|| base.and_then(|b| b.user.clone()));
    let team_leads = if file.team.is_empty() {
        base.map(|b| b.team_leads.clone()).unwrap_or_default()
    } else {
        let mut leads: Vec<(Team, String)> = Vec::new();
        for spanned in &file.team {
            let t = spanned.get_ref();
            let lead = t.lead.get_ref().trim();
            if leads.iter().any(|(team, _)| *team == t.name.0) {
                return Err(err(
                    spanned.span(),
                    format!("team {:?} is written twice", t.name.0.label()),
                ));
            }
            if !lead.contains('@') {
                return Err(err(
                    t.lead.span(),
                    format!(
                        "team {:?}: lead is a CRM owner's email, such as \"dana@example.com\"",
                        t.name.0.label()
                    ),
                ));
            }
            leads.push((t.name.0, lead.to_string()));
        }
        leads
    };
    let notify_command = match &file.notify {
        Some(n) if n.command.get_ref().trim().is_empty() => {
            return Err(err(
                n.command.span(),
                "notify command must not be empty (leave [notify] out for none)".into(),
            ));
        }
        Some(n) => Some(n.command.get_ref().trim().to_string()),
        None => base.and_then(|b| b.notify_command.clone()),
    };
    let owner_refs = super::owners::refs(path, text, &file, base);
    Ok(Config {
        also_read: Vec::new(),
        proposed,
        notify_command,
        team_leads,
        path: None,
        owner_refs,
        data_dir,
        user,
        undo_window,
        standup_at,
        reject_reasons,
        top_accounts,
        sources,
        calendar,
        stages,
        slas,
        paces,
        targets,
        coverage,
        recycle,
        attribution,
    })
}

fn model(name: schema::ModelName, half_life: chrono::Duration) -> Model {
    use schema::ModelName::*;
    match name {
        FirstTouch => Model::FirstTouch,
        LastTouch => Model::LastTouch,
        Linear => Model::Linear,
        UShaped => Model::UShaped,
        WShaped => Model::WShaped,
        FullPath => Model::FullPath,
        TimeDecay => Model::TimeDecay { half_life },
    }
}

fn stage_catalog(
    file: &File,
    base: Option<&Config>,
    err: &impl Fn(std::ops::Range<usize>, String) -> ConfigError,
) -> Result<StageCatalog, ConfigError> {
    let mut written: BTreeMap<usize, &schema::Stage> = BTreeMap::new();
    for stage in &file.stage {
        let i = stage_index(stage.id.get_ref().0);
        if written.insert(i, stage).is_some() {
            return Err(err(
                stage.id.span(),
                format!("stage {:?} is defined twice", stage.id.get_ref().0.id()),
            ));
        }
    }
    let mut info = Vec::new();
    let mut rules = Vec::new();
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let from_base = base.map(|b| b.stages.info(stage).clone());
        let Some(w) = written.get(&i) else {
            let Some(b) = from_base else {
                return Err(ConfigError::at(
                    "<built-in defaults>",
                    "",
                    None,
                    format!("stage {:?} is not defined", stage.id()),
                ));
            };
            info.push(b);
            continue;
        };
        info.push(StageInfo {
            label: w
                .label
                .as_deref()
                .map(words)
                .or(from_base.as_ref().map(|b| b.label.clone()))
                .unwrap_or_else(|| stage.id().into()),
            team: match &w.team {
                Some(t) => Some(t.0),
                None if base.is_some() || w.team.is_none() => from_base
                    .as_ref()
                    .and_then(|b| b.team)
                    .filter(|_| base.is_some()),
                None => None,
            },
            definition: w
                .definition
                .as_deref()
                .map(|d| crate::domain::text::clean_within(d, MAX_DEFINITION))
                .or(from_base.map(|b| b.definition))
                .unwrap_or_default(),
        });
    }
    // Rules: a stage written in the file brings its own rules, in file order (the catalog
    // then sorts by priority, keeping that order among equals); others keep the base's.
    for w in &file.stage {
        let stage = w.id.get_ref().0;
        let tagged = [
            ("hubspot", &w.hubspot),
            ("salesforce", &w.salesforce),
            ("marketo", &w.marketo),
        ];
        for (vendor, r) in tagged
            .iter()
            .flat_map(|(v, rs)| rs.iter().map(move |r| (*v, r)))
        {
            if let Some(why) = super::sense::rule_problem(r.when.get_ref()) {
                return Err(err(r.when.span(), why));
            }
            rules.push(MatchRule {
                vendor: vendor.to_string(),
                stage,
                priority: r.priority,
                when: r
                    .when
                    .get_ref()
                    .iter()
                    .map(|(k, v)| (tagged_field(vendor, k), v.clone()))
                    .collect(),
            });
        }
    }
    let base_rules = base.map(|b| b.stages.rules().to_vec()).unwrap_or_default();
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        if !written.contains_key(&i) {
            rules.extend(base_rules.iter().filter(|r| r.stage == stage).cloned());
        }
    }
    Ok(StageCatalog::new(info, rules))
}

fn period_targets(t: &schema::PeriodTargets) -> PeriodTargets {
    let mut out = PeriodTargets::new();
    let mut put = |id: &str, v: Option<KpiValue>| {
        if let Some(v) = v {
            out.insert(id.to_string(), v);
        }
    };
    let count = |v: Option<Count>| v.map(|n| KpiValue::Count(n.0));
    let ratio = |v: Option<Ratio>| v.map(|r| KpiValue::Ratio(Some(r.0)));
    let money = |v: Option<Amount>| v.map(|m| KpiValue::Money(m.0));
    let duration = |v: Option<Span>| v.map(|d| KpiValue::Duration(Some(d.0)));
    put("mqls_created", count(t.mqls_created));
    put("mql_acceptance", ratio(t.mql_acceptance));
    put("sourced_pipeline", money(t.sourced_pipeline));
    put("touched_pipeline", money(t.touched_pipeline));
    put("nurture_pickup", ratio(t.nurture_pickup));
    put("speed_to_lead", duration(t.speed_to_lead));
    put("sal_to_sql", ratio(t.sal_to_sql));
    put("win_rate", ratio(t.win_rate));
    put("sales_cycle", duration(t.sales_cycle));
    put(
        "pipeline_coverage",
        t.pipeline_coverage.map(|r| KpiValue::Multiple(Some(r.0))),
    );
    put("revenue", money(t.revenue));
    put(
        "pipeline_velocity",
        t.pipeline_velocity
            .map(|v| KpiValue::MoneyPerDay(Some(v.0))),
    );
    put("funnel_leakage", count(t.funnel_leakage));
    out
}

/// Why a reason code cannot be used (recycle and reject reasons share the rule): it rides in
/// a note's tag line, so letters, digits and `_`, and each once.
fn code_problem<'a>(
    what: &str,
    code: &str,
    mut earlier: impl Iterator<Item = &'a str>,
) -> Option<String> {
    if !valid_code(code) {
        return Some(format!(
            "{what} code {code:?} must be lowercase letters, digits and _"
        ));
    }
    earlier
        .any(|c| c == code)
        .then(|| format!("{what} code {code:?} appears twice"))
}
