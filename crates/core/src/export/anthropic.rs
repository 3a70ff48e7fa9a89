//! Anthropic Messages-API transcripts using the `computer` tool: the expert's trajectory as the
//! conversation a computer-use model would have had. One JSON file per recording:
//!
//! ```text
//! OUT/<recording id>.anthropic.json   {"tools": [computer tool], "messages": [...]}
//! ```
//! The user's first message is the task; each step is an assistant turn (the expert's own
//! reasoning as text, if any, then a `tool_use` of the `computer` tool) followed by a user turn
//! whose `tool_result` holds the screenshot after the action. The first assistant turn takes a
//! `screenshot` so the model sees the screen before acting, as agents do.
//!
//! Coordinates and screenshots are scaled to the declared display size (see [`super::screen`]),
//! as Anthropic recommends. Action mapping
//! (`computer_20250124`, also valid for `computer_20251124`):
//! click → `left_click`, `double_click`, `triple_click`, `right_click`, `middle_click` (held
//! modifiers in `text`); drag → `left_click_drag` (`start_coordinate` → `coordinate`); scroll →
//! `scroll` with `scroll_direction` and `scroll_amount` (notches; a diagonal scroll becomes two
//! actions); type → `type`; key and hotkey → `key` in xdotool syntax (`ctrl+s`, `Return`); hover →
//! `mouse_move`.

use std::borrow::Borrow;
use std::path::Path;

use serde_json::{json, Value};

use super::screen::{self, declared, scaled};
use super::{to_json, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::Library;

pub const TOOL_TYPES: [&str; 2] = ["computer_20250124", "computer_20251124"];

/// A pyautogui key name in xdotool keysym syntax.
pub fn xdotool_key(name: &str) -> String {
    let k = match name {
        "enter" => "Return",
        "tab" => "Tab",
        "esc" => "Escape",
        "backspace" => "BackSpace",
        "delete" => "Delete",
        "insert" => "Insert",
        "space" => "space",
        "up" => "Up",
        "down" => "Down",
        "left" => "Left",
        "right" => "Right",
        "pageup" => "Page_Up",
        "pagedown" => "Page_Down",
        "home" => "Home",
        "end" => "End",
        "printscreen" => "Print",
        "capslock" => "Caps_Lock",
        "numlock" => "Num_Lock",
        "scrolllock" => "Scroll_Lock",
        "pause" => "Pause",
        "win" | "winright" => "super",
        "ctrl" | "ctrlright" => "ctrl",
        "shift" | "shiftright" => "shift",
        "alt" => "alt",
        "altright" => "ISO_Level3_Shift",
        "-" => "minus",
        "=" => "equal",
        "[" => "bracketleft",
        "]" => "bracketright",
        ";" => "semicolon",
        "'" => "apostrophe",
        "`" => "grave",
        "\\" => "backslash",
        "," => "comma",
        "." => "period",
        "/" => "slash",
        k if k.len() > 1 && k.starts_with('f') && k[1..].parse::<u8>().is_ok() => return k.to_uppercase(),
        k if k.starts_with("num") && k[3..].parse::<u8>().is_ok() => return format!("KP_{}", &k[3..]),
        k => k,
    };
    k.to_string()
}

/// The `computer` tool inputs for one action (usually one; a diagonal scroll gives two).
pub fn tool_inputs(a: &Action, display: &DisplayInfo) -> Vec<Value> {
    let at = || scaled(a.x.unwrap_or(0), a.y.unwrap_or(0), display);
    let held: Vec<String> = a.modifiers.names().into_iter().filter(|m| *m != "capslock").map(xdotool_key).collect();
    let with_held = |mut v: Value| {
        if !held.is_empty() {
            v["text"] = Value::String(held.join("+"));
        }
        v
    };
    let click = |name: &str| with_held(json!({ "action": name, "coordinate": at() }));
    match a.kind {
        ActionKind::Click => vec![click("left_click")],
        ActionKind::DoubleClick => vec![click("double_click")],
        ActionKind::TripleClick => vec![click("triple_click")],
        ActionKind::RightClick => vec![click("right_click")],
        ActionKind::MiddleClick => vec![click("middle_click")],
        ActionKind::Move => vec![json!({ "action": "mouse_move", "coordinate": at() })],
        ActionKind::Drag => {
            let end = a.path.last().map(|p| scaled(p.x, p.y, display)).unwrap_or_else(at);
            vec![with_held(json!({ "action": "left_click_drag", "start_coordinate": at(), "coordinate": end }))]
        }
        ActionKind::Scroll => {
            let mut out = vec![];
            if a.scroll_dy != 0 {
                out.push(with_held(json!({ "action": "scroll", "coordinate": at(), "scroll_direction": if a.scroll_dy > 0 { "up" } else { "down" }, "scroll_amount": a.scroll_dy.abs() })));
            }
            if a.scroll_dx != 0 {
                out.push(with_held(json!({ "action": "scroll", "coordinate": at(), "scroll_direction": if a.scroll_dx > 0 { "right" } else { "left" }, "scroll_amount": a.scroll_dx.abs() })));
            }
            out
        }
        ActionKind::Type => vec![json!({ "action": "type", "text": a.text.clone().unwrap_or_default() })],
        ActionKind::Key | ActionKind::Hotkey => vec![json!({ "action": "key", "text": a.keys.iter().map(|k| xdotool_key(k)).collect::<Vec<_>>().join("+") })],
    }
}

/// A base64 PNG screenshot as a tool-result image block.
pub fn image_block(png_base64: &str) -> Value {
    json!({ "type": "image", "source": { "type": "base64", "media_type": "image/png", "data": png_base64 } })
}

/// Writes one transcript per recording into `dir` (created; must be empty if it exists).
pub fn export<S: Borrow<ExportSource>>(lib: &Library, sources: impl IntoIterator<Item = Result<S, ExportError>>, dir: &Path, tool_type: &str) -> Result<usize, ExportError> {
    super::ensure_empty_dir(dir)?;
    let count = super::for_each_source(sources, |source| {
        let t = transcript(lib, source, tool_type)?;
        write_file(&dir.join(format!("{}.anthropic.json", source.recording.id)), &to_json("transcript", &t)?)?;
        Ok(())
    })?;
    Ok(count)
}

/// The transcript of one recording.
pub fn transcript(lib: &Library, source: &ExportSource, tool_type: &str) -> Result<Value, ExportError> {
    let rec = &source.recording;
    let steps = &source.segmentation.steps;
    let display = &screen::primary(rec);
    let (_, width, height) = declared(display);

    let (first, shots) = screen::transcript_shots(lib, source, display)?;
    let shot = |seq: Option<u64>| -> Vec<Value> {
        match seq.and_then(|s| shots.get(&s)) {
            Some(b64) => vec![image_block(b64)],
            None => vec![json!({ "type": "text", "text": "(no screenshot was captured)" })],
        }
    };

    let mut ids = 0u32;
    let mut next_id = || {
        ids += 1;
        format!("toolu_{:024}", ids)
    };
    let mut messages = vec![json!({ "role": "user", "content": [{ "type": "text", "text": rec.task.instruction }] })];
    let id = next_id();
    messages.push(json!({ "role": "assistant", "content": [{ "type": "tool_use", "id": id, "name": "computer", "input": { "action": "screenshot" } }] }));
    messages.push(json!({ "role": "user", "content": [{ "type": "tool_result", "tool_use_id": id, "content": shot(first) }] }));
    for st in steps {
        let mut content: Vec<Value> = st.reasoning.iter().map(|r| r.text.trim()).filter(|t| !t.is_empty()).map(|t| json!({ "type": "text", "text": t })).collect();
        let inputs = tool_inputs(&st.action, display);
        let ids: Vec<String> = inputs.iter().map(|_| next_id()).collect();
        content.extend(inputs.into_iter().zip(&ids).map(|(input, id)| json!({ "type": "tool_use", "id": id, "name": "computer", "input": input })));
        messages.push(json!({ "role": "assistant", "content": content }));
        // Every tool_use gets its result; the screen after the action goes with the last one.
        let last = ids.len().saturating_sub(1);
        let results: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let content = if i == last { shot(st.after.as_ref().map(|o| o.frame_seq)) } else { vec![json!({ "type": "text", "text": "done" })] };
                json!({ "type": "tool_result", "tool_use_id": id, "content": content })
            })
            .collect();
        messages.push(json!({ "role": "user", "content": results }));
    }
    // The expert's stated outcome closes the conversation (their comment, if they gave one).
    let closing = screen::closing_statement(rec);
    messages.push(json!({ "role": "assistant", "content": [{ "type": "text", "text": closing }] }));
    Ok(json!({
        "tools": [{ "type": tool_type, "name": "computer", "display_width_px": width, "display_height_px": height, "display_number": 1 }],
        "messages": messages,
        "apprentice": { "schema": SCHEMA_VERSION, "recording_id": rec.id, "task_id": rec.task.id, "outcome": rec.outcome.as_str(), "status": rec.status.as_str(), "steps": steps.len(), "synthetic_input_share": source.segmentation.quality.synthetic_input_share, "review": super::review_metadata(source) },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::actions::action;

    use crate::export::screen::testing::{at, hd};

    #[test]
    fn the_declared_display_keeps_the_aspect_with_the_long_side_capped() {
        assert_eq!(declared(&hd()), (1280.0 / 1920.0, 1280, 720));
        let small = DisplayInfo { width: 1024, height: 768, ..hd() };
        assert_eq!(declared(&small), (1.0, 1024, 768));
    }

    #[test]
    fn every_action_kind_maps_to_the_computer_tool_with_scaled_coordinates() {
        let d = hd();
        let drag = Action { path: vec![PathPoint { x: 300, y: 300, t: 0 }, PathPoint { x: 960, y: 540, t: 1 }], ..at(ActionKind::Drag, 300, 300) };
        let cases: Vec<(Action, Vec<Value>)> = vec![
            (at(ActionKind::Click, 960, 540), vec![json!({"action": "left_click", "coordinate": [640, 360]})]),
            (at(ActionKind::DoubleClick, 3, 3), vec![json!({"action": "double_click", "coordinate": [2, 2]})]),
            (at(ActionKind::TripleClick, 1919, 1079), vec![json!({"action": "triple_click", "coordinate": [1279, 719]})]),
            (at(ActionKind::RightClick, 960, 540), vec![json!({"action": "right_click", "coordinate": [640, 360]})]),
            (at(ActionKind::MiddleClick, 960, 540), vec![json!({"action": "middle_click", "coordinate": [640, 360]})]),
            (at(ActionKind::Move, 960, 540), vec![json!({"action": "mouse_move", "coordinate": [640, 360]})]),
            (drag, vec![json!({"action": "left_click_drag", "start_coordinate": [200, 200], "coordinate": [640, 360]})]),
            (Action { scroll_dy: 3, ..at(ActionKind::Scroll, 960, 540) }, vec![json!({"action": "scroll", "coordinate": [640, 360], "scroll_direction": "up", "scroll_amount": 3})]),
            (
                Action { scroll_dy: -2, scroll_dx: -1, ..at(ActionKind::Scroll, 960, 540) },
                vec![
                    json!({"action": "scroll", "coordinate": [640, 360], "scroll_direction": "down", "scroll_amount": 2}),
                    json!({"action": "scroll", "coordinate": [640, 360], "scroll_direction": "left", "scroll_amount": 1}),
                ],
            ),
            (Action { text: Some("Hello World".into()), ..action(ActionKind::Type, 0, 0, (0, 0)) }, vec![json!({"action": "type", "text": "Hello World"})]),
            (Action { keys: vec!["enter".into()], ..action(ActionKind::Key, 0, 0, (0, 0)) }, vec![json!({"action": "key", "text": "Return"})]),
            (Action { keys: vec!["ctrl".into(), "shift".into(), "t".into()], ..action(ActionKind::Hotkey, 0, 0, (0, 0)) }, vec![json!({"action": "key", "text": "ctrl+shift+t"})]),
            (Action { keys: vec!["alt".into(), "f4".into()], ..action(ActionKind::Hotkey, 0, 0, (0, 0)) }, vec![json!({"action": "key", "text": "alt+F4"})]),
            (Action { modifiers: Modifiers(Modifiers::SHIFT), ..at(ActionKind::Click, 960, 540) }, vec![json!({"action": "left_click", "coordinate": [640, 360], "text": "shift"})]),
        ];
        for (a, want) in cases {
            assert_eq!(tool_inputs(&a, &d), want, "{:?}", a.kind);
        }
    }

    #[test]
    fn screenshots_are_downscaled_pngs() {
        use base64::Engine;
        let img = image::RgbImage::from_pixel(1920, 1080, image::Rgb([10, 20, 30]));
        let block = image_block(&screen::png_base64(&img, &hd()).unwrap());
        let data = base64::engine::general_purpose::STANDARD.decode(block["source"]["data"].as_str().unwrap()).unwrap();
        let back = image::load_from_memory(&data).unwrap();
        assert_eq!((back.width(), back.height()), (1280, 720));
    }
}
