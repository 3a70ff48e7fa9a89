//! Review data: what a reviewer says about a trajectory (per-step labels, trajectory scores and
//! verdict) and the edits they make to it (delete, merge, split a step; fix an action), each kept
//! in an audit log. Types only; [`crate::store`] keeps them and [`crate::review`] applies them.
//!
//! Steps are named by their `t_start` (the time of the action's first event), not by index: an
//! index shifts when a step before it is deleted or split, a start time does not.

use serde::{Deserialize, Serialize};

use super::{ActionKind, Micros};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Correctness {
    Correct,
    Incorrect,
    Redundant,
}

/// How the environment responded to the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum EnvResponse {
    Success,
    Partial,
    Failure,
}

/// A reviewer's label on one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StepLabel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correctness: Option<Correctness>,
    #[serde(default)]
    pub mistake: bool,
    #[serde(default)]
    pub recovery: bool,
    #[serde(default, rename = "unsafe")]
    pub is_unsafe: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_response: Option<EnvResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Reasoning the reviewer corrected or added; exported as a `review` reasoning item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Answers to the campaign rubric's step questions, by question id.
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    #[serde(default)]
    pub reviewer: String,
    /// RFC 3339.
    #[serde(default)]
    pub updated_at: String,
}

impl StepLabel {
    /// True when the label says nothing (clearing every field removes the label).
    pub fn is_empty(&self) -> bool {
        self.correctness.is_none() && !self.mistake && !self.recovery && !self.is_unsafe && self.env_response.is_none() && self.comment.is_none() && self.reasoning.is_none() && self.answers.is_empty()
    }
}

/// A campaign's own questions, asked beside the built-in labels: per step or per trajectory,
/// answered yes/no, by one of a list of choices, on a 1–5 scale or in words. Labs change what
/// they ask for; the built-in labels stay the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Rubric {
    pub questions: Vec<RubricQuestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RubricQuestion {
    /// What answers are keyed by: lowercase letters, digits and `_`, unique in the rubric.
    pub id: String,
    /// The question as reviewers read it.
    pub text: String,
    pub scope: RubricScope,
    pub kind: AnswerKind,
    /// The choices of a `choice` question (two or more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RubricScope {
    /// Asked of every step (answers in the step's label).
    Step,
    /// Asked once of the whole trajectory (answers in the trajectory review).
    Trajectory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    YesNo,
    Choice,
    /// 1 (poor) to 5 (excellent), like the built-in scores.
    Scale,
    Text,
}

/// One answer: `true`/`false` to a yes/no question, 1–5 on a scale, the option chosen or the
/// words written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
#[serde(untagged)]
pub enum Answer {
    Yes(bool),
    Scale(u8),
    Text(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Yes(true) => f.write_str("yes"),
            Self::Yes(false) => f.write_str("no"),
            Self::Scale(v) => write!(f, "{v}/5"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// Answers by question id.
pub type Answers = std::collections::BTreeMap<String, Answer>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    NeedsEdit,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::NeedsEdit => "needs_edit",
            Self::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "approved" => Self::Approved,
            "needs_edit" | "needs-edit" => Self::NeedsEdit,
            "rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// Scores of a whole trajectory, each 1 (poor) to 5 (excellent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Scores {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_completion: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_handling: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<u8>,
}

impl Scores {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;
    pub fn all(&self) -> [(&'static str, Option<u8>); 4] {
        [("goal_completion", self.goal_completion), ("efficiency", self.efficiency), ("error_handling", self.error_handling), ("safety", self.safety)]
    }
}

/// The reviewer's judgement of the whole trajectory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TrajectoryReview {
    #[serde(default)]
    pub scores: Scores,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Answers to the campaign rubric's trajectory questions, by question id.
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    #[serde(default)]
    pub reviewer: String,
    #[serde(default)]
    pub updated_at: String,
}

/// What a reviewer may correct in an action; fields left out keep the recorded value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ActionFix {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ActionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_dx: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_dy: Option<i32>,
}

/// A change to the steps themselves. `step` is the step's `t_start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StepEdit {
    Delete {
        step: Micros,
    },
    /// Merge the step with the one after it.
    Merge {
        step: Micros,
    },
    /// Split the step's action at `at`: its input events before `at` and from `at` on become two steps.
    Split {
        step: Micros,
        at: Micros,
    },
    FixAction {
        step: Micros,
        fix: ActionFix,
    },
}

impl StepEdit {
    pub fn step(&self) -> Micros {
        match self {
            Self::Delete { step } | Self::Merge { step } | Self::Split { step, .. } | Self::FixAction { step, .. } => *step,
        }
    }
}

/// One entry of the audit log: every change a reviewer makes, with what it replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ReviewChange {
    Label {
        step: Micros,
        before: Option<StepLabel>,
        after: Option<StepLabel>,
    },
    Trajectory {
        before: Option<TrajectoryReview>,
        after: TrajectoryReview,
    },
    Edit {
        edit: StepEdit,
    },
    /// A spoken utterance's transcript corrected; `utterance` is its start time.
    Transcript {
        utterance: Micros,
        before: Option<String>,
        after: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AuditEntry {
    /// Globally unique (UUIDv7 for entries made since the ids were introduced), so logs from
    /// many machines can be merged.
    pub id: String,
    /// Order within this library.
    pub seq: i64,
    pub at: String,
    pub reviewer: String,
    #[serde(flatten)]
    pub change: ReviewChange,
    /// Undone entries stay in the log.
    pub undone: bool,
}

/// Everything reviewers said about one recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ReviewState {
    pub trajectory: Option<TrajectoryReview>,
    /// By step `t_start`.
    pub labels: std::collections::BTreeMap<Micros, StepLabel>,
    /// Oldest first.
    pub log: Vec<AuditEntry>,
    /// Corrected transcripts by utterance start, with who corrected them.
    #[serde(default)]
    pub transcripts: std::collections::BTreeMap<Micros, (String, String)>,
}

impl ReviewState {
    /// The state an audit log leaves: every entry still in force, replayed oldest first. Undo
    /// always takes back the latest entry in force, so skipping undone entries gives the same
    /// labels, review, corrections and edits as applying and undoing them did. How a log kept
    /// outside a library (the hub's reviews, in PostgreSQL) becomes a state.
    pub fn from_log(log: Vec<AuditEntry>) -> ReviewState {
        let mut state = ReviewState::default();
        for e in log.iter().filter(|e| !e.undone) {
            match &e.change {
                ReviewChange::Label { step, after: Some(label), .. } => {
                    state.labels.insert(*step, label.clone());
                }
                ReviewChange::Label { step, after: None, .. } => {
                    state.labels.remove(step);
                }
                ReviewChange::Trajectory { after, .. } => state.trajectory = Some(after.clone()),
                ReviewChange::Transcript { utterance, after: Some(text), .. } => {
                    state.transcripts.insert(*utterance, (text.clone(), e.reviewer.clone()));
                }
                ReviewChange::Transcript { utterance, after: None, .. } => {
                    state.transcripts.remove(utterance);
                }
                ReviewChange::Edit { .. } => {}
            }
        }
        state.log = log;
        state
    }

    /// Edits in force (not undone), oldest first.
    pub fn edits(&self) -> impl Iterator<Item = &StepEdit> {
        self.log.iter().filter(|e| !e.undone).filter_map(|e| match &e.change {
            ReviewChange::Edit { edit } => Some(edit),
            _ => None,
        })
    }
}
