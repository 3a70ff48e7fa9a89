//! The desktop app end to end: the real Tauri window (WebKitGTK) under Xvfb + openbox, driven
//! with the keyboard through xdotool; the recording it makes is read back from the library.

#![cfg(feature = "gui")]

mod support;

use std::process::Stdio;

use apprentice::model::*;
use apprentice::store::Library;
use support::*;

#[test]
fn the_recorder_panel_starts_a_recording_takes_a_note_without_recording_its_keys_and_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let target = x.testapp("Target App", "target-app", "400x300+820+100", &tmp.path().join("app.jsonl"));
    let mut gui = x.command(apprentice_bin()).arg("--library").arg(&lib_dir).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let panel = x.window(&["--name", "^Apprentice$"]);
    // The page has loaded when the task box has focus; give WebKit a moment.
    pause(2500);
    x.xdo(&["windowactivate", "--sync", &panel]);
    x.xdo(&["type", "--delay", "40", "File the expense report"]);
    x.xdo(&["key", "Return"]);
    x.wait_until("the panel to start a recording", || cli(&lib_dir, &["status", "--json"]).status.success());
    let status: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["status", "--json"]))).unwrap();
    assert_eq!(status["task"], "File the expense report");
    pause(300);

    let (tx, ty, _, _) = x.geometry(&target);
    x.xdo(&["windowactivate", "--sync", &target]);
    pause(300);
    x.xdo(&["mousemove", &(tx + 40).to_string(), &(ty + 40).to_string()]);
    pause(300);
    x.xdo(&["click", "1"]);
    pause(400);
    // Back to the panel: its note box has focus; these keys are reasoning, not actions.
    x.xdo(&["windowactivate", "--sync", &panel]);
    pause(400);
    x.xdo(&["type", "--delay", "40", "clicked to open the form"]);
    x.xdo(&["key", "Return"]);
    pause(600);
    ok(cli(&lib_dir, &["stop"]));
    pause(300);
    let _ = gui.kill();
    let _ = gui.wait();

    let lib = Library::open(&lib_dir).unwrap();
    let list = lib.list().unwrap();
    assert_eq!(list.len(), 1);
    let id = &list[0].id;
    let rec = lib.recording(id).unwrap();
    assert_eq!(rec.status, RecordingStatus::Finished);
    assert_eq!(rec.task.instruction, "File the expense report");
    let events = lib.input_events(id).unwrap();
    let clicks: Vec<(i32, i32)> = events.iter().filter(|e| e.kind == InputKind::ButtonPress).map(|e| (e.x, e.y)).collect();
    assert_eq!(clicks, vec![(tx + 40, ty + 40)], "the click in the target app is recorded");
    assert!(!events.iter().any(|e| e.kind == InputKind::KeyPress), "keys typed into the recorder's own window are not part of the demonstration: {events:?}");
    let notes = lib.notes(id).unwrap();
    assert_eq!(notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(), vec!["clicked to open the form"]);
    assert!(notes[0].t > events.iter().find(|e| e.kind == InputKind::ButtonPress).unwrap().t);
}
