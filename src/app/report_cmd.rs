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
    (period, lens): (PeriodKind, &LensAsked<'_>),
    (since, now): (Option<DateTime<Utc>>, DateTime<Utc>),
    timeout: Duration,
) -> Result<Report, (String, u8)> {
    let loaded = load_fresh(config, hubspot_url, embedded, timeout).await?;
    build(
        config,
        &loaded.store,
        (period, lens),
        (since, now),
        loaded.simulated,
    )
}

/// What one headless load read, and what it took.
pub struct Loaded {
    pub store: crate::store::Store,
    pub simulated: bool,
    /// Requests sent, retries included.
    pub requests: u64,
    /// The source's key, as the cache and the outbox file its records under.
    pub key: String,
}

/// One complete load from the configured source, retried for at most `timeout`; past it,
/// an error that says so.
pub async fn load_fresh(
    config: &Config,
    hubspot_url: Option<&str>,
    embedded: SimOptions,
    timeout: Duration,
) -> Result<Loaded, (String, u8)> {
    let mut source = connect(config, hubspot_url, Duration::ZERO, embedded)
        .await
        .map_err(|e| (e.message, e.code))?;
    source
        .connector
        .set_deadline(Some(tokio::time::Instant::now() + timeout));
    // The deadline stops retries; this also stops one request that hangs past it.
    let loaded = tokio::time::timeout(timeout, load_store(&mut source.connector)).await;
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
    Ok(Loaded {
        store,
        simulated: source.simulated,
        requests: source.connector.requests_sent(),
        key: source.connector.source_key(),
    })
}

/// The lens a headless run was asked for (`--lens`), and who "me" is (`--user`).
pub struct LensAsked<'a> {
    pub spec: Option<&'a str>,
    pub user: &'a str,
}

fn build(
    config: &Config,
    store: &crate::store::Store,
    (period, lens): (PeriodKind, &LensAsked<'_>),
    times: (Option<DateTime<Utc>>, DateTime<Utc>),
    simulated: bool,
) -> Result<Report, (String, u8)> {
    let lens = match lens.spec {
        None => crate::domain::lens::Lens::All,
        Some(spec) => {
            crate::domain::lens::parse(spec, store.owners(), lens.user, &config.top_accounts)
                .map_err(|e| (e, 2))?
        }
    };
    Ok(Report::build_lensed(
        config, store, &lens, period, times, simulated,
    ))
}

/// The report from the local cache alone (`--offline`): no request is made, and the report
/// says how old its data is. Only a source whose complete load was cached can be used.
pub fn load_cached_report(
    config: &Config,
    hubspot_url: Option<&str>,
    data_dir: Option<&std::path::Path>,
    (period, lens): (PeriodKind, &LensAsked<'_>),
    (since, now): (Option<DateTime<Utc>>, DateTime<Utc>),
) -> Result<Report, (String, u8)> {
    let crm = super::source::stack(config).ok().flatten().map(|s| s.crm);
    let base = match (hubspot_url, crm) {
        (Some(url), _) => url.to_string(),
        (None, Some(s)) => s.base_url.clone(),
        (None, None) => {
            return Err((
                "--offline reads the local cache of a real source (--hubspot-url or a \
                 [[source]] in the config); the embedded simulation is never cached"
                    .into(),
                2,
            ));
        }
    };
    let vendor = match hubspot_url {
        Some(_) => crate::sources::Vendor::HubSpot,
        None => super::source::stack(config)
            .map_err(|e| (e, 2))?
            .map_or(crate::sources::Vendor::HubSpot, |s| s.vendor),
    };
    let base = vendor.check_base_url(&base).map_err(|e| (e, 2))?;
    let path = super::cache::cache_path(data_dir).ok_or_else(|| {
        (
            "no data directory for the local cache; pass --data-dir".to_string(),
            2,
        )
    })?;
    let key = vendor.source_key(&base);
    if let Some(dir) = path.parent() {
        // The outbox first: an older tandem's is moved out of the cache before the cache is
        // touched (and a damaged one is refused here as everywhere).
        crate::store::outbox::Outbox::open(dir).map_err(|e| (format!("local outbox: {e}"), 2))?;
    }
    let disk = crate::store::disk::Disk::open(&path)
        .map_err(|e| (format!("local cache: {e}"), 2))?
        .disk;
    let cached = disk
        .load(&key)
        .map_err(|e| (format!("local cache: {e}"), 2))?;
    let Some(loaded_at) = cached.loaded_at else {
        return Err((
            format!(
                "the local cache ({}) holds no complete load of {base}; run once without \
                 --offline",
                path.display()
            ),
            2,
        ));
    };
    let store = super::cache::store_from(cached, &config.stages, &key);
    let mut report = build(config, &store, (period, lens), (since, now), false)?;
    report.cached_at = Some(loaded_at);
    Ok(report)
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Markdown => to_markdown(report),
        Format::Json => serde_json::to_string_pretty(report).expect("a report serialises") + "\n",
    }
}

/// The `check` text and its exit code: 0 when every promise holds, 1 when one is breached.
pub fn check(report: &Report) -> (String, u8) {
    let mut text = match report.cached_at {
        Some(at) => format!(
            "offline: cached data, last complete load {}\n",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        None => String::new(),
    };
    if report.breached() == 0 {
        text.push_str("no SLA breaches\n");
        (text, 0)
    } else {
        text.push_str(&to_check_text(report));
        text.push_str(&format!("{} breached\n", report.breached()));
        (text, 1)
    }
}

/// `--since`: `24h` / `90m` / `2d` before `now`, `yesterday` (local midnight starting the
/// previous day), or an RFC 3339 instant; `None` is "since the last standup".
pub fn report_since(
    raw: Option<&str>,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(raw) = raw.map(str::trim) else {
        return Ok(None);
    };
    let since = if raw == "yesterday" {
        let tz = config.calendar.tz;
        let day = now
            .with_timezone(&tz)
            .date_naive()
            .pred_opt()
            .unwrap_or_default();
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| "cannot place yesterday's midnight".to_string())?
    } else if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        t.with_timezone(&Utc)
    } else {
        let span = crate::config::parse_duration(raw).map_err(|_| {
            format!("--since {raw:?}: expected 24h, yesterday or an RFC 3339 instant")
        })?;
        now - span
    };
    if since >= now {
        return Err(format!(
            "--since {raw:?} is not before the report's instant"
        ));
    }
    Ok(Some(since))
}
