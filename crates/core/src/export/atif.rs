//! ATIF (Agent Trajectory Interchange Format, Harbor RFC 0001, v1.8): one JSON document per
//! recording, with screenshots as image content parts.
//!
//! ```text
//! OUT/<recording id>.atif.json   the trajectory
//! OUT/images/<sha256>.png        the screens it refers to (paths relative to OUT)
//! OUT/audio/<id>/<t0>-<t1>.flac  the expert's spoken reasoning (ATIF v1.8 audio parts)
//! ```
//! Step 1 (`user`) is the task instruction with the screen as it was. Each recorded step is an
//! `agent` step: `message` and `reasoning_content` are the expert's own reasoning (empty when
//! they gave none — never invented; a step with spoken reasoning has a multimodal `message`:
//! the text, then an audio part per utterance), one `tool_calls` entry calls the `computer` function with
//! the action in Apprentice's canonical vocabulary (physical pixels, pyautogui key names, scroll
//! notches with dy > 0 = up), and the observation is the screen after it. The step's `extra`
//! holds its times, window, markers, pyautogui code and review label. The last step states the
//! outcome. The trajectory review, quality figures and recording id are in the root `extra`.
//! `llm_call_count` is left out: the steps were taken by a person, not a model.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

use super::{pyautogui, to_json, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::{media::hex_sha256, Library};

pub const SCHEMA: &str = "ATIF-v1.8";

/// Writes one ATIF document per source into `dir`. Returns how many.
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path) -> Result<usize, ExportError> {
    super::ensure_empty_dir(dir)?;
    let count = super::for_each_source(sources, |source| {
        let pngs = super::frame_pngs(lib, source, &source.referenced_frames())?;
        let mut paths = HashMap::new();
        for (seq, png) in &pngs {
            let path = format!("images/{}.png", hex_sha256(png));
            if !dir.join(&path).exists() {
                write_file(&dir.join(&path), png)?;
            }
            paths.insert(*seq, path);
        }
        let clips = super::spoken_clips(lib, source, &format!("audio/{}/", source.recording.id))?;
        for clip in clips.values() {
            write_file(&dir.join(&clip.path), &clip.flac)?;
        }
        let doc = trajectory(source, &paths, &clips);
        write_file(&dir.join(format!("{}.atif.json", source.recording.id)), &to_json("ATIF trajectory", &doc)?)?;
        Ok(())
    })?;
    Ok(count)
}

fn timestamp(rec: &Recording, t: Micros) -> Option<String> {
    let start = time::OffsetDateTime::parse(&rec.started_at, &time::format_description::well_known::Rfc3339).ok()?;
    (start + time::Duration::microseconds(t as i64)).format(&time::format_description::well_known::Rfc3339).ok()
}

fn screen(paths: &HashMap<u64, String>, o: Option<&Observation>) -> Option<Value> {
    o.and_then(|o| paths.get(&o.frame_seq)).map(|p| json!({ "type": "image", "source": { "media_type": "image/png", "path": p } }))
}

/// The ATIF document of one recording; `paths` maps frame sequence numbers to image paths.
/// `clips` holds the audio of spoken reasoning by its reference (see [`super::spoken_clips`]).
pub fn trajectory(source: &ExportSource, paths: &HashMap<u64, String>, clips: &HashMap<String, super::AudioClip>) -> Value {
    let rec = &source.recording;
    let steps = &source.segmentation.steps;
    let mut out = Vec::with_capacity(steps.len() + 2);
    let mut first = vec![json!({ "type": "text", "text": rec.task.instruction })];
    first.extend(screen(paths, steps.first().and_then(|s| s.before.as_ref())));
    out.push(json!({ "step_id": 1, "timestamp": timestamp(rec, 0), "source": "user", "message": first }));
    for st in steps {
        let display = &source.display_of(st);
        let thought = super::thought(st);
        let call_id = format!("call_{}_{}", rec.id, st.index);
        let mut arguments = serde_json::to_value(&st.action).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut arguments {
            // `kind` is the action; raw indices and times belong to the step's extra.
            let kind = m.remove("kind").unwrap_or(Value::Null);
            for k in ["t_start", "t_end", "raw"] {
                m.remove(k);
            }
            m.insert("action".into(), kind);
        }
        let mut step = json!({
            "step_id": out.len() + 1,
            "timestamp": timestamp(rec, st.t_start),
            "source": "agent",
            "message": message(&thought, st, clips),
            "tool_calls": [{ "tool_call_id": call_id, "function_name": "computer", "arguments": arguments }],
            "observation": { "results": [{ "source_call_id": call_id, "content": screen(paths, st.after.as_ref()).map_or_else(|| json!("(no screenshot was captured)"), |s| json!([s])) }] },
            "extra": {
                "step": st.index,
                "t_start_us": st.t_start,
                "t_end_us": st.t_end,
                "raw_events": [st.action.raw.0, st.action.raw.1],
                "pyautogui": pyautogui::code(&st.action, display),
                "reasoning": st.reasoning,
                "window": st.window,
                "markers": st.markers,
                "subtask": st.subtask,
                "label": st.label,
                "before_screen": st.before.as_ref().and_then(|o| paths.get(&o.frame_seq)),
            },
        });
        if !thought.is_empty() {
            step["reasoning_content"] = json!(thought);
        }
        out.push(step);
    }
    out.push(json!({ "step_id": out.len() + 1, "timestamp": timestamp(rec, rec.duration_us), "source": "agent", "message": super::screen::closing_statement(rec) }));
    json!({
        "schema_version": SCHEMA,
        "session_id": rec.id,
        "trajectory_id": rec.id,
        "agent": {
            "name": "apprentice-human-expert",
            "version": rec.environment.recorder_version,
            "tool_definitions": [computer_tool()],
            "extra": { "expert_id": rec.expert_id, "environment": rec.environment },
        },
        "steps": out,
        "notes": "Recorded from a human expert with Apprentice: messages are the expert's own reasoning; tool calls are what they did.",
        "final_metrics": { "total_steps": steps.len() },
        "extra": {
            "apprentice_schema": SCHEMA_VERSION,
            "recording_id": rec.id,
            "task_id": rec.task.id,
            "outcome": rec.outcome.as_str(),
            "status": rec.status.as_str(),
            "quality": source.segmentation.quality,
            "review": source.review,
            "rubric": source.rubric,
        },
    })
}

/// The step's message: its reasoning as text, with the audio of what was said where there is some.
fn message(thought: &str, step: &Step, clips: &HashMap<String, super::AudioClip>) -> Value {
    let audio: Vec<Value> = step
        .reasoning
        .iter()
        .filter_map(|r| r.audio.as_ref().and_then(|a| clips.get(a)))
        .map(|c| json!({ "type": "audio", "source": { "media_type": "audio/flac", "path": c.path, "duration_sec": c.duration_sec } }))
        .collect();
    if audio.is_empty() {
        return json!(thought);
    }
    let mut parts = vec![json!({ "type": "text", "text": thought })];
    parts.extend(audio);
    Value::Array(parts)
}

/// The `computer` function the tool calls use, as an OpenAI-style function definition.
fn computer_tool() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "computer",
            "description": "Operate the computer. Coordinates are physical pixels of the X screen; keys are pyautogui names; scroll is in wheel notches (scroll_dy > 0 = up, scroll_dx > 0 = right).",
            "parameters": {
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": { "enum": ActionKind::ALL.map(ActionKind::as_str) },
                    "x": { "type": "integer" },
                    "y": { "type": "integer" },
                    "button": { "type": "string" },
                    "modifiers": { "type": "array", "items": { "type": "string" } },
                    "keys": { "type": "array", "items": { "type": "string" } },
                    "text": { "type": "string" },
                    "path": { "type": "array", "items": { "type": "object" } },
                    "scroll_dx": { "type": "integer" },
                    "scroll_dy": { "type": "integer" },
                    "backspaces": { "type": "integer" }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::fixture;

    #[test]
    fn a_trajectory_is_the_task_then_one_agent_step_per_action_then_the_stated_outcome() {
        let paths: HashMap<u64, String> = (0..4).map(|s| (s, format!("images/{s}.png"))).collect();
        let doc = trajectory(&fixture(Outcome::Failure), &paths, &HashMap::new());
        let steps = doc["steps"].as_array().cloned().unwrap_or_default();
        assert_eq!(steps.len(), 5, "the task, three actions, the closing statement");
        assert_eq!((steps[0]["source"].as_str(), steps[0]["message"][0]["text"].as_str()), (Some("user"), Some("Rename the file")));
        assert_eq!(steps[0]["message"][1]["source"]["path"], "images/0.png", "the first screen the expert saw");
        let ids: Vec<u64> = steps.iter().filter_map(|s| s["step_id"].as_u64()).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5]);
        let call = &steps[2]["tool_calls"][0];
        assert_eq!((call["function_name"].as_str(), call["arguments"]["action"].as_str(), call["arguments"]["x"].as_i64()), (Some("computer"), Some("click"), Some(60)));
        assert_eq!(steps[2]["observation"]["results"][0]["content"][0]["source"]["path"], "images/2.png", "what the click led to");
        assert_eq!(steps[2]["reasoning_content"], "the second row holds the total");
        assert!(steps[1].get("reasoning_content").is_none(), "no reasoning is invented where none was given");
        assert_eq!(steps[4]["message"], "I could not complete the task.");
        assert_eq!((doc["extra"]["outcome"].as_str(), doc["final_metrics"]["total_steps"].as_u64()), (Some("failure"), Some(3)));
    }
}
