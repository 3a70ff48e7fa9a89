//! The desktop app end to end: the real Tauri window (WebKitGTK) under Xvfb + openbox, driven
//! with the keyboard through xdotool; the recording it makes is read back from the library.

#![cfg(feature = "gui")]

#[path = "../crates/hub/tests/support/mod.rs"]
mod hub_support;
mod support;

use std::process::Stdio;

use apprentice_core::model::*;
use apprentice_core::store::Library;
use support::*;

#[test]
fn the_recorder_panel_starts_a_recording_and_its_hotkeys_mark_note_and_stop_without_being_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let target = x.testapp("Target App", "target-app", "400x300+820+100", &tmp.path().join("app.jsonl"));
    let mut gui = x.command(apprentice_bin()).arg("--library").arg(&lib_dir).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // The panel says "ready" in its title once its task box has focus.
    let panel = x.window(&["--name", "^Apprentice — ready$"]);
    x.xdo(&["windowactivate", "--sync", &panel]);
    x.xdo(&["type", "--delay", "40", "File the expense report"]);
    x.xdo(&["key", "Return"]);
    x.wait_until("the panel to start a recording", || cli(&lib_dir, &["status", "--json"]).status.success());
    let status: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["status", "--json"]))).unwrap();
    assert_eq!(status["task"], "File the expense report");
    // This X session has no microphone, and the title says so.
    x.window(&["--name", "^Apprentice — recording, no microphone$"]);

    let (tx, ty, _, _) = x.geometry(&target);
    x.xdo(&["windowactivate", "--sync", &target]);
    pause(300);
    x.xdo(&["mousemove", &(tx + 40).to_string(), &(ty + 40).to_string()]);
    pause(300);
    x.xdo(&["click", "1"]);
    pause(400);
    // Global hotkeys, pressed while the target app has focus: Ctrl+Alt+M marks a mistake;
    // Ctrl+Alt+N brings up the note box, whose keys are reasoning, not actions; Ctrl+Alt+R stops.
    x.xdo(&["key", "ctrl+alt+m"]);
    pause(400);
    x.xdo(&["key", "ctrl+alt+n"]);
    x.wait_until("Ctrl+Alt+N to bring the panel, its note box focused, to the front", || x.xdo_try(&["getactivewindow"]).is_ok_and(|w| w == panel));
    x.xdo(&["type", "--delay", "40", "clicked to open the form"]);
    x.xdo(&["key", "Return"]);
    pause(600);
    x.xdo(&["key", "ctrl+alt+r"]);
    x.wait_until("the hotkey to stop and save the recording", || {
        Library::open(&lib_dir).ok().and_then(|l| l.list().ok()).is_some_and(|l| l.first().is_some_and(|r| r.status == RecordingStatus::Finished))
    });
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
    // Keys typed into the recorder's own window never reach disk; of the hotkeys only their lone
    // Ctrl and Alt presses do, which make no action.
    let keys: Vec<&str> = events.iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.key.as_deref()).collect();
    assert!(keys.iter().all(|k| ["ctrl", "alt"].contains(k)), "only the hotkeys' modifiers: {keys:?}");
    let steps = apprentice_core::review::load(&lib, id).unwrap().steps;
    assert_eq!(steps.iter().map(|s| s.action.kind).collect::<Vec<_>>(), vec![ActionKind::Click], "the click is the whole demonstration");
    let notes = lib.notes(id).unwrap();
    assert_eq!(notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(), vec!["clicked to open the form"]);
    assert!(notes[0].t > events.iter().find(|e| e.kind == InputKind::ButtonPress).unwrap().t);
    let markers = lib.markers(id).unwrap();
    assert_eq!(markers.iter().map(|m| m.kind).collect::<Vec<_>>(), vec![MarkerKind::Mistake], "Ctrl+Alt+M marked a mistake");
}

/// tauri-driver, installed by scripts/setup (`cargo install tauri-driver`).
fn tauri_driver() -> std::path::PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME").map(std::path::PathBuf::from).unwrap_or_else(|| std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let path = cargo_home.join("bin/tauri-driver");
    assert!(path.exists(), "{} is missing: run scripts/setup (it installs tauri-driver)", path.display());
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs one mode of `tests/python/drive_app.py` against the real app through tauri-driver, with
/// screenshots saved to $APPRENTICE_SCREENSHOTS when set; fails the test if it fails. Returns what
/// the script printed on stdout (its JSON answer). Stderr (xdotool's warnings, WebDriver logs) is only shown
/// when the script fails, so a warning can never be mistaken for the answer.
fn drive_app(x: &XSession, mode: &str, args: &[&str]) -> String {
    drive_app_with_env(x, mode, args, &[])
}

/// As [`drive_app`], the app (started by tauri-driver) with extra environment.
fn drive_app_with_env(x: &XSession, mode: &str, args: &[&str], env: &[(&str, &std::path::Path)]) -> String {
    let (port, native) = (free_port(), free_port());
    let mut driver =
        x.command(tauri_driver()).envs(env.iter().copied()).args(["--port", &port.to_string(), "--native-port", &native.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    x.wait_until("tauri-driver to listen", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = std::env::var("APPRENTICE_SCREENSHOTS").unwrap_or_default();
    let script = x
        .command(root.join(".venv/bin/python"))
        .arg(root.join("tests/python/drive_app.py"))
        .args([mode, &format!("http://127.0.0.1:{port}"), apprentice_bin()])
        .args(args)
        .args((!shots.is_empty()).then_some(&shots))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the project's Python (scripts/setup makes .venv)");
    // A whole UI session: five times a harness wait.
    let out = output_within_limit(script, &format!("drive_app.py {mode}"), wait_limit() * 5);
    let _ = driver.kill();
    let _ = driver.wait();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "drive_app.py {mode} failed ({}):\n{stdout}\n{stderr}", out.status);
    stdout
}

#[test]
fn a_reviewer_steps_through_labels_scores_and_approves_a_real_recording_and_it_persists() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("Review App", "review-app", "640x480+0+0", &tmp.path().join("app.jsonl"));
    let (wx, wy, _, _) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    for (dx, dy) in [(60, 60), (200, 120), (320, 300)] {
        x.xdo(&["mousemove", &s(wx + dx), &s(wy + dy)]);
        pause(350);
        x.xdo(&["click", "1"]);
        pause(700);
    }
    ok(rec.cli(&["note", "checking the totals"]));
    x.xdo(&["type", "--delay", "90", "ok"]);
    pause(800);
    let id = rec.stop();
    let steps_json = tmp.path().join("steps.json");
    std::fs::write(&steps_json, ok(cli(&lib_dir, &["show", &id, "--json"]))).unwrap();
    let steps: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&steps_json).unwrap()).unwrap();
    assert_eq!(steps.len(), 4, "three clicks and the typing");

    drive_app(&x, "review", &[lib_dir.to_str().unwrap(), &id, steps_json.to_str().unwrap()]);

    // What the reviewer did is in the library, as the CLI and the exports see it.
    let lib = Library::open(&lib_dir).unwrap();
    let state = lib.review_state(&id).unwrap();
    let t = |i: usize| steps[i]["t_start"].as_u64().unwrap();
    assert_eq!(state.labels[&t(0)].correctness, Some(Correctness::Correct));
    let l1 = &state.labels[&t(1)];
    assert_eq!((l1.correctness, l1.mistake, l1.is_unsafe, l1.comment.as_deref()), (Some(Correctness::Incorrect), true, true, Some("clicked the wrong row")));
    let review = state.trajectory.expect("a trajectory review");
    assert_eq!((review.verdict, review.scores.goal_completion, review.scores.safety), (Some(Verdict::Approved), Some(4), Some(2)));
    // Every change is in the audit log, in order: five labels (1; 2, 4, 6; the comment), the
    // fixed action, two scores and the verdict.
    let kinds: Vec<&str> = state
        .log
        .iter()
        .map(|e| match e.change {
            ReviewChange::Label { .. } => "label",
            ReviewChange::Edit { .. } => "edit",
            ReviewChange::Trajectory { .. } => "trajectory",
            ReviewChange::Transcript { .. } => "transcript",
        })
        .collect();
    assert_eq!(kinds, ["label", "label", "label", "label", "label", "edit", "trajectory", "trajectory", "trajectory"], "{:?}", state.log);
    let reviewed = apprentice_core::review::load(&lib, &id).unwrap();
    assert_eq!(reviewed.steps[2].action.kind, ActionKind::DoubleClick, "the fixed action");
    assert_eq!(
        (reviewed.steps[2].action.x, reviewed.steps[2].action.y),
        (steps[2]["action"]["x"].as_i64().map(|v| v as i32), steps[2]["action"]["y"].as_i64().map(|v| v as i32)),
        "only the kind changed"
    );
    let list = lib.list().unwrap();
    assert!(list.iter().any(|r| r.task == "Panel task" && r.status == RecordingStatus::Finished), "the recorder panel made and saved a recording: {list:?}");
}

#[test]
fn a_recording_stopped_with_the_hotkey_has_no_outcome_until_the_expert_answers_in_the_panel() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    x.testapp("Outcome Target", "outcome-target", "400x300+820+100", &tmp.path().join("app.jsonl"));
    let out = drive_app(&x, "outcome", &[lib_dir.to_str().unwrap()]);
    let seen: serde_json::Value = serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(seen["outcome_before"], "unknown", "stopping never answers for the expert");
    assert_eq!(seen["task_completed_before"], serde_json::Value::Null, "an export before the answer claims nothing");
    let codes: Vec<&str> = seen["codes_before"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert_eq!(codes, vec!["pyautogui.click(x=0.75, y=0.3)"], "the one click, and no terminate step claiming an outcome");

    let lib = Library::open(&lib_dir).unwrap();
    let rec = lib.recording(seen["recording"].as_str().unwrap()).unwrap();
    assert_eq!((rec.task.instruction.as_str(), rec.status), ("Hotkey task", RecordingStatus::Finished));
    assert_eq!((rec.outcome, rec.outcome_note.as_deref()), (Outcome::Failure, Some("the form rejected the date")), "the panel's answer is stored");
}

#[test]
fn after_stop_the_panel_shows_the_privacy_check_and_takes_the_expert_to_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    x.testapp("Outcome Target", "outcome-target", "400x300+820+100", &tmp.path().join("app.jsonl"));
    let out = drive_app(&x, "privacy", &[lib_dir.to_str().unwrap()]);
    let seen: serde_json::Value = serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let said = seen["said"].as_str().unwrap_or_default();
    assert!(said.contains("Privacy check: 1 possible secret or personal data (1 email)") && said.contains("[EMAIL_1]"), "{said}");
    assert!(!said.contains("ann.lee@example.com"), "the panel never shows the value: {said}");
    let lib = Library::open(&lib_dir).unwrap();
    let steps = apprentice_core::review::load(&lib, seen["recording"].as_str().unwrap()).unwrap().steps;
    let n = seen["step"].as_u64().unwrap() as usize;
    assert_eq!(steps[n - 1].action.text.as_deref(), Some("ann.lee@example.com"), "the button names the step where it was typed");
}

#[test]
fn a_reviewer_plays_and_corrects_spoken_reasoning_in_the_app() {
    let path = apprentice_speech::model::resolve(None);
    assert!(apprentice_speech::model::check(&path).is_ok(), "no Whisper model at {}: run scripts/install-model", path.display());
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    x.testapp("Spoken", "spoken-app", "640x480+0+0", &tmp.path().join("app.jsonl"));
    let pulse = PulseSession::start();
    let rec = RecorderProcess::start_with_env(&x, &lib_dir, &["--audio"], &pulse.env());
    pulse.say("I click the first row to open the invoice.");
    pause(300);
    x.xdo(&["mousemove", "--sync", "100", "100", "click", "1"]);
    pause(800);
    let id = rec.stop();
    ok(cli(&lib_dir, &["transcribe", &id]));

    let correction = "I click the first row to open the invoice (corrected).";
    drive_app(&x, "think-aloud", &[lib_dir.to_str().unwrap(), &id, correction]);

    let lib = Library::open(&lib_dir).unwrap();
    let utterances = lib.utterances(&id).unwrap();
    assert_eq!(utterances[0].corrected.as_deref(), Some(correction));
    let log = lib.review_state(&id).unwrap().log;
    assert!(log.iter().any(|e| matches!(e.change, ReviewChange::Transcript { .. })), "{log:?}");
}

/// The desktop on a station that joined a hub: the expert picks an assigned task in the panel,
/// records it, and the recording is sent to the hub in the background, as the panel then says.
#[test]
fn on_a_joined_station_the_panel_offers_assigned_tasks_and_sends_the_recording_in_the_background() {
    let tmp = tempfile::tempdir().unwrap();
    let (lib_dir, config) = (tmp.path().join("library"), tmp.path().join("config"));
    let (_pg, hub, admin) = hub_support::hub_with_admin();
    let url = |p: &str| format!("{}{p}", hub.url);
    let (_, ann) = hub_support::request("POST", &url("/api/users"), Some(&admin), Some(serde_json::json!({ "name": "ann", "role": "expert" })));
    let token = ann["token"].as_str().unwrap().to_string();
    let (status, v) = hub_support::request("POST", &url("/api/campaigns"), Some(&admin), Some(serde_json::json!({ "name": "c1", "tasks": [{ "id": "t1", "instruction": "Click the target once" }] })));
    assert_eq!(status, 201, "{v}");
    hub_support::request("POST", &url("/api/campaigns/c1/assign"), Some(&admin), Some(serde_json::json!({ "expert": "ann" })));
    let join = std::process::Command::new(apprentice_bin()).env("XDG_CONFIG_HOME", &config).args(["station", "join", &hub.url, "--token", &token]).output_within("apprentice station join");
    assert!(join.status.success(), "{}", String::from_utf8_lossy(&join.stderr));

    let mut x = XSession::start();
    x.testapp("Hub Target", "hub-target", "400x300+820+100", &tmp.path().join("app.jsonl"));
    let out = drive_app_with_env(&x, "hub-task", &[lib_dir.to_str().unwrap()], &[("XDG_CONFIG_HOME", &config)]);
    let seen: serde_json::Value = serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!((seen["task"].as_str(), seen["task_id"].as_str()), (Some("Click the target once"), Some("t1")), "{seen}");
    assert!(seen["options"].as_array().is_some_and(|o| o.iter().any(|t| t.as_str().is_some_and(|t| t.contains("c1") && t.contains("t1")))), "{seen}");
    let id = seen["recording"].as_str().unwrap();
    // Sent at stop, and again with the expert's answer.
    let held = || hub_support::request("GET", &url(&format!("/api/recordings/{id}")), Some(&admin), None).1;
    hub_support::wait_for("the hub to hold the recording with the expert's answer", || held()["outcome"] == "success");
    let held = held();
    assert_eq!((held["task_id"].as_str(), held["expert"].as_str()), (Some("t1"), Some("ann")), "{held}");
}
