//! The one key table: every binding, its footer hint and its help line.

use ratatui::crossterm::event::KeyCode;

use super::{Action, Binding, Key, Scope, Section};
use crate::ui::panes::Pane;
use crate::ui::widgets::cursor::Move;

const LEAD_PANES: &[Pane] = &[Pane::Leads, Pane::Breaches];
const STAGE_PANES: &[Pane] = &[Pane::Pipeline, Pane::Leads];
const NOT_LEADS: &[Pane] = &[Pane::Pipeline, Pane::Kpis, Pane::Breaches, Pane::Feedback];

const fn row(
    keys: &'static [(Key, Action)],
    label: &'static str,
    scope: Scope,
    hint: Option<(&'static str, &'static str)>,
    section: Section,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        label,
        scope,
        hint,
        hint_in: scope,
        section,
        help,
    }
}

use Action as A;
use Key::{Char as C, Code};

/// Every binding, in the order the footer offers them.
pub const BINDINGS: &[Binding] = &[
    row(
        &[(Code(KeyCode::Enter), A::Open)],
        "⏎",
        Scope::In(LEAD_PANES),
        Some(("⏎", "detail")),
        Section::Moving,
        "lead detail (stage definition, SLA, notes); in the pipeline, that stage's leads",
    ),
    row(
        &[(Code(KeyCode::Enter), A::Open)],
        "⏎",
        Scope::In(&[Pane::Pipeline]),
        Some(("⏎", "leads")),
        Section::Moving,
        "",
    ),
    row(
        &[(Code(KeyCode::Enter), A::Open)],
        "⏎",
        Scope::In(&[Pane::Feedback]),
        Some(("⏎", "thread")),
        Section::Moving,
        "in the feedback pane: the campaign's whole thread — every note, who, when, on which lead",
    ),
    Binding {
        hint_in: Scope::In(LEAD_PANES),
        ..row(
            &[(C('>'), A::HandOff)],
            ">",
            Scope::Panes,
            Some((">", "hand off")),
            Section::Acting,
            "hand off to sales, round-robin owner (inquiry, mql, nurture)",
        )
    },
    Binding {
        hint_in: Scope::In(LEAD_PANES),
        ..row(
            &[(C('<'), A::Recycle)],
            "<",
            Scope::Panes,
            Some(("<", "recycle")),
            Section::Acting,
            "recycle to marketing's nurture with a reason (mql, sal, sql)",
        )
    },
    Binding {
        hint_in: Scope::In(&[Pane::Leads, Pane::Breaches, Pane::Feedback]),
        ..row(
            &[(C('n'), A::Note)],
            "n",
            Scope::Panes,
            Some(("n", "note")),
            Section::Acting,
            "messaging feedback on a campaign: works / doesn't (in the feedback pane: on the selected campaign)",
        )
    },
    Binding {
        hint_in: Scope::In(LEAD_PANES),
        ..row(
            &[(C('a'), A::Accept)],
            "a",
            Scope::Panes,
            Some(("a", "accept")),
            Section::Acting,
            "accept an MQL: it becomes yours, in SAL, and the response clock stops",
        )
    },
    Binding {
        hint_in: Scope::In(LEAD_PANES),
        ..row(
            &[(C('x'), A::Reject)],
            "x",
            Scope::Panes,
            Some(("x", "reject")),
            Section::Acting,
            "reject an MQL with an agreed reason: disqualified or back to nurture, as the config says",
        )
    },
    row(
        &[(C('u'), A::Undo)],
        "u",
        Scope::Panes,
        Some(("u", "undo")),
        Section::Acting,
        "undo the last hand-off, accept, reject or recycle (10 s by default): cancelled if unsent, else put back as it was",
    ),
    Binding {
        hint_in: Scope::In(&[Pane::Breaches]),
        ..row(
            &[(C('t'), A::BreachTeam)],
            "t",
            Scope::Panes,
            Some(("t", "team")),
            Section::Breaches,
            "one team's breaches: sales, marketing, then both",
        )
    },
    Binding {
        hint_in: Scope::In(&[Pane::Breaches]),
        ..row(
            &[(C('s'), A::BreachSla)],
            "s",
            Scope::Panes,
            Some(("s", "SLA")),
            Section::Breaches,
            "one SLA's breaches at a time (of the team shown), then all",
        )
    },
    Binding {
        hint_in: Scope::In(NOT_LEADS),
        ..row(
            &[
                (Code(KeyCode::Up), A::Move(Move::By(-1))),
                (C('k'), A::Move(Move::By(-1))),
                (Code(KeyCode::Down), A::Move(Move::By(1))),
                (C('j'), A::Move(Move::By(1))),
            ],
            "↑ ↓  k j",
            Scope::Panes,
            Some(("↑↓", "move")),
            Section::Moving,
            "move in the focused pane",
        )
    },
    row(
        &[
            (Code(KeyCode::PageUp), A::Move(Move::Page(-1))),
            (Code(KeyCode::PageDown), A::Move(Move::Page(1))),
        ],
        "PgUp PgDn",
        Scope::Panes,
        None,
        Section::Moving,
        "a page up / down",
    ),
    row(
        &[
            (Code(KeyCode::Home), A::Move(Move::First)),
            (C('g'), A::Move(Move::First)),
            (Code(KeyCode::End), A::Move(Move::Last)),
            (C('G'), A::Move(Move::Last)),
        ],
        "Home End  g G",
        Scope::Panes,
        None,
        Section::Moving,
        "first / last",
    ),
    row(
        &[
            (Code(KeyCode::Left), A::PrevStage),
            (C('h'), A::PrevStage),
            (Code(KeyCode::Right), A::NextStage),
            (C('l'), A::NextStage),
        ],
        "← →  h l",
        Scope::In(STAGE_PANES),
        Some(("←→", "stage")),
        Section::Moving,
        "previous / next stage (pipeline and leads)",
    ),
    row(
        &[(C('/'), A::Search)],
        "/",
        Scope::Panes,
        Some(("/", "search")),
        Section::Moving,
        "search all leads by name, company or email; each match shows its stage",
    ),
    row(
        &[(Code(KeyCode::Esc), A::ClearSearch)],
        "Esc",
        Scope::Panes,
        Some(("Esc", "clear search")),
        Section::Moving,
        "clear the search",
    ),
    row(
        &[(C('d'), A::Definition)],
        "d",
        Scope::In(STAGE_PANES),
        Some(("d", "definition")),
        Section::Moving,
        "the stage's written definition and the SLAs that watch it",
    ),
    row(
        &[
            (Code(KeyCode::Tab), A::NextPane),
            (Code(KeyCode::BackTab), A::PrevPane),
        ],
        "Tab  Shift-Tab",
        Scope::Panes,
        Some(("Tab", "pane")),
        Section::Moving,
        "next / previous pane (tabs on a narrow screen)",
    ),
    row(
        &[
            (C('1'), A::Focus(Pane::Pipeline)),
            (C('2'), A::Focus(Pane::Leads)),
            (C('3'), A::Focus(Pane::Kpis)),
            (C('4'), A::Focus(Pane::Breaches)),
            (C('5'), A::Focus(Pane::Feedback)),
        ],
        "1 … 5",
        Scope::Panes,
        None,
        Section::Moving,
        "Pipeline, Leads, KPIs, Breaches, Feedback",
    ),
    Binding {
        hint_in: Scope::In(&[Pane::Kpis]),
        ..row(
            &[(C('p'), A::Period)],
            "p",
            Scope::Panes,
            Some(("p", "period")),
            Section::Kpis,
            "period: this week, month, quarter",
        )
    },
    Binding {
        hint_in: Scope::In(&[Pane::Kpis]),
        ..row(
            &[(C('m'), A::Model)],
            "m",
            Scope::Panes,
            Some(("m", "attribution")),
            Section::Kpis,
            "attribution model for pipeline by campaign",
        )
    },
    Binding {
        hint_in: Scope::In(&[Pane::Kpis]),
        ..row(
            &[(C('#'), A::ShowN)],
            "#",
            Scope::Panes,
            Some(("#", "show n")),
            Section::Kpis,
            "show what each figure rests on: numerator/denominator, or n",
        )
    },
    row(
        &[],
        "y / n",
        Scope::Dialog,
        None,
        Section::Dialog,
        "send / cancel (outside text fields)",
    ),
    row(
        &[],
        "← →",
        Scope::Dialog,
        None,
        Section::Dialog,
        "change the value: owner, campaign, verdict",
    ),
    row(
        &[],
        "↑ ↓",
        Scope::Dialog,
        None,
        Section::Dialog,
        "pick a reason, or scroll",
    ),
    row(
        &[],
        "Tab",
        Scope::Dialog,
        None,
        Section::Dialog,
        "next field; in a recycle, the note",
    ),
    row(
        &[],
        "⏎",
        Scope::Dialog,
        None,
        Section::Dialog,
        "a new line in a feedback note; done with the recycle note",
    ),
    row(
        &[],
        "Ctrl-S",
        Scope::Dialog,
        None,
        Section::Dialog,
        "review a feedback note before sending",
    ),
    row(
        &[],
        "Esc",
        Scope::Dialog,
        None,
        Section::Dialog,
        "close without sending (asks first if you typed text)",
    ),
    row(
        &[(C('e'), A::Problems)],
        "e",
        Scope::Panes,
        Some(("e", "errors")),
        Section::Always,
        "errors in full, with what to do about them",
    ),
    row(
        &[(C('L'), A::Lens), (C('H'), A::PrevLens)],
        "L H",
        Scope::Panes,
        Some(("L", "lens")),
        Section::Always,
        "lens every pane follows (L next, H back): me, team sales/marketing, each segment, the top accounts, everyone",
    ),
    row(
        &[(C('A'), A::Accounts)],
        "A",
        Scope::Panes,
        None,
        Section::Always,
        "accounts: leads grouped by company with their open deal value, most first; ⏎ lists a company's leads",
    ),
    row(
        &[(C('S'), A::Standup)],
        "S",
        Scope::Panes,
        Some(("S", "standup")),
        Section::Always,
        "standup: what changed since the last standup, per team, with the leads (w: last 24h)",
    ),
    row(
        &[(C('w'), A::WhatIf)],
        "w",
        Scope::Panes,
        None,
        Section::Always,
        "what-if: the proposed definitions file (--proposed) replayed over the last six weeks beside the current one; the leads whose verdict changes",
    ),
    row(
        &[(C('o'), A::Outbox)],
        "o",
        Scope::Panes,
        Some(("o", "outbox")),
        Section::Always,
        "the outbox: every action and its state; decide conflicts (y send again, d drop), c cancel, R retry",
    ),
    row(
        &[(C('W'), A::ReadOnly)],
        "W",
        Scope::Panes,
        None,
        Section::Always,
        "read-only on/off: every action disabled, for a shared standup screen (--read-only starts so; --locked cannot be turned off)",
    ),
    row(
        &[(C('r'), A::Refresh)],
        "r",
        Scope::Panes,
        Some(("r", "refresh")),
        Section::Always,
        "refresh now",
    ),
    row(
        &[(C('?'), A::Help)],
        "?",
        Scope::Panes,
        Some(("?", "help")),
        Section::Always,
        "this help",
    ),
    row(
        &[(C('q'), A::Quit), (Key::Ctrl('c'), A::Quit)],
        "q  Ctrl-C",
        Scope::Panes,
        Some(("q", "quit")),
        Section::Always,
        "quit; unsent actions stay queued in the outbox for the next start (with no outbox file, q asks once more)",
    ),
];
