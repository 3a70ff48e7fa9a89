//! Provenance benchmarks (not tests): `cargo bench --bench provenance`.
//!
//! 1. The capture chain's cost: an hour of synthetic input (≈ 400k events) written through the
//!    real writer, against the chain's own work on the same rows (encode, hash, link) in
//!    250 ms batches — the share of the writer's time, and CPU seconds per recorded hour.
//! 2. Sealing: the same recording finished by a sealing and a non-sealing writer.
//! 3. Verifying a 500-step recording with 1080p frames (chain recomputed, media hashed), and the
//!    canonical bundle exported from it (every file hashed, chain checked against events.jsonl).
//! 4. The file hasher's throughput (what bounds verifying a large export).
//!
//! Prints a Markdown report.

use std::sync::Arc;
use std::time::Instant;

use apprentice_core::export;
use apprentice_core::model::*;
use apprentice_core::provenance::chain::{self, ChainRow};
use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::writer::{WriteOp, Writer};
use apprentice_core::store::Library;
use apprentice_core::verify;

mod common;
use common::*;

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Writes `events` as one recording; returns (seconds until every row is stored, seconds the
/// final commit took from Finish).
fn write_hour(lib: &Library, id: &str, events: &[InputEvent], key: Option<Arc<StationKey>>) -> (f64, f64) {
    let rec = recording(id, 3_600_000_000);
    lib.create_recording(&Recording { status: RecordingStatus::Recording, ..rec.clone() }).expect("create");
    let t = Instant::now();
    let (w, join) = Writer::spawn_sealed(lib.db_path(), id.into(), key).expect("writer");
    for e in events {
        w.send(WriteOp::Input(e.clone()));
    }
    let queued = Instant::now();
    w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration: rec.duration_us, health: Health::default(), error: None });
    join.join().expect("writer thread");
    (secs(t), secs(queued))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("# Provenance benchmark ({} cores)\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    let tmp = tempfile::tempdir().expect("tmp");
    let lib = Library::open(tmp.path().join("library")).expect("library");
    let key = Arc::new(StationKey::ephemeral([5; 32]));

    // 1. The chain alone over an hour of input, batched as the writer batches (every 250 ms).
    let events = synthetic_events(400, 9_000_000);
    let t = Instant::now();
    let mut prev = chain::genesis("bench");
    let mut batches = 0;
    for batch in events.chunk_by(|a, b| a.t / 250_000 == b.t / 250_000) {
        let (link, _, _) = chain::link(&prev, &chain::group(batch.iter().map(ChainRow::Input)));
        prev = link;
        batches += 1;
    }
    let chain_s = secs(t);
    let (unsealed_s, unsealed_finish) = write_hour(&lib, "hour-plain", &events, None);
    let (sealed_s, sealed_finish) = write_hour(&lib, "hour-sealed", &events, Some(key.clone()));
    println!("| one hour of input ({} events, {batches} batches) | seconds |", events.len());
    println!("|---|---|");
    println!("| the chain alone (encode, hash, link) | {chain_s:.3} |");
    println!("| written through the writer (chain included), unsealed | {unsealed_s:.3} |");
    println!("| written through the writer (chain included), sealed at the end | {sealed_s:.3} |");
    println!("| chain's share of the writer's work | {:.1}% |", chain_s / unsealed_s * 100.0);
    println!("| final commit with the seal / without | {:.1} ms / {:.1} ms |", sealed_finish * 1e3, unsealed_finish * 1e3);
    let report = verify::recording(&lib, "hour-sealed", &[]).expect("verify");
    assert!(report.ok, "{:?}", report.problems);
    let t = Instant::now();
    verify::recording(&lib, "hour-sealed", &[]).expect("verify");
    println!("| verify the hour (chain recomputed from {} rows) | {:.3} |", report.rows.input, secs(t));

    // 3. A 500-step recording with frames, sealed, and its canonical bundle.
    let steps = 500;
    let cycle = 2_000_000;
    let rec = recording("bench-500", steps as Micros * cycle + 1_000_000);
    build_recording(&lib, &rec, steps, cycle);
    let t = Instant::now();
    let report = verify::recording(&lib, &rec.id, &[]).expect("verify");
    let recording_s = secs(t);
    let out = tmp.path().join("bundle");
    let options = export::Options { signer: Some(key.clone()), ..Default::default() };
    let format = export::find_format("canonical").expect("canonical");
    let selection = export::select::Selection { ids: vec![rec.id.clone()], ..Default::default() };
    export::run(&lib, format, &selection, &out, &options, &mut |_| ()).expect("export");
    let t = Instant::now();
    let dir = verify::directory(&out, &[]);
    let dir_s = secs(t);
    assert!(dir.ok, "{:?}", dir.problems);
    println!("\n| verify, {steps} steps | files | MB hashed | seconds | MB/s |");
    println!("|---|---|---|---|---|");
    println!(
        "| the recording in the library (chain, media files) | {} | {:.1} | {recording_s:.3} | {:.0} |",
        report.media_files,
        report.media_bytes as f64 / 1e6,
        report.media_bytes as f64 / 1e6 / recording_s
    );
    println!("| its canonical bundle (manifest, signature, seal, chain vs events.jsonl) | {} | {:.1} | {dir_s:.3} | {:.0} |", dir.files, dir.bytes as f64 / 1e6, dir.bytes as f64 / 1e6 / dir_s);

    // 4. Hashing at disk speed: the manifest's file hasher over 512 MB (in the page cache).
    let big = tmp.path().join("big.bin");
    let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&big).expect("big file");
        for _ in 0..512 {
            f.write_all(&chunk).expect("write");
        }
    }
    export::manifest::hash_file(&big).expect("warm the cache");
    let t = Instant::now();
    let (n, _) = export::manifest::hash_file(&big).expect("hash");
    println!("\n| sha256 of a 512 MB file (export::manifest::hash_file, cached) | {:.0} MB/s |\n|---|---|", n as f64 / 1e6 / secs(t));
}
