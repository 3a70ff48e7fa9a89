//! AgentNet / OpenCUA JSONL: one trajectory per line, the shape OpenCUA's training code reads.
//!
//! ```text
//! OUT/agentnet.jsonl         {"task_id", "instruction", "task_completed", …, "traj": [step…]}
//! OUT/images/<sha256>.png    each step's screenshot (the frame *before* its action)
//! ```
//! Each step: `index`, `image` (relative path), and `value` {observation, thought, action, code,
//! last_step_correct, last_step_redundant, reflection}. `thought` is the expert's own reasoning
//! (typed or spoken) and nothing else: empty when they gave none — never invented. `action` is a
//! plain description of what was done; `code` is pyautogui with coordinates normalised to [0, 1]
//! (see [`super::pyautogui`]). `last_step_correct` comes from the previous step's review label
//! (correct → true; incorrect or mistake → false), or is false when the expert marked it a
//! mistake, and null when nobody judged it; `last_step_redundant` is true for a step labelled
//! redundant, false for one labelled otherwise; `reflection` is the reviewer's comment on the
//! previous step. `alignment_score` and `efficiency_score` are the reviewer's goal-completion
//! and efficiency scores (1–5), and `review` the whole trajectory review. The trajectory ends with a `computer.terminate(status=…)` step
//! whose screenshot is the final screen. Schema: `schemas/agentnet.v1.schema.json`.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::{json, Value};

use super::{pyautogui, render_frames, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::{media::hex_sha256, Library};

/// Writes `sources` as AgentNet JSONL into `dir` (created; must be empty if it exists).
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path) -> Result<usize, ExportError> {
    super::ensure_empty_dir(dir)?;
    let mut lines = Vec::new();
    let count = super::for_each_source(sources, |source| {
        let images = write_images(lib, source, dir)?;
        let record = record(source, &images);
        let mut line = serde_json::to_vec(&record).map_err(|e| ExportError::Json { what: "agentnet record".into(), source: e })?;
        line.push(b'\n');
        lines.extend(line);
        Ok(())
    })?;
    write_file(&dir.join("agentnet.jsonl"), &lines)?;
    Ok(count)
}

/// The frames a trajectory shows: each step's before frame, and the final screen.
fn shown_frames(source: &ExportSource) -> (Vec<Option<u64>>, Option<u64>) {
    let steps = &source.segmentation.steps;
    let befores = steps.iter().map(|s| s.before.as_ref().map(|o| o.frame_seq)).collect();
    let last = steps.last().and_then(|s| s.after.as_ref().or(s.before.as_ref())).map(|o| o.frame_seq);
    (befores, last)
}

fn write_images(lib: &Library, source: &ExportSource, dir: &Path) -> Result<HashMap<u64, String>, ExportError> {
    let (befores, last) = shown_frames(source);
    let wanted: BTreeSet<u64> = befores.into_iter().flatten().chain(last).collect();
    let mut paths = HashMap::new();
    render_frames(lib, source, &wanted, |seq, img| {
        let png = super::png(img)?;
        let path = format!("images/{}.png", hex_sha256(&png));
        if !dir.join(&path).exists() {
            write_file(&dir.join(&path), &png)?;
        }
        paths.insert(seq, path);
        Ok(())
    })?;
    Ok(paths)
}

/// The reviewer's comment on a step, which AgentNet carries as the next step's reflection on it.
fn reflection(step: &Step) -> String {
    step.label.as_ref().and_then(|l| l.comment.clone()).unwrap_or_default()
}

fn observation(step: &Step) -> String {
    step.window.as_ref().map(|w| if w.title.is_empty() { format!("The focused window is {}.", w.app) } else { format!("The focused window is {} — \"{}\".", w.app, w.title) }).unwrap_or_default()
}

/// One AgentNet record for a recording.
pub fn record(source: &ExportSource, images: &HashMap<u64, String>) -> Value {
    let steps = &source.segmentation.steps;
    let rec = &source.recording;
    let mut traj: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let display = &source.display_of(st);
            let prev = i.checked_sub(1).map(|j| &steps[j]);
            let thought = super::thought(st);
            json!({
                "index": i,
                "image": st.before.as_ref().and_then(|o| images.get(&o.frame_seq)),
                "value": {
                    "observation": observation(st),
                    "thought": thought,
                    "action": pyautogui::describe(&st.action, display),
                    "code": pyautogui::code(&st.action, display),
                    "last_step_correct": prev.and_then(super::step_correct),
                    "last_step_redundant": prev.and_then(super::step_redundant),
                    "reflection": prev.map(reflection).unwrap_or_default(),
                },
            })
        })
        .collect();
    // The closing step states the expert's outcome; without one the trajectory just ends.
    if let Some(code) = pyautogui::terminate(rec.outcome) {
        let (_, last) = shown_frames(source);
        traj.push(json!({
            "index": steps.len(),
            "image": last.and_then(|s| images.get(&s)),
            "value": {
                "observation": steps.last().map(observation).unwrap_or_default(),
                "thought": rec.outcome_note.clone().unwrap_or_default(),
                "action": "The task is finished.",
                "code": code,
                "last_step_correct": steps.last().and_then(super::step_correct),
                "last_step_redundant": steps.last().and_then(super::step_redundant),
                "reflection": steps.last().map(reflection).unwrap_or_default(),
            },
        }));
    }
    let q = &source.segmentation.quality;
    let scores = source.review.as_ref().map(|r| &r.scores);
    json!({
        "task_id": rec.task.id.clone().unwrap_or_else(|| rec.id.clone()),
        "instruction": rec.task.instruction,
        "natural_language_task": rec.task.instruction,
        "actual_task": rec.task.instruction,
        "task_completed": match rec.outcome { Outcome::Success => Value::Bool(true), Outcome::Failure | Outcome::Infeasible => Value::Bool(false), Outcome::Unknown => Value::Null },
        "outcome": rec.outcome.as_str(),
        "alignment_score": scores.and_then(|s| s.goal_completion),
        "efficiency_score": scores.and_then(|s| s.efficiency),
        "review": source.review,
        "rubric": source.rubric,
        "task_difficulty": Value::Null,
        "recording_id": rec.id,
        "expert_id": rec.expert_id,
        "status": rec.status.as_str(),
        "environment": rec.environment,
        "quality": q,
        "traj": traj,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::fixture;

    #[test]
    fn a_record_carries_each_action_the_experts_words_and_the_stated_outcome_only() {
        let images: HashMap<u64, String> = (0..4).map(|s| (s, format!("images/{s}.png"))).collect();
        let record = super::record(&fixture(Outcome::Success), &images);
        let traj = record["traj"].as_array().cloned().unwrap_or_default();
        let codes: Vec<&str> = traj.iter().filter_map(|s| s["value"]["code"].as_str()).collect();
        assert_eq!(codes, vec!["pyautogui.click(x=0.5, y=0.1)", "pyautogui.click(x=0.6, y=0.1)", "pyautogui.click(x=0.7, y=0.1)", "computer.terminate(status='success')"]);
        let images: Vec<&str> = traj.iter().filter_map(|s| s["image"].as_str()).collect();
        assert_eq!(images, vec!["images/0.png", "images/1.png", "images/2.png", "images/3.png"], "each step's before frame, then the final screen");
        assert_eq!((traj[0]["value"]["thought"].as_str(), traj[1]["value"]["thought"].as_str()), (Some(""), Some("the second row holds the total")));
        assert_eq!((&traj[1]["value"]["last_step_correct"], &traj[2]["value"]["last_step_correct"]), (&Value::Bool(true), &Value::Null));
        assert_eq!(record["task_completed"], Value::Bool(true));

        let unanswered = super::record(&fixture(Outcome::Unknown), &HashMap::new());
        assert_eq!((&unanswered["task_completed"], unanswered["outcome"].as_str()), (&Value::Null, Some("unknown")));
        assert_eq!(unanswered["traj"].as_array().map(Vec::len), Some(3), "no terminate step claims an outcome nobody gave");
        assert_eq!(super::record(&fixture(Outcome::Infeasible), &HashMap::new())["task_completed"], Value::Bool(false));
    }
}
