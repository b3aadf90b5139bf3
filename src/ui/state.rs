//! What the UI remembers between frames: focus, each pane's view, the open dialog. Business
//! rules live in `domain/` (`domain::handoff`); this file only keeps positions in step with
//! the data.

use crate::domain::Lead;
use crate::domain::breach::Filter;
use crate::domain::handoff::Turns;

use super::ViewCtx;
use super::dialogs::Dialog;
use super::panes::Pane;
use super::panes::breaches::Breaches;
use super::panes::kpis::KpiView;
use super::panes::leads::LeadsView;
use super::widgets::cursor::ListCursor;
use super::widgets::theme::Theme;

/// Everything the UI remembers. Owned by the app loop.
#[derive(Debug)]
pub struct UiState {
    pub(crate) theme: Theme,
    pub(crate) focus: Pane,
    pub(crate) leads: LeadsView,
    /// Follows the breached lead by id.
    pub(crate) breaches: ListCursor,
    /// Which team's or SLA's breaches the pane lists (`t`, `s`).
    pub(crate) breach_filter: Filter,
    pub(crate) kpis: KpiView,
    pub(crate) feedback_scroll: usize,
    /// Confirmed hand-offs per coverage rotation.
    pub(crate) turns: Turns,
    pub(crate) dialog: Option<Box<dyn Dialog>>,
    /// A one-key-press message for the footer ("can't recycle …").
    pub(crate) message: Option<String>,
    /// `q` was pressed once with actions pending; the next `q` quits.
    pub(crate) quit_armed: bool,
    /// Every action is disabled (`--read-only`, toggled with `W`): a standup screen.
    pub read_only: bool,
    /// Read-only that `W` cannot undo (`--locked`, a shared screen).
    pub read_only_locked: bool,
    /// The clock stands still at `--now` (a demo or a screenshot of a frozen world).
    pub frozen: bool,
}

impl UiState {
    /// `color` is false when `NO_COLOR` is set; symbols still carry every meaning.
    pub fn new(color: bool) -> Self {
        Self {
            theme: Theme { color },
            focus: Pane::Leads,
            leads: LeadsView::default(),
            breaches: ListCursor::default(),
            breach_filter: Filter::default(),
            kpis: KpiView::default(),
            feedback_scroll: 0,
            turns: Turns::default(),
            read_only: false,
            read_only_locked: false,
            frozen: false,
            dialog: None,
            message: None,
            quit_armed: false,
        }
    }

    /// Called after the store/snapshot changed: re-run the search, keep the selected leads
    /// selected by id while they are still listed, otherwise clamp the positions.
    pub fn on_data_changed(&mut self, ctx: &ViewCtx) {
        self.kpis.follow_default_model(ctx);
        // While the first load streams in, the list reorders under every page: stay at the
        // top instead of chasing whichever lead happened to arrive first.
        if ctx.health.iter().any(|h| !h.loaded) {
            self.leads.cursor.forget();
            self.breaches.forget();
        }
        self.leads.refresh(ctx);
        let all = Breaches::collect(ctx, self.breach_filter);
        // Once per data change, so walking the whole list is fine here.
        let ids = all.lead_ids(ctx);
        self.breaches.follow(
            all.len(),
            |id| ids.iter().position(|l| *l == id),
            |i| ids.get(i).map(|s| s.to_string()),
        );
        self.feedback_scroll = self
            .feedback_scroll
            .min(ctx.snapshot.feedback.len().saturating_sub(1));
    }

    /// The lead the leads table highlights, if any.
    pub fn selected_lead<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a Lead> {
        self.leads.selected(ctx)
    }

    /// The lead under the cursor in the breaches pane.
    pub(crate) fn selected_breach_lead<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a Lead> {
        let all = Breaches::collect(ctx, self.breach_filter);
        ctx.store.lead(all.lead_at(ctx, self.breaches.pos())?)
    }

    /// The lead an action or the detail view applies to: the highlighted row of the focused
    /// pane, if that pane lists leads.
    pub(crate) fn target_lead<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a Lead> {
        match self.focus {
            Pane::Leads => self.selected_lead(ctx),
            Pane::Breaches => self.selected_breach_lead(ctx),
            _ => None,
        }
    }

    /// Open a dialog on top of the cockpit; keys go to it until it closes.
    pub fn open_dialog(&mut self, dialog: Box<dyn Dialog>) {
        self.dialog = Some(dialog);
    }

    /// The open dialog as its concrete type, if it is one.
    pub fn dialog_as<T: Dialog>(&self) -> Option<&T> {
        let d: &dyn std::any::Any = self.dialog.as_deref()?;
        d.downcast_ref::<T>()
    }
}
