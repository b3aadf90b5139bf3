//! Remote text is untrusted: it must never smuggle control or escape bytes to the terminal,
//! nor pass off invisible characters as a name.

use finl_unicode::categories::CharacterCategories;

/// Strip what can smuggle bytes to the terminal or fake a name: control characters (C0,
/// DEL, C1, which covers ESC and CSI), format characters (bidi controls, zero-width and
/// invisible operators, soft hyphen, tags…), other default-ignorable code points, and
/// variation selectors that change nothing: alone, stacked, or after a Latin, Greek or
/// Cyrillic letter (those have no variants, so `An\u{FE00}na` cannot pass for `Anna`).
/// Blank look-alikes (Hangul fillers, the braille blank) count as whitespace, and runs of
/// whitespace fold to one space.
pub fn clean(raw: &str) -> String {
    clean_within(raw, usize::MAX)
}

/// Like [`clean`], but at most `max` characters: longer text ends in an ellipsis. Stops
/// reading once past `max`, so a huge field costs no more than a short one.
pub fn clean_within(raw: &str, max: usize) -> String {
    // Most vendor text is plain printable ASCII with single spaces: nothing to clean.
    let b = raw.as_bytes();
    let plain = b.len() <= max
        && b.first().is_none_or(|c| *c != b' ')
        && b.last().is_none_or(|c| *c != b' ')
        && b.iter().all(|c| (0x20..0x7f).contains(c))
        && !b.windows(2).any(|w| w == b"  ");
    if plain {
        return raw.to_string();
    }
    clean_char_by_char(raw, max)
}

fn clean_char_by_char(raw: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    let mut pending_space = false;
    // A variation selector is kept only right after a character it can change, and only one.
    let mut may_select = false;
    for ch in raw.chars() {
        if is_blank(ch) {
            pending_space = len > 0;
            may_select = false;
            continue;
        }
        if is_selector(ch) {
            if !may_select {
                continue;
            }
            may_select = false;
        } else if is_unsafe(ch) {
            continue;
        } else {
            may_select = takes_selector(ch);
        }
        if pending_space {
            out.push(' ');
            len += 1;
            pending_space = false;
        }
        out.push(ch);
        len += 1;
        if len > max {
            return clip(&out, max);
        }
    }
    out
}

/// Like [`clean`], but keeps line breaks (for multi-line note bodies).
pub fn clean_multiline(raw: &str) -> String {
    raw.lines()
        .map(clean)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// `text` cut to at most `max` characters, the last one an ellipsis when anything was cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) if max == 0 => String::new(),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max - 1)
                .map_or(text.len(), |(i, _)| i);
            format!("{}…", text[..keep].trim_end())
        }
    }
}

/// Whitespace, and characters drawn as nothing that pass for it.
fn is_blank(ch: char) -> bool {
    ch.is_whitespace()
        || matches!(
            ch,
            '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
        )
}

/// Whether a variation selector after `ch` may mean something: emoji, digits (keycaps),
/// symbols, CJK, Mongolian… but not the letters of Latin, Greek or Cyrillic.
fn takes_selector(ch: char) -> bool {
    !(ch.is_alphabetic() && matches!(ch, '\0'..='\u{052F}' | '\u{1E00}'..='\u{1FFF}'))
}

/// Variation selectors (standard, Mongolian, supplement).
fn is_selector(ch: char) -> bool {
    matches!(ch, '\u{FE00}'..='\u{FE0F}' | '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Controls, format characters (general category Cf: soft hyphen, bidi controls, zero-width
/// and invisible operators, tags…), and the other default-ignorable code points, assigned or
/// not: all drawn as nothing.
fn is_unsafe(ch: char) -> bool {
    ch.is_control()
        || CharacterCategories::is_format(ch)
        || matches!(
            ch,
            '\u{034F}' | '\u{17B4}'..='\u{17B5}' | '\u{2065}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Strip the HTML HubSpot wraps note bodies in, keeping paragraph breaks as newlines.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag == "/p" || tag == "/div" || tag == "/li" {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// The shortcut for plain text gives what the full cleaning gives.
        #[test]
        fn plain_text_is_cleaned_the_same_either_way(s in "[ -~]{0,40}", max in 0usize..50) {
            proptest::prop_assert_eq!(
                super::clean_within(&s, max),
                super::clean_char_by_char(&s, max)
            );
        }
    }

    use super::*;

    #[test]
    fn strips_escape_sequences_and_controls() {
        let hostile = "Acme\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m Corp\r\n\u{202E}evil";
        assert_eq!(clean(hostile), "Acme[2J]0;pwned31m Corp evil");
        assert!(!clean(hostile).chars().any(|c| c.is_control()));
    }

    #[test]
    fn invisible_characters_cannot_fake_or_blank_a_name() {
        for invisible in [
            '\u{00AD}',
            '\u{061C}',
            '\u{180E}',
            '\u{200B}',
            '\u{200D}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{034F}',
            '\u{17B4}',
            '\u{FE0F}',
            '\u{E0100}',
        ] {
            let faked = format!("Ann{invisible}a");
            assert_eq!(clean(&faked), "Anna", "U+{:04X}", invisible as u32);
            assert_eq!(
                clean(&invisible.to_string().repeat(3)),
                "",
                "U+{:04X}",
                invisible as u32
            );
        }
    }

    #[test]
    fn every_format_character_is_removed() {
        let cf: Vec<char> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| CharacterCategories::is_format(*c))
            .collect();
        assert!(cf.len() > 150, "{}", cf.len());
        for c in cf {
            assert_eq!(clean(&format!("a{c}b")), "ab", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn blank_look_alikes_are_whitespace() {
        for blank in ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}', '\u{2800}'] {
            assert_eq!(clean(&format!("Bob{blank}Smith")), "Bob Smith");
            assert_eq!(clean(&format!("{blank}{blank}")), "");
        }
    }

    #[test]
    fn a_variation_selector_stays_only_on_a_visible_character() {
        assert_eq!(clean("I \u{2764}\u{FE0F} it"), "I \u{2764}\u{FE0F} it");
        // Alone, after a space, or stacked to smuggle data: dropped.
        assert_eq!(clean("\u{FE0F}\u{FE0F}"), "");
        assert_eq!(clean("a \u{FE0F}b"), "a b");
        assert_eq!(clean("0\u{FE00}\u{FE01}\u{E0100}"), "0\u{FE00}");
        assert_eq!(clean("\u{845B}\u{E0100}"), "\u{845B}\u{E0100}");
        // Letters without variants take none: the selector would only hide a difference.
        assert_eq!(clean("Ж\u{FE0F}é\u{FE00}x\u{E0100}"), "Жéx");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let name = "x".repeat(100_000);
        let short = clean_within(&name, 200);
        assert_eq!(short.chars().count(), 200);
        assert!(short.ends_with("x…"));
        assert_eq!(clean_within("exactly ten", 11), "exactly ten");
        assert_eq!(clean_within("word  then more", 6), "word…");
        assert_eq!(clean_within("anything", 0), "");
        assert_eq!(clip("é😀漢字", 3), "é😀…");
        assert_eq!(clip("é😀漢", 3), "é😀漢");
    }

    #[test]
    fn multiline_keeps_lines_but_not_controls() {
        assert_eq!(
            clean_multiline("one\u{1b}\n  two\t three \n"),
            "one\ntwo three"
        );
    }

    #[test]
    fn html_bodies_become_text() {
        assert_eq!(
            html_to_text("<p>#feedback x</p><p>a &amp; b<br>c</p>"),
            "#feedback x\na & b\nc\n"
        );
    }
}
