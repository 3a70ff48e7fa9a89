//! Stations and a hub end to end: a real hub (PostgreSQL, a real S3-compatible server) and two
//! stations, each with its own library and key, under Xvfb. Each expert joins, reads their
//! tasks, accepts the campaign's consent, records their assigned task driven by xdotool and
//! pushes; the hub then holds both recordings, verified, with the right task and expert (and
//! knows the input was injected). A station killed with -9 mid-upload pushes again and the
//! upload completes once.

#[path = "../crates/hub/tests/support/mod.rs"]
mod hub_support;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::{apprentice_bin, output_within, pause, s, RecorderProcess, XSession};

/// One expert's machine: a library and a config dir (station key, hub config) of its own.
struct Station {
    library: PathBuf,
    config: PathBuf,
}

impl Station {
    fn new(root: &Path, name: &str) -> Station {
        Station { library: root.join(name).join("library"), config: root.join(name).join("config") }
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("XDG_CONFIG_HOME".into(), self.config.display().to_string())]
    }
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(apprentice_bin());
        c.env("XDG_CONFIG_HOME", &self.config).env_remove("APPRENTICE_HUB_TOKEN").env_remove("APPRENTICE_KEY").arg("--library").arg(&self.library).args(args);
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        let child = self.command(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("apprentice");
        output_within(child, &format!("apprentice {}", args.join(" ")))
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "apprentice {}: {}{}", args.join(" "), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("apprentice {}: {e}: {out}", args.join(" ")))
    }

    /// Records the hub task `task` in the test app: a click and some typing.
    fn record(&self, x: &XSession, win: &str, task: &str, text: &str) -> (String, String) {
        self.record_with_detour(x, win, "", task, text, "")
    }

    /// As [`Self::record`], typing `secret` in window `detour` (when given) half-way.
    fn record_with_detour(&self, x: &XSession, win: &str, detour: &str, task: &str, text: &str, secret: &str) -> (String, String) {
        let (wx, wy, _, _) = x.geometry(win);
        x.xdo(&["windowactivate", "--sync", win]);
        let rec = RecorderProcess::start_recording(x, &self.library, &["--task-id", task], &self.env());
        x.xdo(&["mousemove", "--sync", &s(wx + 60), &s(wy + 60), "click", "1"]);
        pause(300);
        x.xdo(&["type", "--delay", "40", text]);
        if !detour.is_empty() {
            // Keys typed just before focus moves to an excluded window are held back (they may
            // belong to it): let the recorder store the text first.
            let id = rec.id();
            x.wait_until("the recorder to store the typed text", || {
                let out = rec.cli(&["events", &id, "--stream", "input"]);
                let typed: String = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter_map(|e| e["text"].as_str().map(str::to_string)).collect();
                typed.contains(text)
            });
            x.xdo(&["windowactivate", "--sync", detour]);
            x.wait_until("the recorder to see the excluded window focused", || {
                rec.status()["health"]["frames_excluded"].as_u64().unwrap_or(0) > 0
                    || rec.status()["health"]["input_excluded"].as_u64().unwrap_or(0) > 0
                    || rec.cli(&["events", &rec.id(), "--stream", "window"]).stdout.windows(15).any(|w| w == b"\"excluded\":true")
            });
            x.xdo(&["type", "--delay", "40", secret]);
            x.xdo(&["windowactivate", "--sync", win]);
            pause(300);
        }
        x.xdo(&["mousemove", "--sync", &s(wx + 220), &s(wy + 160), "click", "1"]);
        pause(500);
        let mut rec = rec;
        let out = rec.cli(&["stop"]);
        assert!(out.status.success(), "stop: {}", String::from_utf8_lossy(&out.stderr));
        let child = std::mem::replace(&mut rec.child, Command::new("true").spawn().expect("true"));
        let output = output_within(child, "the recorder to exit after stop");
        assert!(output.status.success(), "recorder failed: {}", String::from_utf8_lossy(&output.stderr));
        (String::from_utf8_lossy(&output.stdout).trim().to_string(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn two_stations_record_assigned_tasks_and_push_them_to_the_hub_verified() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s3 = hub_support::S3Server::start(&["vendor"]);
    let pg = hub_support::Postgres::start();
    let db = pg.url("hub");
    let init: Value = serde_json::from_str(&hub_support::ok(hub_support::hub_cli(&["init", "--db", &db, "--json"]))).expect("init");
    let admin = init["token"].as_str().expect("admin token").to_string();
    let hub = hub_support::Hub::start_s3(&db, &s3, "s3://vendor/hub");
    let remote = ["--hub", hub.url.as_str(), "--token", admin.as_str(), "--json"];
    let hub_json = |args: &[&str]| -> Value {
        let out = hub_support::ok(hub_support::hub_cli(&[args, &remote[..]].concat()));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("apprentice-hub {}: {e}: {out}", args.join(" ")))
    };
    let token = |name: &str| hub_json(&["user", "add", name, "--role", "expert"])["token"].as_str().expect("token").to_string();
    let (ann_token, bob_token) = (token("ann"), token("bob"));
    let tasks = tmp.path().join("tasks.jsonl");
    std::fs::write(&tasks, "{\"id\": \"t1\", \"instruction\": \"Type the report's title\"}\n{\"id\": \"t2\", \"instruction\": \"Type the invoice number\"}\n").expect("tasks");
    let consent = tmp.path().join("consent.txt");
    std::fs::write(&consent, "I agree that my screen, input and voice are recorded for training data.\n").expect("consent");
    hub_json(&["campaign", "create", "c1", "--tasks", tasks.to_str().expect("path"), "--consent", consent.to_str().expect("path"), "--exclude", "title:Hub Secret*", "--privacy", "drop"]);
    hub_json(&["assign", "c1", "--expert", "ann", "--task", "t1"]);
    hub_json(&["assign", "c1", "--expert", "bob", "--task", "t2"]);

    let ann = Station::new(tmp.path(), "ann");
    let bob = Station::new(tmp.path(), "bob");
    for (st, t) in [(&ann, &ann_token), (&bob, &bob_token)] {
        let joined = st.json(&["station", "join", &hub.url, "--token", t, "--json"]);
        assert!(joined["fingerprint"].as_str().is_some_and(|f| !f.is_empty()), "{joined}");
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(st.config.join("apprentice/station.json")).expect("station config").permissions());
        assert_eq!(mode & 0o777, 0o600, "the saved token is the user's alone");
    }
    let ann_tasks = ann.json(&["tasks", "--json"]);
    assert_eq!(ann_tasks[0]["exclusions"], serde_json::json!(["title:Hub Secret*"]), "the campaign's exclusions come with its tasks: {ann_tasks}");
    assert_eq!(ann_tasks[0]["privacy_policy"], "drop", "and its privacy policy: {ann_tasks}");
    assert_eq!(ann_tasks.as_array().map(|a| a.iter().map(|t| t["task"]["id"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>()), Some(vec!["t1".to_string()]), "{ann_tasks}");
    let text = ann.ok(&["consent", "c1"]);
    assert!(text.contains("I agree that my screen") && text.contains("none yet"), "{text}");

    let mut x = XSession::start();
    let win = x.testapp("Hub App", "hub-app", "500x400+60+60", &tmp.path().join("app.jsonl"));
    // Without consent the push is refused and says why; the recording stays on the station.
    let (ann_id, stderr) = ann.record(&x, &win, "t1", "Quarterly report");
    assert!(stderr.contains("queued for"), "a hub task's recording is queued: {stderr}");
    let refused = ann.run(&["push", "--json"]);
    assert!(!refused.status.success());
    let reports: Value = serde_json::from_slice(&refused.stdout).expect("push --json");
    assert!(reports[0]["error"].as_str().is_some_and(|e| e.contains("consent")), "{reports}");
    for st in [&ann, &bob] {
        assert!(st.ok(&["consent", "c1", "--accept"]).contains("accept"));
    }
    // Sent again once consent is given.
    let sent = ann.json(&["push", &ann_id, "--json"]);
    assert_eq!(sent[0]["state"], "sent", "{sent}");
    // Bob's recording passes through a window the campaign excludes: it is never recorded.
    let secret = x.testapp("Hub Secret Vault", "hub-secret", "300x200+700+60", &tmp.path().join("secret.jsonl"));
    let (bob_id, _) = bob.record_with_detour(&x, &win, &secret, "t2", "INV-2041", "hunter2");
    assert_eq!(bob.json(&["sync", "status", "--json"])[0]["state"], "queued");
    let windows = bob.ok(&["events", &bob_id, "--stream", "window"]);
    assert!(windows.lines().any(|l| l.contains("\"excluded\":true")), "the campaign's rule excluded the vault: {windows}");
    let typed: String =
        bob.ok(&["events", &bob_id, "--stream", "input"]).lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter_map(|e| e["text"].as_str().map(str::to_string)).collect();
    assert!(typed.contains("INV-2041") && !typed.contains("hunter2"), "typed in the excluded window never stored: {typed}");
    let sent = bob.json(&["push", "--all", "--json"]);
    assert_eq!(sent[0]["state"], "sent", "{sent}");
    assert_eq!(bob.json(&["sync", "status", "--json"])[0]["state"], "sent");

    // The hub holds both, verified, with the right task and expert.
    let held = hub_json(&["recordings", "--campaign", "c1"]);
    let by_id = |id: &str| held.as_array().and_then(|a| a.iter().find(|r| r["id"] == id)).cloned().unwrap_or_else(|| panic!("{id} not at the hub: {held}"));
    for (id, task, expert) in [(&ann_id, "t1", "ann"), (&bob_id, "t2", "bob")] {
        let r = by_id(id);
        assert_eq!((r["task_id"].as_str(), r["expert"].as_str(), r["sealed"].as_str()), (Some(task), Some(expert), Some("finished")), "{r}");
        assert!(r["input_events"].as_u64().unwrap_or(0) > 10 && r["steps"].as_u64().unwrap_or(0) >= 2, "{r}");
        assert_eq!(r["synthetic_input_share"].as_f64(), Some(1.0), "xdotool's input is injected, and the hub knows: {r}");
    }
    assert_eq!(held.as_array().map(Vec::len), Some(2));
    let bucket = hub_support::S3Server::objects(&s3, "vendor");
    assert!(bucket.iter().any(|p| p.starts_with(&format!("hub/recordings/{ann_id}/"))), "{bucket:?}");

    // Killed with -9 mid-upload: the next push continues the same upload and completes it once.
    let (third, _) = ann.record(&x, &win, "t1", "A second take of the title, typed slowly for a bigger upload");
    let mut push = ann.command(&["push", &third, "--bwlimit", "20"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("push");
    let received = |id: &str| pg.psql("hub", &format!("SELECT count(*) FROM upload_files f JOIN uploads u ON u.id = f.upload_id WHERE u.recording_id = '{id}'")).parse::<i64>().unwrap_or(0);
    hub_support::wait_for("the hub to receive the first file of the slow push", || received(&third) >= 1);
    push.kill().expect("kill -9");
    let _ = push.wait();
    let queue = ann.json(&["sync", "status", "--json"]);
    let q = queue.as_array().and_then(|a| a.iter().find(|q| q["recording_id"] == third.as_str())).cloned().expect("queued");
    assert_eq!(q["state"], "queued", "{q}");
    let sent = ann.json(&["push", "--json"]);
    let r = sent.as_array().and_then(|a| a.iter().find(|r| r["recording_id"] == third.as_str())).cloned().expect("pushed");
    assert_eq!(r["state"], "sent", "{r}");
    assert!(r["files_sent"].as_u64() < r["files"].as_u64(), "what arrived before the kill is not sent again: {r}");
    assert_eq!(pg.psql("hub", &format!("SELECT count(*) FROM uploads WHERE recording_id = '{third}'")), "1", "one upload, continued");
    assert_eq!(pg.psql("hub", "SELECT count(*) FROM recordings"), "3");
}
