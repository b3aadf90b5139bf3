//! What the UI remembers between frames: focus, selections, the filter, the open dialog.

use std::cell::Cell;

use crate::domain::Lead;
use crate::domain::action::ActionKind;
use crate::domain::snapshot::stage_index;
use crate::domain::{Stage, Team};
use crate::sync::{ActionStatus, OutboxEntry};

use super::ViewCtx;
use super::breaches::Breaches;
use super::handoff::HandOff;
use super::note::NoteDraft;
use super::recycle::Recycle;
use super::theme::Theme;

/// The five panes. On a wide screen all show and Tab moves the focus; on a narrow one the
/// focused pane is the one shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Pipeline,
    Leads,
    Kpis,
    Breaches,
    Feedback,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Pipeline,
        Pane::Leads,
        Pane::Kpis,
        Pane::Breaches,
        Pane::Feedback,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Pane::Pipeline => "Pipeline",
            Pane::Leads => "Leads",
            Pane::Kpis => "KPIs",
            Pane::Breaches => "Breaches",
            Pane::Feedback => "Feedback",
        }
    }

    /// For the tab bar on very narrow terminals.
    pub fn short_label(self) -> &'static str {
        match self {
            Pane::Pipeline => "Pipe",
            Pane::Leads => "Leads",
            Pane::Kpis => "KPI",
            Pane::Breaches => "SLA",
            Pane::Feedback => "Fdbk",
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// The three things a person can do to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionChoice {
    HandOff,
    Recycle,
    Note,
}

/// A modal on top of the cockpit; keys go to it first.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Help {
        scroll: u16,
    },
    Detail {
        lead_id: String,
        scroll: u16,
    },
    /// A stage's definition and the SLAs that watch it.
    Stage {
        stage: crate::domain::Stage,
        scroll: u16,
    },
    HandOff(HandOff),
    Recycle(Recycle),
    Note(NoteDraft),
}

/// What a dialog made of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stay,
    Close,
    /// The user pressed `y` on a complete action.
    Submit(ActionKind),
    /// Replace this dialog with an action dialog on the same lead (from the detail view).
    Open(ActionChoice, String),
    /// Keep the dialog and say something in the footer.
    Say(String),
}

/// Everything the UI remembers. Owned by the app loop.
#[derive(Debug)]
pub struct UiState {
    pub(crate) theme: Theme,
    pub(crate) focus: Pane,
    /// Index into [`Stage::ALL`].
    pub(crate) stage: usize,
    /// Position in the visible (possibly filtered) leads of the stage.
    pub(crate) lead_sel: usize,
    pub(crate) lead_sel_id: Option<String>,
    /// First visible row of the leads table; kept by `draw`, which knows the pane height.
    pub(crate) lead_offset: Cell<usize>,
    /// Rows the leads table showed last frame, for PgUp/PgDn.
    pub(crate) lead_page: Cell<usize>,
    pub(crate) breach_sel: usize,
    pub(crate) breach_sel_id: Option<String>,
    pub(crate) breach_offset: Cell<usize>,
    pub(crate) feedback_scroll: usize,
    /// How far the open dialog can scroll, as last drawn.
    pub(crate) dialog_scroll_max: std::cell::Cell<u16>,
    /// First line shown in the KPI pane.
    pub(crate) kpi_scroll: usize,
    /// Index into the snapshot's attribution models (`m` cycles); until the user picks one,
    /// it follows the config's default model.
    pub(crate) model_index: usize,
    pub(crate) model_chosen: bool,
    /// Case-insensitive substring over name, company and email.
    pub(crate) filter: String,
    pub(crate) filter_typing: bool,
    /// Lead indices of the stage that match the filter; `None` without a filter.
    pub(crate) filtered: Option<Vec<usize>>,
    /// Round-robin position; advanced on each confirmed hand-off.
    /// Confirmed hand-offs per coverage rotation, so each segment rotates on its own.
    pub(crate) turns: std::collections::HashMap<String, usize>,
    pub(crate) dialog: Option<Dialog>,
    /// A one-key-press message for the footer ("can't recycle …").
    pub(crate) message: Option<String>,
    /// `q` was pressed once with actions pending; the next `q` quits.
    pub(crate) quit_armed: bool,
}

impl UiState {
    /// `color` is false when `NO_COLOR` is set; symbols still carry every meaning.
    pub fn new(color: bool) -> Self {
        Self {
            theme: Theme { color },
            focus: Pane::Leads,
            stage: stage_index(Stage::Mql),
            lead_sel: 0,
            lead_sel_id: None,
            lead_offset: Cell::new(0),
            lead_page: Cell::new(10),
            breach_sel: 0,
            breach_sel_id: None,
            breach_offset: Cell::new(0),
            feedback_scroll: 0,
            dialog_scroll_max: std::cell::Cell::new(u16::MAX),
            kpi_scroll: 0,
            model_index: 0,
            model_chosen: false,
            filter: String::new(),
            filter_typing: false,
            filtered: None,
            turns: Default::default(),
            dialog: None,
            message: None,
            quit_armed: false,
        }
    }

    /// Called after the store/snapshot changed: re-run the filter, keep the selected lead
    /// selected by id while it is still in the stage, otherwise clamp the position.
    pub fn on_data_changed(&mut self, ctx: &ViewCtx) {
        self.refilter(ctx);
        if !self.model_chosen {
            let default = ctx.config.attribution.model;
            self.model_index = ctx
                .snapshot
                .attribution
                .iter()
                .position(|a| a.model == default)
                .unwrap_or(0);
        }
        // While the first load streams in, the list reorders under every page: stay at the
        // top instead of chasing whichever lead happened to arrive first.
        if ctx.health.iter().any(|h| !h.loaded) {
            self.lead_sel_id = None;
            self.breach_sel_id = None;
        }
        let found = self.lead_sel_id.as_deref().and_then(|id| {
            self.visible_leads(ctx)
                .iter()
                .position(|&i| ctx.store.leads().get(i).is_some_and(|l| l.id == id))
        });
        let pos = found.unwrap_or(self.lead_sel);
        self.select_lead(pos, ctx);

        let all = Breaches::collect(ctx);
        let found = self.breach_sel_id.as_deref().and_then(|id| {
            // Once per data change, so walking the whole list is fine here.
            all.take(ctx, all.len()).iter().position(|r| {
                ctx.snapshot
                    .timers
                    .get(r.timer)
                    .is_some_and(|t| t.lead_id == id)
            })
        });
        let pos = found.unwrap_or(self.breach_sel);
        self.select_breach(pos, &all, ctx);

        self.feedback_scroll = self
            .feedback_scroll
            .min(ctx.snapshot.feedback.len().saturating_sub(1));
    }

    pub(crate) fn current_stage(&self) -> Stage {
        Stage::ALL[self.stage.min(Stage::ALL.len() - 1)]
    }

    /// Lead indices shown in the leads table, in order.
    pub(crate) fn visible_leads<'a>(&'a self, ctx: &'a ViewCtx) -> &'a [usize] {
        match &self.filtered {
            Some(list) => list,
            None => ctx
                .snapshot
                .stage_leads
                .get(self.stage)
                .map_or(&[][..], Vec::as_slice),
        }
    }

    /// The lead under the cursor in the leads table.
    /// The lead the leads table highlights, if any.
    pub fn selected_lead<'a>(&self, ctx: &'a ViewCtx) -> Option<&'a Lead> {
        let i = *self.visible_leads(ctx).get(self.lead_sel)?;
        ctx.store.leads().get(i)
    }

    /// Move the leads cursor (clamped) and remember which lead it is on.
    pub(crate) fn select_lead(&mut self, pos: usize, ctx: &ViewCtx) {
        let len = self.visible_leads(ctx).len();
        self.lead_sel = pos.min(len.saturating_sub(1));
        self.lead_sel_id = self.selected_lead(ctx).map(|l| l.id.clone());
    }

    pub(crate) fn select_breach(&mut self, pos: usize, all: &Breaches, ctx: &ViewCtx) {
        self.breach_sel = pos.min(all.len().saturating_sub(1));
        self.breach_sel_id = all.lead_at(ctx, self.breach_sel).map(str::to_string);
    }

    /// The lead under the cursor in the breaches pane.
    pub(crate) fn selected_breach_lead<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a Lead> {
        let all = Breaches::collect(ctx);
        ctx.store.lead(all.lead_at(ctx, self.breach_sel)?)
    }

    /// The lead an action or the detail view applies to: the highlighted row of the focused
    /// pane, if that pane lists leads.
    pub(crate) fn target_lead<'a>(&self, ctx: &'a ViewCtx) -> Option<&'a Lead> {
        match self.focus {
            Pane::Leads => self.selected_lead(ctx),
            Pane::Breaches => self.selected_breach_lead(ctx),
            _ => None,
        }
    }

    pub(crate) fn set_stage(&mut self, stage: usize, ctx: &ViewCtx) {
        let stage = stage.min(Stage::ALL.len() - 1);
        if stage != self.stage {
            self.stage = stage;
            self.lead_offset.set(0);
            self.refilter(ctx);
            self.select_lead(0, ctx);
        }
    }

    /// Recompute the filtered list for the current stage and filter text.
    pub(crate) fn refilter(&mut self, ctx: &ViewCtx) {
        if self.filter.is_empty() {
            self.filtered = None;
            return;
        }
        let needle = self.filter.to_lowercase();
        let leads = ctx.store.leads();
        let all = ctx
            .snapshot
            .stage_leads
            .get(self.stage)
            .map_or(&[][..], Vec::as_slice);
        self.filtered = Some(
            all.iter()
                .copied()
                .filter(|&i| leads.get(i).is_some_and(|l| matches_filter(l, &needle)))
                .collect(),
        );
    }
}

/// Whether `needle` (already lowercase) occurs in the lead's name, company or email.
fn matches_filter(lead: &Lead, needle: &str) -> bool {
    [&lead.name, &lead.company, &lead.email]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
}

/// The newest outbox entry about a lead, if any.
pub(crate) fn entry_for_lead<'a>(
    outbox: &'a [OutboxEntry],
    lead_id: &str,
) -> Option<&'a OutboxEntry> {
    outbox.iter().rev().find(|e| e.action.lead_id == lead_id)
}

/// Whether an action on this lead is still waiting for the vendor.
pub(crate) fn has_pending(outbox: &[OutboxEntry], lead_id: &str) -> bool {
    outbox
        .iter()
        .any(|e| e.action.lead_id == lead_id && e.status == ActionStatus::Pending)
}

/// Sales owners in round-robin order (by id, like [`crate::domain::action::round_robin`]).
pub(crate) fn sales_rotation<'a>(ctx: &ViewCtx<'a>) -> Vec<&'a crate::domain::Owner> {
    let mut owners: Vec<_> = ctx
        .store
        .owners()
        .iter()
        .filter(|o| o.team == Some(Team::Sales))
        .collect();
    owners.sort_by(|a, b| a.id.cmp(&b.id));
    owners
}
