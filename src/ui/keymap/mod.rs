//! The one table of key bindings. Dispatch (`keys.rs`), the footer's hints and the `?` help
//! are all read from [`BINDINGS`]; a test holds the README's key table to it.
//!
//! Dialogs own their keys (each dialog file); the table's "In a dialog" rows document the
//! keys every dialog shares, and a test checks each dialog's hints against them.

mod bindings;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::panes::Pane;
use super::widgets::cursor::Move;
use super::widgets::input::{ctrl, plain_char};

/// What a key asks for, outside dialogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Refresh,
    NextPane,
    PrevPane,
    Focus(Pane),
    Move(Move),
    PrevStage,
    NextStage,
    /// ⏎: a lead's detail, or in the pipeline the stage's leads.
    Open,
    Definition,
    Search,
    ClearSearch,
    HandOff,
    Recycle,
    Note,
    Period,
    Model,
    /// Show what each KPI rests on: numerator/denominator, n.
    ShowN,
    /// Breaches of one team, then the other, then all.
    BreachTeam,
    /// Breaches of one SLA at a time, then all.
    BreachSla,
    Problems,
    /// Every action and where it is; conflicts are decided there.
    Outbox,
    /// Take back the last hand-off, accept, reject or recycle, within the undo window.
    Undo,
    /// What changed since the last standup.
    Standup,
    /// A proposed definitions file replayed over the last weeks.
    WhatIf,
    /// Companies by open deal value.
    Accounts,
    /// Sales accepts the MQL (theirs, in SAL).
    Accept,
    /// Sales rejects the MQL with an agreed reason.
    Reject,
    /// The next lens: me, a team, a segment, the top accounts, everyone.
    Lens,
    PrevLens,
    /// Turn every action off (a standup screen) or back on.
    ReadOnly,
}

/// One key as written in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Code(KeyCode),
    Ctrl(char),
}

impl Key {
    fn matches(self, key: KeyEvent) -> bool {
        match self {
            Key::Char(c) => plain_char(key) == Some(c),
            Key::Code(code) => key.code == code && plain_char(key).is_none(),
            Key::Ctrl(c) => ctrl(key, c),
        }
    }
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Whatever pane has the focus.
    Panes,
    /// Only with one of these panes focused.
    In(&'static [Pane]),
    /// Inside dialogs: documented here, handled by each dialog.
    Dialog,
}

impl Scope {
    pub fn covers(self, pane: Pane) -> bool {
        match self {
            Scope::Panes => true,
            Scope::In(panes) => panes.contains(&pane),
            Scope::Dialog => false,
        }
    }
}

/// Sections of the help, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Moving,
    Acting,
    Kpis,
    Breaches,
    Dialog,
    Always,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Moving,
        Section::Acting,
        Section::Kpis,
        Section::Breaches,
        Section::Dialog,
        Section::Always,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Moving => "Moving around",
            Section::Acting => "Acting on the highlighted lead (nothing is sent before y)",
            Section::Kpis => "KPIs",
            Section::Breaches => "SLA breaches",
            Section::Dialog => "In a dialog",
            Section::Always => "Always",
        }
    }
}

/// One row: keys (each with its action), where they work, the footer hint, the help text.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [(Key, Action)],
    /// How help and the README write the keys.
    pub label: &'static str,
    pub scope: Scope,
    /// The footer's `key label`, shown in the panes of `hint_in` (when the action applies).
    pub hint: Option<(&'static str, &'static str)>,
    pub hint_in: Scope,
    pub section: Section,
    /// The help text; empty keeps the row out of help and the README.
    pub help: &'static str,
}

pub use bindings::BINDINGS;

/// The action `key` means with `pane` focused, if any.
pub fn lookup(key: KeyEvent, pane: Pane) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.scope.covers(pane))
        .flat_map(|b| b.keys.iter())
        .find(|(k, _)| k.matches(key))
        .map(|(_, a)| *a)
}

/// The action a footer hint stands for (the first key of its row), to ask whether it applies.
pub fn hint_action(b: &Binding) -> Option<Action> {
    b.keys.first().map(|(_, a)| *a)
}

/// Rows that go into help and the README, by section.
pub fn documented(section: Section) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.section == section && !b.help.is_empty())
}

/// The README's key table, as it must read.
pub fn markdown_table() -> String {
    let mut out = String::from("| key | what it does |\n|---|---|\n");
    for section in Section::ALL {
        out.push_str(&format!("| **{}** | |\n", section.title()));
        for b in documented(section) {
            // Two spaces separate alternatives; `/` and `…` are words, not keys.
            let keys: Vec<String> = b
                .label
                .split("  ")
                .map(|group| {
                    let words: Vec<&str> = group.split(' ').filter(|k| !k.is_empty()).collect();
                    let between = words.len() > 1;
                    words
                        .into_iter()
                        .map(|k| match k {
                            "/" | "…" if between => k.to_string(),
                            _ => format!("`{k}`"),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            out.push_str(&format!("| {} | {} |\n", keys.join(" / "), b.help));
        }
    }
    out
}
