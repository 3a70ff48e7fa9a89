//! Soak benchmark (not a test): run with `scripts/bench soak`. The headless recorder records a
//! private 1920×1080 Xvfb screen for `SOAK_MINUTES` (default 30) of accelerated scripted work —
//! typing at about ten times an expert's rate into a terminal that scrolls, a click and a window
//! switch every cycle, a note a minute — so half an hour holds the input of several hours of
//! real work. Every `SOAK_SAMPLE` seconds (default 60) it prints the recorder's resident memory,
//! CPU, queue depths, drops and bytes on disk; at the end, whether memory and queues stayed flat,
//! bytes per hour, and how long stop (which segments the whole recording) took.
//!
//! What it is not: a measure of the recorder against ffmpeg at human pace (benches/capture.rs).

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;

fn disk_bytes(dir: &std::path::Path) -> u64 {
    all_files(dir).iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

struct Sample {
    minute: f64,
    rss: f64,
    cpu_pct: f64,
    encode_queue: u64,
    write_queue: u64,
    frames_dropped: u64,
    input_dropped: u64,
    input_events: u64,
    frames_stored: u64,
    bytes: u64,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists; nothing to list here
    }
    let minutes: f64 = std::env::var("SOAK_MINUTES").ok().and_then(|s| s.parse().ok()).unwrap_or(30.0);
    let every = Duration::from_secs(std::env::var("SOAK_SAMPLE").ok().and_then(|s| s.parse().ok()).unwrap_or(60));
    let tmp = tempfile::tempdir().expect("tmp");
    let lib = tmp.path().join("library");
    let mut x = XSession::start_sized("1920x1080x24", &[], true);
    x.spawn("xterm", &["-geometry", "110x35+40+40", "-fa", "Monospace", "-fs", "11", "-e", "cat"]);
    let term = x.window(&["--class", "xterm"]);
    let app = x.testapp("Soak App", "soak-app", "700x500+1100+300", &tmp.path().join("app.jsonl"));
    let rec = RecorderProcess::start(&x, &lib, &[]);
    let pid = rec.child.id();

    // The scripted work runs on its own thread until told to stop.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let (display, term, app, stop, lib) = (x.display.clone(), term.clone(), app.clone(), stop.clone(), lib.clone());
        std::thread::spawn(move || {
            let xdo = |args: &[&str]| {
                let _ = std::process::Command::new("xdotool").env("DISPLAY", &display).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status();
            };
            let (mut i, mut last_note) = (0u64, Instant::now());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                xdo(&["windowactivate", "--sync", &term]);
                xdo(&["type", "--delay", "8", &format!("line {i}: the quick brown fox jumps over the lazy dog, then checks the totals again")]);
                xdo(&["key", "Return"]);
                xdo(&["windowactivate", "--sync", &app]);
                xdo(&["mousemove", "--sync", &(1200 + (i % 9) as i32 * 50).to_string(), &(450 + (i % 5) as i32 * 60).to_string(), "click", "1"]);
                if i % 4 == 0 {
                    xdo(&["click", "--repeat", "3", "5"]);
                }
                if last_note.elapsed() >= Duration::from_secs(60) {
                    let _ = cli(&lib, &["note", &format!("cycle {i}: checking the totals")]);
                    last_note = Instant::now();
                }
                i += 1;
            }
            i
        })
    };

    println!("# Soak: {minutes} minutes of accelerated scripted work (1920x1080, {} cores)\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("| minute | RSS MB | CPU % of a core | encode queue | write queue | frames dropped | input dropped | input events | frames stored | on disk MB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let start = Instant::now();
    let mut samples: Vec<Sample> = vec![];
    let (mut cpu_before, mut at_before) = (proc_usage(pid).0, Instant::now());
    while start.elapsed().as_secs_f64() < minutes * 60.0 {
        std::thread::sleep(every.min(Duration::from_secs_f64((minutes * 60.0 - start.elapsed().as_secs_f64()).max(0.1))));
        let (cpu, now) = (proc_usage(pid).0, Instant::now());
        let health = rec.status()["health"].clone();
        let n = |k: &str| health[k].as_u64().unwrap_or(0);
        let s = Sample {
            minute: start.elapsed().as_secs_f64() / 60.0,
            rss: proc_memory_mb(pid, "VmRSS"),
            cpu_pct: (cpu - cpu_before) / (now - at_before).as_secs_f64() * 100.0,
            encode_queue: n("encode_queue"),
            write_queue: n("write_queue"),
            frames_dropped: n("frames_dropped"),
            input_dropped: n("input_dropped"),
            input_events: n("input_events"),
            frames_stored: n("frames_stored"),
            bytes: disk_bytes(&lib),
        };
        (cpu_before, at_before) = (cpu, now);
        println!(
            "| {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {:.1} |",
            s.minute,
            s.rss,
            s.cpu_pct,
            s.encode_queue,
            s.write_queue,
            s.frames_dropped,
            s.input_dropped,
            s.input_events,
            s.frames_stored,
            s.bytes as f64 / 1e6
        );
        let _ = std::io::stdout().flush();
        samples.push(s);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let cycles = worker.join().unwrap_or(0);
    let peak = proc_usage(pid).1;
    let t = Instant::now();
    let id = rec.stop();
    let stop_secs = t.elapsed().as_secs_f64();
    let info: serde_json::Value = serde_json::from_str(&ok(cli(&lib, &["info", &id, "--json"]))).expect("info");
    assert_eq!(info["status"], "finished", "the soaked recording finished cleanly: {info}");

    // Memory and queues after the first sample (start-up) against the last.
    let (first, last) = (samples.first().expect("a sample"), samples.last().expect("a sample"));
    let hours = last.minute / 60.0;
    println!("\n| figure | value |");
    println!("|---|---|");
    println!("| scripted cycles (type a line, switch, click) | {cycles} |");
    println!("| input events per hour | {:.0} |", last.input_events as f64 / hours);
    println!("| RSS first sample → last | {:.1} MB → {:.1} MB ({:+.1} MB) |", first.rss, last.rss, last.rss - first.rss);
    println!("| peak RSS | {peak:.1} MB |");
    println!("| deepest encode / write queue seen | {} / {} |", samples.iter().map(|s| s.encode_queue).max().unwrap_or(0), samples.iter().map(|s| s.write_queue).max().unwrap_or(0));
    println!("| frames / input dropped | {} / {} |", last.frames_dropped, last.input_dropped);
    println!("| bytes on disk per hour | {:.1} MB |", last.bytes as f64 / 1e6 / hours);
    println!("| steps | {} |", info["quality"]["steps"]);
    println!("| stop (final writes and segmentation of the whole recording) | {stop_secs:.1} s |");
}
