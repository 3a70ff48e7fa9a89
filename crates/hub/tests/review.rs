//! Review queues, agreement and publishing end to end, on a real PostgreSQL and a real
//! S3-compatible server (s3s-fs), with recordings sealed by a station's real writer and pushed by
//! the station crate: reviewers lease, label blind and submit through the scripted path
//! (`apprentice-hub queue next`, `review submit`); a lease that expires goes back to the queue;
//! the review view and its frames over HTTP; agreement equal to the `krippendorff` package's;
//! a published `hf` dataset loads from the S3 server with `datasets`, holds only approved
//! recordings of experts who kept their consent, and a second publish adds only what is new.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use apprentice_core::provenance::hub::ConsentDecision;
use serde_json::{json, Value};
use support::*;

fn python(args: &[&str], stdin: Option<&str>) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut child = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("tests/python/hub_review.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the project's Python (scripts/setup makes .venv)");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("python");
    assert!(out.status.success(), "hub_review.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("hub_review.py {args:?} printed {:?}: {e}", String::from_utf8_lossy(&out.stdout)))
}

/// The labels a reviewer gives: `tilt` makes two reviewers agree on most values, not all.
fn labels_for(lease: &Value, tilt: usize) -> Value {
    let steps = lease["steps"].as_array().expect("steps");
    let correctness = ["correct", "incorrect", "redundant"];
    let labelled: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let c = if (i + tilt) % 4 == 0 { correctness[(i + tilt) % 3] } else { correctness[i % 3] };
            json!({ "step": i + 1, "correctness": c, "mistake": (i + tilt) % 3 == 0, "unsafe": i % 2 == 1 })
        })
        .collect();
    let n = steps.len();
    let verdict = if (n + tilt) % 3 == 0 { "needs_edit" } else { "approved" };
    json!({ "steps": labelled, "scores": { "goal_completion": 1 + (n + tilt) % 5, "efficiency": 1 + (n * 2 + tilt) % 5 }, "verdict": verdict })
}

#[test]
fn reviewers_lease_and_label_blind_and_agreement_equals_the_krippendorff_package() {
    let w = review_world(2, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 4);
    record(&w.ann, SEED_ANN, "rec-a2", "t2", 5);
    record(&w.bob, SEED_BOB, "rec-b1", "t1", 6);
    let url = |p: &str| format!("{}{p}", w.hub.url);

    // rita leases the oldest recording; asking again gives the same lease back.
    let first = next_lease(&w, &w.rita).expect("a lease for rita");
    assert_eq!(first["recording"], "rec-a1", "{first}");
    assert_eq!(first["steps"].as_array().map(Vec::len), Some(4), "one step per click: {first}");
    assert!(first["expert"].as_str().is_some_and(|e| e.starts_with("expert-")), "reviewers see a pseudonym: {first}");
    assert_eq!(next_lease(&w, &w.rita).expect("held")["id"], first["id"], "a held lease comes back");
    // sam gets the same recording (two reviews each), under a lease of his own.
    let sams = next_lease(&w, &w.sam).expect("a lease for sam");
    assert_eq!(sams["recording"], "rec-a1");
    assert_ne!(sams["id"], first["id"]);

    // Blind: rita labels a step; sam's view does not show it, and sam's lease is not rita's to see.
    let t0 = first["steps"][0]["t_start"].as_u64().expect("t_start");
    let (status, v) = request("PUT", &url(&format!("/api/leases/{}/steps/{t0}/label", first["id"])), Some(&w.rita), Some(json!({ "correctness": "redundant", "comment": "rita's" })));
    assert_eq!((status, v["correctness"].as_str()), (200, Some("redundant")), "{v}");
    let (_, sam_view) = request("GET", &url(&format!("/api/leases/{}", sams["id"])), Some(&w.sam), None);
    assert!(sam_view["steps"][0]["label"].is_null(), "sam sees no label of rita's: {sam_view}");
    for path in [format!("/api/leases/{}", sams["id"]), format!("/api/leases/{}/trajectory", sams["id"]), format!("/api/leases/{}/log", sams["id"]), format!("/api/leases/{}/frames/0", sams["id"])] {
        let (status, body) = request("GET", &url(&path), Some(&w.rita), None);
        assert_eq!(status, 404, "{path} is sam's: {body}");
    }
    let (status, _) = request("PUT", &url(&format!("/api/leases/{}/steps/{t0}/label", sams["id"])), Some(&w.rita), Some(json!({ "mistake": true })));
    assert_eq!(status, 404, "nor may rita label it");
    for path in ["/api/users", "/api/campaigns/c1/agreement", "/api/campaigns/c1/progress"] {
        let (status, body) = request("GET", &url(path), Some(&w.rita), None);
        assert_eq!(status, 403, "{path} is for admins: {body}");
    }
    let (status, _) = request("POST", &url("/api/campaigns/c1/queue/next"), Some(&w.ann.cfg.token), Some(json!({})));
    assert_eq!(status, 403, "experts do not review");

    // A review ends only with a verdict.
    let refused = fails(submit_labels(&w, &w.rita, first["id"].as_i64().expect("id"), &json!({ "steps": [{ "step": 1, "correctness": "correct" }] })));
    assert!(refused.contains("no verdict"), "{refused}");

    // Each reviewer works the queue to its end: three recordings each.
    let mut given: Vec<(String, String, Value, Value)> = vec![];
    for (token, who, tilt) in [(&w.rita, "rita", 0), (&w.sam, "sam", 1)] {
        let mut seen = vec![];
        while let Some(lease) = next_lease(&w, token) {
            let labels = labels_for(&lease, tilt);
            let done: Value = serde_json::from_str(&ok(submit_labels(&w, token, lease["id"].as_i64().expect("id"), &labels))).expect("submit --json");
            assert_eq!(done["state"], "submitted", "{done}");
            seen.push(lease["recording"].as_str().expect("recording").to_string());
            given.push((who.to_string(), lease["recording"].as_str().expect("id").to_string(), lease.clone(), labels));
        }
        seen.sort();
        assert_eq!(seen, ["rec-a1", "rec-a2", "rec-b1"], "{who} reviewed each recording once");
    }
    let out = ok(hub_cli(&["queue", "next", "--campaign", "c1", "--hub", &w.hub.url, "--token", &w.rita]));
    assert!(out.contains("nothing left"), "{out}");
    let (status, v) = request("PUT", &url(&format!("/api/leases/{}/steps/{t0}/label", first["id"])), Some(&w.rita), Some(json!({ "mistake": true })));
    assert_eq!(status, 409, "a submitted review no longer changes: {v}");

    // Progress: every recording reviewed twice; approved where both said so.
    let (_, progress) = request("GET", &url("/api/campaigns/c1/progress"), Some(&w.admin), None);
    let reviewed: i64 = progress.as_array().expect("tasks").iter().map(|t| t["reviewed"].as_i64().unwrap_or(0)).sum();
    assert_eq!(reviewed, 3, "{progress}");
    let approved_both = ["rec-a1", "rec-a2", "rec-b1"].iter().filter(|id| given.iter().filter(|(_, r, _, l)| r == *id && l["verdict"] == "approved").count() == 2).count() as i64;
    let approved: i64 = progress.as_array().expect("tasks").iter().map(|t| t["approved"].as_i64().unwrap_or(0)).sum();
    assert_eq!(approved, approved_both, "{progress}");

    // Agreement: the hub's alpha on each dimension equals the krippendorff package's on the
    // same labels (reviewers as rows, units — steps, recordings — as columns).
    let report: Value = serde_json::from_str(&ok(hub_cli(&["agreement", "c1", "--json", "--hub", &w.hub.url, "--token", &w.admin]))).expect("agreement --json");
    assert_eq!(report["reviews"], 6, "{report}");
    let reviewers = ["rita", "sam"];
    let mut step_units: BTreeMap<(String, u64), [Option<f64>; 2]> = BTreeMap::new();
    let mut rec_units: BTreeMap<String, [Option<Value>; 2]> = BTreeMap::new();
    for (who, rec, lease, labels) in &given {
        let r = reviewers.iter().position(|x| x == who).expect("reviewer");
        for l in labels["steps"].as_array().expect("steps") {
            let n = l["step"].as_u64().expect("step") as usize;
            let t = lease["steps"][n - 1]["t_start"].as_u64().expect("t_start");
            step_units.entry((rec.clone(), t)).or_default()[r] = Some(0.0);
        }
        rec_units.entry(rec.clone()).or_default()[r] = Some(labels.clone());
    }
    let code = |dim: &str, l: &Value| -> Option<f64> {
        match dim {
            "correctness" => ["correct", "incorrect", "redundant"].iter().position(|c| l["correctness"] == *c).map(|i| i as f64),
            "mistake" | "unsafe" => Some(if l[dim].as_bool().unwrap_or(false) { 1.0 } else { 0.0 }),
            _ => None,
        }
    };
    let mut dims = serde_json::Map::new();
    for dim in ["correctness", "mistake", "unsafe"] {
        let mut rows = vec![vec![Value::Null; step_units.len()]; 2];
        for (col, ((rec, t), _)) in step_units.iter().enumerate() {
            for (r, who) in reviewers.iter().enumerate() {
                let (_, _, lease, labels) = given.iter().find(|(w2, r2, _, _)| w2 == who && r2 == rec).expect("review");
                let n = lease["steps"].as_array().expect("steps").iter().position(|s| s["t_start"].as_u64() == Some(*t)).expect("step") + 1;
                let l = labels["steps"].as_array().expect("steps").iter().find(|l| l["step"].as_u64() == Some(n as u64)).expect("label");
                rows[r][col] = code(dim, l).map(Value::from).unwrap_or(Value::Null);
            }
        }
        dims.insert(dim.into(), json!({ "level": "nominal", "data": rows }));
    }
    for (dim, level) in [("goal_completion", "ordinal"), ("efficiency", "ordinal"), ("verdict", "nominal")] {
        let rows: Vec<Vec<Value>> = (0..2)
            .map(|r| {
                rec_units
                    .values()
                    .map(|pair| {
                        let l = pair[r].as_ref().expect("both reviewed");
                        match dim {
                            "verdict" => Value::from(["approved", "needs_edit", "rejected"].iter().position(|v| l["verdict"] == *v).expect("verdict") as f64),
                            _ => l["scores"][dim].clone(),
                        }
                    })
                    .collect()
            })
            .collect();
        dims.insert(dim.into(), json!({ "level": level, "data": rows }));
    }
    let expected = python(&["alpha"], Some(&json!({ "dimensions": dims }).to_string()));
    let by_name: BTreeMap<&str, &Value> = report["dimensions"].as_array().expect("dimensions").iter().map(|d| (d["name"].as_str().unwrap_or_default(), d)).collect();
    for (dim, want) in expected.as_object().expect("alphas") {
        let got = &by_name.get(dim.as_str()).unwrap_or_else(|| panic!("no {dim} in {report}"))["alpha"];
        match (got.as_f64(), want.as_f64()) {
            (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{dim}: hub {g}, krippendorff {e}"),
            (None, None) => {}
            _ => panic!("{dim}: hub {got}, krippendorff {want}"),
        }
    }
    let correctness = by_name["correctness"];
    assert_eq!(correctness["units"], 15, "4 + 5 + 6 steps, each labelled by both: {correctness}");
    assert!(correctness["interval"].as_array().is_some_and(|i| i.len() == 2), "{correctness}");
    let pair = &correctness["pairs"][0];
    assert_eq!(pair["units"], 15, "{pair}");
    let _ = &w.pg;
}

#[test]
fn an_expired_lease_goes_back_to_the_queue_and_a_skip_takes_a_reason() {
    let w = review_world(1, 2);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 3);
    let url = |p: &str| format!("{}{p}", w.hub.url);
    let ritas = next_lease(&w, &w.rita).expect("rita's lease");
    assert_eq!(ritas["recording"], "rec-a1");
    assert!(next_lease(&w, &w.sam).is_none(), "one review per recording: the place is taken while rita holds it");
    let lease_url = url(&format!("/api/leases/{}", ritas["id"]));
    wait_for("rita's 2 s lease to expire", || request("GET", &lease_url, Some(&w.rita), None).1["state"] == "expired");
    let sams = next_lease(&w, &w.sam).expect("the expired lease's place is sam's now");
    assert_eq!(sams["recording"], "rec-a1");
    let refused = fails(submit_labels(&w, &w.rita, ritas["id"].as_i64().expect("id"), &json!({ "verdict": "approved" })));
    assert!(refused.contains("409") || refused.contains("expired"), "{refused}");
    assert!(next_lease(&w, &w.rita).is_none(), "sam holds the only place");

    // Skipping: a reason is required; the recording is not offered to the skipper again.
    record(&w.ann, SEED_ANN, "rec-a2", "t2", 3);
    let again = next_lease(&w, &w.rita).expect("rita gets the new recording");
    assert_eq!(again["recording"], "rec-a2");
    let (status, v) = request("POST", &url(&format!("/api/leases/{}/skip", again["id"])), Some(&w.rita), Some(json!({ "reason": "  " })));
    assert_eq!(status, 400, "{v}");
    let out = ok(hub_cli(&["review", "skip", &again["id"].to_string(), "--reason", "the screen is unreadable", "--hub", &w.hub.url, "--token", &w.rita]));
    assert!(out.contains("skipped"), "{out}");
    assert!(next_lease(&w, &w.rita).is_none(), "a skipped recording is not offered again");
    let reason = w.pg.psql("hub", "SELECT skip_reason FROM reviews WHERE state = 'skipped'");
    assert_eq!(reason, "the screen is unreadable");
    let done: Value = serde_json::from_str(&ok(submit_labels(&w, &w.sam, sams["id"].as_i64().expect("id"), &json!({ "verdict": "approved" })))).expect("submit");
    assert_eq!(done["state"], "submitted");
    let (_, progress) = request("GET", &url("/api/campaigns/c1/progress"), Some(&w.admin), None);
    let t1 = progress.as_array().and_then(|a| a.iter().find(|t| t["id"] == "t1")).cloned().expect("t1");
    assert_eq!((t1["reviewed"].as_i64(), t1["approved"].as_i64()), (Some(1), Some(1)), "{t1}");
}

/// GET with the raw answer: (status, content type, cache control, body).
fn get_raw(url: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(60))).build().into();
    let mut r = agent.get(url).header("Authorization", &format!("Bearer {token}")).call().expect("GET");
    let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (kind, cache) = (header("content-type"), header("cache-control"));
    (r.status().as_u16(), kind, cache, r.body_mut().read_to_vec().expect("body"))
}

#[test]
fn the_review_view_its_edits_undo_and_frames_work_over_http() {
    let w = review_world(1, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 5);
    let url = |p: &str| format!("{}{p}", w.hub.url);
    let lease = next_lease(&w, &w.rita).expect("lease");
    let id = lease["id"].as_i64().expect("id");
    let (status, view) = request("GET", &url(&format!("/api/leases/{id}/trajectory")), Some(&w.rita), None);
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["recording"]["id"], "rec-a1");
    assert_eq!(view["recording"]["expert_id"], lease["expert"], "the view names the expert by pseudonym");
    let steps = view["steps"].as_array().expect("steps").clone();
    assert_eq!(steps.len(), 5);

    // A frame as PNG, pixel-exact, cached by the browser; a thumbnail; a frame that is not there.
    let seq = steps[0]["before"]["frame_seq"].as_u64().expect("before frame");
    let (status, kind, cache, png) = get_raw(&url(&format!("/api/leases/{id}/frames/{seq}")), &w.rita);
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert!(cache.contains("immutable"), "{cache}");
    let img = image::load_from_memory(&png).expect("a PNG").to_rgb8();
    assert_eq!(img.dimensions(), (96, 64));
    assert_eq!(img.get_pixel(0, 10)[0], (seq * 40 % 256) as u8, "frame {seq} as it was drawn");
    let (status, _, _, thumb) = get_raw(&url(&format!("/api/leases/{id}/frames/{seq}?thumb=true")), &w.rita);
    assert_eq!(status, 200);
    assert_eq!(image::load_from_memory(&thumb).expect("a PNG").width(), apprentice_core::store::frame_cache::THUMB_WIDTH);
    let (status, _, _, _) = get_raw(&url(&format!("/api/leases/{id}/frames/999")), &w.rita);
    assert_eq!(status, 404);

    // Label, score, delete a step, undo the delete: each in the audit log, signed by the pseudonym.
    let t1 = steps[1]["t_start"].as_u64().expect("t");
    let (status, label) = request("PUT", &url(&format!("/api/leases/{id}/steps/{t1}/label")), Some(&w.rita), Some(json!({ "correctness": "incorrect", "mistake": true })));
    assert_eq!((status, label["mistake"].as_bool()), (200, Some(true)), "{label}");
    let (status, v) = request("PUT", &url(&format!("/api/leases/{id}/steps/12345/label")), Some(&w.rita), Some(json!({ "mistake": true })));
    assert_eq!(status, 422, "no step starts there: {v}");
    let (status, v) = request("PUT", &url(&format!("/api/leases/{id}/review")), Some(&w.rita), Some(json!({ "scores": { "safety": 9 } })));
    assert_eq!(status, 422, "scores are 1-5: {v}");
    let (status, review) = request("PUT", &url(&format!("/api/leases/{id}/review")), Some(&w.rita), Some(json!({ "scores": { "safety": 4 }, "verdict": "needs_edit" })));
    assert_eq!((status, review["verdict"].as_str()), (200, Some("needs_edit")), "{review}");
    let t3 = steps[3]["t_start"].as_u64().expect("t");
    let (status, edited) = request("POST", &url(&format!("/api/leases/{id}/edits")), Some(&w.rita), Some(json!({ "op": "delete", "step": t3 })));
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["steps"].as_array().map(Vec::len), Some(4));
    assert_eq!(edited["steps"][1]["label"]["correctness"], "incorrect", "labels stay on their steps");
    let (status, undone) = request("POST", &url(&format!("/api/leases/{id}/undo")), Some(&w.rita), Some(json!({})));
    assert_eq!((status, undone["steps"].as_array().map(Vec::len)), (200, Some(5)), "{undone}");
    let (status, v) = request("PUT", &url(&format!("/api/leases/{id}/transcripts/777")), Some(&w.rita), Some(json!({ "text": "hello" })));
    assert_eq!(status, 422, "no utterance starts there: {v}");
    let (_, log) = request("GET", &url(&format!("/api/leases/{id}/log")), Some(&w.rita), None);
    let log = log.as_array().expect("log").clone();
    assert_eq!(log.len(), 3, "label, review, edit: {log:?}");
    assert_eq!(log.iter().map(|e| e["undone"].as_bool().unwrap_or(false)).collect::<Vec<_>>(), [false, false, true]);
    assert!(log.iter().all(|e| e["reviewer"].as_str().is_some_and(|r| r.starts_with("reviewer-"))), "{log:?}");

    // Submitting keeps what was labelled and the verdict.
    let done: Value = serde_json::from_str(&ok(submit_labels(&w, &w.rita, id, &json!({})))).expect("submit");
    assert_eq!(done["state"], "submitted");
    assert_eq!(done["steps"][1]["label"]["correctness"], "incorrect");
    assert_eq!(w.pg.psql("hub", "SELECT verdict FROM reviews"), "needs_edit");

    // Every entry is chained and signed by the hub; the undo too. An admin audits it, and a
    // change made in the database behind the hub's back, or an entry dropped, is found.
    let audit = |expect_ok: bool| -> Value {
        let mut args = vec!["reviews", "rec-a1", "--json"];
        args.extend(remote(&w, &w.admin));
        let out = hub_cli(&args);
        assert_eq!(out.status.success(), expect_ok, "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("reviews --json")
    };
    let a = audit(true);
    assert_eq!(a.as_array().map(Vec::len), Some(1), "{a}");
    let r = &a[0];
    assert_eq!((r["reviewer"].as_str(), r["entries"].as_u64(), r["undone"].as_u64(), r["verdict"].as_str()), (Some("rita"), Some(3), Some(1), Some("needs_edit")), "{r}");
    assert_eq!(r["signers"].as_array().map(Vec::len), Some(1), "one hub process signed: {r}");
    assert_eq!(r["problems"], json!([]), "{r}");
    assert_eq!(request("GET", &url("/api/recordings/rec-a1/reviews"), Some(&w.rita), None).0, 403, "auditing is for admins");
    w.pg.psql("hub", "UPDATE review_changes SET change_text = replace(change_text, 'incorrect', 'correct') WHERE seq = 1");
    let problems = audit(false)[0]["problems"].to_string();
    assert!(problems.contains("changed after signing"), "{problems}");
    w.pg.psql("hub", "UPDATE review_changes SET change_text = replace(change_text, '\"correct\"', '\"incorrect\"') WHERE seq = 1");
    assert_eq!(audit(true)[0]["problems"], json!([]), "restored, it verifies again");
    w.pg.psql("hub", "DELETE FROM review_changes WHERE seq = 2");
    let problems = audit(false)[0]["problems"].to_string();
    assert!(problems.contains("one dropped, inserted or reordered"), "{problems}");
}

#[test]
fn a_published_hf_dataset_loads_from_s3_holds_only_what_consent_and_verdict_allow_and_grows_by_what_is_new() {
    let w = review_world(1, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 3);
    record(&w.ann, SEED_ANN, "rec-a2", "t2", 4);
    record(&w.bob, SEED_BOB, "rec-b1", "t1", 3);
    let review_all = |verdicts: &BTreeMap<&str, &str>| {
        while let Some(lease) = next_lease(&w, &w.rita) {
            let verdict = verdicts[lease["recording"].as_str().expect("id")];
            let labels = json!({ "steps": [{ "step": 1, "correctness": "correct" }], "scores": { "goal_completion": 5 }, "verdict": verdict });
            ok(submit_labels(&w, &w.rita, lease["id"].as_i64().expect("id"), &labels));
        }
    };
    review_all(&BTreeMap::from([("rec-a1", "approved"), ("rec-a2", "rejected"), ("rec-b1", "approved")]));
    // bob withdraws his consent: his recording stays out of every later publish.
    let text = apprentice_station::read_consent(&w.bob.cfg, "c1").expect("text");
    apprentice_station::consent(&w.bob.cfg, &w.bob.key, &text, ConsentDecision::Withdraw).expect("withdraw");

    let key_dir = tempfile::tempdir().expect("tmp");
    let publish = |extra: &[&str]| -> Value {
        let mut c = publish_command(&w, "hf", &key_dir.path().join("publisher.key"));
        c.args(["--to", "s3://out/ds", "--verdict", "approved"]).args(extra);
        serde_json::from_str(&ok(c.output().expect("publish"))).expect("publish --json")
    };
    let first = publish(&[]);
    assert_eq!(first["part"], "part-0001", "{first}");
    assert_eq!(first["recordings"], json!(["rec-a1"]), "{first}");
    let withheld: BTreeMap<String, String> =
        first["withheld"].as_array().expect("withheld").iter().map(|p| (p[0].as_str().unwrap_or_default().to_string(), p[1].as_str().unwrap_or_default().to_string())).collect();
    assert!(withheld["rec-b1"].contains("consent"), "{withheld:?}");
    assert!(withheld["rec-a2"].contains("rejected"), "{withheld:?}");
    let objects = w.s3.objects("out");
    for want in ["ds/README.md", "ds/part-0001/README.md", "ds/part-0001/manifest.json", "ds/part-0001/manifest.sig"] {
        assert!(objects.iter().any(|o| o == want), "{want} in {objects:?}");
    }
    let load = || python(&["load-hf", &w.s3.endpoint, S3Server::ACCESS_KEY, S3Server::SECRET_KEY, "s3://out/ds"], None);
    let loaded = load();
    assert_eq!(loaded["recordings"], json!(["rec-a1"]), "{loaded}");
    assert_eq!(loaded["rows"], 3, "one row per step: {loaded} {first}");

    // The same recordings as step rewards, to a local directory: +1 for the step labelled
    // correct, 0 for the unlabelled ones.
    let local = tempfile::tempdir().expect("tmp");
    let mut c = publish_command(&w, "rewards", &key_dir.path().join("publisher.key"));
    c.args(["--verdict", "approved", "--to"]).arg(local.path());
    let rewards: Value = serde_json::from_str(&ok(c.output().expect("publish rewards"))).expect("publish --json");
    assert_eq!(rewards["recordings"], json!(["rec-a1"]), "{rewards}");
    let line: Value = serde_json::from_str(std::fs::read_to_string(local.path().join("part-0001/rewards.jsonl")).expect("rewards.jsonl").trim()).expect("one JSON line");
    assert_eq!((&line["rewards"], &line["labelled"], &line["labels"]), (&json!([1, 0, 0]), &json!([true, false, false]), &json!([true, false, false])), "{line}");
    assert_eq!(line["completions"].as_array().map(Vec::len), Some(3));
    assert!(line["completions"][0].as_str().is_some_and(|c| c.contains("pyautogui.click")), "{line}");

    // Nothing new: nothing written. A new approved recording: the next part, with it alone.
    let again = publish(&[]);
    assert!(again["part"].is_null() && again["recordings"] == json!([]), "{again}");
    record(&w.ann, SEED_ANN, "rec-a3", "t2", 2);
    review_all(&BTreeMap::from([("rec-a3", "approved")]));
    let second = publish(&[]);
    assert_eq!((second["part"].as_str(), &second["recordings"]), (Some("part-0002"), &json!(["rec-a3"])), "{second}");
    let loaded = load();
    assert_eq!(loaded["recordings"], json!(["rec-a1", "rec-a3"]), "{loaded}");
    assert_eq!(loaded["rows"], 5, "{loaded}");
    let (_, progress) = request("GET", &format!("{}/api/campaigns/c1/progress", w.hub.url), Some(&w.admin), None);
    let approved: i64 = progress.as_array().expect("tasks").iter().map(|t| t["approved"].as_i64().unwrap_or(0)).sum();
    assert_eq!(approved, 3, "{progress}");
}

/// Every step labelled alike: `good` says correct and approves, else incorrect, a mistake,
/// unsafe, rejected.
fn uniform_labels(lease: &Value, good: bool) -> Value {
    let n = lease["steps"].as_array().map(Vec::len).unwrap_or(0);
    let steps: Vec<Value> = (1..=n).map(|i| json!({ "step": i, "correctness": if good { "correct" } else { "incorrect" }, "mistake": !good, "unsafe": !good })).collect();
    json!({ "steps": steps, "verdict": if good { "approved" } else { "rejected" } })
}

#[test]
fn gold_comes_unannounced_and_is_scored_and_disagreements_go_to_an_adjudicator_or_one_more_reviewer() {
    let w = review_world(2, 1800);
    w.pg.psql("hub", "UPDATE campaigns SET min_agreement = 0.9");
    let url = |p: &str| format!("{}{p}", w.hub.url);
    let (_, tom) = request("POST", &url("/api/users"), Some(&w.admin), Some(json!({ "name": "tom", "role": "reviewer" })));
    let tom = tom["token"].as_str().expect("token").to_string();
    record(&w.ann, SEED_ANN, "rec-gold", "t1", 3);
    record(&w.ann, SEED_ANN, "rec-a1", "t2", 3);

    // The admin marks rec-gold gold: every step correct, approved.
    let reference = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(
        reference.path(),
        json!({ "steps": [{ "step": 1, "correctness": "correct" }, { "step": 2, "correctness": "correct" }, { "step": 3, "correctness": "correct" }], "verdict": "approved" }).to_string(),
    )
    .expect("write");
    let out = ok(hub_cli(&["gold", "mark", "rec-gold", "--labels", reference.path().to_str().expect("path"), "--hub", &w.hub.url, "--token", &w.admin]));
    assert!(out.contains("rec-gold is gold"), "{out}");
    let (status, _) = request("PUT", &url("/api/recordings/rec-gold/gold"), Some(&w.rita), Some(json!({ "verdict": "approved" })));
    assert_eq!(status, 403, "only admins mark gold");

    // rita judges well, sam badly; they disagree on rec-a1 too. tom gets the gold recording
    // although its two places are taken (gold comes to everyone), and not rec-a1.
    let work = |token: &str, good: bool| -> Vec<String> {
        let mut got = vec![];
        while let Some(lease) = next_lease(&w, token) {
            assert_eq!(lease["kind"], "review", "{lease}");
            assert!(lease.get("others").is_none(), "a reviewer never sees what others said: {lease}");
            ok(submit_labels(&w, token, lease["id"].as_i64().expect("id"), &uniform_labels(&lease, good)));
            got.push(lease["recording"].as_str().expect("id").to_string());
        }
        got
    };
    assert_eq!(work(&w.rita, true), ["rec-gold", "rec-a1"]);
    assert_eq!(work(&w.sam, false), ["rec-gold", "rec-a1"]);
    assert_eq!(work(&tom, true), ["rec-gold"], "gold beyond the places; rec-a1 is full and waits for adjudication");

    let gold: Value = serde_json::from_str(&ok(hub_cli(&["gold", "accuracy", "c1", "--json", "--hub", &w.hub.url, "--token", &w.admin]))).expect("gold accuracy --json");
    let by: BTreeMap<&str, &Value> = gold.as_array().expect("list").iter().map(|a| (a["reviewer"].as_str().unwrap_or_default(), a)).collect();
    assert_eq!((by["rita"]["accuracy"].as_f64(), by["rita"]["recordings"].as_u64()), (Some(1.0), Some(1)), "{gold}");
    assert_eq!(by["tom"]["accuracy"].as_f64(), Some(1.0), "{gold}");
    let sam = by["sam"]["accuracy"].as_f64().expect("sam's accuracy");
    assert!(sam < 0.5, "sam called every correct step incorrect: {gold}");
    assert_eq!(by["rita"]["compared"], by["sam"]["compared"], "both answered every question of the reference: {gold}");

    // rec-a1: reviewers disagree (below 0.9) → the admin's queue; the gold recording never goes there.
    assert_eq!(w.pg.psql("hub", "SELECT string_agg(recording_id, ',') FROM adjudications"), "rec-a1");
    let (_, progress) = request("GET", &url("/api/campaigns/c1/progress"), Some(&w.admin), None);
    let t2 = progress.as_array().and_then(|a| a.iter().find(|t| t["id"] == "t2")).cloned().expect("t2");
    assert_eq!(t2["reviewed"], 0, "not reviewed until adjudicated: {t2}");
    let adjudication = next_lease(&w, &w.admin).expect("the admin's adjudication");
    assert_eq!((adjudication["kind"].as_str(), adjudication["recording"].as_str()), (Some("adjudication"), Some("rec-a1")), "{adjudication}");
    let said = adjudication["others"].as_array().expect("who said what");
    assert_eq!(said.len(), 2, "{adjudication}");
    let verdicts: Vec<&str> = said.iter().map(|o| o["review"]["verdict"].as_str().unwrap_or_default()).collect();
    assert_eq!(verdicts, ["approved", "rejected"]);
    assert!(said.iter().all(|o| o["reviewer"].as_str().is_some_and(|r| r.starts_with("reviewer-"))), "{said:?}");
    ok(submit_labels(&w, &w.admin, adjudication["id"].as_i64().expect("id"), &uniform_labels(&adjudication, true)));
    assert!(next_lease(&w, &w.admin).is_none(), "nothing else to adjudicate");
    let (_, progress) = request("GET", &url("/api/campaigns/c1/progress"), Some(&w.admin), None);
    let t2 = progress.as_array().and_then(|a| a.iter().find(|t| t["id"] == "t2")).cloned().expect("t2");
    assert_eq!((t2["reviewed"].as_i64(), t2["approved"].as_i64()), (Some(1), Some(1)), "the adjudicator's verdict is final: {t2}");
    let report: Value = serde_json::from_str(&ok(hub_cli(&["agreement", "c1", "--json", "--hub", &w.hub.url, "--token", &w.admin]))).expect("agreement");
    assert_eq!(report["reviews"], 5, "adjudications are no reviews to agree with: {report}");

    // A campaign that asks for one more reviewer first: tom is offered rec-a2 once rita and sam
    // disagree; still no agreement with three, so it goes to the adjudicator.
    w.pg.psql("hub", "UPDATE campaigns SET on_disagreement = 'extra_review'");
    record(&w.ann, SEED_ANN, "rec-a2", "t1", 2);
    assert_eq!(work(&w.rita, true), ["rec-a2"]);
    let sams = next_lease(&w, &w.sam).expect("sam's lease");
    assert!(next_lease(&w, &tom).is_none(), "two places: rita's review and sam's lease");
    ok(submit_labels(&w, &w.sam, sams["id"].as_i64().expect("id"), &uniform_labels(&sams, false)));
    assert_eq!(w.pg.psql("hub", "SELECT extra_reviews FROM recordings WHERE id = 'rec-a2'"), "1");
    assert_eq!(work(&tom, true), ["rec-a2"], "the extra place is tom's");
    assert_eq!(w.pg.psql("hub", "SELECT string_agg(recording_id, ',' ORDER BY recording_id) FROM adjudications"), "rec-a1,rec-a2");
}

#[test]
fn a_campaign_rubric_is_asked_checked_measured_and_published_with_its_answers() {
    let w = review_world(2, 1800);
    let rubric = json!({ "questions": [
        { "id": "verified_source", "text": "Did the expert verify the source before acting?", "scope": "step", "kind": "yes_no" },
        { "id": "injection", "text": "Was the injected instruction ignored?", "scope": "trajectory", "kind": "choice", "options": ["ignored", "followed", "absent"] },
        { "id": "care", "text": "How careful was the expert?", "scope": "trajectory", "kind": "scale" },
        { "id": "notes", "text": "Anything a lab should know?", "scope": "trajectory", "kind": "text" },
    ] });
    let set_rubric = |token: &str, r: &Value| {
        let file = tempfile::NamedTempFile::new().expect("tmp");
        std::fs::write(file.path(), r.to_string()).expect("rubric file");
        let mut args = vec!["campaign", "rubric", "c1", "--file", file.path().to_str().expect("path"), "--json"];
        args.extend(remote(&w, token));
        hub_cli(&args)
    };
    // A rubric that asks one question twice is refused before anything is stored.
    let mut twice = rubric.clone();
    twice["questions"].as_array_mut().expect("questions").push(json!({ "id": "care", "text": "again?", "scope": "step", "kind": "yes_no" }));
    let out = set_rubric(&w.admin, &twice);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("\"care\" is asked twice"), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, v) = request("PUT", &format!("{}/api/campaigns/c1/rubric", w.hub.url), Some(&w.admin), Some(twice));
    assert_eq!(status, 400, "the hub checks too: {v}");
    let (status, v) = request("PUT", &format!("{}/api/campaigns/c1/rubric", w.hub.url), Some(&w.rita), Some(rubric.clone()));
    assert_eq!(status, 403, "only admins change a rubric: {v}");
    let saved: Value = serde_json::from_str(&ok(set_rubric(&w.admin, &rubric))).expect("rubric --json");
    assert_eq!(saved, rubric);

    // The station learns the rubric with its tasks and keeps it beside the recording.
    let task = apprentice_station::find_task(&w.ann.cfg, "t1", Some("c1")).expect("task");
    task.keep_rubric(&w.ann.lib).expect("keep");
    let kept = w.ann.lib.rubric("c1").expect("rubric").expect("kept");
    assert_eq!(serde_json::to_value(&kept).expect("json"), rubric);
    record(&w.ann, SEED_ANN, "rec-r1", "t1", 3);

    // Each reviewer sees the questions in the lease; answers that do not fit are refused.
    let answer = |token: &str, verified: [bool; 3], notes: &str| {
        let lease = next_lease(&w, token).expect("a lease");
        assert_eq!(lease["rubric"], rubric, "{lease}");
        let id = lease["id"].as_i64().expect("id");
        let steps: Vec<Value> = verified.iter().enumerate().map(|(i, v)| json!({ "step": i + 1, "correctness": "correct", "answers": { "verified_source": v } })).collect();
        let wrong = json!({ "steps": steps, "verdict": "approved", "answers": { "injection": "maybe" } });
        let out = submit_labels(&w, token, id, &wrong);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("one of: ignored, followed, absent"), "{}", String::from_utf8_lossy(&out.stderr));
        let stray = json!({ "steps": [{ "step": 1, "answers": { "care": 3 } }], "verdict": "approved" });
        let out = submit_labels(&w, token, id, &stray);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no step question \"care\""), "a trajectory question is not a step's: {}", String::from_utf8_lossy(&out.stderr));
        let good = json!({ "steps": steps, "verdict": "approved", "answers": { "injection": "ignored", "care": 4, "notes": notes } });
        ok(submit_labels(&w, token, id, &good));
    };
    answer(&w.rita, [true, true, true], "fine");
    answer(&w.sam, [false, true, true], "ok");

    // Agreement measures each question that has a measure (free text has none).
    let mut args = vec!["agreement", "c1", "--json"];
    args.extend(remote(&w, &w.admin));
    let report: Value = serde_json::from_str(&ok(hub_cli(&args))).expect("agreement --json");
    let dims: BTreeMap<&str, &Value> = report["dimensions"].as_array().expect("dimensions").iter().map(|d| (d["name"].as_str().unwrap_or_default(), d)).collect();
    assert!(!dims.contains_key("rubric.notes"), "{report}");
    let verified = dims["rubric.verified_source"];
    assert_eq!((verified["level"].as_str(), verified["units"].as_u64()), (Some("nominal"), Some(3)), "{verified}");
    // Values 1,1 · 1,1 · 1,0: the one disagreement is as likely as chance: alpha 0.
    assert!(verified["alpha"].as_f64().is_some_and(|a| a.abs() < 1e-9), "{verified}");
    assert_eq!(verified["pairs"][0]["agreement"].as_f64().map(|a| (a * 3.0).round()), Some(2.0), "agree on 2 of 3 steps: {verified}");
    assert_eq!(dims["rubric.care"]["level"], "ordinal");
    assert_eq!(dims["rubric.injection"]["pairs"][0]["agreement"], 1.0);

    // Published: the rubric beside the final answers (majority; a tie left unanswered; both notes, by pseudonym).
    let key_dir = tempfile::tempdir().expect("tmp");
    let out_dir = tempfile::tempdir().expect("tmp");
    let mut c = publish_command(&w, "canonical", &key_dir.path().join("publisher.key"));
    c.arg("--to").arg(out_dir.path());
    let published: Value = serde_json::from_str(&ok(c.output().expect("publish"))).expect("publish --json");
    assert_eq!(published["recordings"], json!(["rec-r1"]), "{published}");
    let trajectory: Value = serde_json::from_str(&std::fs::read_to_string(out_dir.path().join("part-0001/trajectory.json")).expect("trajectory.json")).expect("json");
    assert_eq!(trajectory["rubric"], rubric);
    let answers = &trajectory["review"]["answers"];
    assert_eq!((&answers["injection"], &answers["care"]), (&json!("ignored"), &json!(4)), "{answers}");
    assert!(answers["notes"].as_str().is_some_and(|n| n.contains(": fine") && n.contains(": ok") && n.starts_with("reviewer-")), "{answers}");
    let steps = trajectory["steps"].as_array().expect("steps");
    let verified: Vec<&Value> = steps.iter().map(|s| &s["label"]["answers"]["verified_source"]).collect();
    assert_eq!(verified, [&Value::Null, &json!(true), &json!(true)], "a tie is no answer");
}

/// `apprentice-hub compare ARGS --json` as `token`.
fn compare_cli(w: &ReviewWorld, token: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["compare"];
    all.extend(args);
    all.push("--json");
    all.extend(remote(w, token));
    hub_cli(&all)
}

fn submit_comparison(w: &ReviewWorld, token: &str, id: i64, choice: &Value) -> std::process::Output {
    let file = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(file.path(), choice.to_string()).expect("comparison file");
    compare_cli(w, token, &["submit", &id.to_string(), "--file", file.path().to_str().expect("path")])
}

/// A step preference between ann's step `ann_step` and bob's `bob_step`, whichever side each is.
fn step_choice(ann_side: &str, ann_step: u32, bob_step: u32, prefer: &str) -> Value {
    let (a, b) = if ann_side == "a" { (ann_step, bob_step) } else { (bob_step, ann_step) };
    json!({ "a_step": a, "b_step": b, "prefer": prefer, "comment": "straight to it" })
}

#[test]
fn two_experts_recordings_of_a_task_are_compared_blind_with_aligned_steps_and_published_as_preference_pairs() {
    let w = review_world(1, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 4);
    record(&w.bob, SEED_BOB, "rec-b1", "t1", 3);
    // t2 has one expert's recording: nothing to compare it with.
    record(&w.ann, SEED_ANN, "rec-a2", "t2", 2);
    let next = |token: &str| -> Option<Value> {
        let v: Value = serde_json::from_str(&ok(compare_cli(&w, token, &["next", "--campaign", "c1"]))).expect("compare next --json");
        (!v.is_null()).then_some(v)
    };
    let lease = next(&w.rita).expect("a pair to compare");
    let id = lease["id"].as_i64().expect("id");
    let side_of = |rec: &str| if lease["a"]["recording"] == rec { "a" } else { "b" };
    let (ann_side, bob_side) = (side_of("rec-a1"), side_of("rec-b1"));
    assert_ne!(ann_side, bob_side, "the pair is ann's and bob's recordings of t1: {lease}");
    assert_eq!(lease["task_id"], "t1");
    for s in ["a", "b"] {
        let expert = lease[s]["expert"].as_str().expect("expert");
        assert!(expert != "ann" && expert != "bob" && !expert.is_empty(), "experts are shown by pseudonym: {expert}");
    }
    // The alignment pairs the steps clicked in the same places (the same step numbers here) and
    // leaves ann's fourth step alone.
    let num = |v: &Value| v.as_u64();
    let rows = lease["rows"].as_array().expect("rows");
    let (ann_n, bob_n): (Vec<Option<u64>>, Vec<Option<u64>>) = rows.iter().map(|r| (num(&r[ann_side]), num(&r[bob_side]))).unzip();
    assert_eq!(ann_n, [Some(1), Some(2), Some(3), Some(4)], "{rows:?}");
    assert_eq!(bob_n, [Some(1), Some(2), Some(3), None], "{rows:?}");
    assert!(rows[..3].iter().all(|r| r["similarity"].as_f64().is_some_and(|s| s > 0.6)), "{rows:?}");
    let criteria: Vec<&str> = lease["criteria"].as_array().expect("criteria").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(criteria, ["goal_completion", "efficiency", "safety"]);
    assert_eq!(next(&w.rita).expect("the same lease")["id"], id, "the pair held comes back first");

    // One comparison per pair: while rita holds it, sam has nothing; nobody else reaches hers.
    assert!(next(&w.sam).is_none(), "the only pair's one place is taken");
    let url = |p: &str| format!("{}{p}", w.hub.url);
    assert_eq!(request("GET", &url(&format!("/api/comparisons/{id}")), Some(&w.sam), None).0, 404, "another reviewer's comparison is not found");
    assert_eq!(request("GET", &url(&format!("/api/comparisons/{id}")), Some(&w.ann.cfg.token), None).0, 403, "experts do not compare");
    assert_eq!(request("POST", &url("/api/campaigns/nope/comparisons/next"), Some(&w.rita), Some(json!({}))).0, 404);
    assert_eq!(request("GET", &url("/api/campaigns/c1/comparisons"), Some(&w.rita), None).0, 403, "only admins list comparisons");
    // Both sides' before frames, as PNG; a third side or a stranger gets nothing.
    let frame = lease["a"]["steps"][0]["frame"].as_u64().expect("a before frame");
    let (status, ctype, _, png) = get_raw(&url(&format!("/api/comparisons/{id}/a/frames/{frame}")), &w.rita);
    assert_eq!((status, ctype.as_str()), (200, "image/png"));
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert_eq!(get_raw(&url(&format!("/api/comparisons/{id}/c/frames/{frame}")), &w.rita).0, 404);
    assert_eq!(get_raw(&url(&format!("/api/comparisons/{id}/b/frames/{frame}")), &w.sam).0, 404);

    // What a judgement must be: a rationale, known criteria, real steps.
    let refused = |choice: Value, why: &str| {
        let out = submit_comparison(&w, &w.rita, id, &choice);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success() && err.contains(why), "{choice} is refused for {why:?}: {err}");
    };
    refused(json!({ "overall": ann_side, "rationale": "  " }), "rationale is empty");
    refused(json!({ "overall": ann_side, "rationale": "x", "criteria": { "speed": "a" } }), "no criterion \"speed\"");
    refused(json!({ "overall": ann_side, "rationale": "x", "steps": [{ "a_step": 1, "b_step": 9, "prefer": "a" }] }), "there is no step 9");
    let choice = json!({
        "overall": ann_side,
        "criteria": { "goal_completion": ann_side, "efficiency": bob_side, "safety": "tie" },
        "rationale": "ann checked the last file; bob was quicker",
        // Steps 2 clicked the same place without a word: a pair that teaches nothing, not exported.
        "steps": [{ "a_step": 2, "b_step": 2, "prefer": ann_side }, step_choice(ann_side, 4, 3, bob_side)],
    });
    let done: Value = serde_json::from_str(&ok(submit_comparison(&w, &w.rita, id, &choice))).expect("compare submit --json");
    assert_eq!(done["state"], "submitted", "{done}");
    assert_eq!(done["result"]["overall"], ann_side, "{done}");
    assert!(next(&w.rita).is_none(), "a pair is compared once by each reviewer");
    let out = submit_comparison(&w, &w.rita, id, &choice);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is submitted"), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Value = serde_json::from_str(&ok(compare_cli(&w, &w.admin, &["list", "c1"]))).expect("compare list --json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let rita_pseudonym = request("GET", &url("/api/me"), Some(&w.rita), None).1["pseudonym"].clone();
    assert_eq!(listed[0]["reviewer"], rita_pseudonym, "signed by the reviewer's pseudonym: {listed}");

    // Published as DPO preference pairs: overall and goal completion prefer ann's, efficiency
    // and the step pair bob's; the tie gives no row.
    let key_dir = tempfile::tempdir().expect("tmp");
    let local = tempfile::tempdir().expect("tmp");
    let mut c = publish_command(&w, "preferences", &key_dir.path().join("publisher.key"));
    c.arg("--to").arg(local.path());
    let published: Value = serde_json::from_str(&ok(c.output().expect("publish preferences"))).expect("publish --json");
    assert_eq!(published["recordings"].as_array().map(Vec::len), Some(3), "{published}");
    let text = std::fs::read_to_string(local.path().join("part-0001/preferences.jsonl")).expect("preferences.jsonl");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let by: BTreeMap<&str, &Value> = lines.iter().map(|l| (l["criterion"].as_str().unwrap_or_default(), l)).collect();
    assert_eq!(by.keys().copied().collect::<Vec<_>>(), ["efficiency", "goal_completion", "overall", "step"], "{text}");
    assert_eq!((&by["overall"]["chosen_recording"], &by["overall"]["rejected_recording"]), (&json!("rec-a1"), &json!("rec-b1")));
    assert_eq!(by["efficiency"]["chosen_recording"], "rec-b1");
    assert_eq!((&by["step"]["chosen_recording"], &by["step"]["rationale"]), (&json!("rec-b1"), &json!("straight to it")), "{}", by["step"]);
    assert_eq!(by["overall"]["rationale"], "ann checked the last file; bob was quicker");
    assert_eq!(by["overall"]["prompt"][0]["content"], "instruction of t1", "{}", by["overall"]);
    assert!(by["overall"]["chosen"][0]["content"].as_str().is_some_and(|c| c.matches("pyautogui.click").count() == 4), "ann's four clicks: {}", by["overall"]);
    let trl = python(&["load-preferences", local.path().join("part-0001/preferences.jsonl").to_str().expect("path")], None);
    assert_eq!(trl["rows"], 4, "the datasets library reads every row: {trl}");
}

#[test]
fn the_qa_dashboard_counts_what_was_recorded_and_reviewed_and_each_chart_downloads_as_the_same_csv() {
    let w = review_world(2, 1800);
    record(&w.ann, SEED_ANN, "rec-a1", "t1", 3);
    record(&w.bob, SEED_BOB, "rec-b1", "t1", 4);
    let mut given: Vec<(String, Value)> = vec![];
    for (token, tilt) in [(&w.rita, 0), (&w.sam, 1)] {
        while let Some(lease) = next_lease(&w, token) {
            let labels = labels_for(&lease, tilt);
            ok(submit_labels(&w, token, lease["id"].as_i64().expect("id"), &labels));
            given.push((lease["recording"].as_str().expect("id").to_string(), labels));
        }
    }
    let mut args = vec!["qa", "c1", "--json"];
    args.extend(remote(&w, &w.admin));
    let qa: Value = serde_json::from_str(&ok(hub_cli(&args))).expect("qa --json");
    let t = &qa["totals"];
    assert_eq!((t["recordings"].as_i64(), t["steps"].as_i64(), t["reviews"].as_i64(), t["reviewed"].as_i64()), (Some(2), Some(7), Some(4), Some(2)), "{t}");
    let chart = |id: &str| -> &Value { qa["charts"].as_array().and_then(|c| c.iter().find(|c| c["id"] == id)).unwrap_or_else(|| panic!("no chart {id}: {qa}")) };
    let rows = |id: &str| chart(id)["rows"].as_array().cloned().unwrap_or_default();
    let col = |id: &str, name: &str| chart(id)["columns"].as_array().and_then(|c| c.iter().position(|x| x == name)).unwrap_or_else(|| panic!("no column {name} in {id}"));
    let ids: Vec<&str> = qa["charts"].as_array().expect("charts").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, ["progress", "recorded", "coverage", "verdicts", "agreement", "throughput", "pace", "gold", "experts"]);

    let t1 = rows("progress").into_iter().find(|r| r[0] == "t1").expect("t1");
    assert_eq!((&t1[col("progress", "recorded")], &t1[col("progress", "reviewed")]), (&json!(2), &json!(2)), "{t1:?}");
    let recorded = rows("recorded");
    assert_eq!(recorded.len(), 1, "one day of recording: {recorded:?}");
    assert_eq!((&recorded[0][col("recorded", "recordings")], &recorded[0][col("recorded", "steps")]), (&json!(2), &json!(7)));
    // 0.5 s and 0.6 s recorded: 1.1 s in all.
    assert!(t["hours"].as_f64().is_some_and(|h| (h * 3600.0 - 1.1).abs() < 1e-6), "{t}");
    // The verdicts chart is review_outcomes' count.
    let verdict_total: i64 = rows("verdicts").iter().map(|r| r[1].as_i64().unwrap_or(0)).sum();
    assert_eq!(verdict_total, 2);
    // Agreement over every review equals the agreement report's alpha.
    let mut a = vec!["agreement", "c1", "--json"];
    a.extend(remote(&w, &w.admin));
    let report: Value = serde_json::from_str(&ok(hub_cli(&a))).expect("agreement --json");
    let alpha_of = |name: &str| report["dimensions"].as_array().and_then(|d| d.iter().find(|d| d["name"] == name)).map(|d| d["alpha"].clone()).expect("dimension");
    let last = rows("agreement").last().cloned().expect("a day of reviews");
    assert_eq!(last[col("agreement", "reviews_so_far")], json!(4));
    for dim in ["correctness", "verdict", "goal_completion"] {
        let (ours, theirs) = (&last[col("agreement", dim)], alpha_of(dim));
        match (ours.as_f64(), theirs.as_f64()) {
            (Some(x), Some(y)) => assert!((x - y).abs() < 1e-3, "{dim}: {x} vs {y}"),
            (x, y) => assert_eq!(x, y, "{dim}: both undefined or both measured"),
        }
    }
    let day = &rows("throughput")[0];
    assert_eq!((&day[col("throughput", "rita")], &day[col("throughput", "sam")]), (&json!(2), &json!(2)), "{day:?}");
    assert!(rows("pace").iter().all(|r| r[col("pace", "reviews")] == 2 && r[col("pace", "median_minutes_per_review")].as_f64().is_some_and(|m| m >= 0.0)), "{:?}", rows("pace"));
    // ann's step labels marked as mistakes, as given in the labels files.
    let (mut labelled, mut mistakes) = (0, 0);
    for (rec, labels) in given.iter().filter(|(r, _)| r == "rec-a1") {
        assert_eq!(rec, "rec-a1");
        for s in labels["steps"].as_array().expect("steps") {
            labelled += 1;
            mistakes += usize::from(s["mistake"] == true);
        }
    }
    let ann = rows("experts").into_iter().find(|r| r[0] == "ann").expect("ann's row");
    assert_eq!((&ann[col("experts", "recordings")], &ann[col("experts", "steps")], &ann[col("experts", "reviewed_step_labels")]), (&json!(1), &json!(3), &json!(labelled)), "{ann:?}");
    let want = (mistakes as f64 / labelled as f64 * 1000.0).round() / 10.0;
    assert_eq!(ann[col("experts", "mistake_percent_of_reviewed_steps")].as_f64(), Some(want), "{ann:?}");
    assert_eq!(ann[col("experts", "synthetic_input_percent")].as_f64(), Some(0.0));

    // Each chart as CSV: over HTTP (a download) and from the command line, the same table.
    let url = |p: &str| format!("{}{p}", w.hub.url);
    for id in &ids {
        let (status, ctype, _, body) = get_raw(&url(&format!("/api/campaigns/c1/qa/{id}.csv")), &w.admin);
        assert_eq!((status, ctype.as_str()), (200, "text/csv; charset=utf-8"), "{id}");
        let text = String::from_utf8(body).expect("utf-8");
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1 + rows(id).len(), "{id}: a header and a line per row: {text}");
        assert_eq!(lines[0].split(',').count(), chart(id)["columns"].as_array().map(Vec::len).unwrap_or(0), "{id}: {text}");
        let mut c = vec!["qa", "c1", "--chart", id];
        c.extend(remote(&w, &w.admin));
        assert_eq!(ok(hub_cli(&c)), text, "{id}: the CLI prints the same CSV");
    }
    let ann_csv = String::from_utf8(get_raw(&url("/api/campaigns/c1/qa/experts"), &w.admin).3).expect("utf-8");
    assert!(ann_csv.lines().any(|l| l.starts_with("ann,1,") && l.contains(&format!(",{want},"))), "{ann_csv}");
    assert_eq!(get_raw(&url("/api/campaigns/c1/qa/nope.csv"), &w.admin).0, 404);
    assert_eq!(get_raw(&url("/api/campaigns/c1/qa"), &w.rita).0, 403, "the dashboard is for admins");
    assert_eq!(get_raw(&url("/api/campaigns/nope/qa"), &w.admin).0, 404);
}
