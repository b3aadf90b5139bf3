//! What each action sends: its plan, a list of named steps in the order they are sent.
//! Each step's check and request live on [`super::HubSpot`] (`write.rs`), matched on the
//! step, so there is one place per question and nothing to keep in step by hand.

use crate::domain::action::ActionKind;

/// Each action as a small saga of writes, in an order that never needs undoing: a
/// refused or interrupted step is resumed, never compensated (putting an old stage back
/// would re-stamp its `hs_lifecyclestage_<stage>_date` and corrupt the history).
///
/// - hand-off: 1 step, one PATCH of owner and (forward only) stage MQL;
/// - recycle: 3 steps, PATCH status `BAD_TIMING` with the stage cleared (HubSpot refuses a
///   backward move otherwise), PATCH stage `lead`, then the `#recycle` note;
/// - note: 1 step, the POST.
/// - undo: PATCH status and owner back (clearing the stage when going back needs it), PATCH
///   the stage back with every stage date and the revisit day *as they were before the
///   action* (from the contact's history), so HubSpot does not stamp them anew; then, for
///   a recycle or a rejection, archive its note so it no longer counts.
/// - accept: 1 step, PATCH owner (the user) and status `OPEN`: the MQL is in SAL;
/// - reject: as a recycle (then the `#reject` note) when the reason recycles, else PATCH
///   status `UNQUALIFIED` and the `#reject` note.
pub fn step_count(kind: &ActionKind) -> u8 {
    u8::try_from(plan(kind).len()).unwrap_or(u8::MAX)
}

/// What each step does, in words, so a refusal can name the steps already applied.
pub fn step_names(kind: &ActionKind) -> Vec<&'static str> {
    plan(kind).into_iter().map(Step::name).collect()
}

/// One write of an action's saga. [`plan`] lists an action's steps in order; each has its
/// name, its check ("already applied?", [`HubSpot::step_applied`]) and its request
/// ([`HubSpot::run_step`]): the one place that says what an action sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// PATCH the owner (and the stage forward to MQL).
    HandOff,
    /// PATCH the owner and status `OPEN`.
    Accept,
    /// PATCH status `BAD_TIMING` with the stage cleared, the nurture owner and revisit day.
    NurtureStatus,
    /// PATCH the stage `lead`.
    NurtureStage,
    /// PATCH status `UNQUALIFIED`.
    Disqualify,
    /// POST the action's note, carrying its key.
    Note,
    /// PATCH status, owner and assignment date back.
    RestoreStatus,
    /// PATCH the stage back with every stage date and the revisit day as they were.
    RestoreStage,
    /// Archive the undone action's note.
    WithdrawNote,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::HandOff => "owner set, the lead waiting in mql for the rep",
            Step::Accept => "owner and status OPEN set",
            Step::NurtureStatus => "status BAD_TIMING set and stage cleared",
            Step::NurtureStage => "stage set to lead",
            Step::Disqualify => "status UNQUALIFIED set",
            Step::Note => "note posted",
            Step::RestoreStatus => "status and owner put back",
            Step::RestoreStage => "stage put back",
            Step::WithdrawNote => "note withdrawn",
        }
    }
}

/// The steps of `kind`, in the order they are sent.
pub fn plan(kind: &ActionKind) -> Vec<Step> {
    match kind {
        ActionKind::HandOff { .. } => vec![Step::HandOff],
        ActionKind::Accept { .. } => vec![Step::Accept],
        ActionKind::Feedback { .. } => vec![Step::Note],
        ActionKind::Recycle { .. } | ActionKind::Reject { recycle: true, .. } => {
            vec![Step::NurtureStatus, Step::NurtureStage, Step::Note]
        }
        ActionKind::Reject { recycle: false, .. } => vec![Step::Disqualify, Step::Note],
        ActionKind::Restore { withdraw_note, .. } => {
            let mut steps = vec![Step::RestoreStatus, Step::RestoreStage];
            if *withdraw_note {
                steps.push(Step::WithdrawNote);
            }
            steps
        }
    }
}
