//! Cursor and window maths shared by every list and scrolling text: the leads table, the
//! breaches list, and dialogs that scroll.

use std::cell::Cell;

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::input::plain_char;

/// A cursor movement in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    By(isize),
    Page(isize),
    First,
    Last,
}

/// The movement a key means in any list: arrows and vi keys, pages, ends.
pub fn movement(key: KeyEvent) -> Option<Move> {
    Some(match (key.code, plain_char(key)) {
        (KeyCode::Up, _) | (_, Some('k')) => Move::By(-1),
        (KeyCode::Down, _) | (_, Some('j')) => Move::By(1),
        (KeyCode::PageUp, _) => Move::Page(-1),
        (KeyCode::PageDown, _) => Move::Page(1),
        (KeyCode::Home, _) | (_, Some('g')) => Move::First,
        (KeyCode::End, _) | (_, Some('G')) => Move::Last,
        _ => return None,
    })
}

/// ↑/↓ (or `k`/`j`) on a dialog's list of `len`: the new position, or `None` for any other
/// key. Dialogs with a selection share it, so they move alike.
pub fn list_step(
    key: ratatui::crossterm::event::KeyEvent,
    pos: usize,
    len: usize,
) -> Option<usize> {
    use ratatui::crossterm::event::KeyCode;
    match (key.code, super::input::plain_char(key)) {
        (KeyCode::Down, _) | (_, Some('j')) => Some((pos + 1).min(len.saturating_sub(1))),
        (KeyCode::Up, _) | (_, Some('k')) => Some(pos.saturating_sub(1)),
        _ => None,
    }
}

/// `pos` moved by `m` in a list of `len`, a page being `page` rows; always in range.
pub fn apply(pos: usize, len: usize, page: usize, m: Move) -> usize {
    let last = len.saturating_sub(1);
    let step = |d: isize| {
        if d < 0 {
            pos.saturating_sub(d.unsigned_abs())
        } else {
            pos.saturating_add(d.unsigned_abs()).min(last)
        }
    };
    match m {
        Move::By(d) => step(d),
        Move::Page(d) => step(d.saturating_mul(page.max(1) as isize)),
        Move::First => 0,
        Move::Last => last,
    }
    .min(last)
}

/// First row to show so that `sel` is visible, moving the window as little as possible
/// from `prev`, and never leaving empty rows at the bottom when there are more rows above.
pub fn window(sel: usize, len: usize, height: usize, prev: usize) -> usize {
    if height == 0 || len == 0 {
        return 0;
    }
    let sel = sel.min(len - 1);
    let mut off = prev.min(len.saturating_sub(height));
    if sel < off {
        off = sel;
    }
    if sel >= off + height {
        off = sel + 1 - height;
    }
    off
}

/// A selection in a list that follows its item by id when the list reorders, and the window
/// the last frame drew (drawing takes `&self`, so those live in cells).
#[derive(Debug, Clone, PartialEq)]
pub struct ListCursor {
    pos: usize,
    id: Option<String>,
    offset: Cell<usize>,
    page: Cell<usize>,
}

impl Default for ListCursor {
    fn default() -> Self {
        Self {
            pos: 0,
            id: None,
            offset: Cell::new(0),
            page: Cell::new(10),
        }
    }
}

impl ListCursor {
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The first row the last frame showed.
    pub fn offset(&self) -> usize {
        self.offset.get()
    }

    /// Rows the last frame showed (PgUp/PgDn move by this).
    pub fn page(&self) -> usize {
        self.page.get()
    }

    /// The id of the item the cursor was last put on.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Put the cursor at `pos` (clamped to `len`) and remember the item's id.
    pub fn select(&mut self, pos: usize, len: usize, id_at: impl FnOnce(usize) -> Option<String>) {
        self.pos = pos.min(len.saturating_sub(1));
        self.id = id_at(self.pos);
    }

    /// Move by a key's movement; a page is what the last frame showed.
    pub fn move_by(&mut self, m: Move, len: usize, id_at: impl FnOnce(usize) -> Option<String>) {
        let pos = apply(self.pos, len, self.page.get(), m);
        self.select(pos, len, id_at);
    }

    /// After the list changed: back on the remembered item if it is still there, else the
    /// same position (clamped).
    pub fn follow(
        &mut self,
        len: usize,
        position_of: impl FnOnce(&str) -> Option<usize>,
        id_at: impl FnOnce(usize) -> Option<String>,
    ) {
        let pos = self.id.as_deref().and_then(position_of).unwrap_or(self.pos);
        self.select(pos, len, id_at);
    }

    /// Stop following an item (while a list streams in and reorders under every page).
    pub fn forget(&mut self) {
        self.id = None;
    }

    /// Back to the top of a new list.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.id = None;
        self.offset.set(0);
    }

    /// The first row to draw in a viewport of `height` rows, keeping the cursor visible;
    /// remembered, with the page size, for the next frame and for PgUp/PgDn.
    pub fn window(&self, len: usize, height: usize) -> usize {
        self.window_at(self.pos, len, height)
    }

    /// [`window`](Self::window) for a list drawn with lines between its items (group
    /// headings): the cursor's item is drawn on `line` of `len` lines.
    pub fn window_at(&self, line: usize, len: usize, height: usize) -> usize {
        let off = window(line, len, height, self.offset.get());
        self.offset.set(off);
        self.page.set(height.max(1));
        off
    }
}

/// How far a text dialog is scrolled, never past where its text ends as last drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scroll {
    top: usize,
    /// The largest useful top line, as the last frame found it (`None` before any frame).
    max: Cell<Option<usize>>,
    page: Cell<usize>,
}

impl Scroll {
    /// The first line asked for (before clamping to what the next frame can show).
    pub fn top(&self) -> usize {
        self.top
    }

    pub fn on_move(&mut self, m: Move) {
        let len = self.max.get().map_or(usize::MAX, |m| m.saturating_add(1));
        self.top = apply(self.top, len, self.page.get().max(1), m);
    }

    /// The first line to draw for `lines` lines in `height` rows; remembers the limit.
    pub fn top_for(&self, lines: usize, height: usize) -> usize {
        let max = lines.saturating_sub(height);
        self.max.set(Some(max));
        self.page.set(height.max(1));
        self.top.min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_moves_minimally_and_keeps_the_selection_visible() {
        assert_eq!(window(0, 100, 10, 0), 0);
        assert_eq!(window(9, 100, 10, 0), 0);
        assert_eq!(window(10, 100, 10, 0), 1);
        assert_eq!(window(4000, 5000, 20, 0), 3981);
        assert_eq!(window(3990, 5000, 20, 3981), 3981);
        assert_eq!(window(3970, 5000, 20, 3981), 3970);
        // A shrunken list pulls the window back so no rows are wasted.
        assert_eq!(window(4, 5, 10, 30), 0);
        assert_eq!(window(50, 5, 10, 0), 0);
        assert_eq!(window(0, 0, 10, 7), 0);
        assert_eq!(window(3, 10, 0, 2), 0);
    }

    #[test]
    fn a_cursor_follows_its_item_by_id_and_pages_by_what_was_drawn() {
        let mut items = vec!["a", "b", "c", "d", "e"];
        let id = |v: &Vec<&str>, i: usize| v.get(i).map(|s| s.to_string());
        let mut c = ListCursor::default();
        c.select(2, items.len(), |i| id(&items, i));
        assert_eq!(c.id(), Some("c"));
        items.insert(0, "z");
        let snapshot = items.clone();
        c.follow(
            items.len(),
            |want| snapshot.iter().position(|s| *s == want),
            |i| id(&snapshot, i),
        );
        assert_eq!((c.pos(), c.id()), (3, Some("c")));
        // Two rows drawn: a page is two.
        assert_eq!(c.window(items.len(), 2), 2);
        c.move_by(Move::Page(1), items.len(), |i| id(&snapshot, i));
        assert_eq!(c.pos(), 5);
        // The item left: the cursor stays where it was, clamped.
        items.truncate(2);
        let short = items.clone();
        c.follow(items.len(), |_| None, |i| id(&short, i));
        assert_eq!((c.pos(), c.id()), (1, Some("a")));
    }

    #[test]
    fn scrolling_stops_where_the_text_ends() {
        let mut s = Scroll::default();
        assert_eq!(s.top_for(30, 10), 0);
        s.on_move(Move::Last);
        assert_eq!(s.top_for(30, 10), 20);
        s.on_move(Move::By(5));
        assert_eq!(s.top_for(30, 10), 20);
        s.on_move(Move::By(-1));
        assert_eq!(s.top_for(30, 10), 19);
    }
}
