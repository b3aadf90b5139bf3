//! What each action sends to Salesforce: its plan, a list of named steps in order. Each
//! step's check and request live in `write.rs`, matched on the step.

use crate::domain::action::ActionKind;

/// - hand-off: PATCH the owner (and `Marketing Qualified` when the lead is still open);
/// - accept: PATCH the owner and `Working - Contacted`;
/// - recycle, or a reject that recycles: PATCH `Nurture` with the nurture owner, then the
///   `#recycle` Task (due on the revisit day);
/// - reject: PATCH `Closed - Not Converted`, then the `#reject` Task;
/// - note: the Task;
/// - undo: PATCH status and owner back, then delete the undone action's Task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    HandOff,
    Accept,
    Nurture,
    Disqualify,
    Task,
    Restore,
    WithdrawTask,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::HandOff => "owner set, the lead waiting as Marketing Qualified",
            Step::Accept => "owner and status Working - Contacted set",
            Step::Nurture => "status Nurture and the nurture owner set",
            Step::Disqualify => "status Closed - Not Converted set",
            Step::Task => "task logged",
            Step::Restore => "status and owner put back",
            Step::WithdrawTask => "task deleted",
        }
    }
}

/// The steps of `kind`, in the order they are sent.
pub fn plan(kind: &ActionKind) -> Vec<Step> {
    match kind {
        ActionKind::HandOff { .. } => vec![Step::HandOff],
        ActionKind::Accept { .. } => vec![Step::Accept],
        ActionKind::Feedback { .. } => vec![Step::Task],
        ActionKind::Recycle { .. } | ActionKind::Reject { recycle: true, .. } => {
            vec![Step::Nurture, Step::Task]
        }
        ActionKind::Reject { recycle: false, .. } => vec![Step::Disqualify, Step::Task],
        ActionKind::Restore { withdraw_note, .. } => {
            let mut steps = vec![Step::Restore];
            if *withdraw_note {
                steps.push(Step::WithdrawTask);
            }
            steps
        }
    }
}

pub fn step_count(kind: &ActionKind) -> u8 {
    u8::try_from(plan(kind).len()).unwrap_or(u8::MAX)
}

pub fn step_names(kind: &ActionKind) -> Vec<&'static str> {
    plan(kind).into_iter().map(Step::name).collect()
}
