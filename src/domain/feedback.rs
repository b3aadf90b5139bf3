//! Notes as a channel between the teams: messaging feedback and recycle reasons.
//!
//! tandem tags the notes it writes with a first line such as
//! `#feedback campaign="ROI calculator webinar" verdict=works` or `#recycle reason=no_budget`,
//! so any CRM that stores plain note bodies can carry them.

use std::collections::BTreeMap;

use super::text::{clean, clean_multiline};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    Works,
    DoesNotWork,
}

impl Verdict {
    pub fn tag(self) -> &'static str {
        match self {
            Verdict::Works => "works",
            Verdict::DoesNotWork => "does_not_work",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Works => "works",
            Verdict::DoesNotWork => "doesn't work",
        }
    }
}

/// What a note says, once its tag line is read.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum NoteKind {
    Feedback {
        campaign: String,
        verdict: Verdict,
        text: String,
    },
    /// `reason` is the config's reason code, as written in the note.
    Recycle {
        reason: Option<String>,
        text: String,
    },
    /// Sales rejected the MQL for an agreed reason (`#reject reason=<code>`).
    Reject {
        reason: Option<String>,
        text: String,
    },
    Plain(String),
}

impl NoteKind {
    /// Parse a note body (already stripped of HTML). All text comes out cleaned.
    pub fn parse(body: &str) -> NoteKind {
        let body = body.trim_start();
        let (first, rest) = body.split_once('\n').unwrap_or((body, ""));
        let text = clean_multiline(rest);
        let first = first.trim();
        if let Some(tags) = first.strip_prefix("#feedback") {
            let tags = parse_tags(tags);
            let verdict = match tags.get("verdict").map(String::as_str) {
                Some("works") => Some(Verdict::Works),
                Some("does_not_work") => Some(Verdict::DoesNotWork),
                _ => None,
            };
            if let (Some(campaign), Some(verdict)) = (tags.get("campaign"), verdict) {
                return NoteKind::Feedback {
                    campaign: clean(campaign),
                    verdict,
                    text,
                };
            }
        } else if let Some(tags) = first.strip_prefix("#recycle") {
            let tags = parse_tags(tags);
            let reason = tags
                .get("reason")
                .filter(|r| crate::domain::recycle::valid_code(r))
                .cloned();
            return NoteKind::Recycle { reason, text };
        } else if let Some(tags) = first.strip_prefix("#reject") {
            let tags = parse_tags(tags);
            let reason = tags
                .get("reason")
                .filter(|r| crate::domain::recycle::valid_code(r))
                .cloned();
            return NoteKind::Reject { reason, text };
        }
        NoteKind::Plain(clean_multiline(body))
    }

    /// The note body tandem writes for this kind (inverse of [`NoteKind::parse`]).
    pub fn to_body(&self) -> String {
        match self {
            NoteKind::Feedback {
                campaign,
                verdict,
                text,
            } => format!(
                "#feedback campaign=\"{}\" verdict={}\n{}",
                campaign.replace('"', "'"),
                verdict.tag(),
                text
            ),
            NoteKind::Recycle { reason, text } => format!(
                "#recycle reason={}\n{}",
                reason.as_deref().unwrap_or("unknown"),
                text
            ),
            NoteKind::Reject { reason, text } => format!(
                "#reject reason={}\n{}",
                reason.as_deref().unwrap_or("unknown"),
                text
            ),
            NoteKind::Plain(text) => text.clone(),
        }
    }
}

/// `key=value` and `key="quoted value"` pairs.
fn parse_tags(s: &str) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let mut rest = s.trim();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().to_string();
        let after = &rest[eq + 1..];
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(char::is_whitespace) {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        tags.insert(key, value.to_string());
        rest = tail.trim_start();
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_round_trips() {
        let kind = NoteKind::Feedback {
            campaign: "ROI calculator webinar".into(),
            verdict: Verdict::Works,
            text: "CFOs quoted the payback slide back to me".into(),
        };
        assert_eq!(NoteKind::parse(&kind.to_body()), kind);
    }

    #[test]
    fn recycle_round_trips() {
        let kind = NoteKind::Recycle {
            reason: Some("no_response".into()),
            text: "three calls, two emails".into(),
        };
        assert_eq!(NoteKind::parse(&kind.to_body()), kind);
    }

    #[test]
    fn reject_round_trips() {
        let kind = NoteKind::Reject {
            reason: Some("not_a_fit".into()),
            text: "student, no company".into(),
        };
        assert_eq!(NoteKind::parse(&kind.to_body()), kind);
    }

    #[test]
    fn untagged_and_malformed_notes_are_plain() {
        assert_eq!(
            NoteKind::parse("Called, left a voicemail"),
            NoteKind::Plain("Called, left a voicemail".into())
        );
        assert!(matches!(
            NoteKind::parse("#feedback campaign=\"x\" verdict=meh\nhm"),
            NoteKind::Plain(_)
        ));
    }

    #[test]
    fn hostile_feedback_is_cleaned() {
        let kind = NoteKind::parse("#feedback campaign=\"A\u{1b}[31mB\" verdict=works\nhi\u{7}");
        assert_eq!(
            kind,
            NoteKind::Feedback {
                campaign: "A[31mB".into(),
                verdict: Verdict::Works,
                text: "hi".into()
            }
        );
    }
}
