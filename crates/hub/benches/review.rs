//! Review over HTTP and publishing (not a test): `cargo bench -p apprentice-hub --bench review`.
//! A real hub (release build) over a private PostgreSQL and an s3s-fs S3 server on loopback, one
//! recording of BENCH_STEPS steps (default 500) with full-HD key frames, and BENCH_REVIEWERS
//! scripted reviewers (default 20) who all lease it at once (the campaign wants that many
//! reviews), then each: the lease with its steps, the trajectory, the first step's frame (open
//! to first frame), then the next BENCH_WALK steps' frames one after another (next step; no
//! prefetch, unlike the browser, so each is a cold request under load). Then the recording is
//! published as `canonical` and as `hf` to a directory: seconds, steps/s and MB/s.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn get(agent: &ureq::Agent, url: &str, token: &str) -> Vec<u8> {
    let mut r = agent.get(url).header("Authorization", &format!("Bearer {token}")).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(r.status().as_u16(), 200, "GET {url}");
    r.body_mut().with_config().limit(64 << 20).read_to_vec().expect("body")
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    files_under(dir).iter().map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0)).sum()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (steps, reviewers, walk) = (env("BENCH_STEPS", 500) as u64, env("BENCH_REVIEWERS", 20), env("BENCH_WALK", 50));
    // BENCH_SIGNED_IN=1: each reviewer's token is verified before the clock starts.
    let signed_in = env("BENCH_SIGNED_IN", 0) == 1;
    let w = review_world(1, 3600);
    w.pg.psql("hub", &format!("UPDATE campaigns SET reviews = {reviewers}"));
    let made = Instant::now();
    reviewable_recording_sized(&w.ann.lib, "rec-bench", "t1", SEED_ANN, steps, (1920, 1080));
    let opts = apprentice_station::push::PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(300) };
    let pushed = apprentice_station::push::push(&w.ann.lib, &w.ann.cfg, &w.ann.key, &["rec-bench".into()], &opts, &mut |_| {}).expect("push");
    assert!(pushed[0].error.is_none(), "{:?}", pushed[0]);
    eprintln!("recorded and pushed {steps} full-HD frames in {:.1} s", made.elapsed().as_secs_f64());
    let tokens: Vec<String> = (0..reviewers)
        .map(|i| {
            let (_, u) = request("POST", &format!("{}/api/users", w.hub.url), Some(&w.admin), Some(json!({ "name": format!("rev{i}"), "role": "reviewer" })));
            u["token"].as_str().expect("token").to_string()
        })
        .collect();

    let barrier = Arc::new(Barrier::new(reviewers));
    let hub = w.hub.url.clone();
    let threads: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (barrier, hub, signed_in) = (barrier.clone(), hub.clone(), signed_in);
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(300))).build().into();
                if signed_in {
                    // As a browser session is: the token checked (argon2) once, before this.
                    get(&agent, &format!("{hub}/api/me"), &token);
                }
                barrier.wait();
                let t = Instant::now();
                let mut r = agent.post(&format!("{hub}/api/campaigns/c1/queue/next")).header("Authorization", &format!("Bearer {token}")).send_json(json!({})).expect("queue next");
                let lease: Value = r.body_mut().read_json().expect("lease");
                let leased = t.elapsed().as_secs_f64() * 1e3;
                let id = lease["id"].as_i64().expect("a lease");
                let view: Value = serde_json::from_slice(&get(&agent, &format!("{hub}/api/leases/{id}/trajectory"), &token)).expect("view");
                let viewed = t.elapsed().as_secs_f64() * 1e3;
                let frames: Vec<u64> = view["steps"].as_array().expect("steps").iter().filter_map(|s| s["before"]["frame_seq"].as_u64()).collect();
                get(&agent, &format!("{hub}/api/leases/{id}/frames/{}", frames[0]), &token);
                let open = t.elapsed().as_secs_f64() * 1e3;
                eprintln!("  a reviewer: leased at {leased:.0} ms, view at {viewed:.0} ms, first frame at {open:.0} ms");
                let mut step_ms = vec![];
                for seq in frames.iter().skip(1).take(walk) {
                    let t = Instant::now();
                    get(&agent, &format!("{hub}/api/leases/{id}/frames/{seq}"), &token);
                    step_ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
                (open, step_ms, frames.len())
            })
        })
        .collect();
    let mut opens = vec![];
    let mut step_ms = vec![];
    let mut n_steps = 0;
    for t in threads {
        let (open, steps, n) = t.join().expect("reviewer thread");
        opens.push(open);
        step_ms.extend(steps);
        n_steps = n;
    }
    opens.sort_by(f64::total_cmp);
    step_ms.sort_by(f64::total_cmp);
    println!("review over HTTP: {reviewers} reviewers at once on one {n_steps}-step recording (1920x1080 frames){}", if signed_in { ", signed in before" } else { ", first request of each token" });
    println!("  open to first frame: median {:.0} ms, p95 {:.0} ms, max {:.0} ms", pct(&opens, 0.5), pct(&opens, 0.95), pct(&opens, 1.0));
    println!("  next step (cold frame): median {:.1} ms, p95 {:.1} ms over {} requests", pct(&step_ms, 0.5), pct(&step_ms, 0.95), step_ms.len());

    let key = tempfile::tempdir().expect("tmp");
    for format in ["canonical", "hf"] {
        let out = tempfile::tempdir().expect("tmp");
        let t = Instant::now();
        let mut c = publish_command(&w, format, &key.path().join("publisher.key"));
        c.arg("--to").arg(out.path());
        let published: Value = serde_json::from_str(&ok(c.output().expect("publish"))).expect("publish --json");
        let secs = t.elapsed().as_secs_f64();
        let bytes = dir_bytes(out.path());
        println!(
            "publish {format}: {} recording(s), {} steps in {secs:.1} s ({:.0} steps/s, {:.1} MB written, {:.1} MB/s)",
            published["recordings"].as_array().map(Vec::len).unwrap_or(0),
            published["steps"],
            published["steps"].as_f64().unwrap_or(0.0) / secs,
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs
        );
    }
}
