//! Privacy end to end: what the expert excluded never reaches disk.

mod support;

use apprentice_core::model::*;
use apprentice_core::store::Library;
use support::*;

#[test]
fn an_excluded_window_leaves_no_keys_no_title_and_no_pixels_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    x.spawn("xterm", &["-class", "SecretVault", "-T", "Vault TopSecretTitle", "-geometry", "60x15+40+60", "-bg", "white", "-fg", "black"]);
    let vault = x.window(&["--class", "SecretVault"]);
    let rec = RecorderProcess::start(&x, &lib_dir, &["--exclude", "class:SecretVault"]);

    x.xdo(&["windowactivate", "--sync", &app]);
    pause(300);
    x.xdo(&["type", "--delay", "80", "ok"]);
    pause(300);
    x.xdo(&["windowactivate", "--sync", &vault]);
    pause(300);
    x.xdo(&["type", "--delay", "80", "hunter2 TOPSECRET"]);
    x.xdo(&["key", "Return"]);
    pause(600);
    x.xdo(&["windowactivate", "--sync", &app]);
    pause(400);
    x.xdo(&["type", "--delay", "80", "done"]);
    pause(600);
    let id = rec.stop();

    let lib = Library::open(&lib_dir).unwrap();
    let events = lib.input_events(&id).unwrap();
    let typed: String = events.iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.text.clone()).collect();
    assert_eq!(typed, "okdone", "only what was typed outside the vault is kept");
    assert!(!events.iter().any(|e| e.key.as_deref() == Some("enter")), "the Return typed in the vault is gone too");

    let windows = lib.window_events(&id).unwrap();
    let hidden: Vec<&WindowEvent> = windows.iter().filter(|w| w.excluded).collect();
    assert!(!hidden.is_empty(), "focus on the vault is recorded as an excluded span: {windows:?}");
    assert!(hidden.iter().all(|w| w.app == "[excluded]" && w.title.is_empty()));
    let (start, end) = (hidden[0].t, windows.iter().find(|w| w.t > hidden[0].t && !w.excluded).expect("focus came back").t);
    assert!(!events.iter().any(|e| e.t >= start && e.t <= end && e.kind != InputKind::Move), "no keys or clicks while the vault had focus");
    assert!(lib.frames(&id).unwrap().iter().all(|f| f.t < start || f.t > end), "no frames while the vault had focus");

    // Not a byte of the title or the secret anywhere in the library, database and WAL included.
    for path in all_files(&lib_dir) {
        let bytes = std::fs::read(&path).unwrap();
        for needle in [&b"TopSecretTitle"[..], b"TOPSECRET", b"hunter2", b"SecretVault"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} contains {}", path.display(), String::from_utf8_lossy(needle));
        }
    }

    // The vault stays visible while the other app has focus: every frame shows it masked,
    // title bar included.
    let (vx, vy, vw, vh) = x.geometry(&vault);
    let frames = lib.frames(&id).unwrap();
    assert!(frames.len() >= 2);
    for f in &frames {
        let img = lib.frame_image(&id, f.seq).unwrap();
        for y in (vy - 15).max(0)..vy + vh as i32 {
            for x in vx..vx + vw as i32 {
                let p = img.get_pixel(x as u32, y as u32).0;
                assert_eq!(p, [0x40, 0x40, 0x40], "frame {} shows the excluded window at ({x},{y})", f.seq);
            }
        }
    }
}

#[test]
fn a_window_whose_title_comes_to_match_a_title_glob_is_excluded_from_that_moment() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    x.spawn("xterm", &["-T", "Notes draft", "-geometry", "60x15+40+60", "-bg", "white", "-fg", "black"]);
    let term = x.window(&["--name", "^Notes draft$"]);
    // A title glob, matched whatever the case.
    let rec = RecorderProcess::start(&x, &lib_dir, &["--exclude", "title:*online BANKING*"]);
    let id = rec.id();
    let lib = Library::open(&lib_dir).unwrap();

    x.xdo(&["windowactivate", "--sync", &term]);
    x.wait_until("the terminal's focus to be recorded", || lib.window_events(&id).unwrap().iter().any(|w| w.title == "Notes draft"));
    x.xdo(&["type", "--delay", "80", "notes"]);
    pause(500);
    // The page the expert opened turns out to be a bank's: the title changes, focus stays.
    x.xdo(&["set_window", "--name", "Online Banking - Login", &term]);
    x.wait_until("the renamed window to be recorded as excluded", || lib.window_events(&id).unwrap().iter().any(|w| w.excluded));
    x.xdo(&["type", "--delay", "80", "hunter2 SECRETPIN"]);
    x.xdo(&["key", "Return"]);
    pause(300);
    x.xdo(&["windowactivate", "--sync", &app]);
    x.wait_until("focus on the ordinary app to be recorded", || lib.window_events(&id).unwrap().last().is_some_and(|w| w.app == "ordinary-app"));
    x.xdo(&["type", "--delay", "80", "done"]);
    let back = lib.window_events(&id).unwrap().last().unwrap().t;
    // Both come without further activity: the keys once their privacy hold has passed, the frame
    // from the focus change or the typing (waiting for one 300 ms later needed the typing to
    // outlast the hold, which a loaded machine does not promise).
    x.wait_until("the typing after focus came back to be recorded", || {
        lib.input_events(&id).unwrap().iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.text.clone()).collect::<String>().ends_with("done")
    });
    x.wait_until("a frame after focus came back", || lib.frames(&id).unwrap().iter().any(|f| f.t > back));
    let id = rec.stop();

    let events = lib.input_events(&id).unwrap();
    let typed: String = events.iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.text.clone()).collect();
    assert_eq!(typed, "notesdone", "what was typed after the title matched is gone");
    assert!(!events.iter().any(|e| e.key.as_deref() == Some("enter")), "the Return too");

    // The terminal: first as itself, then, the same window, excluded with no title.
    let windows = lib.window_events(&id).unwrap();
    let before = windows.iter().find(|w| w.title == "Notes draft").expect("the terminal before the change");
    let hidden: Vec<&WindowEvent> = windows.iter().filter(|w| w.excluded).collect();
    assert!(!hidden.is_empty() && hidden.iter().all(|w| w.window_id == before.window_id && w.app == "[excluded]" && w.title.is_empty()), "{windows:?}");
    let (start, end) = (hidden[0].t, back);
    assert!(!events.iter().any(|e| e.t >= start && e.t <= end && e.kind != InputKind::Move), "no keys while the matching window had focus");
    let frames = lib.frames(&id).unwrap();
    assert!(frames.iter().all(|f| f.t < start || f.t > end), "no frames while the matching window had focus");

    for path in all_files(&lib_dir) {
        let bytes = std::fs::read(&path).unwrap();
        for needle in [&b"Online Banking"[..], b"Banking - Login", b"SECRETPIN", b"hunter2"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} contains {}", path.display(), String::from_utf8_lossy(needle));
        }
    }

    // Frames before the change show the terminal; frames after it mask the whole window, title
    // bar included.
    let (vx, vy, vw, vh) = x.geometry(&term);
    let shown = frames.iter().rfind(|f| f.t < start).expect("a frame before the title changed");
    let inside = (vx + vw as i32 - 10, vy + vh as i32 - 10);
    assert_eq!(lib.frame_image(&id, shown.seq).unwrap().get_pixel(inside.0 as u32, inside.1 as u32).0, [0xff, 0xff, 0xff], "the terminal, unmasked, before its title matched");
    let masked: Vec<&Frame> = frames.iter().filter(|f| f.t > end).collect();
    assert!(!masked.is_empty());
    for f in masked {
        let img = lib.frame_image(&id, f.seq).unwrap();
        for y in (vy - 15).max(0)..vy + vh as i32 {
            for x in vx..vx + vw as i32 {
                assert_eq!(img.get_pixel(x as u32, y as u32).0, [0x40, 0x40, 0x40], "frame {} shows the matching window at ({x},{y})", f.seq);
            }
        }
    }
}

/// Every entry under `root` that another local user could read, with its mode.
fn readable_by_others(root: &std::path::Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
            if mode & 0o077 != 0 {
                out.push((e.path().display().to_string(), mode));
            }
        }
    }
    out
}

#[test]
fn with_umask_022_a_recording_and_its_export_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    // The usual umask, which would leave new files readable by every local user; the recorder
    // inherits it.
    // SAFETY: umask only sets the process's file mode creation mask.
    unsafe { libc::umask(0o022) };
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    x.xdo(&["windowactivate", "--sync", &app]);
    pause(300);
    x.xdo(&["type", "--delay", "80", "private"]);
    pause(600);
    let id = rec.stop();

    let mut checked = 0;
    let mut stack = vec![lib_dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            checked += 1;
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    assert!(checked > 5, "the library holds the database, its WAL, media, logs: {checked} entries");
    assert_eq!(readable_by_others(&lib_dir), vec![], "every file and folder of the library is its owner's only");
    assert_eq!(std::fs::metadata(&lib_dir).unwrap().permissions().mode() & 0o777, 0o700);

    // An export is private too, unless asked to be shared.
    let out = tmp.path().join("export");
    ok(cli(&lib_dir, &["export", &id, "--format", "canonical", "--out", out.to_str().unwrap()]));
    assert!(out.join("trajectory.json").exists());
    assert_eq!(readable_by_others(&out), vec![], "an export is its owner's only by default");
    let shared = tmp.path().join("shared");
    ok(cli(&lib_dir, &["export", &id, "--format", "canonical", "--out", shared.to_str().unwrap(), "--world-readable"]));
    assert_eq!(std::fs::metadata(shared.join("trajectory.json")).unwrap().permissions().mode() & 0o777, 0o644, "shared when asked");

    // A library left readable by others (an older version) is tightened when it is next opened.
    std::fs::set_permissions(&lib_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(lib_dir.join("library.sqlite"), std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(cli(&lib_dir, &["list"]));
    assert_eq!(readable_by_others(&lib_dir), vec![], "tightened on open");
}

#[test]
fn the_privacy_check_at_stop_finds_the_email_and_card_typed_and_points_to_their_steps() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    x.xdo(&["windowactivate", "--sync", &app]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "ann.lee@example.com"]);
    pause(400);
    x.xdo(&["key", "Return"]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "4111 1111 1111 1111 ACME-12345"]);
    pause(600);
    let (id, said) = rec.stop_saying();
    assert!(said.contains("privacy check: 2 possible secrets") && said.contains(&format!("apprentice privacy {id}")), "the recorder says what it found: {said}");

    let flags: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["privacy", &id, "--json", "--pattern", "ticket=ACME-[0-9]{5}"]))).unwrap();
    let kinds: Vec<(&str, &str)> = flags.as_array().unwrap().iter().map(|f| (f["kind"].as_str().unwrap_or_default(), f["field"].as_str().unwrap_or_default())).collect();
    assert!(kinds.contains(&("email", "typed")) && kinds.contains(&("card_number", "typed")) && kinds.contains(&("custom", "typed")), "{flags}");
    let text = flags.to_string();
    assert!(!text.contains("ann.lee@example.com") && !text.contains("4111 1111"), "the check never repeats a value: {text}");
    assert!(text.contains("[EMAIL_1]") && text.contains("[CARD_NUMBER_1]") && text.contains("[CUSTOM_1]"), "{text}");
    let steps: std::collections::BTreeSet<u64> = flags.as_array().unwrap().iter().filter_map(|f| f["step"].as_u64()).collect();
    assert_eq!(steps.len(), 2, "the email and the card were typed in two steps: {flags}");
    let human = ok(cli(&lib_dir, &["privacy", &id]));
    assert!(human.starts_with("2 possible secrets"), "without the vendor's pattern: {human}");
}

/// The GTK test app (tests/apps/secrets_app.py: a customer record with an email, a card number
/// and a cloud key among ordinary lines), started in `x`; its window id.
fn secrets_app(x: &mut XSession, title: &str) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/secrets_app.py");
    // Debian's Python, which has python3-gi (the project's .venv does not).
    x.spawn("/usr/bin/python3", &[script.to_str().unwrap(), title]);
    let w = x.window(&["--name", title]);
    x.xdo(&["windowmove", "--sync", &w, "200", "120"]);
    w
}

/// The text the recording's kept key presses typed.
fn typed_text(lib: &Library, id: &str) -> String {
    lib.input_events(id).unwrap().iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.text.clone()).collect()
}

/// Every word the tests' own OCR reads in each image of an export, as read.
fn read_raw(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<String>> {
    serde_json::from_str(&python("ocr_words.py", &[dir])).expect("ocr_words.py prints JSON")
}

/// The ordinary lines of the test app: none of their words is anyone's secret.
const ORDINARY_WORDS: &[&str] = &[
    "Quarterly",
    "invoice",
    "review",
    "northern",
    "region",
    "Account",
    "manager",
    "Harbour",
    "Street",
    "office",
    "Status",
    "awaiting",
    "signature",
    "purchasing",
    "Email",
    "Card",
    "Cloud",
    "key",
    "Sign",
];
const PLANTED: &[&str] = &["jane.doe", "example.com", "4111", "AKIAIOSFODNN7EXAMPLE"];

#[test]
fn exported_frames_show_no_planted_secret_and_the_rest_stays_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = secrets_app(&mut x, "Customer Record");
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    x.xdo(&["windowactivate", "--sync", &app]);
    pause(300);
    // The Reference entry, then Sign in (window-relative, as the app lays them out).
    x.xdo(&["mousemove", "--window", &app, "190", "205", "click", "1"]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "PO 7781 north"]);
    pause(400);
    x.xdo(&["mousemove", "--window", &app, "320", "290", "click", "1"]);
    pause(700);
    let id = rec.stop();

    let (redacted, plain) = (tmp.path().join("redacted"), tmp.path().join("plain"));
    let said = ok(cli(&lib_dir, &["export", &id, "--out", redacted.to_str().unwrap()]));
    assert!(said.contains("redaction: masked") && said.contains("box"), "the export says what it masked: {said}");
    ok(cli(&lib_dir, &["export", &id, "--no-redact", "--out", plain.to_str().unwrap()]));

    // Words as read, letters and digits only: OCR varies on a line's last punctuation (a colon
    // read as ";" or "s" once nothing follows it), which is no loss of the word.
    let read = |dir: &std::path::Path| -> std::collections::BTreeMap<String, Vec<String>> {
        read_raw(dir).into_iter().map(|(k, words)| (k, words.iter().map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect()).collect())).collect()
    };
    let still_read = |word: &str, words: &[String]| words.iter().any(|r| r.strip_prefix(word).is_some_and(|rest| rest.len() <= 1));
    let (seen_redacted, seen_plain) = (read(&redacted), read(&plain));
    // Frames are named by their content: pair them through the steps that show them.
    let images = |dir: &std::path::Path| -> Vec<String> {
        let t: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("trajectory.json")).unwrap()).unwrap();
        t["steps"].as_array().unwrap().iter().flat_map(|s| [s["before_image"]["path"].as_str(), s["after_image"]["path"].as_str()]).map(|p| p.unwrap_or_default().to_string()).collect()
    };
    let pairs: std::collections::BTreeSet<(String, String)> = images(&plain).into_iter().zip(images(&redacted)).filter(|(p, _)| !p.is_empty()).collect();
    assert!(pairs.len() >= 2 && pairs.iter().all(|(p, r)| seen_plain.contains_key(p) && seen_redacted.contains_key(r)), "both exports hold the steps' frames: {pairs:?}");
    // The reader does read the planted values where they were left: the check below means something.
    let plain_text: String = serde_json::to_string(&read_raw(&plain)).unwrap();
    for value in PLANTED {
        assert!(plain_text.contains(value), "the unredacted export shows {value}: {plain_text}");
    }
    let (mut kept, mut total, mut lost) = (0usize, 0usize, vec![]);
    for (plain_frame, frame) in &pairs {
        let words = &seen_redacted[frame];
        for w in seen_plain[plain_frame].iter().filter(|w| ORDINARY_WORDS.contains(&w.as_str())) {
            total += 1;
            if still_read(w, words) {
                kept += 1;
            } else {
                lost.push(w.clone());
            }
        }
    }
    assert!(total >= 20, "the ordinary lines were read in the plain frames ({total} words)");
    for (frame, words) in read_raw(&redacted) {
        let text = words.join(" ");
        for value in PLANTED {
            assert!(!text.contains(value), "{frame} still shows {value}: {text}");
        }
    }
    let share = kept as f64 / total as f64;
    assert!(share >= 0.95, "{kept} of {total} ordinary words still readable after redaction ({share:.3}); lost: {lost:?}");

    // Not a byte of a planted value in any file of the redacted export.
    for path in all_files(&redacted) {
        let bytes = std::fs::read(&path).unwrap();
        for value in PLANTED {
            assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()), "{} contains {value}", path.display());
        }
    }
    // The manifest (signed) says what was filled, by kind and box; the owner's export says it was not redacted.
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(redacted.join("manifest.json")).unwrap()).unwrap();
    let r = &manifest["redaction"];
    assert_eq!(r["redacted"], true, "{r}");
    for kind in ["email", "card_number", "credential"] {
        assert!(r["frames"][kind].as_u64().unwrap_or(0) >= 1, "a {kind} box is listed: {r}");
    }
    assert!(r["ocr"].as_str().unwrap_or_default().starts_with("tesseract"), "{r}");
    assert!(r["boxes"].as_array().is_some_and(|b| !b.is_empty() && b.iter().all(|f| f["boxes"][0]["width"].as_u64().unwrap_or(0) > 0)), "{r}");
    let plain_manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(plain.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(plain_manifest["redaction"]["redacted"], false);
    ok(cli(&lib_dir, &["verify", redacted.to_str().unwrap()]));
}

#[test]
fn a_password_typed_into_a_password_field_never_reaches_disk_and_clicks_know_their_element() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    x.with_accessibility_bus();
    let app = secrets_app(&mut x, "Customer Login");
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    assert!(rec.status()["health"]["accessibility_message"].is_null(), "the recorder found the accessibility bus: {}", rec.status());
    x.xdo(&["windowactivate", "--sync", &app]);
    pause(300);
    // Reference entry, password entry, Sign in (window-relative, as the app lays them out).
    x.xdo(&["mousemove", "--window", &app, "190", "205", "click", "1"]);
    pause(400);
    x.xdo(&["type", "--delay", "60", "PO 7781 north"]);
    pause(400);
    x.xdo(&["mousemove", "--window", &app, "190", "247", "click", "1"]);
    pause(500);
    x.xdo(&["type", "--delay", "60", "Zq9hunter2Pw"]);
    pause(400);
    x.xdo(&["mousemove", "--window", &app, "320", "290", "click", "1"]);
    pause(700);
    let id = rec.stop();

    let lib = Library::open(&lib_dir).unwrap();
    let typed = typed_text(&lib, &id);
    assert_eq!(typed, "PO 7781 north", "the keys typed into the password field are dropped, the others kept");
    // The password field's focus is in the accessibility stream; each click carries its element.
    let a11y = lib.accessibility(&id).unwrap();
    assert!(a11y.iter().any(|a| a.kind == A11yKind::Focus && a.element.role == "password text" && a.element.name == "Password"), "{a11y:?}");
    let (wx, wy, _, _) = x.geometry(&app);
    let steps = apprentice_core::segment::stored_or_new(&lib, &id).unwrap().steps;
    let clicks: Vec<&Step> = steps.iter().filter(|s| s.action.kind == ActionKind::Click).collect();
    assert_eq!(clicks.len(), 3, "{steps:#?}");
    let expect = [("text", "Reference", (190, 205)), ("password text", "Password", (190, 247)), ("push button", "Sign in", (320, 290))];
    for (step, (role, name, (cx, cy))) in clicks.iter().zip(expect) {
        let target = step.action.target.as_ref().unwrap_or_else(|| panic!("the click at ({cx}, {cy}) has a target: {step:#?}"));
        assert_eq!((target.role.as_str(), target.name.as_str()), (role, name), "{target:?}");
        let b = target.bounds;
        assert!(b.contains(wx + cx, wy + cy), "the element's bounds {b:?} hold the click at ({}, {})", wx + cx, wy + cy);
        assert!(b.width >= 30 && b.height >= 20 && b.width < 700, "plausible bounds for a {role}: {b:?}");
        assert_eq!(target.ancestors.last().map(|a| (a.role.as_str(), a.name.as_str())), Some(("frame", "Customer Login")), "{target:?}");
    }
    // Not a byte of the password anywhere in the library (database, WAL, media) or an export.
    let out = tmp.path().join("export");
    ok(cli(&lib_dir, &["export", &id, "--out", out.to_str().unwrap()]));
    let canonical: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("trajectory.json")).unwrap()).unwrap();
    assert_eq!(canonical["steps"][0]["action"]["target"]["role"], "text", "exports carry the target");
    for path in all_files(&lib_dir).into_iter().chain(all_files(&out)) {
        let bytes = std::fs::read(&path).unwrap();
        for needle in [&b"hunter2"[..], b"Zq9h"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} contains {}", path.display(), String::from_utf8_lossy(needle));
        }
    }
    // While the password field had focus its rectangle was masked in every frame stored (once
    // masked, typing changes nothing stored: frames from its focus to the click on Sign in).
    let field = a11y.iter().find(|a| a.element.role == "password text").map(|a| (a.t, a.element.bounds)).unwrap();
    let sign_in = clicks[2].action.t_start;
    let frames = lib.frames(&id).unwrap();
    let masked: Vec<&Frame> = frames.iter().filter(|f| f.t > field.0 && f.t < sign_in).collect();
    assert!(!masked.is_empty(), "a frame was stored while the password field had focus: {frames:?}");
    for f in masked {
        let img = lib.frame_image(&id, f.seq).unwrap();
        let b = field.1;
        let pixels: Vec<[u8; 3]> = (b.y..b.y + b.height as i32).flat_map(|y| (b.x..b.x + b.width as i32).map(move |x| (x, y))).map(|(x, y)| img.get_pixel(x as u32, y as u32).0).collect();
        let grey = pixels.iter().filter(|p| **p == [0x40, 0x40, 0x40]).count();
        // All of it but the pointer, which is drawn over frames.
        assert!(grey * 10 >= pixels.len() * 9, "frame {} masks the password field ({grey} of {} pixels)", f.seq, pixels.len());
    }
}

#[test]
fn without_an_accessibility_bus_the_recording_goes_on_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    // No session bus at all: the address points nowhere.
    let env = vec![("DBUS_SESSION_BUS_ADDRESS".to_string(), format!("unix:path={}", tmp.path().join("no-bus").display()))];
    let rec = RecorderProcess::start_with_env(&x, &lib_dir, &[], &env);
    let said = rec.status()["health"]["accessibility_message"].as_str().unwrap_or_default().to_string();
    assert!(said.starts_with("no accessibility bus") && said.contains("password fields"), "{said}");
    x.xdo(&["windowactivate", "--sync", &app]);
    x.xdo(&["mousemove", "--window", &app, "50", "50", "click", "1"]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "still here"]);
    pause(500);
    let id = rec.stop();
    let lib = Library::open(&lib_dir).unwrap();
    let typed = typed_text(&lib, &id);
    assert_eq!(typed, "still here");
    assert!(lib.accessibility(&id).unwrap().is_empty());
    assert_eq!(lib.recording(&id).unwrap().status, RecordingStatus::Finished);
}

#[test]
fn an_accessible_app_that_crashes_mid_recording_costs_only_its_context() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    x.with_accessibility_bus();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/secrets_app.py");
    x.spawn("/usr/bin/python3", &[script.to_str().unwrap(), "Short Lived"]);
    let app = x.window(&["--name", "Short Lived"]);
    let other = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    x.xdo(&["windowactivate", "--sync", &app]);
    x.xdo(&["mousemove", "--window", &app, "190", "205", "click", "1"]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "before"]);
    // The app dies mid-recording, as a crash does: no goodbye on the accessibility bus.
    let killed = std::process::Command::new("pkill").args(["-KILL", "-f", "secrets_app.py Short Lived"]).output_within("pkill");
    assert!(killed.status.success(), "the GTK app was killed");
    x.wait_until("the GTK app to exit", || x.xdo_try(&["search", "--name", "Short Lived"]).map(|o| o.trim().is_empty()).unwrap_or(true));
    x.xdo(&["windowactivate", "--sync", &other]);
    x.xdo(&["mousemove", "--window", &other, "60", "60", "click", "1"]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "after"]);
    pause(500);
    assert!(rec.status()["health"]["accessibility_message"].is_null(), "{}", rec.status());
    let id = rec.stop();
    let lib = Library::open(&lib_dir).unwrap();
    let typed = typed_text(&lib, &id);
    assert_eq!(typed, "beforeafter", "nothing lost when the accessible app went away");
    let steps = apprentice_core::segment::stored_or_new(&lib, &id).unwrap().steps;
    let clicks: Vec<&Step> = steps.iter().filter(|s| s.action.kind == ActionKind::Click).collect();
    assert_eq!(clicks.len(), 2, "{steps:#?}");
    assert_eq!(clicks[0].action.target.as_ref().map(|t| t.name.as_str()), Some("Reference"), "the click before the crash knows its element");
    assert!(clicks[1].action.target.is_none(), "the test app (not accessible) has none: {:?}", clicks[1].action.target);
    assert_eq!(lib.recording(&id).unwrap().status, RecordingStatus::Finished);
    let events = ok(cli(&lib_dir, &["events", &id, "--stream", "accessibility"]));
    assert!(events.lines().any(|l| l.contains("\"kind\":\"target\"") && l.contains("Reference")), "{events}");
}

#[test]
fn an_ocr_engine_that_fails_on_a_frame_stops_the_export_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    {
        let lib = Library::open(&lib_dir).unwrap();
        synthetic_recording(&lib, "rec-ocr", RecordingStatus::Finished, true);
    }
    // Answers its version, then fails on every image, as a broken install would.
    let fake = tmp.path().join("tesseract");
    std::fs::write(&fake, "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'tesseract 5.3.0'; exit 0; }\necho 'Error in pixReadStream: Unknown format' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out_dir = tmp.path().join("out");
    let out = std::process::Command::new(apprentice_bin())
        .args(["--library", lib_dir.to_str().unwrap(), "export", "rec-ocr", "--out", out_dir.to_str().unwrap()])
        .env("APPRENTICE_TESSERACT", &fake)
        .output_within("apprentice export with a failing OCR engine");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the export fails: {err}");
    assert!(err.contains("Tesseract could not read a frame") && err.contains("Unknown format") && err.contains("rather than write it unredacted"), "{err}");
    assert!(!out_dir.join("manifest.json").exists(), "no manifest: the export is not passed off as complete");
    // With no OCR engine at all, the message says how to install one.
    let out = std::process::Command::new(apprentice_bin())
        .args(["--library", lib_dir.to_str().unwrap(), "export", "rec-ocr", "--out", tmp.path().join("out2").to_str().unwrap()])
        .env("APPRENTICE_TESSERACT", tmp.path().join("missing"))
        .output_within("apprentice export without an OCR engine");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("apt install tesseract-ocr") && err.contains("--no-redact"), "{err}");
    // The library is untouched: the owner's export without redaction still works.
    ok(cli(&lib_dir, &["export", "rec-ocr", "--no-redact", "--out", tmp.path().join("out3").to_str().unwrap()]));
}

#[test]
fn the_drop_policy_never_writes_a_secret_typed_or_noted_and_flag_exports_it_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let app = x.testapp("Ordinary App", "ordinary-app", "400x300+760+80", &tmp.path().join("app.jsonl"));
    let session = |policy: &str, x: &XSession| {
        let rec = RecorderProcess::start(x, &lib_dir, &["--privacy", policy]);
        x.xdo(&["windowactivate", "--sync", &app]);
        pause(300);
        x.xdo(&["type", "--delay", "60", "to ann.lee@example.com ok"]);
        pause(300);
        x.xdo(&["key", "Return"]);
        x.xdo(&["type", "--delay", "60", "next"]);
        ok(rec.cli(&["note", "card", "4111", "1111", "1111", "1111", "is", "on", "file"]));
        pause(1500);
        rec.stop()
    };
    let dropped = session("drop", &x);
    let lib = Library::open(&lib_dir).unwrap();
    let typed = typed_text(&lib, &dropped);
    assert_eq!(typed, "to  oknext", "the keys of the email are left out, the rest kept");
    assert_eq!(lib.notes(&dropped).unwrap()[0].text, "card [CARD_NUMBER_1] is on file");
    for path in all_files(&lib_dir) {
        let bytes = std::fs::read(&path).unwrap();
        for needle in [&b"ann.lee@example"[..], b"4111 1111"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} contains {}", path.display(), String::from_utf8_lossy(needle));
        }
    }
    assert_eq!(lib.privacy_policy(&dropped).unwrap(), PrivacyPolicy::Drop);

    // Flag: kept and exported as recorded; the manifest lists what was found.
    let flagged = session("flag", &x);
    let out = tmp.path().join("flagged");
    let said = ok(cli(&lib_dir, &["export", &flagged, "--format", "agentnet", "--out", out.to_str().unwrap()]));
    assert!(said.contains("flagged"), "{said}");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let r = &manifest["redaction"];
    assert_eq!((r["policies"]["flag"].as_u64(), r["flagged"]["email"].as_u64()), (Some(1), Some(1)), "{r}");
    let exported: String = all_files(&out).iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl")).map(|p| std::fs::read_to_string(p).unwrap()).collect();
    assert!(exported.contains("ann.lee@example.com"), "flag leaves the text as recorded");
}
