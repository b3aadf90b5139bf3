//! Leaf helpers for drawing: text fitting, colours, the modal frame, list cursors, and the
//! spans several panes share. Nothing here imports a pane, a dialog or the key dispatcher
//! (a test in `ui/tests_layers.rs` holds that line).

pub mod cursor;
pub mod format;
pub mod input;
pub mod modal;
pub mod spans;
pub mod theme;

/// A key and what it does, as the footer and a dialog's border show it: `("y", "confirm")`.
pub type Hint = (&'static str, &'static str);
