//! The data dir's two files, opened in the order that keeps actions safe: the outbox first
//! (which moves an older tandem's outbox out of the cache), then the disposable cache, which
//! may be moved aside and rebuilt without costing a queued action.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cache::{self, Cache};
use crate::store::outbox::Outbox;

/// `$XDG_DATA_HOME/tandem` (or the platform's equivalent), unless `data_dir` says otherwise.
pub fn resolve(data_dir: Option<&Path>) -> Option<PathBuf> {
    cache::cache_path(data_dir).and_then(|p| p.parent().map(Path::to_path_buf))
}

/// What the cockpit starts on.
pub struct Opened {
    pub outbox: Arc<Outbox>,
    /// Where the outbox lives; `None` for a private one (nothing survives a quit).
    pub outbox_path: Option<PathBuf>,
    pub cache: Option<cache::Opened>,
}

/// Open the outbox, then the cache for `key`. Without a key (the embedded simulation) or with
/// `--no-cache`, both are private to this run.
pub fn open(dir: Option<&Path>, key: Option<&str>) -> Result<Opened, String> {
    let (Some(dir), Some(key)) = (dir, key) else {
        let outbox = Outbox::in_memory().map_err(|e| format!("local outbox: {e}"))?;
        return Ok(Opened {
            outbox: Arc::new(outbox),
            outbox_path: None,
            cache: None,
        });
    };
    let outbox = Outbox::open(dir).map_err(|e| format!("local outbox: {e}"))?;
    let reading = std::time::Instant::now();
    let cache = Cache::open(&dir.join(crate::store::outbox::file::CACHE_FILE), key)
        .map_err(|e| format!("local cache: {e} (or run with --no-cache)"))?;
    super::timing::phase("cache read", reading);
    Ok(Opened {
        outbox: Arc::new(outbox),
        outbox_path: Some(crate::store::outbox::file::path_in(dir)),
        cache: Some(cache),
    })
}

/// "1 action", "3 actions".
pub fn actions(n: usize) -> String {
    if n == 1 {
        "1 action".into()
    } else {
        format!("{n} actions")
    }
}

/// What a start says about the data dir: a rebuilt cache, and the actions still to send.
pub fn start_notice(moved_aside: Option<&Path>, unsent: usize, outbox: &Path) -> Option<String> {
    let queued = match unsent {
        0 => None,
        n => Some(format!(
            "{} from before {} queued in {}, sent now",
            actions(n),
            if n == 1 { "is" } else { "are" },
            outbox.display()
        )),
    };
    match (moved_aside, queued) {
        (Some(aside), queued) => Some(format!(
            "the local cache was damaged and is rebuilt from the source (the old file is kept as {}); \
             the outbox is apart and intact{}",
            aside.display(),
            queued.map(|q| format!(": {q}")).unwrap_or_default()
        )),
        (None, queued) => queued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_names_the_rebuilt_cache_and_the_kept_actions() {
        let outbox = Path::new("/d/outbox.db");
        assert_eq!(start_notice(None, 0, outbox), None);
        assert_eq!(
            start_notice(None, 2, outbox).unwrap(),
            "2 actions from before are queued in /d/outbox.db, sent now"
        );
        let rebuilt = start_notice(Some(Path::new("/d/cache.db.corrupt-9")), 1, outbox).unwrap();
        assert!(
            rebuilt.contains("kept as /d/cache.db.corrupt-9")
                && rebuilt.ends_with("1 action from before is queued in /d/outbox.db, sent now"),
            "{rebuilt}"
        );
    }
}
