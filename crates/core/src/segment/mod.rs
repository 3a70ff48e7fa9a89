//! Segmentation: a recording's raw streams → a trajectory of steps, plus its quality figures.
//! Pure functions over the streams (no I/O) in [`actions`], [`steps`] and [`quality`];
//! [`segment_recording`] reads the library, runs them and stores the result, replacing any
//! earlier segmentation. Raw streams are never touched, so it can be re-run whenever the rules
//! improve ([`RULES_VERSION`] records which rules made a segmentation).

pub mod actions;
pub mod quality;
pub mod steps;

use crate::model::*;
use crate::store::{Library, StoreError};

/// Bump when the segmentation rules change.
pub const RULES_VERSION: u32 = 1;

/// Segments in-memory streams.
pub fn segment(recording: &Recording, s: &Streams) -> Segmentation {
    let Streams { input, frames, windows, .. } = s;
    let mut barriers: Vec<Micros> = recording.pauses.iter().flat_map(|p| [Some(p.t0), p.t1]).flatten().collect();
    barriers.extend(windows.windows(2).filter(|w| w[0].window_id != w[1].window_id || w[0].excluded != w[1].excluded).map(|w| w[1].t));
    barriers.sort_unstable();
    let (mut actions, hovers) = actions::reduce(input, &barriers);
    actions.extend(steps::hover_actions(&hovers, frames));
    actions.sort_by_key(|a| a.t_start);
    let steps = steps::build_steps(actions, recording, s);
    let quality = quality::measure(&steps, recording.duration_us, &recording.pauses);
    Segmentation { rules_version: RULES_VERSION, steps, quality }
}

/// The stored segmentation of a recording, segmenting (and storing) it first if it never was.
pub fn stored_or_new(lib: &Library, id: &str) -> Result<Segmentation, StoreError> {
    match lib.segmentation(id)? {
        Some(s) => Ok(s),
        None => segment_recording(lib, id),
    }
}

/// Segments a recording from the library and stores the result.
pub fn segment_recording(lib: &Library, id: &str) -> Result<Segmentation, StoreError> {
    let recording = lib.finished_recording(id)?;
    let seg = segment(&recording, &lib.streams(&recording.id)?);
    lib.save_segmentation(&recording.id, &seg)?;
    Ok(seg)
}
