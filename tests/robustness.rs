//! Bad conditions end to end: a killed recorder, a full disk, no display, a display without
//! RECORD, a corrupt library, no running recorder. Each gives a clear error and loses nothing
//! already written.

mod support;

use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use apprentice_core::model::*;
use apprentice_core::store::Library;
use support::*;

fn unix_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()
}

#[test]
fn kill_9_loses_at_most_the_last_second_and_the_recording_is_recovered_as_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let app_log = tmp.path().join("app.jsonl");
    let mut x = XSession::start();
    let win = x.testapp("Crash App", "crash-app", "400x300+100+100", &app_log);
    x.xdo(&["windowactivate", "--sync", &win]);
    let mut rec = RecorderProcess::start(&x, &lib_dir, &[]);
    ok(rec.cli(&["note", "about to type"]));
    // Typing is still going on when the recorder dies.
    let mut typing = x.command("xdotool").args(["type", "--delay", "100", "abcdefghijklmnopqrstuvwxyz"]).stdout(Stdio::null()).spawn().unwrap();
    pause(1800);
    let killed_at = unix_ms();
    rec.child.kill().unwrap(); // SIGKILL
    let _ = rec.child.wait();
    let _ = typing.wait();

    // The first command after the crash recovers the recording.
    let list: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["list", "--json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["status"], "interrupted");
    let id = list[0]["id"].as_str().unwrap().to_string();

    let lib = Library::open(&lib_dir).unwrap();
    let recording = lib.recording(&id).unwrap();
    assert_eq!(recording.status, RecordingStatus::Interrupted);
    assert!(recording.error.is_some());
    let keys: Vec<u32> = lib.input_events(&id).unwrap().iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.code).collect();
    // Every key the app received more than a second before the kill is in the library, in order.
    let app_keys: Vec<(u128, u32)> = app_events(&app_log).iter().filter(|v| v["event"] == "key").map(|v| (v["ms"].as_u64().unwrap() as u128, v["keycode"].as_u64().unwrap() as u32)).collect();
    let old_enough: Vec<u32> = app_keys.iter().filter(|(ms, _)| *ms + 1000 < killed_at).map(|(_, k)| *k).collect();
    assert!(old_enough.len() >= 5, "the test typed for long enough: {app_keys:?}");
    assert!(keys.len() >= old_enough.len(), "lost keys: library {keys:?}, app {old_enough:?}");
    assert_eq!(&keys[..old_enough.len()], &old_enough[..]);
    assert_eq!(lib.notes(&id).unwrap()[0].text, "about to type");
    let frames = lib.frames(&id).unwrap();
    assert!(!frames.is_empty());
    lib.frame_image(&id, frames.last().unwrap().seq).expect("the last frame on disk decodes");
    assert!(recording.duration_us >= keys.len() as u64 * 50_000, "duration recovered from what reached disk");

    // The library is usable again: a new recording starts (the stale socket does not block it).
    let rec2 = RecorderProcess::start(&x, &lib_dir, &[]);
    let id2 = rec2.stop();
    assert_eq!(lib.recording(&id2).unwrap().status, RecordingStatus::Finished);
}

#[test]
fn a_full_disk_stops_the_recording_with_a_clear_error_and_keeps_what_was_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small-disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = std::process::Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&mnt).status().unwrap();
    assert!(mounted.success(), "this test mounts a 4 MB tmpfs and needs root (CI runs as root)");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let lib_dir = mnt.join("library");
    Library::open(&lib_dir).unwrap();

    let mut x = XSession::start();
    let win = x.testapp("Disk App", "disk-app", "600x500+50+50", &tmp.path().join("app.jsonl"));
    x.xdo(&["windowactivate", "--sync", &win]);
    let mut rec = RecorderProcess::start(&x, &lib_dir, &["--active-fps", "10"]);
    x.xdo(&["type", "--delay", "60", "before"]);
    pause(800);
    // Fill the disk, then keep working.
    let filler = mnt.join("filler");
    let _ = std::process::Command::new("dd").args(["if=/dev/urandom", "bs=64k", "count=200"]).arg(format!("of={}", filler.display())).stderr(Stdio::null()).status();
    for i in 0..40 {
        x.xdo(&["mousemove", &(100 + i * 10).to_string(), "300", "click", "1"]);
        pause(100);
        if rec.child.try_wait().unwrap().is_some() {
            break;
        }
    }
    let output = output_within(std::mem::replace(&mut rec.child, std::process::Command::new("true").spawn().unwrap()), "the recorder to stop on its own once the disk is full");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the recorder must not claim success on a full disk");
    assert!(stderr.contains("is full: recording stopped, everything written so far is kept"), "a clear message: {stderr}");

    // Once space is freed, everything written before the disk filled is there and readable.
    std::fs::remove_file(&filler).unwrap();
    let list: serde_json::Value = serde_json::from_str(&ok(cli(&lib_dir, &["list", "--json"]))).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["status"], "interrupted", "a recording the full disk ended did not finish: {list}");
    let lib = Library::open(&lib_dir).unwrap();
    // Why: the recorder's own words when its last write landed, else recovery's.
    let error = lib.recording(&id).unwrap().error.unwrap_or_default();
    assert!(error.contains("is full") || error.starts_with("the recorder stopped unexpectedly"), "{error}");
    let typed: String = lib.input_events(&id).unwrap().iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.text.clone()).collect();
    assert!(typed.starts_with("before"), "typed before the disk filled: {typed:?}");
    for f in lib.frames(&id).unwrap() {
        lib.frame_image(&id, f.seq).expect("every frame in the index decodes");
    }
}

#[test]
fn no_display_is_a_clear_error_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(apprentice_bin()).env_remove("DISPLAY").arg("--library").arg(tmp.path()).args(["record", "--task", "t"]).output_within("apprentice record");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("$DISPLAY is not set"), "{stderr}");
    assert_eq!(ok(cli(tmp.path(), &["list", "--json"])).trim(), "[]");
}

#[test]
fn a_display_without_record_is_a_clear_error_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let x = XSession::start_with(&["-extension", "RECORD"], false);
    let out = x.command(apprentice_bin()).arg("--library").arg(tmp.path()).args(["record", "--task", "t"]).output_within("apprentice record");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no RECORD extension"), "{stderr}");
    assert_eq!(ok(cli(tmp.path(), &["list", "--json"])).trim(), "[]");
}

#[test]
fn a_corrupt_library_is_a_clear_error_and_is_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("library.sqlite");
    let garbage = b"definitely not SQLite".repeat(500);
    std::fs::write(&db, &garbage).unwrap();
    for args in [&["list"][..], &["info", "abc"], &["record", "--task", "t"]] {
        let out = cli(tmp.path(), args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("library.sqlite is corrupt"), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn control_commands_without_a_running_recorder_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [&["note", "hello"][..], &["mark", "mistake"], &["pause"], &["stop"], &["status"]] {
        let out = cli(tmp.path(), args);
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("no recorder is running"), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn commands_against_a_live_recording_leave_it_alone_and_concurrent_control_commands_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let x = XSession::start();
    let rec = RecorderProcess::start(&x, &lib_dir, &[]);
    let id = rec.status()["id"].as_str().expect("the live recording's id").to_string();

    // What would read or remove a recording still being written says so and changes nothing.
    let busy = format!("recording {id} is still being recorded; stop it first");
    let out = tmp.path().join("export");
    for args in
        [vec!["delete", id.as_str(), "--yes"], vec!["segment", id.as_str()], vec!["transcribe", id.as_str()], vec!["export", id.as_str(), "--format", "canonical", "--out", out.to_str().unwrap()]]
    {
        let o = rec.cli(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(&busy), "{args:?} on a live recording: {stderr}");
    }
    assert!(!out.join("trajectory.json").exists(), "no export of a live recording");

    // A second recorder in the same library is refused, and the first goes on.
    let second = x.command(apprentice_bin()).arg("--library").arg(&lib_dir).args(["record", "--task", "second"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let second = output_within(second, "a second recorder to be refused");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success() && stderr.contains("a recorder is already running in this library"), "{stderr}");

    // Sixteen notes sent at once over the control socket: every one is stored, once.
    let senders: Vec<_> = (0..16)
        .map(|i| {
            let lib = lib_dir.clone();
            std::thread::spawn(move || cli(&lib, &["note", &format!("note {i:02}")]))
        })
        .collect();
    for s in senders {
        let o = s.join().expect("a note sender");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(rec.stop(), id);
    let lib = Library::open(&lib_dir).unwrap();
    assert_eq!(lib.recording(&id).unwrap().status, RecordingStatus::Finished);
    let mut notes: Vec<String> = lib.notes(&id).unwrap().into_iter().map(|n| n.text).collect();
    notes.sort();
    assert_eq!(notes, (0..16).map(|i| format!("note {i:02}")).collect::<Vec<_>>());
    assert_eq!(lib.list().unwrap().len(), 1, "the refused recorder made no recording");
}

#[test]
fn a_recording_sharing_frames_with_a_deleted_one_keeps_every_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    x.testapp("Still App", "still-app", "400x300+100+100", &tmp.path().join("app.jsonl"));
    // The same still screen twice: the two recordings' key frames are the same files.
    let first = RecorderProcess::start(&x, &lib_dir, &[]).stop();
    let second = RecorderProcess::start(&x, &lib_dir, &[]).stop();
    let lib = Library::open(&lib_dir).unwrap();
    let (a, b) = (lib.frames(&first).unwrap(), lib.frames(&second).unwrap());
    assert!(b.iter().any(|f| a.iter().any(|g| g.sha256 == f.sha256)), "the recordings share at least one frame file");
    ok(cli(&lib_dir, &["delete", &first, "--yes"]));
    for f in &lib.frames(&second).unwrap() {
        lib.frame_image(&second, f.seq).unwrap_or_else(|e| panic!("frame {} of the kept recording: {e}", f.seq));
    }
}

#[test]
fn a_truncated_or_corrupt_wal_gives_back_the_commits_before_the_damage_and_nothing_else_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = tmp.path().join("library");
    let mut x = XSession::start();
    let win = x.testapp("WAL App", "wal-app", "400x300+100+100", &tmp.path().join("app.jsonl"));
    x.xdo(&["windowactivate", "--sync", &win]);
    let mut rec = RecorderProcess::start(&x, &lib_dir, &[]);
    x.xdo(&["type", "--delay", "100", "abcdefghijklmnopqrst"]);
    let typed = rec.id();
    let lib = Library::open(&lib_dir).unwrap();
    x.wait_until("every key to be committed", || lib.input_events(&typed).unwrap().iter().filter(|e| e.kind == InputKind::KeyPress).count() == 20);
    drop(lib);
    // Killed before any checkpoint: the recording's rows are in the write-ahead log.
    rec.child.kill().unwrap();
    let _ = rec.child.wait();
    let wal = lib_dir.join("library.sqlite-wal");
    // SQLite's WAL: a 32-byte header, then frames of a 24-byte header (page number, and the
    // database size when the frame ends a commit) and a 4096-byte page. The damage goes to the
    // frame after the fourth-last commit: the last three commits (the last ~0.75 s) are hit.
    let bytes = std::fs::read(&wal).expect("a WAL left by the killed recorder");
    assert_eq!(u32::from_be_bytes(bytes[8..12].try_into().unwrap()), 4096, "page size");
    const FRAME: usize = 24 + 4096;
    let commits: Vec<usize> = (0..(bytes.len() - 32) / FRAME).filter(|i| bytes[32 + i * FRAME + 4..32 + i * FRAME + 8] != [0; 4]).collect();
    assert!(commits.len() >= 8, "{} commits in the WAL", commits.len());
    let damage_at = (32 + (commits[commits.len() - 4] + 1) * FRAME) as u64;
    let copy = |name: &str| {
        let dir = tmp.path().join(name);
        let out = std::process::Command::new("cp").arg("-a").arg(&lib_dir).arg(&dir).output_within("cp -a");
        assert!(out.status.success());
        dir
    };
    let (intact, truncated, corrupt) = (copy("intact"), copy("truncated"), copy("corrupt"));
    // Power lost halfway through writing a frame; and a frame whose page was overwritten.
    std::fs::OpenOptions::new().write(true).open(truncated.join("library.sqlite-wal")).unwrap().set_len(damage_at + 1000).unwrap();
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(corrupt.join("library.sqlite-wal")).unwrap();
        f.seek(SeekFrom::Start(damage_at + 24 + 512)).unwrap();
        f.write_all(&[0xa5; 256]).unwrap();
    }

    let read = |dir: &std::path::Path| {
        let list: serde_json::Value = serde_json::from_str(&ok(cli(dir, &["list", "--json"]))).unwrap();
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{}: {list}", dir.display());
        assert_eq!(list[0]["status"], "interrupted", "{}", dir.display());
        let lib = Library::open(dir).unwrap();
        let id = list[0]["id"].as_str().unwrap().to_string();
        let keys: Vec<u32> = lib.input_events(&id).unwrap().iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.code).collect();
        for f in lib.frames(&id).unwrap() {
            lib.frame_image(&id, f.seq).unwrap_or_else(|e| panic!("{}: frame {} of the index does not decode: {e}", dir.display(), f.seq));
        }
        ok(cli(dir, &["info", &id, "--json"]));
        (keys, lib.recording(&id).unwrap().duration_us)
    };
    let (all_keys, full_duration) = read(&intact);
    assert_eq!(all_keys.len(), 20);
    for damaged in [&truncated, &corrupt] {
        let (keys, duration) = read(damaged);
        assert_eq!(keys[..], all_keys[..keys.len()], "{}: the keys kept are the first ones, in order, none invented", damaged.display());
        assert!(duration < full_duration, "{}: the commits after the damage are gone ({duration} of {full_duration} us)", damaged.display());
    }
}
