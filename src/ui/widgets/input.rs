//! Reading key events the same way everywhere.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A printable character typed without Ctrl or Alt (Shift is part of the character).
pub fn plain_char(key: KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control() =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// `Ctrl` plus the letter `c` (either case).
pub fn ctrl(key: KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c))
}
