//! A snapshot kept up to date change by change against one built from scratch: random
//! leads and deals, random sequences of replaced and new leads, the clock moving between
//! them (across periods too). Every figure, list and sum must be equal.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::config::Config;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::stage::Stage;

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T13:00:00Z")
        .unwrap()
        .to_utc()
}

/// A lead as numbers: stage (8 = unmapped), days back of its first date, which later
/// dates it has (bits), touch offsets in hours, owner.
type Spec = (u8, i64, u8, Vec<i64>, u8);

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..9,
        0i64..70,
        any::<u8>(),
        prop::collection::vec(-48i64..400, 0..3),
        0u8..3,
    )
}

fn lead_of(id: usize, (stage, back, bits, touches, owner): &Spec) -> Lead {
    let stage_at = Stage::ALL.get(usize::from(*stage)).copied();
    let mut l = lead_in(stage_at.unwrap_or(Stage::Inquiry));
    l.stage = stage_at;
    l.id = format!("{id:03}").into();
    l.owner_id = Some(format!("{owner}").into());
    let first = base() - Duration::days(*back) - Duration::hours(i64::from(bits % 7));
    let step = |n: i64| Some(first + Duration::hours(n * 20));
    l.dates.set_created(Some(first));
    let has = |bit: u8| bits & (1 << bit) != 0;
    l.dates.set_mql(has(0).then(|| step(1)).flatten());
    l.dates.set_accepted(has(1).then(|| step(2)).flatten());
    l.dates.set_sql(has(2).then(|| step(3)).flatten());
    l.dates.set_opportunity(has(3).then(|| step(4)).flatten());
    l.dates
        .set_customer((has(4) && has(3)).then(|| step(5)).flatten());
    let mql = l.dates.mql().unwrap_or(first);
    let mut history = l.history.lists();
    for (k, h) in touches.iter().enumerate() {
        let at = mql + Duration::hours(*h);
        if has(5) {
            history.sales_touches.push(at);
        } else if l.dates.first_sales_activity().is_none() {
            l.dates.set_first_sales_activity(Some(at));
        }
        history.marketing_touches.push(at + Duration::hours(3));
        (history.campaigns).push((at, format!("campaign {}", k % 2).into()));
    }
    history.sales_touches.sort();
    history.marketing_touches.sort();
    l.history = history.into();
    if has(6) {
        l.source_channel = "paid_search".into();
    }
    l
}

fn deals_of(leads: usize, amounts: &[(u16, u8, usize)]) -> Vec<Deal> {
    amounts
        .iter()
        .enumerate()
        .filter(|_| leads > 0)
        .map(|(i, (amount, stage, contact))| Deal {
            id: format!("d{i}"),
            name: format!("deal {i}"),
            amount: f64::from(*amount),
            stage_id: ["open", "won", "lost"][usize::from(*stage % 3)].into(),
            created_at: Some(base() - Duration::days(i64::from(*amount % 40))),
            close_date: Some(base() - Duration::days(i64::from(*amount % 30)) + Duration::days(9)),
            owner_id: None,
            contact_ids: vec![format!("{:03}", contact % leads)],
            updated_at: base(),
            stage_history: Vec::new(),
        })
        .collect()
}

fn deal_stages() -> Vec<DealStage> {
    let stage = |id: &str, order, is_closed, is_won| DealStage {
        id: id.into(),
        label: id.into(),
        order,
        is_closed,
        is_won,
    };
    vec![
        stage("open", 0, false, false),
        stage("won", 1, true, true),
        stage("lost", 2, true, false),
    ]
}

fn input<'a>(
    (leads, deals, notes): (&'a [Lead], &'a [Deal], &'a [Note]),
    stages: &'a [DealStage],
    config: &'a Config,
    period: PeriodKind,
) -> SnapshotInput<'a> {
    SnapshotInput {
        leads,
        deals,
        deal_stages: stages,
        notes,
        owners: &[],
        slas: &config.slas,
        calendar: &config.calendar,
        targets: &config.targets,
        period,
        half_life: chrono::Duration::days(7),
        stages: &config.stages,
        by_owner: None,
        lead_index: None,
    }
}

/// A round: some leads replaced (index modulo the count) or added; deals changed (index,
/// or a new deal; amount, stage, contact) and feedback notes added or replaced (index,
/// campaign, days back, plain), then the clock moves.
type Round = (
    Vec<(Option<usize>, Spec)>,
    Vec<(Option<usize>, u16, u8, usize)>,
    Vec<(Option<usize>, u8, u8, bool)>,
    i64,
);

fn round() -> impl Strategy<Value = Round> {
    (
        prop::collection::vec((prop::option::weighted(0.8, 0usize..1000), spec()), 0..5),
        prop::collection::vec(
            (
                prop::option::weighted(0.7, any::<usize>()),
                any::<u16>(),
                any::<u8>(),
                any::<usize>(),
            ),
            0..3,
        ),
        prop::collection::vec(
            (
                prop::option::weighted(0.6, any::<usize>()),
                0u8..3,
                0u8..4,
                prop::bool::weighted(0.2),
            ),
            0..3,
        ),
        0i64..(4 * 24),
    )
}

/// Replace the record at `at` (modulo the count), or add one, noting the version it
/// replaced once per round (the first, which the snapshot counted).
fn put<T>(rows: &mut Vec<T>, at: Option<usize>, row: T, changed: &mut Vec<(usize, Option<T>)>) {
    let i = match at {
        Some(at) if !rows.is_empty() => at % rows.len(),
        _ => rows.len(),
    };
    let old = if i < rows.len() {
        Some(std::mem::replace(&mut rows[i], row))
    } else {
        rows.push(row);
        None
    };
    if !changed.iter().any(|(j, _)| *j == i) {
        changed.push((i, old));
    }
}

fn feedback(n: usize, campaign: u8, at: DateTime<Utc>) -> Note {
    use crate::domain::feedback::{NoteKind, Verdict};
    Note {
        id: format!("n{n}").into(),
        lead_ids: thin_vec::thin_vec![],
        owner_id: None,
        at,
        kind: NoteKind::Feedback {
            campaign: format!("campaign {campaign}"),
            verdict: if n.is_multiple_of(2) {
                Verdict::Works
            } else {
                Verdict::DoesNotWork
            },
            text: format!("note {n}"),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn updating_change_by_change_equals_building_from_scratch(
        start in prop::collection::vec(spec(), 0..30),
        amounts in prop::collection::vec((any::<u16>(), any::<u8>(), any::<usize>()), 0..6),
        period in prop_oneof![Just(PeriodKind::Week), Just(PeriodKind::Month)],
        rounds in prop::collection::vec(round(), 1..5),
    ) {
        let config = Config::builtin();
        let stages = deal_stages();
        let mut leads: Vec<Lead> = start.iter().enumerate().map(|(i, s)| lead_of(i, s)).collect();
        let mut deals = deals_of(leads.len(), &amounts);
        let mut notes: Vec<Note> = Vec::new();
        let mut now = base();
        let mut snap = Snapshot::build(&input((&leads, &deals, &notes), &stages, &config, period), now);
        for (changes, deal_changes, note_changes, hours) in rounds {
            let mut changed: Vec<Changed> = Vec::new();
            for (at, spec) in changes {
                let i = match at {
                    Some(at) if !leads.is_empty() => at % leads.len(),
                    _ => leads.len(),
                };
                put(&mut leads, at, lead_of(i, &spec), &mut changed);
            }
            let mut changed_deals: Vec<ChangedDeal> = Vec::new();
            for (at, amount, stage, contact) in deal_changes.into_iter().filter(|_| !leads.is_empty()) {
                // A deal's amount, stage and contact change; a new deal joins a lead.
                let mut d = deals_of(leads.len(), &[(amount, stage, contact)]).remove(0);
                d.id = match at {
                    Some(at) if !deals.is_empty() => deals[at % deals.len()].id.clone(),
                    _ => format!("d{}", deals.len()),
                };
                put(&mut deals, at, d, &mut changed_deals);
            }
            let mut changed_notes: Vec<ChangedNote> = Vec::new();
            for (at, campaign, back, plain) in note_changes {
                let n = at.map_or(notes.len(), |at| at % notes.len().max(1));
                let mut note = feedback(n, campaign, now - Duration::days(i64::from(back)));
                if plain {
                    note.kind = crate::domain::feedback::NoteKind::Plain("call me".into());
                }
                put(&mut notes, at, note, &mut changed_notes);
            }
            changed_deals.sort_unstable_by_key(|(i, _)| *i);
            changed_notes.sort_unstable_by_key(|(i, _)| *i);
            now += Duration::hours(hours);
            let shown = input((&leads, &deals, &notes), &stages, &config, period);
            let what = Changes {
                leads: &changed,
                deals: &changed_deals,
                notes: &changed_notes,
            };
            snap.update(&shown, &what, now);
            let fresh = Snapshot::build(&shown, now);
            prop_assert_eq!(&snap, &fresh);
        }
    }
}
