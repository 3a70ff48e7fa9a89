//! Synthetic recordings shared by the benchmarks: 1080p desktop-like frames (a key frame every
//! 50, deltas between) and human-paced input, written through the real writer and media store.

#![allow(dead_code)]

use apprentice_core::model::*;
use apprentice_core::store::frame_codec::{self, PixelFormat, PixelsRef};
use apprentice_core::store::writer::{WriteOp, Writer};
use apprentice_core::store::Library;

pub const W: u32 = 1920;
pub const H: u32 = 1080;

pub fn recording(id: &str, duration: Micros) -> Recording {
    Recording {
        id: id.into(),
        task: Task { id: Some("BENCH".into()), instruction: "synthetic benchmark".into(), campaign: None },
        expert_id: None,
        status: RecordingStatus::Finished,
        started_at: "2026-11-23T00:00:00Z".into(),
        duration_us: duration,
        environment: Environment {
            os: "linux".into(),
            os_version: "bench".into(),
            display_server: "x11".into(),
            displays: vec![DisplayInfo { id: 0, name: "bench".into(), x: 0, y: 0, width: W, height: H, scale: 1.0, primary: true }],
            keyboard_layout: "us".into(),
            recorder_version: "bench".into(),
            capture_backend: "synthetic".into(),
        },
        pauses: vec![],
        outcome: Outcome::Success,
        outcome_note: None,
        error: None,
    }
}

pub fn ev(t: Micros, kind: InputKind, x: i32, y: i32) -> InputEvent {
    InputEvent { t, kind, x, y, button: None, key: None, code: None, text: None, dx: 0, dy: 0, modifiers: Modifiers(0), origin: Default::default() }
}

/// `actions` cycles of: a pointer journey (moves every 8 ms), then a click, a drag, a scroll or a
/// typed word — about 400k events per hour at 400 cycles.
pub fn synthetic_events(actions: usize, cycle_us: Micros) -> Vec<InputEvent> {
    let mut out = Vec::new();
    for i in 0..actions {
        let t0 = i as Micros * cycle_us;
        let (x0, y0) = ((i * 37 % 1800) as i32 + 50, (i * 53 % 1000) as i32 + 40);
        // The pointer moves through 90% of the cycle at 125 Hz.
        let moves = (cycle_us * 9 / 10 / 2 / 8_000) as i32 * 2;
        for m in 0..moves {
            out.push(ev(t0 + m as Micros * 8_000, InputKind::Move, x0 + m % 40, y0 + m % 30));
        }
        let t = t0 + cycle_us * 9 / 10 + 100_000;
        let (x, y) = (x0 + 40, y0 + 30);
        match i % 4 {
            0 => {
                out.push(InputEvent { button: Some("left".into()), ..ev(t, InputKind::ButtonPress, x, y) });
                out.push(InputEvent { button: Some("left".into()), ..ev(t + 60_000, InputKind::ButtonRelease, x, y) });
            }
            1 => {
                out.push(InputEvent { button: Some("left".into()), ..ev(t, InputKind::ButtonPress, x, y) });
                for k in 1..30 {
                    out.push(ev(t + k * 10_000, InputKind::Move, x + k as i32 * 4, y + k as i32 * 2));
                }
                out.push(InputEvent { button: Some("left".into()), ..ev(t + 320_000, InputKind::ButtonRelease, x + 120, y + 60) });
            }
            2 => {
                for k in 0..4 {
                    out.push(InputEvent { dy: -1, ..ev(t + k * 80_000, InputKind::Wheel, x, y) });
                }
            }
            _ => {
                for (k, c) in "expert".chars().enumerate() {
                    let tk = t + k as Micros * 100_000;
                    out.push(InputEvent { key: Some(c.to_string()), text: Some(c.to_string()), ..ev(tk, InputKind::KeyPress, x, y) });
                    out.push(InputEvent { key: Some(c.to_string()), ..ev(tk + 40_000, InputKind::KeyRelease, x, y) });
                }
            }
        }
    }
    out
}

/// A desktop-like frame: bands of "text" whose content depends on `n`.
pub fn frame_pixels(n: u64) -> Vec<u8> {
    let mut v = vec![0u8; (W * H * 4) as usize];
    for y in 0..H {
        for x in 0..W {
            let i = ((y * W + x) * 4) as usize;
            let text_row = (y / 18) % 3 != 2 && x > 40 && x < 1400;
            let glyph = ((x / 7) as u64 * 31 + (y / 18) as u64 * 17 + if y / 18 == (n % 50) as u32 { n } else { 0 }) % 5 == 0;
            let c = if text_row && glyph && (x % 7) < 5 && (y % 18) < 12 { 30 } else { 235 };
            v[i..i + 4].copy_from_slice(&[c, c, c.saturating_add((x % 255) as u8 / 16), 0]);
        }
    }
    v
}

/// A finished recording of `steps` clicks with 1080p frames (a key frame every 50, deltas
/// between), sealed as a recorder seals it (by a key made for the benchmark).
pub fn build_recording(lib: &Library, rec: &Recording, steps: usize, cycle: Micros) {
    lib.create_recording(&Recording { status: RecordingStatus::Recording, ..rec.clone() }).expect("create");
    let key = std::sync::Arc::new(apprentice_core::provenance::keys::StationKey::ephemeral([1; 32]));
    let (w, join) = Writer::spawn_sealed(lib.db_path(), rec.id.clone(), Some(key)).expect("writer");
    let mut prev: Option<Vec<u8>> = None;
    for n in 0..=steps as u64 {
        let t = n * cycle + 500_000;
        let px = frame_pixels(n);
        let cur = PixelsRef { data: &px, width: W, height: H, stride: (W * 4) as usize, format: PixelFormat::Bgrx };
        let (bytes, encoding) = match (&prev, n % 50) {
            (Some(p), r) if r != 0 => {
                let prev_ref = PixelsRef { data: p, ..cur };
                let rects = frame_codec::changed_rects(prev_ref, cur);
                (frame_codec::encode_delta(cur, &rects).expect("delta"), FrameEncoding::Delta { parent: n - 1, rects })
            }
            _ => (frame_codec::encode_image(&cur.to_rgb()).expect("key"), FrameEncoding::Key),
        };
        let sha256 = lib.media().put(&bytes, "webp").expect("media");
        w.send(WriteOp::Frame(Frame { seq: n, t, display: 0, width: W, height: H, reason: FrameReason::Input, encoding, sha256, bytes: bytes.len() as u64 }));
        if n < steps as u64 {
            let (x, y) = (100 + (n as i32 * 7) % 1700, 100 + (n as i32 * 11) % 900);
            w.send(WriteOp::Input(InputEvent { button: Some("left".into()), ..ev(t + 700_000, InputKind::ButtonPress, x, y) }));
            w.send(WriteOp::Input(InputEvent { button: Some("left".into()), ..ev(t + 760_000, InputKind::ButtonRelease, x, y) }));
            if n % 10 == 0 {
                w.send(WriteOp::Note(Note { t: t + 600_000, text: format!("step {n}: clicking the next field"), source: NoteSource::Typed }));
            }
        }
        prev = Some(px);
    }
    w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration: rec.duration_us, health: Health::default(), error: None });
    join.join().expect("writer thread");
}
