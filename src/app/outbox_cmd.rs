//! `tandem audit` and `tandem outbox`: the shared box's record of who did what, and the
//! outbox read (or sent) without the cockpit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::text::clean;
use crate::sources::Connector;
use crate::store::outbox::{AuditRow, Outbox, file};

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

/// The data dir holding an outbox (or an older tandem's cache that holds one).
fn data_dir(data_dir: Option<&Path>) -> Result<PathBuf, (String, u8)> {
    let dir = super::data_dir::resolve(data_dir).ok_or_else(|| {
        (
            "no data directory for the local outbox; pass --data-dir".to_string(),
            2,
        )
    })?;
    if dir.exists() && !dir.is_dir() {
        return Err((
            format!(
                "{}: the data directory is a file, not a directory; point --data-dir at a directory",
                dir.display()
            ),
            2,
        ));
    }
    let has = |name: &str| dir.join(name).exists();
    if !has(file::FILE) && !has(file::CACHE_FILE) {
        return Err((
            format!(
                "{} holds no outbox: no action was ever queued with this data dir",
                dir.display()
            ),
            2,
        ));
    }
    Ok(dir)
}

fn open(dir: &Path) -> Result<Outbox, (String, u8)> {
    Outbox::open(dir).map_err(|e| (format!("local outbox: {e}"), 2))
}

/// The audit log since `since`, as a markdown table or JSON.
pub fn audit(
    data_dir: Option<&Path>,
    since: DateTime<Utc>,
    json: bool,
) -> Result<String, (String, u8)> {
    let outbox = open(&self::data_dir(data_dir)?)?;
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

/// List the outbox (offline, every source), or with `send` send what it holds for that
/// source first.
pub async fn outbox(
    send: Option<Connector>,
    data_dir: Option<&Path>,
    timeout: Duration,
) -> Result<(String, u8), (String, u8)> {
    let dir = self::data_dir(data_dir)?;
    let outbox = open(&dir)?;
    let mut text = String::new();
    let mut code = 0;
    if let Some(mut connector) = send {
        let key = connector.source_key();
        let deadline = crate::sources::wait::instant_after(tokio::time::Instant::now(), timeout);
        connector.set_deadline(Some(deadline));
        let tally = crate::sync::saga::send_all(&mut connector, &outbox, &key, deadline)
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
        .recent_all(20)
        .map_err(|e| (format!("local outbox: {e}"), 2))?;
    let unsent = entries.iter().filter(|e| e.status.is_open()).count();
    text.push_str(&format!(
        "{} unsent in {}\n",
        super::data_dir::actions(unsent),
        file::path_in(&dir).display()
    ));
    for e in entries {
        text.push_str(&entry_line(&e));
    }
    Ok((text, code))
}

/// `tandem outbox salvage`: the damaged file kept aside, every readable row recovered.
pub fn salvage(data_dir: Option<&Path>, from: Option<&Path>) -> Result<String, (String, u8)> {
    let dir = self::data_dir(data_dir)?;
    let done = crate::store::outbox::salvage::salvage(&dir, from)
        .map_err(|e| (format!("salvage: {e}"), 2))?;
    let mut text = format!(
        "salvaged {}: {} recovered, {} audit rows, {} rotation turns, into {}\n",
        done.from.display(),
        super::data_dir::actions(done.actions),
        done.audit_rows,
        done.turns,
        done.into.display()
    );
    if let Some(kept) = &done.kept_as {
        text.push_str(&format!("the damaged file is kept as {}\n", kept.display()));
    }
    for (id, verb, lead, user) in &done.lost {
        text.push_str(&format!(
            "lost: #{id} {verb} {lead} by {user} could not be read; do it again if it is still wanted\n"
        ));
    }
    let outbox = open(&dir)?;
    let unsent = outbox
        .unsent()
        .map_err(|e| (format!("local outbox: {e}"), 2))?;
    text.push_str(&format!(
        "{} unsent in {}: sent at the next start, or now with tandem outbox --send\n",
        super::data_dir::actions(unsent.len()),
        done.into.display()
    ));
    for e in unsent {
        text.push_str(&entry_line(&e));
    }
    Ok(text)
}

/// One entry as `tandem outbox` lists it: id, when, status, lead, what happened, by whom.
fn entry_line(e: &crate::domain::action::OutboxEntry) -> String {
    format!(
        "#{:<5} {} {:<10} {} · {} · by {}\n",
        e.id(),
        e.action.created_at.format("%Y-%m-%d %H:%M"),
        e.status.word(),
        clean(&e.action.lead_name),
        clean(&e.status.describe(e.action.verb())),
        clean(&e.action.actor.user),
    )
}
