//! `tandem report` and `tandem check`: load once, compute as of `now`, print.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::source::connect;
use crate::config::Config;
use crate::domain::kpi::PeriodKind;
use crate::report::{Report, to_check_text, to_markdown};
use crate::sim::SimOptions;
use crate::sync::load_store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

/// Load from the configured source and build the report. Errors are `(message, exit code)`.
///
/// The load retries each failed request and resumes where it stood, for at most `timeout`;
/// past it nothing is built, so a partial report is never printed.
pub async fn load_report(
    config: &Config,
    hubspot_url: Option<&str>,
    embedded: SimOptions,
    period: PeriodKind,
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<Report, (String, u8)> {
    let mut source = connect(config, hubspot_url, Duration::ZERO, embedded)
        .await
        .map_err(|e| (e.message, e.code))?;
    source
        .hubspot
        .set_deadline(Some(tokio::time::Instant::now() + timeout));
    // The deadline stops retries; this also stops one request that hangs past it.
    let loaded = tokio::time::timeout(timeout, load_store(&mut source.hubspot)).await;
    if let Some(sim) = source.embedded.take() {
        sim.shutdown().await;
    }
    let name = &source.name;
    let gave_up = |why: String| {
        format!(
            "cannot load from {name} within --timeout {}s ({why}); no report printed — \
             raise --timeout to wait longer",
            timeout.as_secs()
        )
    };
    let store = match loaded {
        Ok(Ok((store, _))) => store,
        Ok(Err(e)) if e.is_transient() => return Err((gave_up(format!("last error: {e}")), 2)),
        Ok(Err(e)) => return Err((format!("cannot load from {name}: {e}"), 2)),
        Err(_) => return Err((gave_up("still waiting for an answer".into()), 2)),
    };
    Ok(Report::build(config, &store, period, now, source.simulated))
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Markdown => to_markdown(report),
        Format::Json => serde_json::to_string_pretty(report).expect("a report serialises") + "\n",
    }
}

/// The `check` text and its exit code: 0 when every promise holds, 1 when one is breached.
pub fn check(report: &Report) -> (String, u8) {
    if report.breached() == 0 {
        ("no SLA breaches\n".to_string(), 0)
    } else {
        let mut text = to_check_text(report);
        text.push_str(&format!("{} breached\n", report.breached()));
        (text, 1)
    }
}
