//! The cockpit's panes and dialogs. State is owned by the app loop; nothing here does I/O.
