//! `tandem config init`, `tandem config validate` and `tandem config diff`.

use std::path::{Path, PathBuf};

use crate::config::{self, Config};

/// Write the example config; refuses to overwrite unless `force`.
pub fn init(path: Option<&Path>, force: bool) -> Result<PathBuf, String> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => config::default_path().ok_or("no config directory on this system; give a PATH")?,
    };
    if path.exists() && !force {
        return Err(format!(
            "{} already exists (use --force to replace it)",
            path.display()
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, config::EXAMPLE)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Validate the file at `path` (or the located one); a summary on success. With no file
/// the built-in defaults are in effect, which is a valid setup, not an error.
pub fn validate(path: Option<&Path>) -> Result<String, String> {
    let Some(path) = path.map(Path::to_path_buf).or_else(|| config::locate(None)) else {
        return Ok(format!(
            "no config file found (--config, $TANDEM_CONFIG or the default location); \
             the built-in defaults are in effect: ok — {}",
            summary(&Config::builtin())
        ));
    };
    let config = Config::load(&path).map_err(|e| e.to_string())?;
    Ok(format!("{}: ok — {}", path.display(), summary(&config)))
}

/// Every change of meaning from the file at `current` to the one at `proposed`, a line
/// each; both are read on top of the built-in defaults, as tandem reads them.
pub fn diff(current: &Path, proposed: &Path) -> Result<String, String> {
    let a = Config::load(current).map_err(|e| e.to_string())?;
    let b = Config::load(proposed).map_err(|e| e.to_string())?;
    let lines = config::diff(&a, &b);
    if lines.is_empty() {
        return Ok(format!(
            "{} and {} mean the same: no change\n",
            current.display(),
            proposed.display()
        ));
    }
    Ok(lines.iter().map(|l| format!("{l}\n")).collect())
}

fn summary(config: &Config) -> String {
    format!(
        "{} source(s), {} SLA timer(s), {} pace SLA(s), {} recycle reason(s)",
        config.sources.len(),
        config.slas.len(),
        config.paces.len(),
        config.recycle.reasons.len()
    )
}
