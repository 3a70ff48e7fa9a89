//! Review-view benchmark (not a test): `cargo bench --bench review_ui`. Builds a 500-step
//! recording with 1920×1080 frames, opens it in the real desktop app under Xvfb through
//! tauri-driver, and steps through every step with `j`, waiting for each frame to be shown.
//! The view measures itself (performance.now(), from mounting to the first frame's `load`, and
//! from each key press to the next frame's `load`). Prints a Markdown report.

use std::process::Stdio;

use apprentice_core::model::*;
use apprentice_core::store::Library;

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

const STEPS: usize = 500;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let lib_dir = tmp.path().join("library");
    let lib = Library::open(&lib_dir).expect("library");
    let cycle: Micros = 2_000_000;
    let rec = common::recording("bench-review", STEPS as Micros * cycle + 1_000_000);
    common::build_recording(&lib, &rec, STEPS, cycle);
    let seg = apprentice_core::segment::segment_recording(&lib, &rec.id).expect("segment");
    assert_eq!(seg.steps.len(), STEPS);
    drop(lib);

    let x = support::XSession::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let native = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let home = std::env::var_os("CARGO_HOME").map(std::path::PathBuf::from).unwrap_or_else(|| std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    let mut driver = x
        .command(home.join("bin/tauri-driver"))
        .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tauri-driver (run scripts/setup)");
    x.wait_until("tauri-driver", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = x
        .command(root.join(".venv/bin/python"))
        .arg(root.join("tests/python/drive_app.py"))
        .args(["bench", &format!("http://127.0.0.1:{port}"), support::apprentice_bin(), lib_dir.to_str().unwrap_or_default(), &rec.id, &STEPS.to_string()])
        .output()
        .expect("python");
    let _ = driver.kill();
    let _ = driver.wait();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metrics");
    let mut steps: Vec<f64> = m["stepMs"].as_array().expect("stepMs").iter().filter_map(|v| v.as_f64()).collect();
    steps.sort_by(|a, b| a.total_cmp(b));
    println!("# Review view benchmark\n");
    println!("{STEPS}-step trajectory, 1920×1080 frames (a key frame every 50), real app under Xvfb, driven through tauri-driver.\n");
    println!("| what | target | measured |\n|---|---|---|");
    println!("| open → first frame shown | < 300 ms | {:.0} ms |", m["openMs"].as_f64().unwrap_or(f64::NAN));
    println!("| next step → its frame shown, median ({} steps) | < 50 ms | {:.1} ms |", steps.len(), percentile(&steps, 0.5));
    println!("| next step, 95th percentile | | {:.1} ms |", percentile(&steps, 0.95));
    println!("| next step, worst | | {:.1} ms |", percentile(&steps, 1.0));
}
