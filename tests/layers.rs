//! The shape of the code the guide promises: `sources/` → `sync/` → `store/` → `domain/` →
//! `ui/`, with `app` owning the loop, and only `sources/` naming a vendor. Everything else
//! reaches a vendor through the source port (`sources::port`).

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Lines of code (comments left out) under `src/<layer>` that name a vendor module.
fn vendor_paths(layer: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let mut bad = Vec::new();
    for path in files(&root) {
        let text = std::fs::read_to_string(&path).expect("source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            // Each vendor module under `sources/`, however it is reached.
            if ["hubspot::", "salesforce::", "marketo::"]
                .iter()
                .any(|m| code.contains(m))
            {
                bad.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    bad
}

#[test]
fn only_sources_name_a_vendor_module() {
    let mut bad = Vec::new();
    for layer in ["sync", "app", "store", "domain", "ui", "config"] {
        bad.extend(vendor_paths(layer));
    }
    assert!(
        bad.is_empty(),
        "vendor modules named outside sources/:\n{}",
        bad.join("\n")
    );
}

/// The check itself finds what it looks for (a test that cannot fail is a defect).
#[test]
fn the_vendor_check_sees_the_vendor_modules() {
    assert!(
        !vendor_paths("sources").is_empty(),
        "sources/ names its vendor modules, so the check can see them"
    );
}
