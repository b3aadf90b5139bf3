//! Remote text is untrusted: it must never smuggle control or escape bytes to the terminal.

/// Strip control characters (C0, DEL, C1 — which covers ESC and CSI), bidi overrides and
/// zero-width joiners; fold runs of whitespace to one space.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for ch in raw.chars() {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_unsafe(ch) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
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

fn is_unsafe(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
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
    use super::*;

    #[test]
    fn strips_escape_sequences_and_controls() {
        let hostile = "Acme\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m Corp\r\n\u{202E}evil";
        assert_eq!(clean(hostile), "Acme[2J]0;pwned31m Corp evil");
        assert!(!clean(hostile).chars().any(|c| c.is_control()));
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
