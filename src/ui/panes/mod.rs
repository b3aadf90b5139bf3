//! The cockpit's regions: one file per pane, plus the header and footer lines. Panes read
//! [`UiState`](super::UiState) and the view context; they share helpers from `widgets/` only.

pub mod breaches;
pub mod feedback;
pub mod footer;
pub mod header;
pub mod kpis;
pub mod leads;
pub mod pipeline;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::{UiState, ViewCtx};

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

    /// Whether the pane lists leads an action can apply to.
    pub fn lists_leads(self) -> bool {
        matches!(self, Pane::Leads | Pane::Breaches)
    }

    pub fn draw(self, frame: &mut Frame, area: Rect, state: &UiState, ctx: &ViewCtx) {
        let focused = state.focus == self;
        match self {
            Pane::Pipeline => pipeline::draw(frame, area, state, ctx, focused),
            Pane::Leads => leads::draw(frame, area, state, ctx, focused),
            Pane::Kpis => kpis::draw(frame, area, state, ctx, focused),
            Pane::Breaches => breaches::draw(frame, area, state, ctx, focused),
            Pane::Feedback => feedback::draw(frame, area, state, ctx, focused),
        }
    }
}
