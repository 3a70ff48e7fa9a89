//! The admin's pages in a real browser (headless Chromium): signed in with an admin's token they
//! show each campaign's tasks with progress, experts' hours, stations with their queue and the
//! recordings received; an expert's token is refused; the page is served with a strict CSP.

mod support;

use std::process::Command;
use std::time::Duration;

use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::Library;
use apprentice_station::push::{self, PushOptions};
use apprentice_station::StationConfig;
use serde_json::{json, Value};
use support::*;

fn browse(hub: &str, token: &str) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join(".venv/bin/python"))
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/admin_page.py"))
        .args([hub, token])
        .output()
        .expect("the project's Python (scripts/setup makes .venv)");
    assert!(out.status.success(), "admin_page.py failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn the_admin_pages_show_campaign_progress_experts_stations_and_recordings() {
    let (_pg, hub, admin) = hub_with_admin();
    let url = |p: &str| format!("{}{p}", hub.url);
    let (_, ann) = request("POST", &url("/api/users"), Some(&admin), Some(json!({ "name": "ann", "role": "expert" })));
    let token = ann["token"].as_str().expect("token").to_string();
    let (status, v) = request(
        "POST",
        &url("/api/campaigns"),
        Some(&admin),
        Some(json!({ "name": "c1", "tasks": [{ "id": "t1", "instruction": "Rename the <b>report</b>", "target": 3 }, { "id": "t2", "instruction": "Archive" }] })),
    );
    assert_eq!(status, 201, "{v}");
    request("POST", &url("/api/campaigns/c1/assign"), Some(&admin), Some(json!({ "expert": "ann", "tasks": ["t1"] })));
    let key = StationKey::ephemeral([21; 32]);
    let (_, st) = join_station(&hub.url, &token, "ann", "ann-desk", &key);
    let cfg = StationConfig { hub: hub.url.clone(), token: token.clone(), user: "ann".into(), station_id: st["id"].as_i64().expect("id"), fingerprint: key.fingerprint() };
    let dir = tempfile::tempdir().expect("tmp");
    let lib = Library::open(dir.path()).expect("lib");
    sealed_recording(&lib, "rec-admin-1", "t1", [21; 32], 3, 500);
    let r = &push::push(&lib, &cfg, &key, &["rec-admin-1".into()], &PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(60) }, &mut |_| {}).expect("push")[0];
    assert!(r.error.is_none(), "{r:?}");

    let seen = browse(&hub.url, &admin);
    assert_eq!(seen["error"], "", "{seen}");
    assert_eq!(seen["who"], "signed in as admin");
    let tasks = seen["tasks"].as_array().expect("tasks");
    assert_eq!(tasks[0], json!(["t1", "Rename the <b>report</b>", "1", "3", "1", "1"]), "progress, the instruction shown as text: {seen}");
    assert_eq!(tasks[1], json!(["t2", "Archive", "1", "1", "0", "0"]));
    assert_eq!(seen["experts"], json!([["ann", "1", "0.00", r.recording.as_ref().map(|x| x.steps.to_string()).unwrap_or_default()]]), "{seen}");
    let stations = seen["stations"].as_array().expect("stations");
    assert_eq!(
        (stations[0][0].as_str(), stations[0][1].as_str(), stations[0][3].as_str(), stations[0][5].as_str()),
        (Some("ann"), Some("ann-desk"), Some(key.fingerprint().as_str()), Some("1")),
        "{seen}"
    );
    let recordings = seen["recordings"].as_array().expect("recordings");
    assert_eq!((recordings[0][0].as_str(), recordings[0][2].as_str(), recordings[0][6].as_str()), (Some("rec-admin-1"), Some("t1"), Some("finished")), "{seen}");

    // An expert's token opens nothing.
    let refused = browse(&hub.url, &token);
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("for admins")), "{refused}");
    assert_eq!(refused["recordings"], json!([]));

    // The page itself: strict CSP, no sniffing.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let page = agent.get(&url("/admin")).call().expect("GET /admin");
    let csp = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
}
