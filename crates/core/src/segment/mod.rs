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

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segmentation {
    pub rules_version: u32,
    pub steps: Vec<Step>,
    pub quality: Quality,
}

/// A recording's raw streams, each in time order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Streams<'a> {
    pub input: &'a [InputEvent],
    pub frames: &'a [Frame],
    pub windows: &'a [WindowEvent],
    pub notes: &'a [Note],
    /// What transcription heard in the think-aloud audio.
    pub utterances: &'a [Utterance],
    pub markers: &'a [Marker],
}

/// Segments in-memory streams.
pub fn segment(recording: &Recording, s: Streams) -> Segmentation {
    let Streams { input, frames, windows, .. } = s;
    let mut barriers: Vec<Micros> = recording.pauses.iter().flat_map(|p| [Some(p.t0), p.t1]).flatten().collect();
    barriers.extend(windows.windows(2).filter(|w| w[0].window_id != w[1].window_id || w[0].excluded != w[1].excluded).map(|w| w[1].t));
    barriers.sort_unstable();
    let (mut actions, hovers) = actions::reduce(input, &barriers);
    actions.extend(steps::hover_actions(&hovers, frames));
    actions.sort_by_key(|a| a.t_start);
    let steps = steps::build_steps(actions, recording, &s);
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
    let recording = lib.recording(id)?;
    if recording.status.is_live() {
        return Err(StoreError::Busy(recording.id));
    }
    let id = recording.id.clone();
    let (input, frames, windows, notes, utterances, markers) =
        (lib.input_events(&id)?, lib.frames(&id)?, lib.window_events(&id)?, lib.notes(&id)?, lib.utterances(&id)?, lib.markers(&id)?);
    let seg = segment(&recording, Streams { input: &input, frames: &frames, windows: &windows, notes: &notes, utterances: &utterances, markers: &markers });
    lib.save_segmentation(&id, &seg)?;
    Ok(seg)
}
