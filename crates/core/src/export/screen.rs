//! The display a transcript declares to a model, and screenshots for it: the recording's primary
//! display scaled so its longest side is at most [`MAX_LONG_SIDE`] pixels (aspect kept), as the
//! computer-use APIs recommend; coordinates scale the same way.

use base64::Engine;

use std::collections::{BTreeSet, HashMap};

use super::{render_frames, ExportError, ExportSource};
use crate::model::*;
use crate::store::Library;

/// Longest side of the declared display, in pixels.
pub const MAX_LONG_SIDE: u32 = 1280;

/// The display transcripts declare: the primary one, else the first (a 1×1 placeholder for a
/// recording that lists none, so coordinates clamp to 0 rather than fail).
pub fn primary(rec: &Recording) -> DisplayInfo {
    rec.environment.displays.iter().find(|d| d.primary).or(rec.environment.displays.first()).cloned().unwrap_or_else(DisplayInfo::placeholder)
}

/// The screenshots a transcript shows — the screen before the first step and after every step —
/// downscaled to the declared display and base64-PNG encoded, by frame seq; and the first seq.
pub fn transcript_shots(lib: &Library, source: &ExportSource, display: &DisplayInfo) -> Result<(Option<u64>, HashMap<u64, String>), ExportError> {
    let steps = &source.segmentation.steps;
    let first = steps.first().and_then(|s| s.before.as_ref()).map(|o| o.frame_seq);
    let wanted: BTreeSet<u64> = first.into_iter().chain(steps.iter().filter_map(|s| s.after.as_ref().map(|o| o.frame_seq))).collect();
    let mut shots = HashMap::new();
    render_frames(lib, source, &wanted, |seq, img| {
        shots.insert(seq, png_base64(img, display)?);
        Ok(())
    })?;
    Ok((first, shots))
}

/// The last assistant message of a transcript: the expert's outcome comment, else a plain
/// statement of the outcome they chose (not reasoning: nothing is made up about why).
pub fn closing_statement(rec: &Recording) -> String {
    rec.outcome_note.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| {
        match rec.outcome {
            Outcome::Success => "The task is done.",
            Outcome::Failure => "I could not complete the task.",
            Outcome::Infeasible => "This task cannot be done here.",
            Outcome::Unknown => "I have stopped here.",
        }
        .to_string()
    })
}

/// Scale from physical pixels of `display` to the declared display, and the declared size.
pub fn declared(display: &DisplayInfo) -> (f64, u32, u32) {
    let long = display.width.max(display.height).max(1);
    let scale = (MAX_LONG_SIDE as f64 / long as f64).min(1.0);
    (scale, (display.width as f64 * scale).round() as u32, (display.height as f64 * scale).round() as u32)
}

/// A physical point in declared-display pixels, clamped inside it.
pub fn scaled(x: i32, y: i32, display: &DisplayInfo) -> [i64; 2] {
    let (s, w, h) = declared(display);
    let sx = (((x - display.x) as f64) * s).round().clamp(0.0, w.saturating_sub(1) as f64);
    let sy = (((y - display.y) as f64) * s).round().clamp(0.0, h.saturating_sub(1) as f64);
    [sx as i64, sy as i64]
}

/// A frame downscaled to the declared size, as base64 PNG.
/// Bilinear downscale with SIMD (fast_image_resize): `image`'s own resize took ~30 ms per 1080p
/// frame, most of a transcript export's time.
pub fn downscale(img: &image::RgbImage, w: u32, h: u32) -> Result<image::RgbImage, ExportError> {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    let mut out = image::RgbImage::new(w, h);
    Resizer::new().resize(img, &mut out, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))).map_err(|e| crate::store::StoreError::Encode(e.to_string()))?;
    Ok(out)
}

pub fn png_base64(img: &image::RgbImage, display: &DisplayInfo) -> Result<String, ExportError> {
    let (_, w, h) = declared(display);
    let png = if (w, h) == img.dimensions() { super::png(img)? } else { super::png(&downscale(img, w, h)?)? };
    Ok(base64::engine::general_purpose::STANDARD.encode(&png))
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::model::*;
    use crate::segment::actions::action;

    /// A 1920×1080 display at the origin.
    pub fn hd() -> DisplayInfo {
        DisplayInfo { id: 0, name: "d".into(), x: 0, y: 0, width: 1920, height: 1080, scale: 1.0, primary: true }
    }

    /// An action of `kind` at (x, y).
    pub fn at(kind: ActionKind, x: i32, y: i32) -> Action {
        Action { x: Some(x), y: Some(y), ..action(kind, 0, 0, (0, 0)) }
    }
}
