//! A lead's name, email and title: the text the panes show for the rows on screen and
//! search reads, and no figure does.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A lead's name, email and title in one allocation. As three `String`s they cost a lead
/// 72 bytes inline and three heap blocks (about 170 bytes in all, 170 MB at a million
/// leads); here 24 bytes and one block.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Card {
    /// The name, the email and the title, one after the other.
    text: Box<str>,
    /// Where the email and the title start in `text`.
    email_at: u32,
    title_at: u32,
}

impl Card {
    pub fn new(name: &str, email: &str, title: &str) -> Card {
        let mut text = String::with_capacity(name.len() + email.len() + title.len());
        text.push_str(name);
        text.push_str(email);
        text.push_str(title);
        // A lead's text is cleaned and clipped at the border, far below 4 GB.
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Card {
            email_at: at(name.len()),
            title_at: at(name.len() + email.len()),
            text: text.into_boxed_str(),
        }
    }

    pub fn name(&self) -> &str {
        &self.text[..self.email_at as usize]
    }

    pub fn email(&self) -> &str {
        &self.text[self.email_at as usize..self.title_at as usize]
    }

    pub fn title(&self) -> &str {
        &self.text[self.title_at as usize..]
    }

    pub fn with_name(&self, name: &str) -> Card {
        Card::new(name, self.email(), self.title())
    }

    pub fn with_email(&self, email: &str) -> Card {
        Card::new(self.name(), email, self.title())
    }

    pub fn with_title(&self, title: &str) -> Card {
        Card::new(self.name(), self.email(), title)
    }
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("name", &self.name())
            .field("email", &self.email())
            .field("title", &self.title())
            .finish()
    }
}

/// The card's fields as a lead's JSON has always named them (`name`, `email`, `title`).
#[derive(Serialize, Deserialize)]
struct Fields<N, E, T> {
    name: N,
    email: E,
    title: T,
}

impl Serialize for Card {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Fields {
            name: self.name(),
            email: self.email(),
            title: self.title(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Card {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Card, D::Error> {
        let f = Fields::<String, String, String>::deserialize(d)?;
        Ok(Card::new(&f.name, &f.email, &f.title))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_reads_back_whole_whatever_the_others_hold() {
        for (name, email, title) in [
            ("Priya Natarajan", "priya@acme.example", "VP Sales"),
            ("", "", ""),
            ("", "only@mail.example", ""),
            ("Zoë Ça", "", "Directrice générale"),
        ] {
            let card = Card::new(name, email, title);
            assert_eq!(
                (card.name(), card.email(), card.title()),
                (name, email, title)
            );
        }
        let card = Card::new("A", "a@x.example", "CEO").with_title("CFO");
        assert_eq!(
            (card.name(), card.email(), card.title()),
            ("A", "a@x.example", "CFO")
        );
        assert_eq!(card.with_name("B").name(), "B");
        assert_eq!(card.with_email("b@x.example").email(), "b@x.example");
    }

    #[test]
    fn a_card_is_written_and_read_under_the_leads_own_field_names() {
        let card = Card::new("Priya", "priya@acme.example", "");
        let json = serde_json::to_value(&card).expect("writes");
        assert_eq!(
            json,
            serde_json::json!({"name": "Priya", "email": "priya@acme.example", "title": ""})
        );
        assert_eq!(serde_json::from_value::<Card>(json).expect("reads"), card);
        assert_eq!(std::mem::size_of::<Card>(), 24);
    }
}
