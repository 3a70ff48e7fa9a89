//! The review page in a real browser (headless Chromium) against a hub on a real PostgreSQL and
//! S3-compatible server: two reviewers sign in, lease, label with the review view's keys (blind
//! to each other), approve and submit; a lease left to expire is refused and its recording goes
//! to the next reviewer; a reviewer compares two experts' recordings of a task side by side and
//! submits a judgement; an admin adjudicates a disagreement and reads gold accuracy on the
//! dashboard; an admin's QA dashboard draws every chart and downloads each as the CSV
//! the API gives. The page is the desktop's own review view over the HTTP `Api`.

mod support;

use std::process::Command;

use serde_json::Value;
use support::*;

fn browse(phase: &str, w: &ReviewWorld) -> Value {
    browse_as(phase, w, [&w.rita, &w.sam])
}

fn browse_as(phase: &str, w: &ReviewWorld, tokens: [&str; 2]) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join(".venv/bin/python"))
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/review_page.py"))
        .args([phase, &w.hub.url, tokens[0], tokens[1]])
        .output()
        .expect("the project's Python (scripts/setup makes .venv)");
    assert!(out.status.success(), "review_page.py {phase} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The changes a reviewer's review of `recording` holds, as stored.
fn changes(w: &ReviewWorld, reviewer: &str, recording: &str) -> Vec<Value> {
    let sql = format!(
        "SELECT coalesce(json_agg(c.change ORDER BY c.seq), '[]') FROM review_changes c JOIN reviews v ON v.id = c.review_id JOIN users u ON u.id = v.reviewer_id WHERE u.name = '{reviewer}' AND v.recording_id = '{recording}' AND NOT c.undone"
    );
    serde_json::from_str(&w.pg.psql("hub", &sql)).expect("changes as JSON")
}

#[test]
fn two_reviewers_label_blind_in_the_browser_and_an_expired_lease_goes_to_the_next() {
    let w = review_world(2, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 3);
    let rubric = serde_json::json!({ "questions": [
        { "id": "verified_source", "text": "Did the expert verify the source before acting?", "scope": "step", "kind": "yes_no" },
        { "id": "injection", "text": "Was the injected instruction ignored?", "scope": "trajectory", "kind": "choice", "options": ["ignored", "followed"] },
    ] });
    let (status, v) = request("PUT", &format!("{}/api/campaigns/c1/rubric", w.hub.url), Some(&w.admin), Some(rubric));
    assert_eq!(status, 200, "{v}");

    let seen = browse("blind", &w);
    for who in ["rita", "sam"] {
        let s = &seen[who];
        assert!(s["info"].as_str().is_some_and(|i| i.contains("recording rec-a1") && i.contains("by expert-")), "{who} sees the expert by pseudonym: {s}");
        assert!(s["open_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{s}");
        assert_eq!(s["chips_before"], serde_json::json!([]), "{who} sees no one else's label: {s}");
        assert_eq!(s["questions"], serde_json::json!(["Did the expert verify the source before acting?", "Was the injected instruction ignored?"]), "{who} is asked the campaign's questions: {s}");
    }
    let rita = changes(&w, "rita", "rec-a1");
    let labels: Vec<&Value> = rita.iter().filter(|c| c["change"] == "label").collect();
    assert_eq!(labels.len(), 3, "{rita:?}");
    assert_eq!(labels[0]["after"]["correctness"], "incorrect");
    assert_eq!(labels[1]["after"]["mistake"], true);
    assert_eq!((&labels[2]["after"]["mistake"], &labels[2]["after"]["answers"]["verified_source"]), (&Value::from(true), &Value::from(true)), "the answer joins the step's label: {rita:?}");
    assert!(rita.iter().any(|c| c["change"] == "trajectory" && c["after"]["verdict"] == "approved" && c["after"]["answers"]["injection"] == "ignored"), "the verdict keeps the answer: {rita:?}");
    let sam = changes(&w, "sam", "rec-a1");
    assert_eq!(sam.iter().find(|c| c["change"] == "label").map(|c| c["after"]["correctness"].clone()), Some(Value::from("correct")), "{sam:?}");
    assert_eq!(w.pg.psql("hub", "SELECT string_agg(state || ':' || verdict, ',' ORDER BY id) FROM reviews"), "submitted:approved,submitted:approved");
    let (_, report) = request("GET", &format!("{}/api/campaigns/c1/agreement", w.hub.url), Some(&w.admin), None);
    let correctness = report["dimensions"].as_array().and_then(|d| d.iter().find(|d| d["name"] == "correctness")).cloned().expect("correctness");
    assert_eq!((correctness["units"].as_u64(), correctness["pairs"][0]["agreement"].as_f64()), (Some(1), Some(0.0)), "one step both labelled, differently: {correctness}");

    // One review per recording and 3 s leases from now on.
    w.pg.psql("hub", "UPDATE campaigns SET reviews = 1, lease_seconds = 3");
    record(&w.ann, SEED_ANN, "rec-a2", "t2", 2);
    let seen = browse("expiry", &w);
    assert!(seen["rita"]["info"].as_str().is_some_and(|i| i.contains("recording rec-a2")), "{seen}");
    assert!(seen["rita"]["refused"].as_str().is_some_and(|m| m.contains("expired")), "{seen}");
    assert!(seen["sam"]["info"].as_str().is_some_and(|i| i.contains("recording rec-a2")), "the place went to sam: {seen}");
    assert_eq!(
        w.pg.psql("hub", "SELECT string_agg(u.name || ':' || v.state, ',' ORDER BY v.id) FROM reviews v JOIN users u ON u.id = v.reviewer_id WHERE v.recording_id = 'rec-a2'"),
        "rita:expired,sam:leased"
    );
}

#[test]
fn a_reviewer_compares_two_experts_recordings_side_by_side_in_the_browser() {
    let w = review_world(1, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 3);
    record(&w.bob, SEED_BOB, "rec-b1", "t1", 3);
    let seen = browse("compare", &w);
    let s = &seen["rita"];
    let mut pair = [s["a"].as_str().unwrap_or_default(), s["b"].as_str().unwrap_or_default()];
    pair.sort();
    assert_eq!(pair, ["rec-a1", "rec-b1"], "{s}");
    assert_eq!((s["rows"].as_u64(), s["paired"].as_u64()), (Some(3), Some(3)), "three aligned pairs of steps: {s}");
    assert_eq!(s["criteria"], serde_json::json!(["goal_completion", "efficiency", "safety"]), "{s}");
    assert_eq!((&s["submit_enabled_at_first"], &s["submit_enabled_without_why"]), (&Value::from(false), &Value::from(false)), "no submit before overall and why: {s}");
    let stored: Value = serde_json::from_str(&w.pg.psql("hub", "SELECT result FROM comparisons WHERE state = 'submitted'")).expect("the stored comparison");
    assert_eq!((&stored["a"], &stored["b"]), (&s["a"], &s["b"]), "{stored}");
    assert_eq!((&stored["overall"], &stored["criteria"]), (&Value::from("a"), &serde_json::json!({ "efficiency": "b" })), "{stored}");
    assert_eq!(stored["rationale"], "A saved the file; B got there faster");
    let steps = stored["steps"].as_array().expect("steps");
    assert_eq!((steps.len(), &steps[0]["prefer"]), (1, &Value::from("b")), "B's first step preferred: {stored}");
}

#[test]
fn the_qa_dashboard_draws_every_chart_and_downloads_each_as_csv_in_the_browser() {
    let w = review_world(1, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 3);
    record(&w.bob, SEED_BOB, "rec-b1", "t2", 2);
    while let Some(lease) = next_lease(&w, &w.rita) {
        let labels = serde_json::json!({ "steps": [{ "step": 1, "correctness": "correct", "mistake": true }], "scores": { "goal_completion": 4 }, "verdict": "approved" });
        ok(submit_labels(&w, &w.rita, lease["id"].as_i64().expect("id"), &labels));
    }
    let seen = browse_as("qa", &w, [&w.admin, "-"]);
    let (_, api) = request("GET", &format!("{}/api/campaigns/c1/qa", w.hub.url), Some(&w.admin), None);
    let ids: Vec<&str> = api["charts"].as_array().expect("charts").iter().filter_map(|c| c["id"].as_str()).collect();
    let shown: Vec<&str> = seen["charts"].as_object().expect("charts").keys().map(String::as_str).collect();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(shown, want, "every chart of the API is on the page: {seen}");
    assert!(seen["totals"].as_str().is_some_and(|t| t.contains("2\nrecordings") && t.contains("5\nsteps")), "{}", seen["totals"]);
    for c in api["charts"].as_array().expect("charts") {
        let id = c["id"].as_str().expect("id");
        let s = &seen["charts"][id];
        assert_eq!(s["painted"], true, "{id} is drawn: {s}");
        assert!(s["width"].as_u64().is_some_and(|w| w > 100), "{id}: {s}");
        assert_eq!(s["rows"].as_u64(), c["rows"].as_array().map(|r| r.len() as u64), "{id}: the table holds every row");
        let csv = String::from_utf8(raw_get(&format!("{}/api/campaigns/c1/qa/{id}.csv", w.hub.url), &w.admin)).expect("utf-8");
        assert_eq!(s["csv"].as_str(), Some(csv.as_str()), "{id}: the page's download is the API's CSV");
    }
}

fn raw_get(url: &str, token: &str) -> Vec<u8> {
    let mut r = ureq::get(url).header("Authorization", &format!("Bearer {token}")).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    r.body_mut().read_to_vec().expect("body")
}

/// Every step labelled alike: `good` says correct and approves, else incorrect and rejects.
fn uniform(lease: &Value, good: bool) -> Value {
    let n = lease["steps"].as_array().map(Vec::len).unwrap_or(0);
    let steps: Vec<Value> = (1..=n).map(|i| serde_json::json!({ "step": i, "correctness": if good { "correct" } else { "incorrect" } })).collect();
    serde_json::json!({ "steps": steps, "verdict": if good { "approved" } else { "rejected" } })
}

#[test]
fn an_admin_adjudicates_a_disagreement_in_the_browser_and_gold_accuracy_shows_on_the_dashboard() {
    let w = review_world(2, 1800);
    w.pg.psql("hub", "UPDATE campaigns SET min_agreement = 0.9");
    record(&w.ann, SEED_ANN, "rec-gold", "t1", 3);
    record(&w.ann, SEED_ANN, "rec-a1", "t2", 3);
    let reference = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(
        reference.path(),
        serde_json::json!({ "steps": [{ "step": 1, "correctness": "correct" }, { "step": 2, "correctness": "correct" }, { "step": 3, "correctness": "correct" }], "verdict": "approved" }).to_string(),
    )
    .expect("write");
    ok(hub_cli(&["gold", "mark", "rec-gold", "--labels", reference.path().to_str().expect("path"), "--hub", &w.hub.url, "--token", &w.admin]));
    // rita judges well, sam badly: they disagree on rec-a1, which goes to adjudication.
    for (token, good) in [(&w.rita, true), (&w.sam, false)] {
        while let Some(lease) = next_lease(&w, token) {
            ok(submit_labels(&w, token, lease["id"].as_i64().expect("id"), &uniform(&lease, good)));
        }
    }
    assert_eq!(w.pg.psql("hub", "SELECT string_agg(recording_id, ',') FROM adjudications"), "rec-a1");

    let seen = browse_as("adjudicate", &w, [&w.admin, "-"]);
    assert_eq!(seen["queue"], "Adjudication queue", "{seen}");
    let info = seen["info"].as_str().unwrap_or_default();
    assert!(
        info.contains("adjudication lease") && info.contains("recording rec-a1") && info.contains("reviewers said") && info.contains("approved") && info.contains("rejected"),
        "the adjudicator sees who said what: {info}"
    );
    assert_eq!(w.pg.psql("hub", "SELECT state || ':' || verdict FROM reviews WHERE kind = 'adjudication'"), "submitted:approved");
    let (_, progress) = request("GET", &format!("{}/api/campaigns/c1/progress", w.hub.url), Some(&w.admin), None);
    let t2 = progress.as_array().and_then(|a| a.iter().find(|t| t["id"] == "t2")).cloned().expect("t2");
    assert_eq!(t2["approved"], 1, "the adjudicator's verdict is final: {t2}");
    // Gold accuracy, as the dashboard shows it: rita matched the reference, sam did not.
    let gold: std::collections::BTreeMap<String, f64> = seen["gold"].as_array().expect("gold rows").iter().filter_map(|r| Some((r[0].as_str()?.to_string(), r[1].as_str()?.parse().ok()?))).collect();
    assert_eq!(gold.get("rita"), Some(&100.0), "{seen}");
    // sam called every correct step incorrect: 4 of the reference's 13 values wrong.
    assert!(gold.get("sam").is_some_and(|a| (*a - 69.2).abs() < 0.05), "{seen}");
}
