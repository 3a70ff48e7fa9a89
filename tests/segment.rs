//! Segmentation end to end: scripted expert-like sessions (human timing) in the test app, whose
//! window changes colour on every press and key, recorded by the real binary; then the exact
//! action sequence, coordinates, and that each step's *before* frame shows the app as it was
//! before the action and its *after* frame as it was after. The canonical export is validated
//! against the published JSON Schema and its manifest.

mod support;

use std::path::Path;

use apprentice_core::model::Segmentation;
use apprentice_core::model::*;
use apprentice_core::store::Library;
use support::*;

fn started_ms(rec: &Recording) -> u128 {
    let t = time::OffsetDateTime::parse(&rec.started_at, &time::format_description::well_known::Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as u128
}

/// Every step's before frame shows the colour the app had before the action began, and its
/// after frame the colour it had once the action was done (before the next began).
fn assert_frames_bracket_actions(lib: &Library, seg: &Segmentation, rec: &Recording, log: &Path, probe: (i32, i32), app_window: u32) {
    let changes = app_changes(log);
    let t0 = started_ms(rec);
    let colour_at = |t: Micros| PALETTE[changes.iter().filter(|&&ms| ms + 40 < t0 + (t / 1000) as u128).count() % PALETTE.len()];
    let mut checked = 0;
    for (i, st) in seg.steps.iter().enumerate() {
        if st.window.as_ref().map(|w| w.window_id) != Some(app_window) {
            continue;
        }
        let next = seg.steps.get(i + 1).map(|n| n.t_start).unwrap_or(rec.duration_us);
        let next = if st.action.kind == ActionKind::Move { next.min(st.t_end) } else { next };
        let before = st.before.as_ref().unwrap_or_else(|| panic!("step {i} has a before frame"));
        let after = st.after.as_ref().unwrap_or_else(|| panic!("step {i} has an after frame"));
        assert!(before.t < st.t_start, "step {i}: before frame completed before the action");
        assert!(after.t < next, "step {i}: after frame precedes the next action");
        let px = |seq| lib.frame_image(&rec.id, seq).unwrap().get_pixel(probe.0 as u32, probe.1 as u32).0;
        assert_eq!(px(before.frame_seq), colour_at(st.t_start), "step {i} ({:?}): before frame", st.action.kind);
        assert_eq!(px(after.frame_seq), colour_at(next), "step {i} ({:?}): after frame", st.action.kind);
        checked += 1;
    }
    assert!(checked >= 5, "checked {checked} steps");
}

fn segmentation(lib_dir: &Path, id: &str) -> (Library, Segmentation, Recording) {
    let lib = Library::open(lib_dir).unwrap();
    let seg = lib.segmentation(id).unwrap().expect("segmented automatically at stop");
    let rec = lib.recording(id).unwrap();
    (lib, seg, rec)
}

#[test]
fn mouse_actions_become_clicks_multi_clicks_drags_scrolls_and_hovers() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let log = tmp.path().join("app.jsonl");
    let mut x = XSession::start();
    let win = x.testapp("Segment Mouse", "segment-mouse", "600x450+80+80", &log);
    let (wx, wy, ww, wh) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    let at = |dx: i32, dy: i32| (wx + dx, wy + dy);
    let go = |p: (i32, i32)| {
        x.xdo(&["mousemove", &s(p.0), &s(p.1)]);
        pause(350);
    };
    let points = [at(100, 100), at(150, 120), at(200, 140), at(250, 160), at(300, 180), at(120, 250), at(320, 330), at(400, 200), at(450, 220)];
    go(points[0]);
    x.xdo(&["click", "1"]);
    pause(700);
    go(points[1]);
    x.xdo(&["click", "3"]);
    pause(700);
    go(points[2]);
    x.xdo(&["click", "2"]);
    pause(700);
    go(points[3]);
    x.xdo(&["click", "--repeat", "2", "--delay", "120", "1"]);
    pause(800);
    go(points[4]);
    x.xdo(&["click", "--repeat", "3", "--delay", "120", "1"]);
    pause(800);
    go(points[5]);
    x.xdo(&["mousedown", "1"]);
    pause(150);
    for (i, p) in [at(170, 270), at(240, 300), points[6]].iter().enumerate() {
        x.xdo(&["mousemove", &s(p.0), &s(p.1)]);
        pause(120 + i as u64 * 10);
    }
    x.xdo(&["mouseup", "1"]);
    pause(800);
    go(points[7]);
    x.xdo(&["click", "--repeat", "3", "--delay", "120", "4"]);
    pause(800);
    go(points[8]);
    x.xdo(&["click", "--repeat", "2", "--delay", "120", "5"]);
    pause(800);
    // Hover the app's hot zone (it lights up), rest, move on: a `move`. Resting elsewhere
    // changes nothing on screen: no action.
    go(at(40, wh as i32 - 30));
    pause(1200);
    go(at(500, 60));
    pause(1200);
    go(at(520, 80));
    pause(600);
    let id = rec.stop();

    let (lib, seg, recording) = segmentation(&lib_dir, &id);
    use ActionKind::*;
    let got: Vec<(ActionKind, Option<i32>, Option<i32>)> = seg.steps.iter().map(|s| (s.action.kind, s.action.x, s.action.y)).collect();
    let p = |i: usize| (Some(points[i].0), Some(points[i].1));
    let hover = at(40, wh as i32 - 30);
    assert_eq!(
        got,
        vec![
            (Click, p(0).0, p(0).1),
            (RightClick, p(1).0, p(1).1),
            (MiddleClick, p(2).0, p(2).1),
            (DoubleClick, p(3).0, p(3).1),
            (TripleClick, p(4).0, p(4).1),
            (Drag, p(5).0, p(5).1),
            (Scroll, p(7).0, p(7).1),
            (Scroll, p(8).0, p(8).1),
            (Move, Some(hover.0), Some(hover.1)),
        ]
    );
    let drag = &seg.steps[5].action;
    let end = drag.path.last().unwrap();
    assert!((end.x - points[6].0).abs() <= 3 && (end.y - points[6].1).abs() <= 3, "drag ends at the release");
    assert!(drag.path.iter().any(|p| (p.x, p.y) == at(240, 300)), "drag path kept");
    assert_eq!((seg.steps[6].action.scroll_dy, seg.steps[7].action.scroll_dy), (3, -2), "3 notches up, 2 down");
    assert_eq!(seg.steps[0].window.as_ref().map(|w| w.app.as_str()), Some("segment-mouse"));
    // The hover's consequence shows: the zone is white after it, not before.
    let hz = (hover.0 as u32, hover.1 as u32);
    let mv = &seg.steps[8];
    assert_ne!(lib.frame_image(&id, mv.before.as_ref().unwrap().frame_seq).unwrap().get_pixel(hz.0, hz.1).0, [255, 255, 255]);
    assert_eq!(lib.frame_image(&id, mv.after.as_ref().unwrap().frame_seq).unwrap().get_pixel(hz.0, hz.1).0, [255, 255, 255]);
    let window = seg.steps[0].window.as_ref().unwrap().window_id;
    assert_frames_bracket_actions(&lib, &seg, &recording, &log, (wx + ww as i32 - 20, wy + 20), window);
    assert_eq!(seg.quality.steps, 9);
    assert_eq!(seg.quality.actions_by_kind.get("scroll"), Some(&2));
}

#[test]
fn keyboard_actions_notes_markers_pause_and_an_excluded_window_and_the_canonical_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let log = tmp.path().join("app.jsonl");
    let mut x = XSession::start();
    let win = x.testapp("Segment Keys", "segment-keys", "500x400+60+60", &log);
    let private = x.testapp("Private", "private-app", "300x200+800+400", &tmp.path().join("private.jsonl"));
    let (wx, wy, ww, _) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    let rec = RecorderProcess::start(&x, &lib_dir, &["--exclude", "class:private-app"]);
    x.xdo(&["mousemove", &s(wx + 200), &s(wy + 200)]);
    pause(400);
    x.xdo(&["click", "1"]);
    pause(800);
    ok(rec.cli(&["note", "typing", "the", "greeting", "now"]));
    pause(400);
    x.xdo(&["type", "--delay", "100", "Helo"]);
    x.xdo(&["key", "--delay", "120", "BackSpace"]);
    x.xdo(&["type", "--delay", "100", "lo World"]);
    pause(800);
    for k in ["Return", "Tab", "Escape", "ctrl+s", "ctrl+shift+t"] {
        x.xdo(&["key", k]);
        pause(700);
    }
    ok(rec.cli(&["mark", "mistake"]));
    pause(300);
    ok(rec.cli(&["mark", "recovery"]));
    pause(300);
    ok(rec.cli(&["pause"]));
    x.xdo(&["type", "--delay", "80", "zzz"]);
    x.xdo(&["click", "1"]);
    pause(500);
    ok(rec.cli(&["resume"]));
    pause(500);
    x.xdo(&["mousemove", &s(wx + 100), &s(wy + 300)]);
    pause(400);
    x.xdo(&["click", "1"]);
    pause(800);
    x.xdo(&["windowactivate", "--sync", &private]);
    pause(400);
    x.xdo(&["type", "--delay", "80", "secret"]);
    x.xdo(&["mousemove", "900", "500", "click", "1"]);
    pause(500);
    x.xdo(&["windowactivate", "--sync", &win]);
    pause(500);
    x.xdo(&["mousemove", &s(wx + 300), &s(wy + 100)]);
    pause(400);
    x.xdo(&["click", "1"]);
    pause(800);
    let id = rec.stop();

    let (lib, seg, recording) = segmentation(&lib_dir, &id);
    use ActionKind::*;
    let got: Vec<(ActionKind, String)> = seg
        .steps
        .iter()
        .map(|s| {
            let a = &s.action;
            (a.kind, a.text.clone().unwrap_or_else(|| if a.keys.is_empty() { format!("{:?},{:?}", a.x, a.y) } else { a.keys.join("+") }))
        })
        .collect();
    let xy = |dx: i32, dy: i32| format!("{:?},{:?}", Some(wx + dx), Some(wy + dy));
    let want: Vec<(ActionKind, String)> = vec![
        (Click, xy(200, 200)),
        (Type, "Hello World".into()),
        (Key, "enter".into()),
        (Key, "tab".into()),
        (Key, "esc".into()),
        (Hotkey, "ctrl+s".into()),
        (Hotkey, "ctrl+shift+t".into()),
        (Click, xy(100, 300)),
        (Click, xy(300, 100)),
    ];
    assert_eq!(got, want);
    assert_eq!(seg.steps[1].action.backspaces, 1);
    assert_eq!(seg.steps[1].reasoning.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(), vec!["typing the greeting now"], "a thought belongs to the action after it");
    assert_eq!(seg.steps[6].markers.iter().map(|m| m.kind).collect::<Vec<_>>(), vec![MarkerKind::Mistake], "mistake marks what was just done");
    assert_eq!(seg.steps[7].markers.iter().map(|m| m.kind).collect::<Vec<_>>(), vec![MarkerKind::Recovery], "recovery marks what comes next");
    assert!((seg.quality.reasoning_coverage - 1.0 / 9.0).abs() < 1e-9);
    assert_eq!(seg.quality.markers, 2);
    assert!(seg.quality.paused_us >= 500_000);
    let window = seg.steps[0].window.as_ref().unwrap().window_id;
    assert_frames_bracket_actions(&lib, &seg, &recording, &log, (wx + ww as i32 - 20, wy + 20), window);

    // Re-segmenting gives the same steps and leaves raw streams alone.
    let events_before = lib.input_events(&id).unwrap().len();
    assert!(ok(cli(&lib_dir, &["segment", &id])).contains("9 steps"));
    assert_eq!(lib.segmentation(&id).unwrap().unwrap().steps, seg.steps);
    assert_eq!(lib.input_events(&id).unwrap().len(), events_before);
    let shown = ok(cli(&lib_dir, &["show", &id]));
    assert!(shown.contains("type \"Hello World\"") && shown.contains("hotkey ctrl+shift+t"), "{shown}");
    let info: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["info", &id, "--json"]))).unwrap();
    assert_eq!(info["quality"]["steps"], 9);

    // The canonical bundle validates against the published schema; its manifest is exact.
    let out = tmp.path().join("bundle");
    ok(cli(&lib_dir, &["export", &id, "--format", "canonical", "--out", out.to_str().unwrap()]));
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/apprentice.trajectory.v1.schema.json")).unwrap()).unwrap();
    let trajectory: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("trajectory.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(&trajectory).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
    assert_eq!(trajectory["steps"].as_array().unwrap().len(), 9);
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    for f in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(out.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(apprentice_core::store::media::hex_sha256(&bytes), f["sha256"].as_str().unwrap());
    }
    // Step images are full frames that decode and show what the library frames show.
    let st = &trajectory["steps"][2];
    let img = image::open(out.join(st["before_image"]["path"].as_str().unwrap())).unwrap().to_rgb8();
    assert_eq!(img, lib.frame_image(&id, st["before"]["frame_seq"].as_u64().unwrap()).unwrap());
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(events.lines().any(|l| l.contains("\"stream\":\"note\"")));
    assert!(!events.contains("secret") && !events.contains("private-app"));
    // Exporting into a non-empty directory is refused rather than mixing bundles.
    let again = cli(&lib_dir, &["export", &id, "--format", "canonical", "--out", out.to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn quality_figures_count_repeats_undo_and_backspacing_as_redundant_and_idle_time_outside_pauses() {
    use apprentice_core::segment::quality::IDLE_THRESHOLD;
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("Quality App", "quality-app", "500x400+60+60", &tmp.path().join("app.jsonl"));
    let (wx, wy, _, _) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    // A click, the same click again 0.9 s later (too late to be a double click: a repeat).
    x.xdo(&["mousemove", "--sync", &s(wx + 100), &s(wy + 100), "click", "1"]);
    pause(900);
    x.xdo(&["click", "1"]);
    pause(700);
    // An undo, then 5.5 s paused and 1 s more: a long gap, but not idle work.
    x.xdo(&["key", "ctrl+z"]);
    pause(300);
    ok(rec.cli(&["pause"]));
    pause(5500);
    ok(rec.cli(&["resume"]));
    pause(700);
    x.xdo(&["mousemove", "--sync", &s(wx + 300), &s(wy + 200), "click", "1"]);
    // 7 s of nothing: idle beyond the threshold.
    pause(7000);
    // Four letters typed and three taken back: backspace-heavy.
    x.xdo(&["type", "--delay", "120", "abcd"]);
    x.xdo(&["key", "--delay", "120", "BackSpace", "BackSpace", "BackSpace"]);
    pause(700);
    let id = rec.stop();

    let (_lib, seg, recording) = segmentation(&lib_dir, &id);
    let kinds: Vec<ActionKind> = seg.steps.iter().map(|s| s.action.kind).collect();
    assert_eq!(kinds, [ActionKind::Click, ActionKind::Click, ActionKind::Hotkey, ActionKind::Click, ActionKind::Type], "{:?}", seg.steps);
    assert_eq!((seg.steps[4].action.text.as_deref(), seg.steps[4].action.backspaces), (Some("a"), 3));
    let q = &seg.quality;
    assert_eq!(q.steps, 5);
    assert_eq!(q.redundancy, 3, "the repeated click, the undo and the backspacing");
    assert_eq!(q.actions_by_kind, [("click".to_string(), 3), ("hotkey".to_string(), 1), ("type".to_string(), 1)].into_iter().collect());
    assert_eq!((q.markers, q.reasoning_coverage), (0, 0.0));
    assert_eq!(recording.pauses.len(), 1);
    let p = recording.pauses[0];
    assert_eq!(q.paused_us, p.t1.unwrap() - p.t0);
    assert_eq!(q.duration_us, recording.duration_us);
    // Idle: only the unpaused 7 s gap, beyond the threshold; the paused gap adds nothing.
    let gap = |i: usize| seg.steps[i + 1].t_start - seg.steps[i].t_end;
    assert!(gap(2) - q.paused_us < IDLE_THRESHOLD && gap(2) > IDLE_THRESHOLD, "the paused gap: {} us, paused {} us", gap(2), q.paused_us);
    assert!([0, 1].iter().all(|&i| gap(i) < IDLE_THRESHOLD));
    assert_eq!(q.idle_us, gap(3) - IDLE_THRESHOLD);
    assert!((1_900_000..5_000_000).contains(&q.idle_us), "about 2 s idle: {} us", q.idle_us);
    let active_minutes = (q.duration_us - q.paused_us - q.idle_us) as f64 / 60e6;
    assert!((q.actions_per_minute - 5.0 / active_minutes).abs() < 1e-9, "{} actions a minute", q.actions_per_minute);

    // The CLI shows the vendor the same figures.
    let info: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["info", &id, "--json"]))).unwrap();
    assert_eq!(info["quality"], serde_json::to_value(q).unwrap());
}
