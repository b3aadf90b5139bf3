//! Tests' view of the cockpit: the screen as text, and a UI with a lead selected.

use super::fixture::Fixture;

/// The screen as text, one line per row, drawn from `ui` over the fixture at `w`×`h`.
pub fn screen(ui: &super::UiState, fx: &Fixture, w: u16, h: u16) -> String {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::draw(f, ui, &fx.ctx())).expect("draw");
    let buf = term.backend().buffer().clone();
    buf.content
        .chunks(usize::from(w))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A UI over the fixture with the named lead selected in its stage's list.
pub fn on_lead(fx: &Fixture, name: &str) -> super::UiState {
    let mut ui = super::UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    let stage = fx
        .store
        .leads()
        .iter()
        .find(|l| l.name() == name)
        .and_then(|l| l.stage)
        .expect("a lead in a stage");
    ui.leads
        .set_stage(crate::domain::snapshot::stage_index(stage), &ctx);
    let pos = ui
        .leads
        .visible(&ctx)
        .iter()
        .position(|i| fx.store.leads()[i].name() == name)
        .expect("listed in its stage");
    ui.leads.select(pos, &ctx);
    ui
}
