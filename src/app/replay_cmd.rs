//! `tandem replay`: load once (with the history the proposed rules need), replay both files.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::report_cmd::{Format, load_fresh};
use crate::config::Config;
use crate::report::replay::{HistoryRead, Replay, ReplayInput, to_markdown};
use crate::sim::SimOptions;

/// What `tandem replay` was asked.
pub struct ReplayAsked<'a> {
    pub current: &'a Config,
    pub proposed: &'a Config,
    pub weeks: u32,
    pub now: DateTime<Utc>,
}

/// Load from the configured source and replay. The load reads the properties both files'
/// stage rules read, so a rule only the proposed file has is replayed on the vendor's own
/// history of its property. Errors are `(message, exit code)`.
pub async fn load_replay(
    asked: &ReplayAsked<'_>,
    hubspot_url: Option<&str>,
    embedded: SimOptions,
    timeout: Duration,
) -> Result<Replay, (String, u8)> {
    let (current, proposed) = (asked.current, asked.proposed);
    let own = current.stages.properties();
    let extra: Vec<String> = proposed
        .stages
        .properties()
        .into_iter()
        .filter(|p| !own.contains(p))
        .collect();
    let mut loading = current.clone();
    loading.stages = current.stages.reading_also(&proposed.stages);
    let loaded = load_fresh(&loading, hubspot_url, embedded, timeout).await?;
    let history = (!extra.is_empty()).then_some(HistoryRead {
        properties: extra,
        requests: loaded.requests,
    });
    Ok(Replay::build(&ReplayInput {
        current,
        proposed,
        store: &loaded.store,
        weeks: asked.weeks,
        now: asked.now,
        simulated: loaded.simulated,
        history,
    }))
}

pub fn render_replay(replay: &Replay, format: Format) -> String {
    match format {
        Format::Markdown => to_markdown(replay),
        Format::Json => serde_json::to_string_pretty(replay).expect("a replay serialises") + "\n",
    }
}
