//! Messaging feedback rolled up by campaign: how many notes say a campaign's message works
//! and how many say it does not, and the latest quote. Kept note by note: a poll that brings
//! k notes moves k counts, never a pass over every note (a 1M portal holds ~250k notes).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::feedback::{NoteKind, Verdict};
use super::lead::{Note, Owner};
use super::snapshot::ChangedNote;

/// Messaging feedback on one campaign, rolled up.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackRollup {
    pub campaign: String,
    pub works: usize,
    pub does_not_work: usize,
    pub last_text: String,
    pub last_verdict: Verdict,
    pub last_owner: Option<String>,
    pub last_at: DateTime<Utc>,
}

/// The counts behind the rollups, by campaign.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedbackTally {
    campaigns: HashMap<String, Campaign, foldhash::fast::RandomState>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Campaign {
    works: usize,
    does_not_work: usize,
    /// The latest note: the newest, the first listed among notes of the same instant.
    latest: (DateTime<Utc>, usize),
}

/// What a note says of a campaign, if it is feedback.
fn feedback(note: &Note) -> Option<(&str, Verdict)> {
    match &note.kind {
        NoteKind::Feedback {
            campaign, verdict, ..
        } => Some((campaign, *verdict)),
        _ => None,
    }
}

/// Whether the note at `i`, dated `at`, is later than `than` in the rollup's order.
fn later(at: DateTime<Utc>, i: usize, than: (DateTime<Utc>, usize)) -> bool {
    at > than.0 || (at == than.0 && i < than.1)
}

impl FeedbackTally {
    /// Over every note, from scratch.
    pub fn build(notes: &[Note]) -> Self {
        let mut tally = FeedbackTally::default();
        for (i, note) in notes.iter().enumerate() {
            tally.add(i, note);
        }
        tally
    }

    /// Follow the notes that changed or arrived: each index with the version this tally
    /// counted (`None` for a new note). Only when the latest note of a campaign changed
    /// are that campaign's notes looked through again.
    pub fn update(&mut self, notes: &[Note], changed: &[ChangedNote]) {
        let mut relook: Vec<String> = Vec::new();
        for (i, old) in changed {
            if let Some((campaign, verdict)) = old.as_ref().and_then(feedback) {
                let gone = self.campaigns.get_mut(campaign).is_some_and(|c| {
                    match verdict {
                        Verdict::Works => c.works -= 1,
                        Verdict::DoesNotWork => c.does_not_work -= 1,
                    }
                    if c.latest.1 == *i {
                        relook.push(campaign.to_owned());
                    }
                    c.works + c.does_not_work == 0
                });
                if gone {
                    self.campaigns.remove(campaign);
                }
            }
            if let Some(note) = notes.get(*i) {
                self.add(*i, note);
            }
        }
        relook.sort_unstable();
        relook.dedup();
        for campaign in relook {
            let latest = (notes.iter().enumerate())
                .filter(|(_, n)| feedback(n).is_some_and(|(c, _)| c == campaign))
                .fold(
                    None,
                    |best: Option<(DateTime<Utc>, usize)>, (i, n)| match best {
                        Some(b) if !later(n.at, i, b) => Some(b),
                        _ => Some((n.at, i)),
                    },
                );
            match (self.campaigns.get_mut(&campaign), latest) {
                (Some(c), Some(latest)) => c.latest = latest,
                _ => {
                    self.campaigns.remove(&campaign);
                }
            }
        }
    }

    fn add(&mut self, i: usize, note: &Note) {
        let Some((campaign, verdict)) = feedback(note) else {
            return;
        };
        let c = (self.campaigns)
            .entry(campaign.to_owned())
            .or_insert(Campaign {
                works: 0,
                does_not_work: 0,
                latest: (note.at, i),
            });
        match verdict {
            Verdict::Works => c.works += 1,
            Verdict::DoesNotWork => c.does_not_work += 1,
        }
        if later(note.at, i, c.latest) {
            c.latest = (note.at, i);
        }
    }

    /// Campaigns with feedback, most recently discussed first.
    pub fn rollups(&self, notes: &[Note], owners: &[Owner]) -> Vec<FeedbackRollup> {
        let mut out: Vec<FeedbackRollup> = (self.campaigns.iter())
            .filter_map(|(campaign, c)| {
                let note = notes.get(c.latest.1)?;
                let NoteKind::Feedback { verdict, text, .. } = &note.kind else {
                    return None;
                };
                let owner = note.owner_id.as_deref().and_then(|id| {
                    let o = owners.iter().find(|o| o.id == id)?;
                    Some(o.name.clone())
                });
                Some(FeedbackRollup {
                    campaign: campaign.clone(),
                    works: c.works,
                    does_not_work: c.does_not_work,
                    last_text: text.clone(),
                    last_verdict: *verdict,
                    last_owner: owner,
                    last_at: note.at,
                })
            })
            .collect();
        out.sort_by(|a, b| b.last_at.cmp(&a.last_at).then(a.campaign.cmp(&b.campaign)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn note(id: &str, campaign: &str, verdict: Verdict, text: &str, t: &str) -> Note {
        Note {
            id: id.into(),
            lead_ids: thin_vec::thin_vec![],
            owner_id: Some("7".into()),
            at: at(t),
            kind: NoteKind::Feedback {
                campaign: campaign.into(),
                verdict,
                text: text.into(),
            },
        }
    }

    fn owners() -> Vec<Owner> {
        vec![Owner {
            id: "7".into(),
            name: "Sam Ortiz".into(),
            email: String::new(),
            team: None,
        }]
    }

    /// Two ROI notes, the later saying it does not work, and one on `other`.
    fn roi_and(other: &str) -> Vec<Note> {
        vec![
            note("1", "ROI", Verdict::Works, "old", "2026-11-18T10:00:00Z"),
            note(
                "2",
                "ROI",
                Verdict::DoesNotWork,
                "new",
                "2026-11-19T10:00:00Z",
            ),
            note("3", other, Verdict::Works, "x", "2026-11-17T10:00:00Z"),
        ]
    }

    #[test]
    fn feedback_rolls_up_by_campaign_with_latest_quote() {
        let mut notes = roi_and("Whitepaper");
        notes.push(Note {
            id: "4".into(),
            lead_ids: thin_vec::thin_vec![],
            owner_id: None,
            at: at("2026-11-20T10:00:00Z"),
            kind: NoteKind::Plain("call me".into()),
        });
        let roll = FeedbackTally::build(&notes).rollups(&notes, &owners());
        assert_eq!(roll.len(), 2);
        assert_eq!(roll[0].campaign, "ROI");
        assert_eq!((roll[0].works, roll[0].does_not_work), (1, 1));
        assert_eq!(roll[0].last_text, "new");
        assert_eq!(roll[0].last_owner.as_deref(), Some("Sam Ortiz"));
    }

    #[test]
    fn an_edited_latest_note_gives_way_and_an_emptied_campaign_goes() {
        let mut notes = roi_and("Webinar");
        let mut tally = FeedbackTally::build(&notes);
        // The latest ROI note is re-dated before the other; the webinar's becomes plain.
        let old2 = std::mem::replace(
            &mut notes[1],
            note(
                "2",
                "ROI",
                Verdict::DoesNotWork,
                "new",
                "2026-11-10T10:00:00Z",
            ),
        );
        let mut plain = notes[2].clone();
        plain.kind = NoteKind::Plain("x".into());
        let old3 = std::mem::replace(&mut notes[2], plain);
        tally.update(&notes, &[(1, Some(old2)), (2, Some(old3))]);
        assert_eq!(tally, FeedbackTally::build(&notes));
        let roll = tally.rollups(&notes, &owners());
        assert_eq!(roll.len(), 1, "{roll:?}");
        assert_eq!(roll[0].last_text, "old");
    }
}
