//! Preference pairs from side-by-side comparisons, DPO-ready: one JSON line per judgement that
//! is not a tie, in the conversational preference shape TRL's DPO trainer reads.
//!
//! ```text
//! OUT/preferences.jsonl   {"prompt": [{"role": "user", "content": instruction}],
//!                          "chosen": [{"role": "assistant", "content": …}], "rejected": […],
//!                          "criterion", "rationale", "comparison_id", "task_id",
//!                          "chosen_recording", "rejected_recording", "chosen_step",
//!                          "rejected_step", "reviewer"}
//! ```
//! `criterion` is `overall`, a criterion's id (`goal_completion`, `efficiency`, `safety`, a
//! rubric question) or `step`. A trajectory's content is its steps as an agent would emit them
//! (reasoning and pyautogui code, [`super::rewards::completion`]), one per paragraph; a step
//! pair's is the two aligned steps (`chosen_step`/`rejected_step` name them by start time) with
//! the instruction as prompt. A comparison is exported when both its recordings are; text only.
//! A pair whose chosen and rejected texts are the same (two steps that clicked the same place
//! without a word of reasoning) teaches a preference model nothing and gives no row.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::json;

use super::{write_file, ExportError, ExportSource};
use crate::model::*;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub pairs: usize,
    pub comparisons: usize,
}

/// Writes the comparisons between `sources` as `preferences.jsonl` into `dir`.
pub fn export<S: Borrow<ExportSource>>(sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path) -> Result<Written, ExportError> {
    super::ensure_empty_dir(dir)?;
    // Each exported recording's steps as text, by start time; and every comparison seen, once.
    let mut steps: HashMap<String, Vec<(Micros, String)>> = HashMap::new();
    let mut comparisons: BTreeMap<String, Comparison> = BTreeMap::new();
    super::for_each_source(sources, |source| {
        let texts = source.segmentation.steps.iter().map(|s| (s.t_start, super::rewards::completion(source, s))).collect();
        steps.insert(source.recording.id.clone(), texts);
        for c in &source.comparisons {
            comparisons.entry(c.id.clone()).or_insert_with(|| c.clone());
        }
        Ok(())
    })?;
    let (mut lines, mut pairs, mut used) = (Vec::new(), 0, 0);
    for c in comparisons.values() {
        let (Some(a), Some(b)) = (steps.get(&c.a), steps.get(&c.b)) else { continue };
        used += 1;
        let whole = |s: &[(Micros, String)]| s.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n\n");
        let (text_a, text_b) = (whole(a), whole(b));
        let side = |id: &str| if id == c.a { &text_a } else { &text_b };
        let judged = std::iter::once(("overall", c.overall)).chain(c.criteria.iter().map(|(k, p)| (k.as_str(), *p)));
        let mut rows: Vec<serde_json::Value> =
            judged.filter_map(|(criterion, p)| c.chosen_rejected(p).map(|(chosen, rejected)| row(c, criterion, (chosen, side(chosen)), (rejected, side(rejected)), (None, None)))).collect();
        for s in &c.steps {
            let text = |all: &[(Micros, String)], t: Micros| all.iter().find(|(at, _)| *at == t).map(|(_, x)| x.clone());
            let (Some(ta), Some(tb)) = (text(a, s.a), text(b, s.b)) else { continue };
            let (chosen, rejected, times) = match s.prefer {
                Preference::A => ((c.a.as_str(), &ta), (c.b.as_str(), &tb), (Some(s.a), Some(s.b))),
                Preference::B => ((c.b.as_str(), &tb), (c.a.as_str(), &ta), (Some(s.b), Some(s.a))),
                Preference::Tie => continue,
            };
            let mut r = row(c, "step", chosen, rejected, times);
            if let Some(comment) = &s.comment {
                r["rationale"] = json!(comment);
            }
            rows.push(r);
        }
        for r in rows.into_iter().filter(|r| r["chosen"] != r["rejected"]) {
            let mut line = serde_json::to_vec(&r).map_err(|e| ExportError::Json { what: "preference pair".into(), source: e })?;
            line.push(b'\n');
            lines.extend(line);
            pairs += 1;
        }
    }
    write_file(&dir.join("preferences.jsonl"), &lines)?;
    Ok(Written { pairs, comparisons: used })
}

fn row(c: &Comparison, criterion: &str, chosen: (&str, &String), rejected: (&str, &String), steps: (Option<Micros>, Option<Micros>)) -> serde_json::Value {
    json!({
        "prompt": [{ "role": "user", "content": c.instruction }],
        "chosen": [{ "role": "assistant", "content": chosen.1 }],
        "rejected": [{ "role": "assistant", "content": rejected.1 }],
        "criterion": criterion,
        "rationale": c.rationale,
        "comparison_id": c.id,
        "task_id": c.task_id,
        "chosen_recording": chosen.0,
        "rejected_recording": rejected.0,
        "chosen_step": steps.0,
        "rejected_step": steps.1,
        "reviewer": c.reviewer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::fixture;

    #[test]
    fn judgements_become_chosen_and_rejected_pairs_and_ties_and_unexported_sides_do_not() {
        let (mut a, mut b) = (fixture(Outcome::Success), fixture(Outcome::Failure));
        (a.recording.id, b.recording.id) = ("rec-a".into(), "rec-b".into());
        b.segmentation.steps[1].reasoning.push(Reasoning { text: "the total is wrong".into(), source: ReasoningSource::Typed, t0: 0, t1: 0, audio: None, author: None });
        let (ta, tb) = (a.segmentation.steps[1].t_start, b.segmentation.steps[1].t_start);
        let c = Comparison {
            id: "cmp-1".into(),
            task_id: "t1".into(),
            instruction: "Total the column".into(),
            a: "rec-a".into(),
            b: "rec-b".into(),
            overall: Preference::B,
            criteria: [("safety".to_string(), Preference::Tie), ("efficiency".to_string(), Preference::A)].into(),
            rationale: "B checked the total".into(),
            steps: vec![
                StepPreference { a: ta, b: tb, prefer: Preference::B, comment: Some("B says why".into()) },
                // Two steps alike to the letter: no pair to learn from.
                StepPreference { a: a.segmentation.steps[0].t_start, b: b.segmentation.steps[0].t_start, prefer: Preference::A, comment: None },
            ],
            reviewer: "reviewer-1".into(),
            at: "2026-12-03T08:00:00Z".into(),
        };
        let mut other = c.clone();
        (other.id, other.b) = ("cmp-2".into(), "rec-not-exported".into());
        a.comparisons = vec![c.clone(), other];
        b.comparisons = vec![c];
        let dir = tempfile::tempdir().unwrap();
        let written = export([Ok(a), Ok(b)], &dir.path().join("out")).unwrap();
        assert_eq!(written, Written { pairs: 3, comparisons: 1 }, "overall, efficiency and the step; the tie and cmp-2 give none");
        let text = std::fs::read_to_string(dir.path().join("out/preferences.jsonl")).unwrap();
        let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let by = |k: &str| rows.iter().find(|r| r["criterion"] == k).unwrap_or_else(|| panic!("no {k} row in {text}"));
        let overall = by("overall");
        assert_eq!((&overall["chosen_recording"], &overall["rejected_recording"]), (&json!("rec-b"), &json!("rec-a")));
        assert_eq!(overall["prompt"], json!([{ "role": "user", "content": "Total the column" }]));
        let chosen = overall["chosen"][0]["content"].as_str().unwrap();
        assert_eq!(chosen.split("\n\n").count(), 3, "one paragraph per step: {chosen}");
        assert!(chosen.contains("the total is wrong\npyautogui.click("), "reasoning before the code: {chosen}");
        assert_eq!(by("efficiency")["chosen_recording"], "rec-a");
        let step = by("step");
        assert_eq!((&step["chosen_step"], &step["rejected_step"], &step["rationale"]), (&json!(tb), &json!(ta), &json!("B says why")));
        let step_text = step["chosen"][0]["content"].as_str().unwrap();
        assert!(step_text.ends_with("the total is wrong\npyautogui.click(x=0.6, y=0.1)"), "the chosen step is B's second: {step_text}");
    }
}
