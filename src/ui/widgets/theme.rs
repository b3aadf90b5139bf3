//! Styles. Colour only where it carries meaning (team, SLA state, freshness); with
//! `NO_COLOR` every style falls back to modifiers and the symbols carry the meaning.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType};

use crate::domain::Team;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Marketing magenta, sales cyan; nobody's stage stays plain.
    pub fn team(self, team: Option<Team>) -> Style {
        match team {
            Some(Team::Marketing) => self.fg(Color::Magenta),
            Some(Team::Sales) => self.fg(Color::Cyan),
            None => Style::new(),
        }
    }

    pub fn breached(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn bad(self) -> Style {
        self.fg(Color::Red)
    }

    /// Secondary text: column headers, hints, "ago".
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row or chooser value.
    pub fn selected(self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// The focused field of a dialog.
    pub fn field(self, focused: bool) -> Style {
        if !focused {
            Style::new()
        } else if self.color {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    pub fn border(self, focused: bool) -> Style {
        if !focused {
            Style::new()
        } else if self.color {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// The focused pane also gets a thick border, so focus reads without colour.
    pub fn border_type(self, focused: bool) -> BorderType {
        if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        }
    }

    /// A pane's frame: focus shows as a thick, highlighted border.
    pub fn pane_block<'a>(self, title: Line<'a>, focused: bool) -> Block<'a> {
        Block::bordered()
            .title(title)
            .border_style(self.border(focused))
            .border_type(self.border_type(focused))
    }

    pub fn badge_simulated(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A key name in a hint line.
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
}
