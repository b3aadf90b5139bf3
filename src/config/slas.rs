//! `[[sla]]` entries as tandem computes with them: per-lead timers (a stage, a limit on a
//! clock, a warning point, what stops them, where unowned breaches go and when an unanswered
//! one escalates) and volume paces, each checked where it is written.

use super::ConfigError;
use super::build::words;
use super::schema::{self, File};
use crate::domain::sla::{Clock, PaceDef, SlaDef, StopWhen};

/// The longest SLA limit (and escalation delay). A business clock is walked day by day (and
/// gives up after ten years), so a longer promise could not be timed; it would be no SLA
/// anyway.
const MAX_SLA_LIMIT_DAYS: i64 = 365;

pub(super) fn slas(
    file: &File,
    err: &impl Fn(std::ops::Range<usize>, String) -> ConfigError,
) -> Result<(Vec<SlaDef>, Vec<PaceDef>), ConfigError> {
    let mut slas = Vec::new();
    let mut paces = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    for spanned in &file.sla {
        let s = spanned.get_ref();
        let at = |msg: String| err(spanned.span(), format!("sla {:?}: {msg}", s.id));
        if ids.contains(&s.id.as_str()) {
            return Err(at("defined twice".into()));
        }
        ids.push(&s.id);
        let warn_at = match &s.warn_at {
            Some(w) if w.get_ref().0 <= 0.0 => {
                let msg = "warn_at must be more than 0: the fraction of the limit after which \
                           the timer warns";
                return Err(err(w.span(), format!("sla {:?}: {msg}", s.id)));
            }
            Some(w) => w.get_ref().0,
            None => 0.75,
        };
        let label = words(s.label.as_deref().unwrap_or(&s.id));
        match (&s.pace, &s.stage, &s.limit) {
            (Some(kpi), None, None) => {
                if s.clock.is_some()
                    || s.stop.is_some()
                    || s.queue.is_some()
                    || s.escalate_after.is_some()
                {
                    return Err(at(
                        "a pace SLA takes no clock, stop, queue or escalate_after".into(),
                    ));
                }
                paces.push(PaceDef {
                    id: s.id.clone(),
                    label,
                    team: s.team.0,
                    kpi: match kpi {
                        schema::PaceKpi::MqlsCreated => "mqls_created".into(),
                    },
                    warn_at,
                });
            }
            (None, Some(stage), Some(limit)) => {
                let limit_at =
                    |msg: &str| err(limit.span(), format!("sla {:?}: limit {msg}", s.id));
                let limit = limit.get_ref().0;
                if limit <= chrono::Duration::zero() {
                    return Err(limit_at("must be longer than zero"));
                }
                if limit > chrono::Duration::days(MAX_SLA_LIMIT_DAYS) {
                    return Err(limit_at(&format!(
                        "must be at most \"{MAX_SLA_LIMIT_DAYS}d\" (a year)"
                    )));
                }
                let escalate_after = match &s.escalate_after {
                    Some(e) => {
                        let after = e.get_ref().0;
                        if after <= chrono::Duration::zero()
                            || after > chrono::Duration::days(MAX_SLA_LIMIT_DAYS)
                        {
                            return Err(err(
                                e.span(),
                                format!(
                                    "sla {:?}: escalate_after must be longer than zero and at \
                                     most \"{MAX_SLA_LIMIT_DAYS}d\"",
                                    s.id
                                ),
                            ));
                        }
                        Some(after)
                    }
                    None => None,
                };
                slas.push(SlaDef {
                    escalate_after,
                    id: s.id.clone(),
                    label,
                    stage: stage.0,
                    team: s.team.0,
                    limit,
                    clock: match s.clock {
                        Some(schema::Clock::Calendar) => Clock::Calendar,
                        Some(schema::Clock::Business) | None => Clock::Business,
                    },
                    warn_at,
                    stop: match s.stop {
                        Some(schema::Stop::SalesActivity) => StopWhen::SalesActivity,
                        Some(schema::Stop::MarketingTouch) => StopWhen::MarketingTouch,
                        Some(schema::Stop::LeavesStage) | None => StopWhen::LeavesStage,
                    },
                    queue: match s.queue.as_deref().map(str::trim) {
                        Some("") => return Err(at("queue must not be empty".into())),
                        Some(q) => q.to_string(),
                        None => SlaDef::default_queue(s.team.0),
                    },
                });
            }
            _ => {
                return Err(at(
                    "expected either `stage` and `limit` (a timer per lead) or `pace` (a volume promise)"
                        .into(),
                ));
            }
        }
    }
    Ok((slas, paces))
}
