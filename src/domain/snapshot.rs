//! Everything the panes show, derived once per data change from the store's records.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::attribution::Model;
pub use super::board::stage_index;
use super::board::{Board, BoardInput};
use super::business_hours::BusinessCalendar;
use super::kpi::tally::{LeadPart, LeadTally};
use super::kpi::{self, DealDates, Kpi, KpiInput, Period, PeriodKind, Targets};
use super::lead::{Deal, DealStage, Lead, Note, Owner};
use super::pipeline::{Pipeline, PipelineInput};
pub use super::rollup::FeedbackRollup;
use super::rollup::FeedbackTally;
use super::sla::SlaDef;

use super::timeline::Timeline;

/// The records a snapshot is built from.
#[derive(Clone, Copy)]
pub struct SnapshotInput<'a> {
    pub leads: &'a [Lead],
    pub deals: &'a [Deal],
    pub deal_stages: &'a [DealStage],
    pub notes: &'a [Note],
    pub owners: &'a [Owner],
    pub slas: &'a [SlaDef],
    pub calendar: &'a BusinessCalendar,
    pub targets: &'a Targets,
    pub period: PeriodKind,
    /// For the time-decay attribution model.
    pub half_life: chrono::Duration,
    /// The stage rules timelines are classified with.
    pub stages: &'a crate::domain::catalog::StageCatalog,
    /// Under a person or team lens: every lead and the lens's rule, for the cohorts.
    pub by_owner: Option<(&'a [Lead], &'a crate::domain::lens::ByOwner)>,
    /// Lead id → index into `leads`, where the caller keeps one; else built per snapshot.
    pub lead_index: Option<&'a dyn LeadPlaces>,
}

/// How many periods the KPI sparklines look back, the current one included.
pub const HISTORY: u32 = 6;

/// Open pipeline credited to each campaign under one attribution model.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributed {
    pub model: Model,
    /// Most credited first.
    pub campaigns: Vec<(String, f64)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Stage counts, each stage's leads most urgent first, and the running SLA clocks:
    /// kept lead by lead as data changes.
    pub board: Board,
    pub kpis: Vec<Kpi>,
    /// Per KPI id, its value over the last [`HISTORY`] periods, oldest first (none where the
    /// sample was too small).
    pub kpi_history: HashMap<&'static str, Vec<Option<f64>>>,
    /// Open pipeline by campaign, for every attribution model.
    pub attribution: Vec<Attributed>,
    pub period: Option<Period>,
    /// Campaigns with feedback, most recently discussed first.
    pub feedback: Vec<FeedbackRollup>,
    /// The lead-counted sums of each period of the history, oldest first: a change of k
    /// leads moves them by k parts out and k in.
    tallies: Vec<(Period, LeadTally)>,
    /// The open pipeline deal by deal: what a changed lead's deals credit is recounted
    /// for those deals alone.
    pipeline: Pipeline,
    /// Each deal's stage dated, redated deal by deal.
    deal_dates: DealDates,
    /// The counts behind `feedback`, kept note by note.
    feedback_tally: FeedbackTally,
}

/// What changed since a snapshot was built, each record once, by index.
#[derive(Debug, Clone, Copy, Default)]
pub struct Changes<'c> {
    pub leads: &'c [Changed],
    pub deals: &'c [ChangedDeal],
    pub notes: &'c [ChangedNote],
}

/// Where each lead sits in the leads a snapshot reads, by id.
pub trait LeadPlaces {
    fn place_of(&self, id: &str) -> Option<usize>;
}

/// Built per snapshot when the caller keeps no index (foldhash: seeded, quick on short ids).
type LeadIndex = HashMap<String, usize, foldhash::fast::RandomState>;

impl LeadPlaces for LeadIndex {
    fn place_of(&self, id: &str) -> Option<usize> {
        self.get(id).copied()
    }
}

struct LeadFinder<'a> {
    leads: &'a [Lead],
    index: Option<&'a dyn LeadPlaces>,
    built: LeadIndex,
}

impl<'a> LeadFinder<'a> {
    fn find(&self, id: &str) -> Option<&'a Lead> {
        let i = match self.index {
            Some(index) => index.place_of(id)?,
            None => *self.built.get(id)?,
        };
        self.leads.get(i)
    }
}

/// Parts of the last snapshot still true (or brought up to date) after a change.
#[derive(Default)]
struct Reuse {
    pipeline: Option<Pipeline>,
    deal_dates: Option<DealDates>,
    attribution: Option<Vec<Attributed>>,
    feedback: Option<(FeedbackTally, Vec<FeedbackRollup>)>,
}

/// A lead that changed since a snapshot was built: its index and, if it was held before,
/// the version that snapshot counted.
pub type Changed = (usize, Option<Lead>);
/// A deal that changed or arrived: its index and the version the snapshot counted.
pub type ChangedDeal = (usize, Option<Deal>);
/// A note that changed or arrived: its index and the version the snapshot counted.
pub type ChangedNote = (usize, Option<Note>);

/// The periods of the KPI history, oldest first, the current one last.
fn periods(kind: PeriodKind, now: DateTime<Utc>) -> Vec<Period> {
    let mut out: Vec<Period> = (1..HISTORY)
        .rev()
        .map(|back| Period::previous(kind, now, back))
        .collect();
    out.push(Period::current(kind, now));
    out
}

impl Snapshot {
    pub fn build(input: &SnapshotInput<'_>, now: DateTime<Utc>) -> Snapshot {
        // The board and the period sums read the same leads and share nothing: on two
        // cores, a start at 1M leads waits for the longer of them, not for both.
        let board_input = input.board();
        let (board, tallies, pipeline) = std::thread::scope(|s| {
            let board = s.spawn(move || Board::build(&board_input));
            let tallies = tallies_of(input, now, &periods(input.period, now));
            let pipeline = input.pipeline(Pipeline::build);
            let board = board
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (board, tallies, pipeline)
        });
        let reuse = Reuse {
            pipeline: Some(pipeline),
            ..Reuse::default()
        };
        Snapshot::assemble(board, tallies, input, now, reuse)
    }

    /// Bring the snapshot up to date after `changes` (each lead once; no record removed):
    /// the board and the lead-counted sums move by the changed leads alone, and the
    /// figures are assembled from them again; attribution and feedback are kept unless what
    /// they read changed. Under a lens, or in another period, it is built afresh.
    pub fn update(&mut self, input: &SnapshotInput<'_>, changes: &Changes<'_>, now: DateTime<Utc>) {
        let changed = changes.leads;
        let current = Period::current(input.period, now);
        if input.by_owner.is_some()
            || self.period != Some(current)
            || self.tallies.len() != HISTORY as usize
        {
            *self = Snapshot::build(input, now);
            return;
        }
        let mut board = std::mem::take(&mut self.board);
        let indices: Vec<usize> = changed.iter().map(|(i, _)| *i).collect();
        board.update(&input.board(), &indices);
        let mut tallies = std::mem::take(&mut self.tallies);
        let everyone = |_: &Timeline, _: DateTime<Utc>| true;
        let part =
            |l: &Lead, t: &Timeline, p: &Period| LeadPart::of(l, t, p, &everyone, input.calendar);
        for (i, old) in changed {
            let was = old.as_ref().map(|l| (l, Timeline::of(l, input.stages)));
            let is = input
                .leads
                .get(*i)
                .map(|l| (l, Timeline::of(l, input.stages)));
            for (p, tally) in &mut tallies {
                if let Some((l, t)) = &was {
                    tally.remove(&part(l, t, p));
                }
                if let Some((l, t)) = &is {
                    tally.add(&part(l, t, p));
                }
            }
        }
        // The pipeline reads deals and their contacts; feedback reads notes. Each follows
        // the records that changed.
        let mut pipeline = std::mem::take(&mut self.pipeline);
        let ids = || {
            changed
                .iter()
                .filter_map(|(i, _)| input.leads.get(*i))
                .map(|l| l.id.as_str())
        };
        let mut recounted = false;
        if !changes.deals.is_empty() {
            input.pipeline(|p| pipeline.update_deals(p, changes.deals));
            recounted = true;
        }
        if pipeline.has_contact(ids()) {
            input.pipeline(|p| pipeline.update(p, ids()));
            recounted = true;
        }
        let attribution = (!recounted).then(|| std::mem::take(&mut self.attribution));
        let mut deal_dates = std::mem::take(&mut self.deal_dates);
        if !changes.deals.is_empty() {
            let at: Vec<usize> = changes.deals.iter().map(|(i, _)| *i).collect();
            deal_dates.update(input.deals, input.deal_stages, &at);
        }
        let mut tally = std::mem::take(&mut self.feedback_tally);
        let feedback = if changes.notes.is_empty() {
            std::mem::take(&mut self.feedback)
        } else {
            tally.update(input.notes, changes.notes);
            tally.rollups(input.notes, input.owners)
        };
        let reuse = Reuse {
            pipeline: Some(pipeline),
            deal_dates: Some(deal_dates),
            attribution,
            feedback: Some((tally, feedback)),
        };
        *self = Snapshot::assemble(board, tallies, input, now, reuse);
    }

    /// The figures from the board and each period's lead-counted sums.
    fn assemble(
        board: Board,
        tallies: Vec<(Period, LeadTally)>,
        input: &SnapshotInput<'_>,
        now: DateTime<Utc>,
        reuse: Reuse,
    ) -> Snapshot {
        let mut history: HashMap<&'static str, Vec<Option<f64>>> = HashMap::new();
        let mut kpis = Vec::new();
        let pipeline = reuse
            .pipeline
            .unwrap_or_else(|| input.pipeline(Pipeline::build));
        let dates = reuse
            .deal_dates
            .unwrap_or_else(|| DealDates::of(input.deals, input.deal_stages));
        let figures = figures_of(input, &board, &tallies, now, (&pipeline, &dates));
        for figures in figures {
            for k in &figures {
                history.entry(k.id).or_default().push(k.shown());
            }
            kpis = figures;
        }
        let period = tallies.last().map(|(p, _)| *p);
        let attribution = reuse
            .attribution
            .unwrap_or_else(|| pipeline.attribution(input.half_life));
        let (feedback_tally, feedback) = reuse.feedback.unwrap_or_else(|| {
            let tally = FeedbackTally::build(input.notes);
            let rollups = tally.rollups(input.notes, input.owners);
            (tally, rollups)
        });
        Snapshot {
            attribution,
            pipeline,
            deal_dates: dates,
            feedback,
            feedback_tally,
            board,
            kpis,
            kpi_history: history,
            period,
            tallies,
        }
    }
}

/// Every KPI over each of `periods` as a snapshot at `now` computes them (its history
/// and its current period): the same board, tallies, pipeline and deal dates. For replays.
pub fn kpis_over(
    input: &SnapshotInput<'_>,
    now: DateTime<Utc>,
    periods: &[Period],
) -> Vec<Vec<Kpi>> {
    let board = Board::build(&input.board());
    let tallies = tallies_of(input, now, periods);
    let pipeline = input.pipeline(Pipeline::build);
    let dates = DealDates::of(input.deals, input.deal_stages);
    figures_of(input, &board, &tallies, now, (&pipeline, &dates))
}

/// Each period's lead-counted sums, every lead's timeline built once for all of them.
fn tallies_of(
    input: &SnapshotInput<'_>,
    now: DateTime<Utc>,
    periods: &[Period],
) -> Vec<(Period, LeadTally)> {
    let tallies = kpi::tallies(&input.kpis(&[], now, None), periods);
    periods.iter().copied().zip(tallies).collect()
}

/// Every KPI of each period, from its sums, the board's clocks and the deals.
fn figures_of(
    input: &SnapshotInput<'_>,
    board: &Board,
    tallies: &[(Period, LeadTally)],
    now: DateTime<Utc>,
    (pipeline, dates): (&Pipeline, &DealDates),
) -> Vec<Vec<Kpi>> {
    let index = input.lead_finder();
    let lead_of = |id: &str| index.find(id);
    let kpi_input = KpiInput {
        urgent: Some(board.urgent()),
        ..input.kpis(&board.timers, now, Some(&lead_of))
    };
    let per_period: Vec<(Period, &LeadTally)> = tallies.iter().map(|(p, t)| (*p, t)).collect();
    let marketing = Some(pipeline.marketing(input.deals));
    kpi::compute_periods(
        &kpi_input,
        &per_period,
        input.targets,
        marketing,
        Some(dates),
    )
}

impl<'a> SnapshotInput<'a> {
    /// Finds this input's leads by id: through the caller's index where it keeps one, else
    /// through one built here.
    fn lead_finder(&self) -> LeadFinder<'a> {
        LeadFinder {
            leads: self.leads,
            index: self.lead_index,
            built: match self.lead_index {
                Some(_) => LeadIndex::default(),
                None => (self.leads.iter().enumerate())
                    .map(|(i, l)| (l.id.to_string(), i))
                    .collect(),
            },
        }
    }

    /// Run `f` on the pipeline's input: this input's deals, looking leads up by id.
    fn pipeline<T>(&self, f: impl FnOnce(&PipelineInput<'_>) -> T) -> T {
        let index = self.lead_finder();
        let lead_of = |id: &str| index.find(id);
        f(&PipelineInput {
            deals: self.deals,
            deal_stages: self.deal_stages,
            lead_of: &lead_of,
            half_life: self.half_life,
        })
    }

    fn kpis(
        &self,
        timers: &'a [crate::domain::sla::SlaTimer],
        now: DateTime<Utc>,
        lead_of: Option<kpi::LeadOf<'a>>,
    ) -> KpiInput<'a> {
        KpiInput {
            leads: self.leads,
            timers,
            now,
            deals: self.deals,
            deal_stages: self.deal_stages,
            calendar: self.calendar,
            stages: self.stages,
            by_owner: self.by_owner,
            timelines: None,
            lead_of,
            urgent: None,
        }
    }

    fn board(&self) -> BoardInput<'a> {
        BoardInput {
            leads: self.leads,
            slas: self.slas,
            calendar: self.calendar,
            stages: self.stages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::tests_support::lead_in;
    use crate::domain::stage::Stage;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn counts_timers_and_urgency_order() {
        let now = at("2026-11-20T15:00:00Z");
        let mut a = lead_in(Stage::Mql);
        a.id = "a".into();
        a.dates.set_mql(Some(at("2026-11-20T10:00:00Z")));
        let mut b = lead_in(Stage::Mql);
        b.id = "b".into();
        b.dates.set_mql(Some(at("2026-11-19T10:00:00Z")));
        let mut c = lead_in(Stage::Customer);
        c.id = "c".into();
        let mut d = lead_in(Stage::Inquiry);
        d.id = "d".into();
        d.stage = None;
        let leads = vec![a, b, c, d];
        let slas = crate::config::Config::builtin().slas;
        let cal = BusinessCalendar::default();
        let snap = Snapshot::build(
            &SnapshotInput {
                leads: &leads,
                deals: &[],
                deal_stages: &[],
                notes: &[],
                owners: &[],
                slas: &slas,
                calendar: &cal,
                targets: &Targets::default(),
                period: PeriodKind::Week,
                half_life: chrono::Duration::days(7),
                stages: &crate::config::Config::builtin().stages,
                by_owner: None,
                lead_index: None,
            },
            now,
        );
        assert_eq!(snap.board.counts[stage_index(Stage::Mql)], 2);
        assert_eq!(snap.board.counts[stage_index(Stage::Customer)], 1);
        assert_eq!(snap.board.unmapped, 1);
        // b entered MQL a day earlier, so it is more overdue and listed first.
        let mqls: Vec<usize> = snap.board.stage_leads[stage_index(Stage::Mql)]
            .iter()
            .collect();
        assert_eq!(mqls, vec![1, 0]);
        assert_eq!(snap.board.timers.len(), 2);
        assert_eq!(snap.board.timers[0].lead_id, "b");
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod update_tests;
