//! Capture benchmarks (not tests): run with `scripts/bench` (or `cargo bench --bench capture`
//! after `cargo build --release --examples`). Everything runs on private Xvfb servers at
//! 1920×1080 and is compared with a baseline measured in the same run:
//!
//! 1. per-frame capture cost: X11 MIT-SHM and GetImage versus xcap;
//! 2. frame storage cost: tile diff, key frame and delta encoding;
//! 3. the recorder's CPU time and peak RSS over a session, idle and with scripted activity,
//!    next to `ffmpeg -f x11grab` recording the same screen at the same frame rate;
//! 4. bytes on disk per hour of that activity.
//!
//! 5. the capture chain's cost on the recorder: active sessions with and without it, alternated.
//!
//! `BENCH_SECONDS` sets the session length (default 60); `BENCH_SECTIONS` picks sections
//! (comma-separated: `frame,storage,ffmpeg,chain`; default all). Prints a Markdown report.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apprentice_capture::screen::{open_screen, ScreenBackend};
use apprentice_core::store::frame_codec::{self, PixelsRef};
use support::*;

const SCREEN: &str = "1920x1080x24";

/// Whether `BENCH_SECTIONS` (default: all) asks for this section.
fn section(name: &str) -> bool {
    std::env::var("BENCH_SECTIONS").map(|s| s.split(',').any(|x| x.trim() == name)).unwrap_or(true)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time_ms(n: usize, mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(samples)
}

/// A desktop worth recording: an xterm (typing target) and the test app (colour changes).
fn desktop(x: &mut XSession, dir: &std::path::Path) -> (String, String) {
    x.spawn("xterm", &["-geometry", "110x35+40+40", "-fa", "Monospace", "-fs", "11", "-e", "cat"]);
    let term = x.window(&["--class", "xterm"]);
    let app = x.testapp("Bench App", "bench-app", "700x500+1100+300", &dir.join("app.jsonl"));
    (term, app)
}

/// Scripted expert-like activity for `secs`: typing at ~10 chars/s in the terminal, pointer
/// moves, and a click in the app every few seconds.
fn activity(x: &XSession, term: &str, app: &str, secs: u64) {
    let (tx, ty, _, _) = x.geometry(term);
    let (ax, ay, _, _) = x.geometry(app);
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        x.xdo(&["windowactivate", "--sync", term]);
        x.xdo(&["mousemove", &(tx + 200 + (i as i32 % 5) * 40).to_string(), &(ty + 150).to_string()]);
        x.xdo(&["type", "--delay", "100", "the quick brown fox jumps over the lazy dog "]);
        x.xdo(&["key", "Return"]);
        x.xdo(&["windowactivate", "--sync", app]);
        x.xdo(&["mousemove", &(ax + 100 + (i as i32 % 7) * 50).to_string(), &(ay + 200).to_string()]);
        std::thread::sleep(Duration::from_millis(400));
        x.xdo(&["click", "1"]);
        std::thread::sleep(Duration::from_millis(600));
        i += 1;
    }
}

struct Session {
    cpu_pct: f64,
    rss_mb: f64,
    bytes: u64,
    secs: f64,
}

fn measure(mut child: Child, work: impl FnOnce()) -> (Child, f64, f64, f64) {
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(1500)); // start-up is not steady state
    let (cpu0, _) = proc_usage(pid);
    let t0 = Instant::now();
    work();
    let secs = t0.elapsed().as_secs_f64();
    let (cpu1, rss) = proc_usage(pid);
    if let Ok(Some(status)) = child.try_wait() {
        panic!("process exited early: {status}");
    }
    (child, (cpu1 - cpu0) / secs * 100.0, rss, secs)
}

/// How the recorder's writer runs: with the capture chain (as always in use) or without it, to
/// measure the chain's cost on the recorder in the same run.
#[derive(Clone, Copy, PartialEq)]
enum Chain {
    On,
    Off,
}

fn recorder_session(x: &XSession, lib: &std::path::Path, active_fps: &str, chain: Chain, work: impl FnOnce()) -> Session {
    let mut cmd = x.command(apprentice_bin());
    if chain == Chain::Off {
        cmd.env(apprentice_core::store::writer::BENCH_UNCHAINED_ENV, "1");
    }
    let child = cmd.arg("--library").arg(lib).args(["record", "--task", "benchmark", "--active-fps", active_fps]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("apprentice");
    let (child, cpu_pct, rss_mb, secs) = measure(child, work);
    let stop = cli(lib, &["stop"]);
    assert!(stop.status.success());
    let out = child.wait_with_output().expect("recorder");
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let info: serde_json::Value = serde_json::from_str(&ok(cli(lib, &["info", &id, "--json"]))).expect("info");
    let media = info["media_bytes"].as_u64().unwrap_or(0);
    let db: u64 = ["library.sqlite", "library.sqlite-wal"].iter().filter_map(|f| std::fs::metadata(lib.join(f)).ok()).map(|m| m.len()).sum();
    let frames = ok(cli(lib, &["events", &id, "--stream", "frames"]));
    let (mut keys, mut key_bytes, mut deltas, mut delta_bytes) = (0, 0u64, 0, 0u64);
    for f in frames.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()) {
        let b = f["bytes"].as_u64().unwrap_or(0);
        if f["encoding"]["kind"] == "key" {
            keys += 1;
            key_bytes += b;
        } else {
            deltas += 1;
            delta_bytes += b;
        }
    }
    eprintln!("storage: {keys} key frames ({key_bytes} B), {deltas} deltas ({delta_bytes} B), database {db} B, {} input events", info["counts"]["input_events"]);
    Session { cpu_pct, rss_mb, bytes: media + db, secs }
}

fn ffmpeg_session(x: &XSession, out: &std::path::Path, fps: &str, work: impl FnOnce()) -> Session {
    let child = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "x11grab", "-framerate", fps, "-video_size", "1920x1080", "-i", &x.display])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg must be installed");
    let (mut child, cpu_pct, rss_mb, secs) = measure(child, work);
    // 'q' on stdin ends ffmpeg cleanly, finishing the file.
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = std::io::Write::write_all(stdin, b"q");
    }
    let _ = child.wait();
    Session { cpu_pct, rss_mb, bytes: std::fs::metadata(out).map(|m| m.len()).unwrap_or(0), secs }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists; nothing to list here
    }
    let secs: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut x = XSession::start_sized(SCREEN, &[], true);
    std::env::set_var("DISPLAY", &x.display);
    let (term, app) = desktop(&mut x, tmp.path());
    x.xdo(&["windowactivate", "--sync", &term]);
    x.xdo(&["type", "--delay", "5", &"Apprentice benchmark: a terminal full of text so frames look like real work. ".repeat(20)]);
    std::thread::sleep(Duration::from_millis(500));

    println!("# Capture benchmark ({SCREEN}, {} cores)\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    if section("frame") {
        println!("## Per-frame capture cost (median of 40)\n");
        println!("| backend | ms / frame | vs xcap |");
        println!("|---|---|---|");
        let mut results = vec![];
        for backend in [ScreenBackend::X11Shm, ScreenBackend::X11GetImage, ScreenBackend::Xcap] {
            let mut src = open_screen(backend).expect("screen source");
            let mut buf = Vec::new();
            src.capture(0, &mut buf).expect("warm-up capture");
            results.push((
                src.backend(),
                time_ms(40, || {
                    src.capture(0, &mut buf).expect("capture");
                }),
            ));
        }
        let xcap_ms = results.iter().find(|r| r.0 == "xcap").map(|r| r.1).unwrap_or(f64::NAN);
        for (name, ms) in &results {
            println!("| {name} | {ms:.2} | {:.1}× faster |", xcap_ms / ms);
        }
    }
    if section("storage") {
        println!("\n## Frame storage cost (median of 20)\n");
        let mut src = open_screen(ScreenBackend::X11Shm).expect("shm");
        let mut a = Vec::new();
        let layout = src.capture(0, &mut a).expect("capture");
        x.xdo(&["windowactivate", "--sync", &term]);
        x.xdo(&["type", "--delay", "20", "one more line of typing"]);
        std::thread::sleep(Duration::from_millis(300));
        let mut b = Vec::new();
        src.capture(0, &mut b).expect("capture");
        let px = |d: &[u8]| PixelsRef { data: unsafe { std::slice::from_raw_parts(d.as_ptr(), d.len()) }, width: layout.width, height: layout.height, stride: layout.stride, format: layout.format };
        let (pa, pb) = (px(&a), px(&b));
        let diff_ms = time_ms(20, || drop(frame_codec::changed_rects(pa, pb)));
        let rects = frame_codec::changed_rects(pa, pb);
        let key = frame_codec::encode_image(&pb.to_rgb()).expect("key");
        let key_ms = time_ms(10, || drop(frame_codec::encode_image(&pb.to_rgb()).expect("key")));
        let delta = frame_codec::encode_delta(pb, &rects).expect("delta");
        let delta_ms = time_ms(20, || drop(frame_codec::encode_delta(pb, &rects).expect("delta")));
        println!("| step | ms | size |");
        println!("|---|---|---|");
        println!("| tile diff of two 1080p frames | {diff_ms:.2} | {} changed tiles rects |", rects.len());
        println!("| key frame (lossless WebP, whole screen) | {key_ms:.1} | {} KB |", key.len() / 1024);
        println!("| delta frame (changed tiles only) | {delta_ms:.2} | {} KB |", delta.len() / 1024);
        drop(src);
    }

    if section("ffmpeg") {
        println!("\n## Recorder vs ffmpeg x11grab over {secs} s sessions\n");
        let lib = tmp.path().join("library");
        let idle = recorder_session(&x, &lib, "5", Chain::On, || std::thread::sleep(Duration::from_secs(secs)));
        let ff_idle = ffmpeg_session(&x, &tmp.path().join("idle.mkv"), "1", || std::thread::sleep(Duration::from_secs(secs)));
        let lib2 = tmp.path().join("library-active");
        let active = recorder_session(&x, &lib2, "5", Chain::On, || activity(&x, &term, &app, secs));
        let ff_active = ffmpeg_session(&x, &tmp.path().join("active.mkv"), "5", || activity(&x, &term, &app, secs));
        println!("| session | recorder CPU (% of a core) | ffmpeg CPU | ratio | recorder peak RSS | ffmpeg peak RSS | recorder bytes/h | ffmpeg bytes/h |");
        println!("|---|---|---|---|---|---|---|---|");
        for (name, r, f) in [("idle (recorder 1 fps; ffmpeg 1 fps)", &idle, &ff_idle), ("active (recorder ≤5 fps + input frames; ffmpeg 5 fps)", &active, &ff_active)] {
            let per_hour = |s: &Session| s.bytes as f64 / s.secs * 3600.0 / 1e6;
            println!("| {name} | {:.2}% | {:.2}% | {:.2}× | {:.0} MB | {:.0} MB | {:.1} MB | {:.1} MB |", r.cpu_pct, f.cpu_pct, r.cpu_pct / f.cpu_pct, r.rss_mb, f.rss_mb, per_hour(r), per_hour(f));
        }
    }
    if section("chain") {
        println!("\n## The capture chain's cost on the recorder (active sessions of {secs} s, alternated)\n");
        println!("| session | chain | recorder CPU (% of a core) | CPU seconds per hour |");
        println!("|---|---|---|---|");
        let pairs: usize = std::env::var("BENCH_CHAIN_PAIRS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
        let (mut on, mut off) = (vec![], vec![]);
        for i in 0..pairs * 2 {
            let chain = if i % 2 == 0 { Chain::On } else { Chain::Off };
            let lib = tmp.path().join(format!("library-chain-{i}"));
            let s = recorder_session(&x, &lib, "5", chain, || activity(&x, &term, &app, secs));
            let label = if chain == Chain::On { "on" } else { "off" };
            println!("| {} | {label} | {:.2}% | {:.0} |", i + 1, s.cpu_pct, s.cpu_pct * 36.0);
            if chain == Chain::On {
                on.push(s.cpu_pct)
            } else {
                off.push(s.cpu_pct)
            }
            let _ = std::fs::remove_dir_all(&lib);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        println!("| mean | on / off | {:.2}% / {:.2}% | ratio {:.3} |", mean(&on), mean(&off), mean(&on) / mean(&off));
    }
}
