use chrono::{DateTime, Utc};

use super::*;
use crate::domain::action::{ActionKind, Actor};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn note(lead: &str, key: &str) -> Action {
    Action {
        id: 0,
        key: key.into(),
        lead_id: lead.into(),
        lead_name: format!("lead {lead}"),
        kind: ActionKind::Feedback {
            campaign: "Webinar".into(),
            verdict: crate::domain::feedback::Verdict::Works,
            text: "good".into(),
        },
        seen: Seen {
            stage: "marketingqualifiedlead".into(),
            status: "OPEN".into(),
            owner_id: None,
            updated_at: at("2026-11-20T10:00:00Z"),
            owner_assigned_at: None,
        },
        actor: Actor {
            user: "ana".into(),
            owner_id: Some("7".into()),
        },
        created_at: at("2026-11-20T10:01:00Z"),
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tandem-outbox-{name}-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SRC: &str = "hubspot@http://x";

#[test]
fn an_entry_survives_reopening_the_file_with_its_actor_and_the_lead_as_seen() {
    let path = scratch("reopen");
    let queued = {
        let outbox = Outbox::open(&path).unwrap();
        outbox
            .enqueue(SRC, note("1", "k1"), 1, "Webinar: works", None)
            .unwrap()
            .unwrap()
    };
    assert!(queued.id > 0);
    let outbox = Outbox::open(&path).unwrap();
    let entries = outbox.recent(SRC, 10).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, queued);
    assert_eq!(entries[0].status, ActionStatus::Queued);
    let audit = outbox.audit_since(at("2026-11-20T00:00:00Z")).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].user.as_str(), audit[0].outcome.as_str()),
        ("ana", "queued")
    );
}

#[test]
fn a_claim_resumes_at_the_recorded_step_and_says_it_was_tried() {
    let outbox = Outbox::in_memory().unwrap();
    let a = outbox
        .enqueue(SRC, note("1", "k1"), 3, "", None)
        .unwrap()
        .unwrap();
    let now = at("2026-11-20T10:02:00Z");
    let first = outbox.claim(SRC, now).unwrap().unwrap();
    assert_eq!((first.steps_done, first.tried_before), (0, false));
    outbox
        .update(a.id, &ActionStatus::Sending { done: 2, total: 3 }, now)
        .unwrap();
    let again = outbox.claim(SRC, now).unwrap().unwrap();
    assert_eq!((again.steps_done, again.tried_before), (2, true));
    outbox.update(a.id, &ActionStatus::Done, now).unwrap();
    assert!(outbox.claim(SRC, now).unwrap().is_none(), "done is done");
    let audit = outbox.audit_since(at("2026-11-20T00:00:00Z")).unwrap();
    assert_eq!(audit[0].outcome, "done");
}

#[test]
fn two_processes_never_hold_one_entry_and_a_dead_holder_frees_it() {
    let path = scratch("lease");
    let one = Outbox::open(&path).unwrap();
    let two = Outbox::open(&path).unwrap();
    one.enqueue(SRC, note("1", "k1"), 1, "", None).unwrap();
    one.enqueue(SRC, note("1", "k2"), 1, "", None).unwrap();
    one.enqueue(SRC, note("2", "k3"), 1, "", None).unwrap();
    let now = at("2026-11-20T10:02:00Z");
    // `two` plays a second process on this host: same pid, so give it another holder name.
    let two = Outbox {
        holder: format!("{}:{}:other", hostname(), std::process::id()),
        ..two
    };
    let a = one.claim(SRC, now).unwrap().unwrap();
    assert_eq!(a.entry.action.key, "k1");
    // Lead 1's next entry waits behind the one `one` holds; lead 2's is free.
    let b = two.claim(SRC, now).unwrap().unwrap();
    assert_eq!(b.entry.action.key, "k3");
    two.update(b.entry.id(), &ActionStatus::Done, now).unwrap();
    assert!(
        two.claim(SRC, now).unwrap().is_none(),
        "lead 1 waits for `one`"
    );
    // A holder whose process is gone frees its lease at once.
    one.conn()
        .execute(
            "UPDATE outbox SET lease = ?1 WHERE key = 'k1'",
            params![format!("{}:999999999:dead", hostname())],
        )
        .unwrap();
    let c = two.claim(SRC, now).unwrap().unwrap();
    assert_eq!((c.entry.action.key.as_str(), c.tried_before), ("k1", true));
    // An expired lease is free too, wherever its holder runs.
    one.conn()
        .execute(
            "UPDATE outbox SET lease = 'elsewhere:1:x', lease_until_ms = ?1 WHERE key = 'k2'",
            params![now.timestamp_millis() - 1],
        )
        .unwrap();
    one.update(c.entry.id(), &ActionStatus::Done, now).unwrap();
    two.update(c.entry.id(), &ActionStatus::Done, now).unwrap();
    let d = one.claim(SRC, now).unwrap().unwrap();
    assert_eq!(d.entry.action.key, "k2");
}

#[test]
fn cancel_drops_only_what_nobody_is_sending_and_a_conflict_requeues_with_the_new_view() {
    let outbox = Outbox::in_memory().unwrap();
    let now = at("2026-11-20T10:02:00Z");
    let a = outbox
        .enqueue(SRC, note("1", "k1"), 1, "", None)
        .unwrap()
        .unwrap();
    let b = outbox
        .enqueue(SRC, note("2", "k2"), 1, "", None)
        .unwrap()
        .unwrap();
    outbox.claim(SRC, now).unwrap();
    assert!(
        !outbox.cancel(a.id, now).unwrap(),
        "being sent: not cancelled"
    );
    assert!(outbox.cancel(b.id, now).unwrap());
    let mut seen = a.seen.clone();
    seen.stage = "opportunity".into();
    outbox
        .conflict(a.id, "stage sql → opportunity", &seen, now)
        .unwrap();
    // Confirmed again: sent over the record as the conflict found it.
    assert!(outbox.requeue(a.id, now).unwrap());
    let again = outbox.claim(SRC, now).unwrap().unwrap();
    assert_eq!(again.entry.action.seen.stage, "opportunity");
    let audit = outbox.audit_since(at("2026-11-20T00:00:00Z")).unwrap();
    let outcomes: Vec<_> = audit.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["queued", "cancelled"]);
}

#[test]
fn a_rotation_turn_is_taken_once_across_cockpits() {
    let path = scratch("turns");
    let one = Outbox::open(&path).unwrap();
    let two = Outbox::open(&path).unwrap();
    let mut handoff = note("1", "h1");
    handoff.kind = ActionKind::HandOff {
        owner_id: "7".into(),
    };
    // Both cockpits proposed from turn 0; the first to confirm takes it.
    assert!(
        one.enqueue(SRC, handoff.clone(), 1, "", Some(("EMEA", 0)))
            .unwrap()
            .is_some()
    );
    handoff.key = "h2".into();
    assert!(
        two.enqueue(SRC, handoff.clone(), 1, "", Some(("EMEA", 0)))
            .unwrap()
            .is_none(),
        "the second is told to look again, and nothing is queued"
    );
    assert_eq!(two.turns(SRC).unwrap().get("EMEA"), Some(&1));
    assert_eq!(two.recent(SRC, 10).unwrap().len(), 1);
    assert!(
        two.enqueue(SRC, handoff, 1, "", Some(("EMEA", 1)))
            .unwrap()
            .is_some()
    );
}

#[test]
fn our_own_last_write_is_remembered_per_lead() {
    let outbox = Outbox::in_memory().unwrap();
    let a = outbox
        .enqueue(SRC, note("1", "k1"), 1, "", None)
        .unwrap()
        .unwrap();
    let b = outbox
        .enqueue(SRC, note("1", "k2"), 1, "", None)
        .unwrap()
        .unwrap();
    outbox.wrote(a.id, at("2026-11-20T10:03:00Z")).unwrap();
    assert_eq!(
        outbox.our_last_write(SRC, "1", b.id).unwrap(),
        Some(at("2026-11-20T10:03:00Z"))
    );
    assert_eq!(outbox.our_last_write(SRC, "1", a.id).unwrap(), None);
    assert_eq!(outbox.our_last_write(SRC, "2", b.id + 1).unwrap(), None);
}

#[test]
fn an_undone_hand_off_gives_its_rotation_turn_back_once() {
    let outbox = Outbox::in_memory().unwrap();
    let mut handoff = note("1", "h1");
    handoff.kind = ActionKind::HandOff {
        owner_id: "7".into(),
    };
    let taken = outbox
        .enqueue(SRC, handoff, 1, "", Some(("EMEA", 0)))
        .unwrap()
        .unwrap();
    assert_eq!(outbox.turns(SRC).unwrap().get("EMEA"), Some(&1));
    outbox.give_back_turn(taken.id).unwrap();
    assert_eq!(outbox.turns(SRC).unwrap().get("EMEA"), Some(&0));
    outbox.give_back_turn(taken.id).unwrap();
    assert_eq!(
        outbox.turns(SRC).unwrap().get("EMEA"),
        Some(&0),
        "given back once, however often asked"
    );
    // A note took no turn: nothing to give back.
    let plain = outbox
        .enqueue(SRC, note("2", "n1"), 1, "", None)
        .unwrap()
        .unwrap();
    outbox.give_back_turn(plain.id).unwrap();
    assert_eq!(outbox.turns(SRC).unwrap().get("EMEA"), Some(&0));
}
