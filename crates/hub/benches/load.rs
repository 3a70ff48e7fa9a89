//! The hub under load (not a test): `cargo bench -p apprentice-hub --bench load`. A real hub
//! (release build) over a private PostgreSQL on loopback; BENCH_STATIONS stations (default 20),
//! each with its own key and library of BENCH_RECORDINGS sealed recordings (default 5; 20 media
//! files of 20 kB each), push all at once through the station crate's real push. Prints
//! throughput, the latency of each file PUT and of each whole recording, and the hub's resident
//! memory sampled through the run (peak, and by quarter to show whether it grows).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::Library;
use apprentice_station::push::{self, Progress, PushOptions};
use apprentice_station::StationConfig;
use serde_json::json;
use support::*;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (stations, per_station) = (env("BENCH_STATIONS", 20), env("BENCH_RECORDINGS", 5));
    let (frames, frame_bytes) = (20u64, 20_000usize);
    let (_pg, hub, admin) = hub_with_admin();
    let url = |p: &str| format!("{}{p}", hub.url);
    let (status, v) = request("POST", &url("/api/campaigns"), Some(&admin), Some(json!({ "name": "c1", "tasks": [{ "id": "t1", "instruction": "Rename the report", "target": 1000 }] })));
    assert_eq!(status, 201, "{v}");
    let tmp = tempfile::tempdir().expect("tmp");
    let mut fleet = vec![];
    for i in 0..stations {
        let name = format!("e{i}");
        let (_, u) = request("POST", &url("/api/users"), Some(&admin), Some(json!({ "name": name, "role": "expert" })));
        let token = u["token"].as_str().expect("token").to_string();
        request("POST", &url("/api/campaigns/c1/assign"), Some(&admin), Some(json!({ "expert": name })));
        let seed = [(i + 1) as u8; 32];
        let key = StationKey::ephemeral(seed);
        let (status, st) = join_station(&hub.url, &token, &name, &format!("desk-{i}"), &key);
        assert_eq!(status, 201, "{st}");
        let dir = tmp.path().join(&name);
        let lib = Library::open(&dir).expect("lib");
        let ids: Vec<String> = (0..per_station).map(|j| format!("rec-{i}-{j}")).collect();
        for id in &ids {
            sealed_recording(&lib, id, "t1", seed, frames, frame_bytes);
        }
        let cfg = StationConfig { hub: hub.url.clone(), token, user: name, station_id: st["id"].as_i64().expect("id"), fingerprint: key.fingerprint() };
        fleet.push((dir, cfg, seed, ids));
    }

    let pid = hub.pid();
    let samples = Arc::new(Mutex::new(vec![]));
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (samples, running) = (samples.clone(), running.clone());
        std::thread::spawn(move || {
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                samples.lock().expect("samples").push(rss_mb(pid));
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let idle_rss = rss_mb(pid);
    let barrier = Arc::new(Barrier::new(stations));
    let t0 = Instant::now();
    let workers: Vec<_> = fleet
        .into_iter()
        .map(|(dir, cfg, seed, ids)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let lib = Library::open(&dir).expect("lib");
                let key = StationKey::ephemeral(seed);
                let (mut puts, mut recordings, mut bytes) = (vec![], vec![], 0u64);
                barrier.wait();
                for id in ids {
                    let start = Instant::now();
                    let mut last = Instant::now();
                    let opts = PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(300) };
                    let r = push::push(&lib, &cfg, &key, &[id], &opts, &mut |p| match p {
                        Progress::Announced { .. } => last = Instant::now(),
                        Progress::Sent { .. } => {
                            puts.push(last.elapsed().as_secs_f64() * 1000.0);
                            last = Instant::now();
                        }
                        Progress::Retrying { .. } => {}
                    })
                    .expect("push");
                    assert!(r[0].error.is_none(), "{:?}", r[0]);
                    bytes += r[0].bytes_sent;
                    recordings.push(start.elapsed().as_secs_f64() * 1000.0);
                }
                (puts, recordings, bytes)
            })
        })
        .collect();
    let (mut puts, mut recs, mut bytes) = (vec![], vec![], 0u64);
    for w in workers {
        let (p, r, b) = w.join().expect("station");
        puts.extend(p);
        recs.extend(r);
        bytes += b;
    }
    let wall = t0.elapsed().as_secs_f64();
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().expect("sampler");
    let samples = samples.lock().expect("samples").clone();
    puts.sort_by(f64::total_cmp);
    recs.sort_by(f64::total_cmp);
    let total = recs.len();
    let held = request("GET", &url("/api/recordings"), Some(&admin), None).1.as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(held, total, "every recording arrived once");

    println!("# Hub load ({stations} stations pushing at once, {} cores, loopback)\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("{total} recordings ({per_station} per station, each a library and {frames} media files of {} kB), {:.1} MB sent in {wall:.1} s\n", frame_bytes / 1000, bytes as f64 / 1e6);
    println!("| figure | value |");
    println!("|---|---|");
    println!("| recordings verified and indexed per second | {:.1} |", total as f64 / wall);
    println!("| MB received per second | {:.1} |", bytes as f64 / 1e6 / wall);
    println!("| file PUT latency p50 / p99 / max | {:.1} / {:.1} / {:.1} ms |", pct(&puts, 0.5), pct(&puts, 0.99), pct(&puts, 1.0));
    println!("| whole recording (announce, files, verify) p50 / p99 / max | {:.0} / {:.0} / {:.0} ms |", pct(&recs, 0.5), pct(&recs, 0.99), pct(&recs, 1.0));
    let q = |a: f64, b: f64| {
        samples[(samples.len() as f64 * a) as usize..((samples.len() as f64 * b) as usize).max((samples.len() as f64 * a) as usize + 1).min(samples.len())].iter().cloned().fold(0.0, f64::max)
    };
    println!("| hub RSS idle / peak | {idle_rss:.0} / {:.0} MB |", samples.iter().cloned().fold(0.0, f64::max));
    println!("| hub RSS peak by quarter of the run | {:.0} / {:.0} / {:.0} / {:.0} MB |", q(0.0, 0.25), q(0.25, 0.5), q(0.5, 0.75), q(0.75, 1.0));
}
