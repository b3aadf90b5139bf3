//! `tandem audit` and `tandem outbox`: the shared box's record of who did what, and the
//! outbox read (or sent) without the cockpit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::text::clean;
use crate::sources::hubspot::HubSpot;
use crate::store::outbox::{AuditRow, Outbox};

/// Who is acting: `--user`, else `user` in the config, else the OS user.
pub fn user(flag: Option<&str>, config: &Config) -> String {
    flag.map(str::to_string)
        .or_else(|| config.user.clone())
        .or_else(|| {
            ["USER", "LOGNAME", "USERNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        })
        .map(|u| u.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// `24h`, `7d`, `90m` before `now`, or an RFC 3339 instant.
pub fn parse_since(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let (n, unit) = raw.split_at(raw.len().saturating_sub(1));
    let n: i64 = n
        .parse()
        .map_err(|_| format!("--since {raw}: expected 24h, 7d, 90m or an RFC 3339 instant"))?;
    let span = match unit {
        "m" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => return Err(format!("--since {raw}: the unit is m, h or d")),
    };
    Ok(now - span)
}

fn data_file(data_dir: Option<&Path>) -> Result<PathBuf, (String, u8)> {
    let path = super::cache::cache_path(data_dir).ok_or_else(|| {
        (
            "no data directory for the local outbox; pass --data-dir".to_string(),
            2,
        )
    })?;
    if !path.exists() {
        return Err((
            format!(
                "{} does not exist: no action was ever queued with this data dir",
                path.display()
            ),
            2,
        ));
    }
    Ok(path)
}

/// The audit log since `since`, as a markdown table or JSON.
pub fn audit(
    data_dir: Option<&Path>,
    since: DateTime<Utc>,
    json: bool,
) -> Result<String, (String, u8)> {
    let path = data_file(data_dir)?;
    let outbox = Outbox::open(&path).map_err(|e| (format!("local outbox: {e}"), 2))?;
    let rows = outbox
        .audit_since(since)
        .map_err(|e| (format!("local outbox: {e}"), 2))?;
    if json {
        return Ok(serde_json::to_string_pretty(&rows).expect("audit rows serialise") + "\n");
    }
    Ok(audit_markdown(&rows, since))
}

fn audit_markdown(rows: &[AuditRow], since: DateTime<Utc>) -> String {
    let mut out = format!(
        "## tandem audit · since {} · {} action{}\n\n",
        since.format("%Y-%m-%d %H:%M UTC"),
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    if rows.is_empty() {
        out.push_str("Nothing was done in this window.\n");
        return out;
    }
    out.push_str(
        "| when (UTC) | who | action | lead | what | outcome |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let who = match &r.owner_id {
            Some(o) => format!("{} (owner {o})", r.user),
            None => r.user.clone(),
        };
        let outcome = match &r.detail {
            Some(d) => format!("{}: {d}", r.outcome),
            None => r.outcome.clone(),
        };
        let cell = |s: &str| clean(s).replace('|', "\\|");
        out.push_str(&format!(
            "| {} | {} | {} | {} ({}) | {} | {} |\n",
            r.at.format("%Y-%m-%d %H:%M:%S"),
            cell(&who),
            r.verb,
            cell(&r.lead_name),
            cell(&r.lead_id),
            cell(&r.what),
            cell(&outcome),
        ));
    }
    out
}

/// List the outbox of `hubspot`'s portal, or (`send`) send what it holds first.
pub async fn outbox(
    mut hubspot: HubSpot,
    data_dir: Option<&Path>,
    send: bool,
    timeout: Duration,
) -> Result<(String, u8), (String, u8)> {
    let path = data_file(data_dir)?;
    let outbox = Outbox::open(&path).map_err(|e| (format!("local outbox: {e}"), 2))?;
    let key = crate::store::source_key("hubspot", hubspot.base_url());
    let mut text = String::new();
    let mut code = 0;
    if send {
        let deadline = tokio::time::Instant::now() + timeout;
        let tally = crate::sync::saga::send_all(&mut hubspot, &outbox, &key, deadline)
            .await
            .map_err(|e| (format!("local outbox: {e}"), 2))?;
        text.push_str(&format!(
            "sent: {} done, {} failed, {} in conflict, {} still queued\n",
            tally.done, tally.failed, tally.conflicts, tally.unsent
        ));
        if let Some(e) = &tally.last_error
            && tally.unsent > 0
        {
            text.push_str(&format!("last error: {e}\n"));
        }
        code = if tally.unsent > 0 {
            2
        } else if tally.failed + tally.conflicts > 0 {
            1
        } else {
            0
        };
    }
    let entries = outbox
        .recent(&key, 20)
        .map_err(|e| (format!("local outbox: {e}"), 2))?;
    for e in entries {
        text.push_str(&format!(
            "#{:<5} {} {:<10} {} · {} · by {}\n",
            e.id(),
            e.action.created_at.format("%Y-%m-%d %H:%M"),
            e.status.word(),
            clean(&e.action.lead_name),
            clean(&e.status.describe(e.action.verb())),
            clean(&e.action.actor.user),
        ));
    }
    Ok((text, code))
}
