//! Text for cells: durations, ages, money, counts, and width-safe truncation.
//!
//! Widths are terminal columns measured with `unicode-width`, so a wide character (CJK,
//! emoji) never pushes a column out of line.

use chrono::{DateTime, Utc};
use unicode_width::UnicodeWidthChar;

/// Display width of one character; control characters take no room (they are dropped).
fn char_width(c: char) -> usize {
    if c.is_control() {
        0
    } else {
        c.width().unwrap_or(0)
    }
}

/// Display width of a string in terminal columns.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Characters safe for one cell line: tabs and line breaks become spaces, other control
/// characters are dropped (remote text is cleaned upstream; this is belt and braces).
fn one_line(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter_map(|c| match c {
        '\n' | '\r' | '\t' => Some(' '),
        c if c.is_control() => None,
        c => Some(c),
    })
}

/// At most `max` columns of `s` on one line, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let total: usize = one_line(s).map(char_width).sum();
    if total <= max {
        return one_line(s).collect();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in one_line(s) {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Exactly `w` columns: truncated, then padded on the right.
pub fn fit(s: &str, w: usize) -> String {
    let mut out = truncate(s, w);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// Exactly `w` columns: truncated, then padded on the left (for numbers).
pub fn fit_right(s: &str, w: usize) -> String {
    let cut = truncate(s, w);
    let used = width(&cut);
    let mut out: String = std::iter::repeat_n(' ', w.saturating_sub(used)).collect();
    out.push_str(&cut);
    out
}

/// The last `max` columns of `s` (for a text field whose start scrolled away).
pub fn tail(s: &str, max: usize) -> String {
    let mut used = 0;
    let mut chars: Vec<char> = Vec::new();
    for c in one_line(s).collect::<Vec<_>>().into_iter().rev() {
        let w = char_width(c);
        if used + w > max {
            break;
        }
        used += w;
        chars.push(c);
    }
    chars.into_iter().rev().collect()
}

pub use crate::units::{age, count, money, signed_hm};

/// Hard-wrap text to `w` columns, keeping its own line breaks. Always at least one line.
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    for raw in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for c in one_line(raw) {
            let cw = char_width(c);
            if used + cw > w && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
        lines.push(line);
    }
    lines
}

/// Word-wrap one paragraph to `w` columns; words longer than a line are split.
/// Line breaks in the text are kept. Always at least one line.
pub fn wrap_words(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in para.split(' ').filter(|s| !s.is_empty()) {
            let ww = width(word);
            if used > 0 && used + 1 + ww > w {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if ww > w {
                // Too long for any line: hard-wrap it.
                let mut pieces = wrap(word, w);
                let last = pieces.pop().unwrap_or_default();
                if used > 0 {
                    lines.push(std::mem::take(&mut line));
                }
                lines.extend(pieces);
                used = width(&last);
                line = last;
                continue;
            }
            if used > 0 {
                line.push(' ');
                used += 1;
            }
            line.extend(one_line(word));
            used += ww;
        }
        lines.push(line);
    }
    lines
}

/// `18:45` today, `Sat 01:16` within a week, `2026-12-24 01:16` beyond: a time without a
/// date is never shown for another day.
pub fn moment(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M").to_string()
    } else if (at.date_naive() - now.date_naive()).num_days().abs() < 7 {
        at.format("%a %H:%M").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::percent;
    use chrono::Duration;

    #[test]
    fn durations_read_like_the_sketch() {
        assert_eq!(signed_hm(-Duration::minutes(72)), "-1h12");
        assert_eq!(signed_hm(Duration::minutes(130)), "2h10");
        assert_eq!(
            signed_hm(Duration::minutes(40) + Duration::seconds(59)),
            "0h40"
        );
        assert_eq!(signed_hm(-Duration::seconds(30)), "-0h00");
        assert_eq!(
            signed_hm(-(Duration::days(5) + Duration::hours(7))),
            "-5d07"
        );
    }

    /// Breached clocks say "overdue", others "due in", never a minus sign to decode.
    #[test]
    fn sla_clocks_read_overdue_or_due_in() {
        use crate::domain::sla::Clock;
        use crate::units::{limit, sla_due};
        let over = -(Duration::days(44) + Duration::hours(18));
        let (cal, biz) = (Clock::Calendar, Clock::Business);
        assert_eq!(sla_due(true, over, cal), "overdue 44d18");
        // Business time is never in days: a business day is not 24 hours.
        assert_eq!(
            sla_due(true, -Duration::minutes(137 * 60 + 9), biz),
            "overdue 137h09"
        );
        assert_eq!(sla_due(true, over, biz), "overdue 1074h00");
        assert_eq!(sla_due(false, Duration::minutes(70), biz), "due in 1h10");
        assert_eq!(sla_due(true, Duration::zero(), cal), "overdue 0h00");
        // Breached on the instant while a business clock shows time left (after hours).
        assert_eq!(sla_due(true, Duration::minutes(5), biz), "overdue 0h00");
        assert_eq!(sla_due(false, -Duration::minutes(5), biz), "due in 0h00");
        assert_eq!(limit(Duration::hours(4), Clock::Business), "4h");
        assert_eq!(limit(Duration::hours(24), Clock::Business), "24h");
        assert_eq!(limit(Duration::days(14), Clock::Calendar), "14d");
        assert_eq!(limit(Duration::minutes(90), Clock::Calendar), "1h30m");
        assert_eq!(limit(Duration::minutes(30), Clock::Business), "30m");
    }

    #[test]
    fn ages_money_counts() {
        assert_eq!(age(Duration::seconds(12)), "12s");
        assert_eq!(age(Duration::seconds(-5)), "0s");
        assert_eq!(age(Duration::minutes(4)), "4m");
        assert_eq!(age(Duration::minutes(125)), "2h");
        assert_eq!(age(Duration::hours(50)), "2d");
        assert_eq!(money(1_900_000.0), "$1.9M");
        assert_eq!(money(999_999.0), "$1.0M");
        assert_eq!(money(12_345.0), "$12k");
        assert_eq!(money(950.0), "$950");
        assert_eq!(money(f64::NAN), "—");
        assert_eq!(count(1204), "1 204");
        assert_eq!(count(1_234_567), "1 234 567");
        assert_eq!(count(12), "12");
        assert_eq!(percent(Some(0.714)), "71%");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn truncation_respects_wide_characters() {
        assert_eq!(truncate("Kleinfeld GmbH", 20), "Kleinfeld GmbH");
        assert_eq!(truncate("Kleinfeld GmbH", 8), "Kleinfe…");
        // Each of these is two columns wide; a cut never splits one.
        let cut = truncate("株式会社サクラ", 6);
        assert_eq!(cut, "株式…");
        assert!(width(&cut) <= 6);
        assert_eq!(width(&fit("株式会社サクラ", 7)), 7);
        assert_eq!(fit_right("42", 5), "   42");
        assert_eq!(truncate("a\u{1b}[2Jb\nc", 10), "a[2Jb c");
        assert_eq!(truncate("anything", 0), "");
    }

    #[test]
    fn wrapping_and_tail() {
        assert_eq!(wrap("abcdef\ngh", 4), ["abcd", "ef", "gh"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("株式会社", 3), ["株", "式", "会", "社"]);
        assert_eq!(tail("three calls", 5), "calls");
        assert_eq!(
            wrap_words("the payback slide", 11),
            ["the payback", "slide"]
        );
        assert_eq!(
            wrap_words("a verylongword b", 5),
            ["a", "veryl", "ongwo", "rd b"]
        );
        assert_eq!(wrap_words("one\ntwo", 10), ["one", "two"]);
        assert_eq!(wrap_words("", 10), [""]);
    }
}
