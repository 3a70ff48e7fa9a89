//! End-to-end recording tests: the real `apprentice` binary records a private Xvfb + openbox
//! screen while xdotool drives a real X app; the assertions read the real library.

mod support;

use apprentice_core::model::*;
use apprentice_core::store::Library;
use support::*;

fn presses(events: &[InputEvent]) -> Vec<(String, i32, i32)> {
    events.iter().filter(|e| e.kind == InputKind::ButtonPress).map(|e| (e.button.clone().unwrap_or_default(), e.x, e.y)).collect()
}

fn typed_text(events: &[InputEvent]) -> String {
    events.iter().filter(|e| e.kind == InputKind::KeyPress && e.modifiers.0 & Modifiers::CTRL == 0).filter_map(|e| e.text.clone()).collect()
}

fn pixel(img: &image::RgbImage, x: i32, y: i32) -> [u8; 3] {
    img.get_pixel(x as u32, y as u32).0
}

#[test]
fn records_clicks_typing_scrolling_and_a_drag_with_exact_coordinates_text_and_frames() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let app_log = tmp.path().join("app.jsonl");
    let mut x = XSession::start();
    let win = x.testapp("Apprentice Test App", "apprentice-testapp", "500x400+100+100", &app_log);
    let (wx, wy, ww, wh) = x.geometry(&win);
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);

    x.xdo(&["mousemove", &s(wx + 50), &s(wy + 60)]);
    pause(300);
    x.xdo(&["click", "1"]);
    pause(500);
    x.xdo(&["mousemove", &s(wx + 120), &s(wy + 80)]);
    pause(300);
    x.xdo(&["click", "3"]);
    pause(400);
    x.xdo(&["click", "--repeat", "2", "--delay", "80", "1"]);
    pause(400);
    x.xdo(&["type", "--delay", "100", "Hello World"]);
    pause(300);
    x.xdo(&["key", "Return"]);
    pause(300);
    x.xdo(&["key", "ctrl+s"]);
    pause(300);
    x.xdo(&["click", "4"]);
    pause(200);
    x.xdo(&["click", "5"]);
    pause(300);
    x.xdo(&["mousemove", &s(wx + 60), &s(wy + 200)]);
    pause(300);
    x.xdo(&["mousedown", "1"]);
    pause(100);
    x.xdo(&["mousemove", &s(wx + 150), &s(wy + 250)]);
    pause(100);
    x.xdo(&["mousemove", &s(wx + 260), &s(wy + 300)]);
    pause(100);
    x.xdo(&["mouseup", "1"]);
    pause(400);
    ok(rec.cli(&["note", "I", "dragged", "it", "because", "the", "layout", "was", "wrong"]));
    ok(rec.cli(&["mark", "mistake"]));
    ok(rec.cli(&["mark", "recovery", "--label", "undo"]));
    pause(300);
    let id = rec.stop();
    assert_eq!(id.len(), 36, "the recorder prints the recording id: {id:?}");

    let lib = Library::open(&lib_dir).unwrap();
    let recording = lib.recording(&id).unwrap();
    assert_eq!(recording.status, RecordingStatus::Finished);
    assert_eq!(recording.task, Task { id: Some("E2E-1".into()), instruction: "end-to-end test task".into(), campaign: None });
    assert_eq!(recording.environment.displays[0].width, 1280);
    assert!(recording.environment.capture_backend.starts_with("x11"), "{}", recording.environment.capture_backend);

    let events = lib.input_events(&id).unwrap();
    assert!(events.windows(2).all(|w| w[0].t <= w[1].t), "one clock, in order");
    let (dx, dy) = (wx + 60, wy + 200);
    assert_eq!(
        presses(&events),
        vec![("left".into(), wx + 50, wy + 60), ("right".into(), wx + 120, wy + 80), ("left".into(), wx + 120, wy + 80), ("left".into(), wx + 120, wy + 80), ("left".into(), dx, dy),]
    );
    assert_eq!(typed_text(&events), "Hello World");
    assert!(events.iter().any(|e| e.kind == InputKind::KeyPress && e.key.as_deref() == Some("h") && e.modifiers.0 & Modifiers::SHIFT != 0 && e.text.as_deref() == Some("H")));
    assert!(events.iter().any(|e| e.kind == InputKind::KeyPress && e.key.as_deref() == Some("enter") && e.code == Some(36)));
    assert!(events.iter().any(|e| e.kind == InputKind::KeyPress && e.key.as_deref() == Some("s") && e.modifiers.names() == vec!["ctrl"]));
    let wheel: Vec<i32> = events.iter().filter(|e| e.kind == InputKind::Wheel).map(|e| e.dy).collect();
    assert_eq!(wheel, vec![1, -1], "click 4 scrolls up (+1), click 5 down (-1)");
    let drag_press = events.iter().rposition(|e| e.kind == InputKind::ButtonPress).unwrap();
    let drag_release = events.iter().rposition(|e| e.kind == InputKind::ButtonRelease).unwrap();
    assert!(drag_release > drag_press);
    assert_eq!((events[drag_release].x, events[drag_release].y), (wx + 260, wy + 300));
    assert!(events[drag_press..drag_release].iter().any(|e| e.kind == InputKind::Move && (e.x, e.y) == (wx + 150, wy + 250)), "the drag path is kept");

    let windows = lib.window_events(&id).unwrap();
    let first = &windows[0];
    assert_eq!((first.app.as_str(), first.title.as_str(), first.excluded), ("apprentice-testapp", "Apprentice Test App", false));
    assert_eq!((first.bounds.x, first.bounds.y, first.bounds.width, first.bounds.height), (wx, wy, ww, wh));

    let notes = lib.notes(&id).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "I dragged it because the layout was wrong");
    assert!(notes[0].t > events[drag_release].t, "notes share the clock with input");
    let markers = lib.markers(&id).unwrap();
    assert_eq!(markers.iter().map(|m| m.kind).collect::<Vec<_>>(), vec![MarkerKind::Mistake, MarkerKind::Recovery]);
    assert_eq!(markers[1].label.as_deref(), Some("undo"));

    // Frames show the screen: before the first click the app has its first colour, and the last
    // frame shows the colour the app ended on.
    let frames = lib.frames(&id).unwrap();
    assert!(frames.len() >= 5, "{} frames", frames.len());
    let first_press = events.iter().find(|e| e.kind == InputKind::ButtonPress).unwrap();
    let before = frames.iter().rfind(|f| f.t < first_press.t).expect("a frame exists before the first action");
    let probe = (wx + ww as i32 - 30, wy + 30);
    assert_eq!(pixel(&lib.frame_image(&id, before.seq).unwrap(), probe.0, probe.1), PALETTE[0]);
    // The screen as the second click found it: the app's second colour, and nothing else.
    let second_press = events.iter().filter(|e| e.kind == InputKind::ButtonPress).nth(1).expect("a second click");
    let after = frames.iter().rfind(|f| f.t > first_press.t && f.t < second_press.t).expect("a frame between the first and the second click");
    assert_eq!(pixel(&lib.frame_image(&id, after.seq).unwrap(), probe.0, probe.1), PALETTE[1], "the first click's consequence is captured");
    let last = frames.last().unwrap();
    let changes = app_changes(&app_log).len();
    assert_eq!(pixel(&lib.frame_image(&id, last.seq).unwrap(), probe.0, probe.1), PALETTE[changes % PALETTE.len()], "{changes} changes");
    assert!(frames.iter().any(|f| matches!(f.encoding, FrameEncoding::Delta { .. })), "unchanged tiles are not stored again");

    let info: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["info", &id[..8], "--json"]))).unwrap();
    assert_eq!(info["counts"]["notes"], 1);
    assert_eq!(info["counts"]["markers"], 2);
    assert_eq!(info["counts"]["frames"].as_u64(), Some(frames.len() as u64));
    assert_eq!(info["health"]["frames_dropped"], 0);
}

#[test]
fn a_pause_keeps_time_aligned_and_nothing_of_the_paused_span_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("Pause App", "pause-app", "400x300+50+50", &tmp.path().join("app.jsonl"));
    let (wx, wy, _, _) = x.geometry(&win);
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    x.xdo(&["mousemove", &s(wx + 20), &s(wy + 20)]);
    x.xdo(&["type", "--delay", "80", "abc"]);
    pause(300);
    ok(rec.cli(&["pause"]));
    let status: serde_json::Value = serde_json::from_str(&ok(rec.cli(&["status", "--json"]))).unwrap();
    assert_eq!(status["state"], "paused");
    assert!(!rec.cli(&["pause"]).status.success(), "pausing twice is refused");
    x.xdo(&["type", "--delay", "80", "SECRET"]);
    x.xdo(&["mousemove", &s(wx + 200), &s(wy + 150)]);
    x.xdo(&["click", "1"]);
    pause(1200);
    ok(rec.cli(&["resume"]));
    pause(200);
    x.xdo(&["type", "--delay", "80", "xyz"]);
    pause(300);
    let id = rec.stop();

    let lib = Library::open(&lib_dir).unwrap();
    let rec = lib.recording(&id).unwrap();
    assert_eq!(rec.pauses.len(), 1);
    let p = rec.pauses[0];
    let t1 = p.t1.expect("the pause ended");
    assert!(t1 - p.t0 >= 1_200_000, "pause lasted {} us", t1 - p.t0);
    let events = lib.input_events(&id).unwrap();
    assert_eq!(typed_text(&events), "abcxyz");
    assert!(events.iter().all(|e| e.t < p.t0 || e.t > t1), "no input inside the pause");
    assert!(!events.iter().any(|e| e.kind == InputKind::ButtonPress), "the click during the pause is gone");
    let frames = lib.frames(&id).unwrap();
    assert!(frames.iter().all(|f| f.t < p.t0 || f.t > t1), "no frames inside the pause");
    assert!(frames.iter().any(|f| f.t > t1), "capture resumed");
    assert!(rec.duration_us > t1, "the clock ran through the pause");
}

/// The whole screen as ffmpeg's x11grab sees it now (no cursor): an independent grab.
fn ffmpeg_grab(x: &XSession, dir: &std::path::Path) -> image::RgbImage {
    let png = dir.join("grab.png");
    let out = x.command("ffmpeg").args(["-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0", "-i", &x.display, "-frames:v", "1"]).arg(&png).output_within("ffmpeg -f x11grab");
    assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    image::open(&png).expect("ffmpeg's grab").to_rgb8()
}

#[test]
fn every_screen_backend_records_the_screen_pixel_for_pixel() {
    for (backend, name) in [("x11-shm", "x11-shm"), ("x11-get-image", "x11-getimage"), ("xcap", "xcap")] {
        let tmp = tempfile::tempdir().unwrap();
        let lib_dir = tmp.path().join("library");
        let mut x = XSession::start();
        let win = x.testapp("Backend App", "backend-app", "400x300+200+150", &tmp.path().join("app.jsonl"));
        let (wx, wy, ww, _) = x.geometry(&win);
        x.xdo(&["windowactivate", "--sync", &win]);
        let rec = RecorderProcess::start(&x, &lib_dir, &["--backend", backend]);
        x.xdo(&["mousemove", "--sync", &s(wx + 60), &s(wy + 60), "click", "1"]);
        // Nothing moves from here on: the last frame must be the screen as it now is.
        x.xdo(&["mousemove", "--sync", "5", "5"]);
        let lib = Library::open(&lib_dir).unwrap();
        let id = rec.id();
        let probe = (wx + ww as i32 - 30, wy + 30);
        x.wait_until("a frame showing the click's consequence", || lib.frames(&id).unwrap().last().is_some_and(|f| pixel(&lib.frame_image(&id, f.seq).unwrap(), probe.0, probe.1) == PALETTE[1]));
        let grab = ffmpeg_grab(&x, tmp.path());
        let id = rec.stop();

        let recording = lib.recording(&id).unwrap();
        assert_eq!(recording.environment.capture_backend, name);
        assert_eq!(presses(&lib.input_events(&id).unwrap()), vec![("left".to_string(), wx + 60, wy + 60)], "{backend}");
        let frames = lib.frames(&id).unwrap();
        assert_eq!(pixel(&lib.frame_image(&id, frames[0].seq).unwrap(), probe.0, probe.1), PALETTE[0], "{backend}: the first frame, before the click");
        let last = lib.frame_image(&id, frames.last().unwrap().seq).unwrap();
        assert_eq!((last.dimensions(), grab.dimensions()), ((1280, 800), (1280, 800)), "{backend}");
        let differing = last.pixels().zip(grab.pixels()).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{backend}: the last frame differs from ffmpeg's grab in {differing} pixels");
    }
}
