//! The README's key table is the cockpit's key table: both come from `ui::keymap`.

#[test]
fn readme_keys_match_the_key_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find("## Keys").expect("a ## Keys section");
    let table: String = readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    let want = tandem::ui::key_table_markdown();
    assert_eq!(
        table, want,
        "README.md's key table drifted from ui/keymap.rs; paste this under ## Keys:\n{want}"
    );
}
