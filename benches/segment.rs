//! Segmentation and export benchmarks (not tests): `cargo bench --bench segment`.
//!
//! 1. Segmenting a synthetic one-hour recording (≈ 400k raw events, mostly pointer moves, with
//!    clicks, drags, scrolls and typing): in memory, and through the library (read + store).
//! 2. Exporting a 500-step recording as a canonical bundle, without and with frame images
//!    (1920×1080 frames with text-like content: a key frame every 50 frames, deltas between).
//!
//! Prints a Markdown report.

use std::time::Instant;

use apprentice_core::export::{agentnet, anthropic, atif, canonical, hf, html, openai, webdataset, ExportSource};
use apprentice_core::model::*;
use apprentice_core::segment;
use apprentice_core::store::writer::{WriteOp, Writer};
use apprentice_core::store::Library;

mod common;
use common::*;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("# Segmentation and export benchmark\n");
    // 1. Segmenting one synthetic hour.
    let events = synthetic_events(400, 9_000_000);
    let hour = recording("bench-hour", 3_600_000_000);
    let streams = Streams { input: events.clone(), ..Default::default() };
    let t = Instant::now();
    let seg = segment::segment(&hour, &streams);
    let in_memory = ms(t);
    let tmp = tempfile::tempdir().expect("tmp");
    let lib = Library::open(tmp.path()).expect("library");
    lib.create_recording(&Recording { status: RecordingStatus::Recording, ..hour.clone() }).expect("create");
    let (w, join) = Writer::spawn(lib.db_path(), hour.id.clone()).expect("writer");
    for e in &events {
        w.send(WriteOp::Input(e.clone()));
    }
    w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration: hour.duration_us, health: Health::default(), error: None });
    join.join().expect("writer thread");
    let t = Instant::now();
    let stored = segment::segment_recording(&lib, &hour.id).expect("segment");
    let with_library = ms(t);
    assert_eq!(stored.steps.len(), seg.steps.len());
    println!("| what | events | steps | time |");
    println!("|---|---|---|---|");
    println!("| segment one hour, in memory | {} | {} | {in_memory:.0} ms |", events.len(), seg.steps.len());
    println!("| segment one hour, read from and stored in the library | {} | {} | {with_library:.0} ms |", events.len(), stored.steps.len());

    // 2. A 500-step recording with real frames.
    let steps = 500;
    let cycle = 2_000_000;
    let rec = recording("bench-export", steps as Micros * cycle + 1_000_000);
    build_recording(&lib, &rec, steps, cycle);
    println!("\n| export of a {steps}-step canonical bundle | steps | frames written | bytes | time |");
    println!("|---|---|---|---|---|");
    for (label, with_frames) in [("without frame images", false), ("with frame images (1920×1080, lossless WebP)", true)] {
        let out = tmp.path().join(format!("bundle-{with_frames}"));
        let t = Instant::now();
        let source = ExportSource::load(&lib, &rec.id).expect("load");
        let summary = canonical::export(&lib, &source, &out, with_frames).expect("export");
        let took = ms(t);
        assert_eq!(summary.steps, steps);
        println!("| {label} | {} | {} | {:.1} MB | {took:.0} ms |", summary.steps, summary.frames, summary.bytes as f64 / 1e6);
    }

    // 3. Throughput of every format on a 1,000-step recording (frames rebuilt and written).
    let big = 1000;
    let rec = recording("bench-formats", big as Micros * cycle + 1_000_000);
    build_recording(&lib, &rec, big, cycle);
    let source = ExportSource::load(&lib, &rec.id).expect("load");
    println!("\n| format, {big} steps | time | steps/s | output | MB/s |");
    println!("|---|---|---|---|---|");
    type Run<'a> = Box<dyn Fn(&std::path::Path) + 'a>;
    let formats: Vec<(&str, Run)> = vec![
        (
            "canonical",
            Box::new(|d| {
                canonical::export(&lib, &source, d, true).expect("canonical");
            }),
        ),
        (
            "agentnet",
            Box::new(|d| {
                agentnet::export(&lib, [Ok(&source)], d).expect("agentnet");
            }),
        ),
        (
            "anthropic",
            Box::new(|d| {
                anthropic::export(&lib, [Ok(&source)], d, anthropic::TOOL_TYPES[0]).expect("anthropic");
            }),
        ),
        (
            "openai",
            Box::new(|d| {
                openai::export(&lib, [Ok(&source)], d).expect("openai");
            }),
        ),
        (
            "webdataset",
            Box::new(|d| {
                webdataset::export(&lib, [Ok(&source)], d, webdataset::DEFAULT_SHARD_BYTES).expect("webdataset");
            }),
        ),
        (
            "hf",
            Box::new(|d| {
                hf::export(&lib, [Ok(&source)], d, webdataset::DEFAULT_SHARD_BYTES).expect("hf");
            }),
        ),
        (
            "atif",
            Box::new(|d| {
                atif::export(&lib, [Ok(&source)], d).expect("atif");
            }),
        ),
        (
            "html",
            Box::new(|d| {
                html::export(&lib, [Ok(&source)], d).expect("html");
            }),
        ),
    ];
    for (name, run) in formats {
        let out = tmp.path().join(format!("fmt-{name}"));
        let t = Instant::now();
        run(&out);
        let secs = t.elapsed().as_secs_f64();
        let bytes = dir_bytes(&out);
        println!("| {name} | {:.1} s | {:.0} | {:.1} MB | {:.1} |", secs, big as f64 / secs, bytes as f64 / 1e6, bytes as f64 / 1e6 / secs);
    }
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        total += if p.is_dir() { dir_bytes(&p) } else { std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0) };
    }
    total
}
