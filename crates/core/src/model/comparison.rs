//! Side-by-side comparison data: a reviewer's judgement of two recordings of the same task by
//! different experts — which is better overall and per criterion, why, and which of each aligned
//! pair of steps is better. Types only; [`crate::review::compare`] checks them and aligns the
//! steps, [`crate::store`] keeps them, the `preferences` export turns them into preference pairs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Micros;

/// Which of the two is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Preference {
    A,
    B,
    Tie,
}

impl Preference {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b",
            Self::Tie => "tie",
        }
    }
}

/// A preference between a step of A and the step of B aligned with it (each named by its start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StepPreference {
    pub a: Micros,
    pub b: Micros,
    pub prefer: Preference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One reviewer's comparison of recordings `a` and `b` of task `task_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Comparison {
    /// Unique (a UUID): the same comparison published twice is one.
    pub id: String,
    pub task_id: String,
    pub instruction: String,
    pub a: String,
    pub b: String,
    pub overall: Preference,
    /// Per criterion (the built-in `goal_completion`, `efficiency`, `safety`, and the campaign
    /// rubric's trajectory questions, by id); a criterion left out was not judged.
    #[serde(default)]
    pub criteria: BTreeMap<String, Preference>,
    pub rationale: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepPreference>,
    pub reviewer: String,
    pub at: String,
}

impl Comparison {
    /// The recording preferred by `p` and the other one; None for a tie.
    pub fn chosen_rejected(&self, p: Preference) -> Option<(&str, &str)> {
        match p {
            Preference::A => Some((&self.a, &self.b)),
            Preference::B => Some((&self.b, &self.a)),
            Preference::Tie => None,
        }
    }
}
