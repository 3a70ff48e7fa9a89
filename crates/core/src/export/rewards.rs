//! Step rewards for process reward models: one trajectory per line, each step's review label
//! turned into a reward, in the stepwise-supervision shape TRL's PRM trainer reads.
//!
//! ```text
//! OUT/rewards.jsonl   {"recording_id", "task_id", "prompt", "completions": [step…],
//!                      "labels": [bool…], "rewards": [+1|0|-1…], "labelled": [bool…], "outcome"}
//! ```
//! `prompt` is the task instruction; each completion is the step as an agent would emit it —
//! the expert's reasoning (if any) and the pyautogui code of its action. A step's reward is −1
//! when a reviewer judged it incorrect, a mistake or unsafe, +1 when correct or a recovery, 0 when
//! redundant or not labelled (`labelled` says which); `labels` is `reward > 0`, TRL's boolean.
//! Text only: no images (pair it with another export for the screens).

use std::borrow::Borrow;
use std::path::Path;

use serde_json::json;

use super::{pyautogui, write_file, ExportError, ExportSource};
use crate::model::*;

/// A step's reward from its label.
pub fn reward(label: Option<&StepLabel>) -> i8 {
    match label {
        Some(l) if l.correctness == Some(Correctness::Incorrect) || l.mistake || l.is_unsafe => -1,
        Some(l) if l.correctness == Some(Correctness::Correct) || l.recovery => 1,
        _ => 0,
    }
}

/// The step as an agent would emit it: the expert's reasoning (if any), then the pyautogui code
/// of its action.
pub fn completion(source: &ExportSource, s: &Step) -> String {
    let thought: Vec<&str> = s.reasoning.iter().map(|r| r.text.as_str()).filter(|t| !t.trim().is_empty()).collect();
    let code = pyautogui::code(&s.action, &source.display_of(s));
    if thought.is_empty() {
        code
    } else {
        format!("{}\n{code}", thought.join(" "))
    }
}

/// Writes `sources` as `rewards.jsonl` into `dir`; returns how many trajectories.
pub fn export<S: Borrow<ExportSource>>(sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path) -> Result<usize, ExportError> {
    super::ensure_empty_dir(dir)?;
    let mut lines = Vec::new();
    let count = super::for_each_source(sources, |source| {
        let steps = &source.segmentation.steps;
        let completions: Vec<String> = steps.iter().map(|s| completion(source, s)).collect();
        let rewards: Vec<i8> = steps.iter().map(|s| reward(s.label.as_ref())).collect();
        let record = json!({
            "recording_id": source.recording.id,
            "task_id": source.recording.task.id,
            "prompt": source.recording.task.instruction,
            "completions": completions,
            "labels": rewards.iter().map(|r| *r > 0).collect::<Vec<_>>(),
            "rewards": rewards,
            "labelled": steps.iter().map(|s| s.label.is_some()).collect::<Vec<_>>(),
            "outcome": source.recording.outcome.as_str(),
        });
        let mut line = serde_json::to_vec(&record).map_err(|e| ExportError::Json { what: "rewards record".into(), source: e })?;
        line.push(b'\n');
        lines.extend(line);
        Ok(())
    })?;
    write_file(&dir.join("rewards.jsonl"), &lines)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_rewards() {
        let l = |f: fn(&mut StepLabel)| {
            let mut x = StepLabel::default();
            f(&mut x);
            x
        };
        assert_eq!(reward(None), 0);
        assert_eq!(reward(Some(&l(|x| x.correctness = Some(Correctness::Correct)))), 1);
        assert_eq!(reward(Some(&l(|x| x.correctness = Some(Correctness::Redundant)))), 0);
        assert_eq!(reward(Some(&l(|x| x.correctness = Some(Correctness::Incorrect)))), -1);
        assert_eq!(reward(Some(&l(|x| x.recovery = true))), 1);
        assert_eq!(
            reward(Some(&l(|x| {
                x.correctness = Some(Correctness::Correct);
                x.is_unsafe = true;
            }))),
            -1,
            "unsafe outweighs correct"
        );
    }
}
