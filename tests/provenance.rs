//! Provenance end to end: a real recording is sealed by this station's key and verifies; a row
//! changed, deleted or added with sqlite3 afterwards, or a media file altered, fails `verify`
//! naming the stream or file; a recording recovered after kill -9 verifies as sealed
//! interrupted; `--trust` accepts the station's key and refuses another.

mod support;

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;
use support::*;

fn verify(lib: &Path, id: &str, extra: &[&str]) -> (bool, Value) {
    let out = cli(lib, &[&["verify", id, "--json"][..], extra].concat());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.success(), report["ok"] == true, "the exit status says what the report says: {report}");
    (out.status.success(), report)
}

fn problems(report: &Value) -> Vec<String> {
    report["problems"].as_array().unwrap().iter().map(|p| format!("{}: expected {}; found {}", p["what"].as_str().unwrap(), p["expected"].as_str().unwrap(), p["found"].as_str().unwrap())).collect()
}

fn sqlite(db: &Path, sql: &str) {
    let out = std::process::Command::new("sqlite3").arg(db).arg(sql).output_within("sqlite3");
    assert!(out.status.success(), "sqlite3 {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

fn copy(from: &Path, to: &Path) -> std::path::PathBuf {
    let out = std::process::Command::new("cp").arg("-a").arg(from).arg(to).output_within("cp -a");
    assert!(out.status.success());
    to.to_path_buf()
}

/// A finished recording with clicks, typing, a note and a marker.
fn record(x: &mut XSession, lib: &Path, log: &Path) -> String {
    let win = x.testapp("Sealed App", "sealed-app", "500x400+60+60", log);
    let (wx, wy, _, _) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    let rec = RecorderProcess::start(x, lib, &[]);
    x.xdo(&["mousemove", "--sync", &s(wx + 50), &s(wy + 50), "click", "1"]);
    pause(300);
    x.xdo(&["type", "--delay", "60", "sealed"]);
    ok(rec.cli(&["note", "typing the name"]));
    ok(rec.cli(&["mark", "mistake"]));
    x.xdo(&["mousemove", "--sync", &s(wx + 200), &s(wy + 150), "click", "1"]);
    pause(600);
    rec.stop()
}

#[test]
fn a_recording_is_sealed_by_this_station_and_any_later_change_fails_verify_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("library");
    let mut x = XSession::start();
    let id = record(&mut x, &lib, &tmp.path().join("app.jsonl"));

    // Reviewed: two labels, one undone; every change signed by this station's key.
    ok(cli(&lib, &["review", "--reviewer", "ann", "label", &id, "0", "--correctness", "correct"]));
    ok(cli(&lib, &["review", "--reviewer", "ann", "label", &id, "1", "--correctness", "redundant"]));
    ok(cli(&lib, &["review", "--reviewer", "bob", "undo", &id]));
    let station: Value = serde_json::from_str(&ok(cli(&lib, &["keys", "show", "--json"]))).unwrap();
    let (ok_, report) = verify(&lib, &id, &[]);
    assert!(ok_, "{:?}", problems(&report));
    assert_eq!(report["reviewers"], serde_json::json!([{ "name": "ann", "fingerprint": station["fingerprint"], "entries": 2 }]));
    assert_eq!(report["sealed"], "finished");
    assert_eq!(report["station_key"], station["public_key"]);
    assert_eq!(report["fingerprint"], station["fingerprint"]);
    let info: Value = serde_json::from_str(&ok(cli(&lib, &["info", &id, "--json"]))).unwrap();
    assert_eq!(report["rows"]["input"], info["counts"]["input_events"]);
    assert_eq!(report["rows"]["frames"], info["counts"]["frames"]);
    assert_eq!((report["rows"]["notes"].as_u64(), report["rows"]["markers"].as_u64()), (Some(1), Some(1)));
    assert!(report["batches"].as_u64().unwrap() >= 2 && report["media_files"].as_u64().unwrap() >= 2, "{report}");

    // Human or machine: xdotool drives XTEST, so every input event is injected, and says so in
    // the events, the steps, the quality figures and verify; a vendor's threshold refuses it.
    let events = ok(cli(&lib, &["events", &id, "--stream", "input"]));
    let origins: Vec<Value> = events.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["origin"].clone()).collect();
    assert!(!origins.is_empty() && origins.iter().all(|o| o == "injected"), "every xdotool event is injected: {origins:?}");
    assert_eq!(report["input_origins"], serde_json::json!({ "device": 0, "injected": origins.len(), "unknown": 0 }));
    let quality: Value = serde_json::from_str(&ok(cli(&lib, &["segment", &id, "--json"]))).unwrap();
    assert_eq!(quality["synthetic_input_share"], 1.0, "{quality}");
    let steps: Value = serde_json::from_str(&ok(cli(&lib, &["show", &id, "--json"]))).unwrap();
    let steps = steps.as_array().unwrap();
    assert!(!steps.is_empty() && steps.iter().all(|st| st["action"]["origin"] == "injected"), "{steps:?}");
    assert!(ok(cli(&lib, &["info", &id])).contains("injected on 100% of steps"));
    let (ok_, report) = verify(&lib, &id, &["--max-synthetic", "0.5"]);
    assert!(!ok_, "a recording made wholly by XTEST is refused above a 50% threshold");
    assert!(problems(&report).iter().any(|p| p.starts_with(&format!("recording {id}: input origin")) && p.contains("100.0% injected")), "{:?}", problems(&report));

    // Trust: this station's key (as `keys show` prints it) is accepted, another refused.
    let mine = tmp.path().join("station.pub");
    std::fs::write(&mine, ok(cli(&lib, &["keys", "show"]))).unwrap();
    let (ok_, report) = verify(&lib, &id, &["--trust", mine.to_str().unwrap()]);
    assert!(ok_ && report["trusted"] == true, "{report}");
    let other = tmp.path().join("other.pub");
    let other_key = std::process::Command::new(apprentice_bin()).env("APPRENTICE_KEY", tmp.path().join("other.key")).args(["keys", "show"]).output_within("apprentice keys show");
    std::fs::write(&other, &other_key.stdout).unwrap();
    let (ok_, report) = verify(&lib, &id, &["--trust", other.to_str().unwrap()]);
    assert!(!ok_ && report["trusted"] == false, "{report}");
    assert!(problems(&report).iter().any(|p| p.starts_with("seal's station key")), "{:?}", problems(&report));

    // Each change after the fact, on its own copy of the library, is found and named.
    let cases: [(&str, &str, &str); 9] = [
        ("passed-as-human", "UPDATE input_events SET origin = 'device'", "stream input, batch"),
        ("moved-click", "UPDATE input_events SET x = x + 1 WHERE rowid = (SELECT MIN(rowid) FROM input_events WHERE kind = 'button_press')", "stream input, batch"),
        ("deleted-note", "DELETE FROM notes", "stream notes, batch"),
        ("added-marker", "INSERT INTO markers (recording_id, t_us, kind, label) SELECT id, 1000, 'recovery', NULL FROM recordings", "stream markers"),
        ("retitled-window", "UPDATE window_events SET title = 'Another App' WHERE rowid = (SELECT MIN(rowid) FROM window_events)", "stream window, batch"),
        ("longer-recording", "UPDATE recordings SET duration_us = duration_us + 5000000", "seal's times"),
        ("relabelled", "UPDATE review_log SET change = replace(change, '\"correct\"', '\"incorrect\"')", "review log entry 1"),
        ("undo-unsigned", "UPDATE review_log SET undo = NULL WHERE undone = 1", "review log entry 2"),
        ("entry-dropped", "DELETE FROM review_log WHERE seq = (SELECT MIN(seq) FROM review_log)", "review log entry 1"),
    ];
    for (name, sql, named) in cases {
        let lib = copy(&lib, &tmp.path().join(name));
        sqlite(&lib.join("library.sqlite"), sql);
        let (ok_, report) = verify(&lib, &id, &[]);
        let found = problems(&report);
        assert!(!ok_, "{name}: verify passed after `{sql}`");
        assert!(found.iter().any(|p| p.starts_with(named)), "{name}: no problem naming {named:?}: {found:?}");
    }
    // A frame's media file altered (one byte).
    let altered = copy(&lib, &tmp.path().join("altered-frame"));
    let media: Vec<std::path::PathBuf> = all_files(&altered.join("media")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "webp")).collect();
    let mut bytes = std::fs::read(&media[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&media[0], bytes).unwrap();
    let (ok_, report) = verify(&altered, &id, &[]);
    assert!(!ok_);
    let name = media[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(problems(&report).iter().any(|p| p.contains("'s media file") && p.contains(&name)), "{:?}", problems(&report));
}

#[test]
fn a_recording_recovered_after_kill_9_verifies_as_sealed_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("Crash App", "crash-app", "400x300+100+100", &tmp.path().join("app.jsonl"));
    x.xdo(&["windowactivate", "--sync", &win]);
    let mut rec = RecorderProcess::start(&x, &lib, &[]);
    let id = rec.id();
    let mut typing = x.command("xdotool").args(["type", "--delay", "100", "abcdefghijklmnop"]).stdout(Stdio::null()).spawn().unwrap();
    pause(1200);
    rec.child.kill().unwrap();
    let _ = rec.child.wait();
    let _ = typing.wait();
    let (ok_, report) = verify(&lib, &id, &[]);
    assert!(ok_, "{:?}", problems(&report));
    assert_eq!(report["sealed"], "interrupted");
    assert!(report["rows"]["input"].as_u64().unwrap() >= 4, "{report}");
}

/// `apprentice verify DIR` as a receiver runs it (its own library, and logs, elsewhere).
fn verify_dir(dir: &Path, extra: &[&str]) -> (bool, Value) {
    let receiver = dir.with_extension("receiver");
    let out = cli(&receiver, &[&["verify", dir.to_str().unwrap(), "--json"][..], extra].concat());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.success(), report["ok"] == true, "the exit status says what the report says: {report}");
    (out.status.success(), report)
}

/// Re-writes a directory's manifest signed by a key that is not the station's (what a forger can do).
fn resign(dir: &Path) {
    let _ = std::fs::remove_file(dir.join("manifest.json"));
    let _ = std::fs::remove_file(dir.join("manifest.sig"));
    apprentice_core::export::manifest::write(dir, "canonical", vec![], Default::default(), Some(&apprentice_core::provenance::keys::StationKey::ephemeral([42; 32]))).unwrap();
}

#[test]
fn every_tampering_with_an_exported_bundle_fails_verify_and_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("Bundle App", "bundle-app", "500x400+60+60", &tmp.path().join("app.jsonl"));
    let (wx, wy, _, _) = x.geometry(&win);
    x.xdo(&["windowactivate", "--sync", &win]);
    // A microphone (silent), so the bundle carries audio too.
    let pulse = PulseSession::start();
    let rec = RecorderProcess::start_with_env(&x, &lib, &["--audio"], &pulse.env());
    for (dx, dy) in [(50, 50), (200, 120), (320, 300)] {
        x.xdo(&["mousemove", "--sync", &s(wx + dx), &s(wy + dy), "click", "1"]);
        pause(500);
    }
    x.xdo(&["type", "--delay", "60", "bundle"]);
    ok(rec.cli(&["note", "three clicks and a name"]));
    pause(800);
    let id = rec.stop();
    ok(cli(&lib, &["review", "--reviewer", "ann", "label", &id, "0", "--correctness", "correct"]));
    ok(cli(&lib, &["review", "--reviewer", "ann", "score", &id, "--goal-completion", "4", "--verdict", "approved"]));
    let bundle = tmp.path().join("bundle");
    ok(cli(&lib, &["export", &id, "--format", "canonical", "--out", bundle.to_str().unwrap()]));

    let station = tmp.path().join("station.pub");
    std::fs::write(&station, ok(cli(&lib, &["keys", "show"]))).unwrap();
    let (ok_, report) = verify_dir(&bundle, &["--trust", station.to_str().unwrap()]);
    assert!(ok_, "{:?}", problems(&report));
    assert_eq!((report["format"].as_str(), report["trusted"].as_bool()), (Some("canonical"), Some(true)));
    assert_eq!(report["seals"][0]["recording_id"], id.as_str());
    assert_eq!(report["seals"][0]["sealed"], "finished");
    assert!(report["seals"][0]["input_origins"]["injected"].as_u64().unwrap() > 0 && report["seals"][0]["input_origins"]["device"] == 0, "{report}");
    let files: Vec<String> = apprentice_core::export::manifest::files_under(&bundle).unwrap();
    let frame = files.iter().find(|f| f.starts_with("frames/")).expect("a frame in the bundle").clone();
    let audio = files.iter().find(|f| f.starts_with("audio/")).expect("audio in the bundle").clone();
    assert_eq!(report["seals"][0]["reviewers"][0]["name"], "ann");
    assert_eq!(report["seals"][0]["reviewers"][0]["entries"], 2, "the label, and the scores with the verdict");
    for f in ["seal.json", "chain.json", "review-log.json", "trajectory.json", "events.jsonl"] {
        assert!(files.iter().any(|p| p == f), "{f} in {files:?}");
    }

    let flip = |path: &Path| {
        let mut b = std::fs::read(path).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x20;
        std::fs::write(path, b).unwrap();
    };
    type Tamper = Box<dyn Fn(&Path)>;
    let (frame_c, audio_c) = (frame.clone(), audio.clone());
    let cases: Vec<(&str, Tamper, String)> = vec![
        ("frame-byte", Box::new(move |d: &Path| flip(&d.join(&frame_c))), format!("file {frame}")),
        ("audio-byte", Box::new(move |d: &Path| flip(&d.join(&audio_c))), format!("file {audio}")),
        ("trajectory-byte", Box::new(move |d: &Path| flip(&d.join("trajectory.json"))), "file trajectory.json".into()),
        ("events-byte", Box::new(move |d: &Path| flip(&d.join("events.jsonl"))), "file events.jsonl".into()),
        ("removed", Box::new(|d: &Path| std::fs::remove_file(d.join("chain.json")).unwrap()), "file chain.json".into()),
        ("added", Box::new(|d: &Path| std::fs::write(d.join("notes.txt"), "mine").unwrap()), "file notes.txt".into()),
        ("renamed", Box::new(|d: &Path| std::fs::rename(d.join("trajectory.json"), d.join("trajectory-old.json")).unwrap()), "file trajectory-old.json".into()),
        (
            "step-dropped",
            Box::new(|d: &Path| {
                let mut t: Value = serde_json::from_slice(&std::fs::read(d.join("trajectory.json")).unwrap()).unwrap();
                t["steps"].as_array_mut().unwrap().remove(1);
                std::fs::write(d.join("trajectory.json"), serde_json::to_vec_pretty(&t).unwrap()).unwrap();
            }),
            "file trajectory.json".into(),
        ),
        (
            "truncated",
            Box::new(|d: &Path| {
                let f = std::fs::OpenOptions::new().write(true).open(d.join("events.jsonl")).unwrap();
                let n = f.metadata().unwrap().len();
                f.set_len(n / 2).unwrap();
            }),
            "file events.jsonl".into(),
        ),
        // A label changed in the signed log, and the manifest signed anew: the log does not hold.
        (
            "relabelled-and-resigned",
            Box::new(|d: &Path| {
                let text = std::fs::read_to_string(d.join("review-log.json")).unwrap();
                assert!(text.contains(r#"\"correct\""#), "{text}");
                std::fs::write(d.join("review-log.json"), text.replacen(r#"\"correct\""#, r#"\"incorrect\""#, 1)).unwrap();
                resign(d);
            }),
            "review-log.json: review log entry 1".into(),
        ),
        // A forger who reorders events and signs a new manifest: the manifest holds, the chain does not.
        (
            "reordered-and-resigned",
            Box::new(|d: &Path| {
                let text = std::fs::read_to_string(d.join("events.jsonl")).unwrap();
                let mut lines: Vec<&str> = text.lines().collect();
                let inputs: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains("\"stream\":\"input\"")).collect();
                lines.swap(inputs[0], inputs[1]);
                std::fs::write(d.join("events.jsonl"), lines.join("\n") + "\n").unwrap();
                resign(d);
            }),
            "events.jsonl: stream input, batch".into(),
        ),
        // Scripted input passed off as a person's, re-signed: the chain holds the origin.
        (
            "passed-as-human-and-resigned",
            Box::new(|d: &Path| {
                let text = std::fs::read_to_string(d.join("events.jsonl")).unwrap();
                assert!(text.contains(r#""origin":"injected""#), "the bundle's events carry their origin");
                std::fs::write(d.join("events.jsonl"), text.replace(r#""origin":"injected""#, r#""origin":"device""#)).unwrap();
                resign(d);
            }),
            "events.jsonl: stream input, batch".into(),
        ),
    ];
    for (name, tamper, named) in cases {
        let copy = copy(&bundle, &tmp.path().join(name));
        tamper(&copy);
        let (ok_, report) = verify_dir(&copy, &[]);
        assert!(!ok_, "{name}: verify passed");
        assert!(problems(&report).iter().any(|p| p.starts_with(&named)), "{name}: no problem naming {named:?}: {:?}", problems(&report));
    }
    // Only re-signed: valid, but not by a trusted key.
    let resigned = copy(&bundle, &tmp.path().join("resigned"));
    resign(&resigned);
    assert!(verify_dir(&resigned, &[]).0, "a valid signature by someone");
    let (ok_, report) = verify_dir(&resigned, &["--trust", station.to_str().unwrap()]);
    assert!(!ok_ && report["trusted"] == false);
    assert!(problems(&report).iter().any(|p| p.starts_with("manifest.sig's key")), "{:?}", problems(&report));
}

#[test]
fn every_export_format_gets_a_signed_manifest_that_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("library");
    let mut x = XSession::start();
    let id = record(&mut x, &lib, &tmp.path().join("app.jsonl"));
    let formats = String::from_utf8_lossy(&cli(&lib, &["export", "--help"]).stdout).into_owned();
    for format in ["canonical", "agentnet", "anthropic", "openai", "webdataset", "atif", "html", "hf"] {
        assert!(formats.contains(format), "{format} is a format");
        let out = tmp.path().join(format!("out-{format}"));
        ok(cli(&lib, &["export", &id, "--format", format, "--out", out.to_str().unwrap()]));
        assert!(out.join("manifest.json").exists() && out.join("manifest.sig").exists(), "{format}");
        let (ok_, report) = verify_dir(&out, &[]);
        assert!(ok_, "{format}: {:?}", problems(&report));
        assert_eq!(report["format"], format);
        assert!(report["files"].as_u64().unwrap() >= 1);
    }
}
