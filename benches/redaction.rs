//! Frame redaction benchmark (not a test): `cargo bench --no-default-features --bench redaction`.
//!
//! 1. Recall: synthetic 1920×1080 screens (benches/synthetic_screens.py: four fonts, three sizes,
//!    light and dark themes, eight planted identifiers each among ordinary lines) redacted by the
//!    exporter's own frame redactor; a planted value counts as found when the filled boxes cover
//!    at least 90% of its box. Also the masked area outside every planted value (±4 px), as a
//!    share of the screen and of all that was masked.
//! 2. Cost per 1080p frame of a typing sequence (one line changes per frame): reading only the
//!    changed bands against reading every frame whole, in the same run.
//!
//! Needs Tesseract (scripts/setup installs it) and the project's .venv (Pillow). Prints Markdown.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use apprentice_core::model::Rect;
use apprentice_core::privacy::detect::Detectors;
use apprentice_core::privacy::frames::FrameRedactor;
use apprentice_core::privacy::ocr::Tesseract;

fn covered(target: Rect, boxes: &[Rect]) -> u64 {
    // Pixels of `target` under any box (boxes may overlap: count each pixel once).
    let mut n = 0;
    for y in target.y..target.y + target.height as i32 {
        for x in target.x..target.x + target.width as i32 {
            n += u64::from(boxes.iter().any(|b| b.contains(x, y)));
        }
    }
    n
}

fn area_outside(boxes: &[Rect], truth: &[Rect], width: u32, height: u32) -> (u64, u64) {
    let grown: Vec<Rect> = truth.iter().map(|r| Rect { x: r.x - 4, y: r.y - 4, width: r.width + 8, height: r.height + 8 }).collect();
    let (mut masked, mut outside) = (0u64, 0u64);
    for y in 0..height as i32 {
        for x in 0..width as i32 {
            if boxes.iter().any(|b| b.contains(x, y)) {
                masked += 1;
                outside += u64::from(!grown.iter().any(|g| g.contains(x, y)));
            }
        }
    }
    (masked, outside)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tmp");
    let made = Command::new(root.join(".venv/bin/python")).arg(root.join("benches/synthetic_screens.py")).arg(dir.path()).status().expect("the .venv's python (scripts/setup)");
    assert!(made.success(), "synthetic_screens.py failed");
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).expect("truth.json")).expect("json");
    let ocr = Tesseract::find().expect("tesseract");
    let detectors = Arc::new(Detectors::builtin());
    println!("# Frame redaction benchmark ({})\n", ocr.version);

    // 1. Recall.
    println!("| theme | font | px | planted | found | missed | masked outside values (% of screen) | ms |");
    println!("|---|---|---|---|---|---|---|---|");
    let (mut planted, mut found, mut masked_all, mut outside_all, mut pixels_all) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut misses = vec![];
    for s in truth["screens"].as_array().expect("screens") {
        let file = s["file"].as_str().unwrap_or_default();
        let img = image::open(dir.path().join(file)).expect("screen").to_rgb8();
        let mut r = FrameRedactor::new(ocr.clone(), detectors.clone());
        let t = Instant::now();
        let boxes: Vec<Rect> = r.find(file, 0, &img).expect("redact").into_iter().map(|b| b.rect).collect();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let values = s["planted"].as_array().expect("planted");
        let rects: Vec<Rect> = values
            .iter()
            .map(|v| {
                let b: Vec<i64> = v["box"].as_array().expect("box").iter().filter_map(|n| n.as_i64()).collect();
                Rect { x: b[0] as i32, y: b[1] as i32, width: b[2] as u32, height: b[3] as u32 }
            })
            .collect();
        let mut hit = 0;
        for (v, rect) in values.iter().zip(&rects) {
            let area = u64::from(rect.width) * u64::from(rect.height);
            if covered(*rect, &boxes) * 10 >= area * 9 {
                hit += 1;
            } else {
                misses.push(format!("{file}: {} {}", v["kind"].as_str().unwrap_or_default(), v["value"].as_str().unwrap_or_default()));
            }
        }
        let (masked, outside) = area_outside(&boxes, &rects, img.width(), img.height());
        let screen = u64::from(img.width()) * u64::from(img.height());
        (planted, found, masked_all, outside_all, pixels_all) = (planted + values.len() as u64, found + hit, masked_all + masked, outside_all + outside, pixels_all + screen);
        println!(
            "| {} | {} | {} | {} | {hit} | {} | {:.3} | {ms:.0} |",
            s["theme"].as_str().unwrap_or_default(),
            s["font"].as_str().unwrap_or_default(),
            s["size"],
            values.len(),
            values.len() as u64 - hit,
            outside as f64 * 100.0 / screen as f64
        );
    }
    println!(
        "\n**Recall {found}/{planted} = {:.1}%**; masked outside planted values: {:.3}% of the screen area ({:.1}% of all masked pixels).\n",
        found as f64 * 100.0 / planted as f64,
        outside_all as f64 * 100.0 / pixels_all as f64,
        outside_all as f64 * 100.0 / masked_all.max(1) as f64
    );
    for m in &misses {
        println!("- missed: {m}");
    }

    // 2. Changed bands against whole frames, on the same typing sequence.
    let frames: Vec<image::RgbImage> =
        truth["sequence"].as_array().expect("sequence").iter().map(|f| image::open(dir.path().join("sequence").join(f.as_str().unwrap_or_default())).expect("frame").to_rgb8()).collect();
    let cost = |full: bool| {
        let mut r = FrameRedactor::new(ocr.clone(), detectors.clone());
        r.full_frames = full;
        let mut times = vec![];
        for img in &frames {
            let t = Instant::now();
            r.find("sequence", 0, img).expect("redact");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // The first frame is read whole either way; the rest is what differs.
        let mut rest = times[1..].to_vec();
        rest.sort_by(f64::total_cmp);
        (rest[rest.len() / 2], r.cost.pixels_read as f64 / r.cost.pixels_total as f64)
    };
    let (changed_ms, changed_share) = cost(false);
    let (full_ms, full_share) = cost(true);
    println!("\n| reading | ms per 1080p frame (median of {}) | share of pixels read |", frames.len() - 1);
    println!("|---|---|---|");
    println!("| whole frames (baseline) | {full_ms:.0} | {:.0}% |", full_share * 100.0);
    println!("| changed bands only | {changed_ms:.0} | {:.0}% |", changed_share * 100.0);
    println!("\nChanged-band reading is **{:.1}× cheaper** per frame.", full_ms / changed_ms);
}
