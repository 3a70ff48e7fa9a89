//! OpenAI formats: the trajectory as Responses-API computer-use items, and as a chat
//! fine-tuning line with tool calls.
//!
//! ```text
//! OUT/<recording id>.openai.json  {"tools": [computer_use_preview], "input": [items…], "conversions": {…}}
//! OUT/openai-chat.jsonl           {"messages": [...], "tools": [function "computer"]} per recording
//! ```
//! Items: the task as a user message; per step the expert's reasoning (if any) as an assistant
//! message, then `computer_call`s and their `computer_call_output` screenshots (the screen after
//! the step). Chat lines carry the same calls as `tool_calls` (arguments as a JSON string), a
//! `tool` reply, and the next screenshot in a user message (chat tool messages cannot hold
//! images).
//!
//! Coordinates and screenshots use the declared display (see [`super::screen`]). Mapping: click →
//! `click` (button left/right/wheel), `double_click`, drag → `drag` with its path (thinned to
//! [`MAX_DRAG_POINTS`]), scroll → `scroll` with `scroll_x`/`scroll_y` in pixels, type → `type`,
//! key and hotkey → `keypress` (upper-case key names), hover → `move`; held modifiers go in `keys`.
//! What OpenAI cannot express is converted by rule and counted in `conversions`:
//! - triple click → a `double_click` then a `click` at the same point;
//! - a wheel notch → [`PIXELS_PER_NOTCH`] pixels (`scroll_y` > 0 scrolls down, so its sign is
//!   the opposite of Apprentice's `scroll_dy`).

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::screen::{self, declared, scaled};
use super::{to_json, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::Library;

pub const PIXELS_PER_NOTCH: i32 = 100;
pub const MAX_DRAG_POINTS: usize = 20;

const SYSTEM: &str = "You operate a computer through the `computer` function: each call performs one action on the screen and the next user message shows the screen afterwards.";

/// An OpenAI key name for a pyautogui one.
pub fn key_name(name: &str) -> String {
    match name {
        "enter" => "ENTER".into(),
        "esc" => "ESC".into(),
        "up" => "ARROWUP".into(),
        "down" => "ARROWDOWN".into(),
        "left" => "ARROWLEFT".into(),
        "right" => "ARROWRIGHT".into(),
        "win" | "winright" => "META".into(),
        "ctrlright" => "CTRL".into(),
        "shiftright" => "SHIFT".into(),
        "altright" => "ALTGR".into(),
        k => k.to_uppercase(),
    }
}

/// The computer actions for one Apprentice action (two for a triple click), and the conversion
/// rule applied, if any.
pub fn actions(a: &Action, display: &DisplayInfo) -> (Vec<Value>, Option<&'static str>) {
    let [x, y] = scaled(a.x.unwrap_or(0), a.y.unwrap_or(0), display);
    let held: Vec<String> = a.modifiers.names().into_iter().filter(|m| *m != "capslock").map(key_name).collect();
    let with_keys = |mut v: Value| {
        if !held.is_empty() {
            v["keys"] = json!(held);
        }
        v
    };
    let click = |button: &str| with_keys(json!({ "type": "click", "button": button, "x": x, "y": y }));
    // The SDK requires `keys` on a double click (null when nothing is held).
    let double_click = || json!({ "type": "double_click", "x": x, "y": y, "keys": if held.is_empty() { Value::Null } else { json!(held) } });
    match a.kind {
        ActionKind::Click => (vec![click("left")], None),
        ActionKind::RightClick => (vec![click("right")], None),
        ActionKind::MiddleClick => (vec![click("wheel")], None),
        ActionKind::DoubleClick => (vec![double_click()], None),
        ActionKind::TripleClick => (vec![double_click(), click("left")], Some("triple_click")),
        ActionKind::Move => (vec![json!({ "type": "move", "x": x, "y": y })], None),
        ActionKind::Drag => {
            let n = a.path.len();
            let step = n.div_ceil(MAX_DRAG_POINTS).max(1);
            let path: Vec<Value> = a
                .path
                .iter()
                .enumerate()
                .filter(|(i, _)| i % step == 0 || *i == n - 1)
                .map(|(_, p)| {
                    let [px, py] = scaled(p.x, p.y, display);
                    json!({ "x": px, "y": py })
                })
                .collect();
            (vec![with_keys(json!({ "type": "drag", "path": path }))], (n > MAX_DRAG_POINTS).then_some("drag_path_thinned"))
        }
        ActionKind::Scroll => {
            (vec![with_keys(json!({ "type": "scroll", "x": x, "y": y, "scroll_x": a.scroll_dx * PIXELS_PER_NOTCH, "scroll_y": -a.scroll_dy * PIXELS_PER_NOTCH }))], Some("scroll_notches_to_pixels"))
        }
        ActionKind::Type => (vec![json!({ "type": "type", "text": a.text.clone().unwrap_or_default() })], None),
        ActionKind::Key | ActionKind::Hotkey => (vec![json!({ "type": "keypress", "keys": a.keys.iter().map(|k| key_name(k)).collect::<Vec<_>>() })], None),
    }
}

fn thought(st: &Step) -> Option<String> {
    let t = super::thought(st);
    (!t.is_empty()).then_some(t)
}

/// Writes `<id>.openai.json` per recording and `openai-chat.jsonl` into `dir`.
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path) -> Result<usize, ExportError> {
    super::ensure_empty_dir(dir)?;
    let mut chat = Vec::new();
    let count = super::for_each_source(sources, |source| {
        let (items, line) = convert(lib, source)?;
        write_file(&dir.join(format!("{}.openai.json", source.recording.id)), &to_json("openai items", &items)?)?;
        serde_json::to_writer(&mut chat, &line).map_err(|e| ExportError::Json { what: "openai chat line".into(), source: e })?;
        chat.push(b'\n');
        Ok(())
    })?;
    write_file(&dir.join("openai-chat.jsonl"), &chat)?;
    Ok(count)
}

/// Both OpenAI forms of one recording: (Responses items document, chat fine-tuning line).
pub fn convert(lib: &Library, source: &ExportSource) -> Result<(Value, Value), ExportError> {
    let rec = &source.recording;
    let steps = &source.segmentation.steps;
    let display = &screen::primary(rec);
    let (_, width, height) = declared(display);
    let (first, shots) = screen::transcript_shots(lib, source, display)?;
    let url = |seq: Option<u64>| seq.and_then(|s| shots.get(&s)).map(|b64| format!("data:image/png;base64,{b64}"));

    let mut conversions: BTreeMap<&str, u32> = BTreeMap::new();
    let mut n = 0u32;
    let first_shot = url(first);
    let mut items = vec![json!({ "role": "user", "content": [{ "type": "input_text", "text": rec.task.instruction }] })];
    let mut opening = vec![json!({ "type": "text", "text": rec.task.instruction })];
    if let Some(u) = &first_shot {
        opening.push(json!({ "type": "image_url", "image_url": { "url": u } }));
    }
    let mut messages = vec![json!({ "role": "system", "content": SYSTEM }), json!({ "role": "user", "content": opening })];
    for st in steps {
        let (acts, rule) = actions(&st.action, display);
        if let Some(r) = rule {
            *conversions.entry(r).or_insert(0) += 1;
        }
        let text = thought(st);
        if let Some(t) = &text {
            items.push(json!({ "role": "assistant", "content": t }));
        }
        let after = url(st.after.as_ref().map(|o| o.frame_seq));
        let mut calls = vec![];
        for act in &acts {
            n += 1;
            let call_id = format!("call_{n:06}");
            items.push(json!({ "type": "computer_call", "id": format!("cu_{n:06}"), "call_id": call_id, "action": act, "pending_safety_checks": [], "status": "completed" }));
            if let Some(u) = &after {
                items.push(json!({ "type": "computer_call_output", "call_id": call_id, "output": { "type": "computer_screenshot", "image_url": u } }));
            }
            calls.push(json!({ "id": call_id, "type": "function", "function": { "name": "computer", "arguments": act.to_string() } }));
        }
        messages.push(json!({ "role": "assistant", "content": text, "tool_calls": calls }));
        for c in &calls {
            messages.push(json!({ "role": "tool", "tool_call_id": c["id"], "content": "done" }));
        }
        let mut shown = vec![json!({ "type": "text", "text": "The screen now:" })];
        if let Some(u) = &after {
            shown.push(json!({ "type": "image_url", "image_url": { "url": u } }));
        }
        messages.push(json!({ "role": "user", "content": shown }));
    }
    let closing = screen::closing_statement(rec);
    items.push(json!({ "role": "assistant", "content": closing }));
    messages.push(json!({ "role": "assistant", "content": closing }));
    let meta = json!({ "schema": SCHEMA_VERSION, "recording_id": rec.id, "task_id": rec.task.id, "outcome": rec.outcome.as_str(), "steps": steps.len(), "synthetic_input_share": source.segmentation.quality.synthetic_input_share, "review": super::review_metadata(source) });
    let document = json!({
        "tools": [{ "type": "computer_use_preview", "display_width": width, "display_height": height, "environment": "linux" }],
        "input": items,
        "conversions": conversions,
        "apprentice": meta,
    });
    let line = json!({ "messages": messages, "tools": [function_tool()], "metadata": meta });
    Ok((document, line))
}

/// The chat `computer` function: one OpenAI computer action as its arguments.
fn function_tool() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "computer",
            "description": "Perform one action on the computer: click, double_click, drag, scroll, type, keypress or move (coordinates in screenshot pixels).",
            "parameters": {
                "type": "object",
                "properties": {
                    "type": { "type": "string", "enum": ["click", "double_click", "drag", "scroll", "type", "keypress", "move", "wait"] },
                    "button": { "type": "string", "enum": ["left", "right", "wheel", "back", "forward"] },
                    "x": { "type": "integer" },
                    "y": { "type": "integer" },
                    "path": { "type": "array", "items": { "type": "object", "properties": { "x": { "type": "integer" }, "y": { "type": "integer" } }, "required": ["x", "y"] } },
                    "scroll_x": { "type": "integer" },
                    "scroll_y": { "type": "integer" },
                    "text": { "type": "string" },
                    "keys": { "type": "array", "items": { "type": "string" } }
                },
                "required": ["type"]
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::actions::action;

    use crate::export::screen::testing::{at, hd};

    #[test]
    fn every_action_kind_maps_with_documented_conversions() {
        let d = hd();
        let drag = Action { path: (0..50).map(|i| PathPoint { x: 300 + i * 10, y: 300, t: i as u64 }).collect(), ..at(ActionKind::Drag, 300, 300) };
        let (drag_actions, drag_rule) = actions(&drag, &d);
        let path = drag_actions[0]["path"].as_array().unwrap();
        assert!(path.len() <= MAX_DRAG_POINTS + 1 && path.first() == Some(&json!({"x": 200, "y": 200})) && path.last() == Some(&json!({"x": 527, "y": 200})), "{path:?}");
        assert_eq!(drag_rule, Some("drag_path_thinned"));
        let cases: Vec<(Action, Vec<Value>, Option<&str>)> = vec![
            (at(ActionKind::Click, 960, 540), vec![json!({"type": "click", "button": "left", "x": 640, "y": 360})], None),
            (at(ActionKind::RightClick, 960, 540), vec![json!({"type": "click", "button": "right", "x": 640, "y": 360})], None),
            (at(ActionKind::MiddleClick, 960, 540), vec![json!({"type": "click", "button": "wheel", "x": 640, "y": 360})], None),
            (at(ActionKind::DoubleClick, 960, 540), vec![json!({"type": "double_click", "x": 640, "y": 360, "keys": null})], None),
            (
                at(ActionKind::TripleClick, 960, 540),
                vec![json!({"type": "double_click", "x": 640, "y": 360, "keys": null}), json!({"type": "click", "button": "left", "x": 640, "y": 360})],
                Some("triple_click"),
            ),
            (at(ActionKind::Move, 960, 540), vec![json!({"type": "move", "x": 640, "y": 360})], None),
            (Action { scroll_dy: 3, ..at(ActionKind::Scroll, 960, 540) }, vec![json!({"type": "scroll", "x": 640, "y": 360, "scroll_x": 0, "scroll_y": -300})], Some("scroll_notches_to_pixels")),
            (Action { scroll_dx: 2, ..at(ActionKind::Scroll, 960, 540) }, vec![json!({"type": "scroll", "x": 640, "y": 360, "scroll_x": 200, "scroll_y": 0})], Some("scroll_notches_to_pixels")),
            (Action { text: Some("héllo".into()), ..action(ActionKind::Type, 0, 0, (0, 0)) }, vec![json!({"type": "type", "text": "héllo"})], None),
            (Action { keys: vec!["enter".into()], ..action(ActionKind::Key, 0, 0, (0, 0)) }, vec![json!({"type": "keypress", "keys": ["ENTER"]})], None),
            (Action { keys: vec!["ctrl".into(), "shift".into(), "t".into()], ..action(ActionKind::Hotkey, 0, 0, (0, 0)) }, vec![json!({"type": "keypress", "keys": ["CTRL", "SHIFT", "T"]})], None),
            (Action { modifiers: Modifiers(Modifiers::CTRL), ..at(ActionKind::Click, 960, 540) }, vec![json!({"type": "click", "button": "left", "x": 640, "y": 360, "keys": ["CTRL"]})], None),
        ];
        for (a, want, rule) in cases {
            assert_eq!(actions(&a, &d), (want, rule), "{:?}", a.kind);
        }
    }
}
