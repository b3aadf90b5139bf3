//! The lens the cockpit shows: a rep's default, and `L` through the cycle.

use super::App;
use crate::domain::lens::Lens;

impl App {
    /// The user's own owner record, when the identity maps to one.
    pub(super) fn me(&self) -> Option<&crate::domain::Owner> {
        let id = self.actor().owner_id?;
        self.model.store.owner(&id)
    }

    /// Once owners are known, a rep starts on their own leads ("me").
    pub(super) fn default_lens(&mut self) {
        if self.lens_chosen {
            return;
        }
        if let Some(me) = self.me().cloned() {
            self.lens_chosen = true;
            // A lens the app picks by itself never hides what the start had to say (a
            // rebuilt cache, actions still queued); the header names the lens anyway.
            let said = self.ui.message.take();
            self.set_lens(Lens::Owner {
                id: me.id,
                name: me.name,
                me: true,
            });
            if said.is_some() {
                self.ui.message = said;
            }
        }
    }

    /// `L`: the next lens in the cycle (me, teams, segments, top accounts, everyone); `H`
    /// the one before.
    pub(super) fn step_lens(&mut self, forward: bool) {
        self.lens_chosen = true;
        let cycle = Lens::cycle(
            self.me(),
            self.model.store.leads(),
            &self.model.config.top_accounts,
        );
        let n = cycle.len();
        let next = match cycle.iter().position(|l| *l == self.model.lens) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => 0,
            None => n.saturating_sub(1),
        };
        let lens = cycle.into_iter().nth(next).unwrap_or_default();
        self.set_lens(lens);
    }

    pub(super) fn set_lens(&mut self, lens: Lens) {
        self.model.lens_label = lens.label();
        self.ui.message = Some(format!("lens: {} (L next, H back)", self.model.lens_label));
        self.model.lens = lens;
        self.stale_snapshot = true;
    }
}
