//! Export: projections of the canonical recording into the formats trainers use, one module per
//! format, each registered once in [`registry`], whose [`run`] is what every shell calls. Every
//! format starts from the same [`ExportSource`] (recording, segmentation, raw streams) and reads
//! frames through [`render_frames`]: one sequential pass of the library's frame renderer.

pub mod agentnet;
pub mod anthropic;
pub mod atif;
pub mod canonical;
pub mod hf;
pub mod html;
pub mod manifest;
pub mod openai;
pub mod preferences;
pub mod pyautogui;
pub mod redact;
pub mod registry;
pub mod rewards;
pub mod screen;
pub mod select;
pub mod webdataset;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use image::RgbImage;

use crate::model::*;
use crate::review;
use crate::segment;
use crate::store::{Library, StoreError};

pub use registry::{find as find_format, run, Format, Notice, Options, Summary, FORMATS};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("recording {0} has no steps: nothing to export")]
    NoSteps(String),
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("could not serialise {what}: {source}")]
    Json { what: String, source: serde_json::Error },
    #[error("output directory {0} is not empty; choose a new one")]
    OutputNotEmpty(PathBuf),
    #[error("no recording matches: name ids, or use --all and the filters")]
    NothingSelected,
    #[error(transparent)]
    Ocr(#[from] crate::privacy::ocr::OcrError),
    #[error("unknown export format '{name}'; use one of: {known}")]
    UnknownFormat { name: String, known: String },
}

impl ExportError {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        ExportError::Io { path: path.to_path_buf(), cause: source }
    }
}

/// Everything a format needs about one recording.
pub struct ExportSource {
    pub recording: Recording,
    pub segmentation: Segmentation,
    pub streams: Streams,
    /// The reviewer's scores and verdict; step labels are on the steps.
    pub review: Option<TrajectoryReview>,
    /// The campaign's own questions, whose answers are in the labels and the review.
    pub rubric: Option<Rubric>,
    /// Side-by-side comparisons of this recording with another of the same task.
    pub comparisons: Vec<Comparison>,
    /// Where frame rendering (the slow part of an export) reports how far it got.
    pub progress: Progress,
    /// The capture seal and the chain it seals, when the recording was sealed.
    pub provenance: Option<(crate::provenance::seal::SignedSeal, Vec<crate::provenance::chain::ChainBatch>)>,
    /// The signed review log (every entry, undone ones too).
    pub review_log: Vec<crate::provenance::review::SignedEntry>,
    /// The export's redaction, which [`render_frames`] applies to every frame; None only when
    /// the owner asked for none (`--no-redact`) or outside an export.
    pub redaction: Option<std::sync::Arc<std::sync::Mutex<redact::Redaction>>>,
    /// What the recording does with secrets in its text (`flag`: exported as recorded).
    pub privacy_policy: PrivacyPolicy,
}

/// Counters an export advances as it renders frames, for a progress bar on another thread.
#[derive(Debug, Clone, Default)]
pub struct Progress(std::sync::Arc<ProgressCounts>);

#[derive(Debug, Default)]
pub struct ProgressCounts {
    pub frames_total: std::sync::atomic::AtomicU64,
    pub frames_done: std::sync::atomic::AtomicU64,
}

impl Progress {
    pub fn counts(&self) -> &ProgressCounts {
        &self.0
    }
}

impl ExportSource {
    /// Loads a recording as reviewed (edits applied, labels on its steps), segmenting it first
    /// if it never was. A recording still being recorded or without steps is refused.
    pub fn load(lib: &Library, id: &str) -> Result<ExportSource, ExportError> {
        let recording = lib.finished_recording(id)?;
        let id = recording.id.clone();
        let segmentation = segment::stored_or_new(lib, &id)?;
        let provenance = match lib.seal(&id)? {
            Some(seal) => Some((seal, lib.capture_chain(&id)?)),
            None => None,
        };
        let mut source = ExportSource {
            streams: lib.streams(&id)?,
            review: None,
            rubric: lib.rubric_of(&recording)?,
            comparisons: lib.comparisons(Some(&id))?,
            progress: Progress::default(),
            provenance,
            review_log: lib.signed_review_log(&id)?,
            redaction: None,
            privacy_policy: lib.privacy_policy(&id)?,
            recording,
            segmentation,
        };
        let state = lib.review_state(&id)?;
        let reviewed = review::apply(&source.recording, &source.segmentation, &state, &source.streams);
        (source.segmentation.steps, source.segmentation.quality, source.review) = (reviewed.steps, reviewed.quality, reviewed.review);
        if source.segmentation.steps.is_empty() {
            return Err(ExportError::NoSteps(id));
        }
        Ok(source)
    }

    /// The display a step happened on: its before frame's, else the first, else one the size of
    /// the before frame (a recording that lists none), else a placeholder.
    pub fn display_of(&self, step: &Step) -> DisplayInfo {
        let displays = &self.recording.environment.displays;
        if let Some(d) = displays.iter().find(|d| Some(d.id) == step.before.as_ref().map(|o| o.display)).or(displays.first()) {
            return d.clone();
        }
        // A recording that lists no display: the screen is as large as the frame before the action.
        let before = step.before.as_ref().and_then(|o| self.streams.frames.iter().find(|f| f.seq == o.frame_seq));
        match before {
            Some(f) if f.width > 0 && f.height > 0 => DisplayInfo { id: f.display, width: f.width, height: f.height, ..DisplayInfo::placeholder() },
            _ => DisplayInfo::placeholder(),
        }
    }

    /// Frame sequence numbers the steps refer to (before and after), sorted.
    pub fn referenced_frames(&self) -> BTreeSet<u64> {
        self.segmentation.steps.iter().flat_map(|s| [s.before.as_ref(), s.after.as_ref()]).flatten().map(|o| o.frame_seq).collect()
    }
}

/// Calls `f` with each wanted frame's full image, in sequence order, redacted by the source's
/// redaction: one pass of the library's [`FrameRenderer`](crate::store::FrameRenderer), so a
/// whole recording costs one decode per stored frame. Advances the source's progress counters.
pub fn render_frames(lib: &Library, source: &ExportSource, wanted: &BTreeSet<u64>, mut f: impl FnMut(u64, &RgbImage) -> Result<(), ExportError>) -> Result<(), ExportError> {
    use std::sync::atomic::Ordering::Relaxed;
    let Some(&last) = wanted.iter().next_back() else { return Ok(()) };
    let progress = source.progress.counts();
    progress.frames_total.fetch_add(wanted.len() as u64, Relaxed);
    let mut seqs: Vec<u64> = source.streams.frames.iter().map(|fr| fr.seq).filter(|&s| s <= last).collect();
    seqs.sort_unstable();
    let mut renderer = lib.frame_renderer_over(&source.recording.id, source.streams.frames.iter().cloned());
    let display: HashMap<u64, u32> = source.streams.frames.iter().map(|fr| (fr.seq, fr.display)).collect();
    for seq in seqs {
        let image = renderer.render(seq)?;
        if wanted.contains(&seq) {
            let redacted = match &source.redaction {
                Some(r) => lock(r).frame(&source.recording.id, seq, display.get(&seq).copied().unwrap_or(0), image)?,
                None => None,
            };
            f(seq, redacted.as_ref().unwrap_or(image))?;
            progress.frames_done.fetch_add(1, Relaxed);
        }
    }
    if let Some(r) = &source.redaction {
        lock(r).finish(&source.recording.id);
    }
    Ok(())
}

/// The redaction, even if a format thread panicked while holding it (its state is still whole:
/// every change to it is one assignment).
pub(crate) fn lock(r: &std::sync::Mutex<redact::Redaction>) -> std::sync::MutexGuard<'_, redact::Redaction> {
    r.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The review, for formats that carry it as metadata beside the transcript: the trajectory
/// review and each labelled step's label, by step index, with the rubric their answers answer.
pub fn review_metadata(source: &ExportSource) -> serde_json::Value {
    let labels: Vec<serde_json::Value> = source.segmentation.steps.iter().filter_map(|st| st.label.as_ref().map(|l| serde_json::json!({ "step": st.index, "label": l }))).collect();
    serde_json::json!({ "review": source.review, "labels": labels, "rubric": source.rubric })
}

/// The step's reasoning as one text (typed, spoken and reviewer items, in order); empty when none.
/// A spoken reasoning item's audio, as a FLAC file a format can ship beside its document.
#[derive(Debug, Clone)]
pub struct AudioClip {
    /// Where the format writes it, relative to its output directory.
    pub path: String,
    pub flac: Vec<u8>,
    pub duration_sec: f64,
}

/// The audio of every spoken reasoning item of the source's steps, by its audio reference;
/// paths are `PREFIX<t0 ms>-<t1 ms>.flac`.
pub fn spoken_clips(lib: &Library, source: &ExportSource, prefix: &str) -> Result<HashMap<String, AudioClip>, ExportError> {
    let mut clips = HashMap::new();
    let spoken = source.segmentation.steps.iter().flat_map(|s| &s.reasoning).filter_map(|r| r.audio.as_deref());
    for reference in spoken {
        let Some((t0, t1)) = parse_audio_ref(reference) else { continue };
        if clips.contains_key(reference) {
            continue;
        }
        let samples = lib.audio_clip(&source.recording.id, t0, t1)?;
        if samples.len() < 16 {
            continue; // under a millisecond: nothing to hear
        }
        let flac = crate::store::audio_codec::encode_flac(&samples, crate::store::audio_codec::SAMPLE_RATE)?;
        let path = format!("{prefix}{}-{}.flac", t0 / 1000, t1 / 1000);
        clips.insert(reference.to_string(), AudioClip { path, flac, duration_sec: samples.len() as f64 / f64::from(crate::store::audio_codec::SAMPLE_RATE) });
    }
    Ok(clips)
}

pub fn thought(step: &Step) -> String {
    step.reasoning.iter().map(|r| r.text.trim()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Runs `f` on each source as it is loaded (one recording in memory at a time); returns how many.
pub(crate) fn for_each_source<S: std::borrow::Borrow<ExportSource>>(
    sources: impl IntoIterator<Item = Result<S, ExportError>>,
    mut f: impl FnMut(&ExportSource) -> Result<(), ExportError>,
) -> Result<usize, ExportError> {
    let mut count = 0;
    for source in sources {
        f(source?.borrow())?;
        count += 1;
    }
    Ok(count)
}

/// Whether a step was right, from its review label, else from the expert's own `mistake`
/// marker; `None` when nobody said.
pub fn step_correct(step: &Step) -> Option<bool> {
    let label = step.label.as_ref();
    if label.is_some_and(|l| l.mistake || l.correctness == Some(Correctness::Incorrect)) || step.markers.iter().any(|m| m.kind == MarkerKind::Mistake) {
        return Some(false);
    }
    label.and_then(|l| l.correctness).map(|c| c == Correctness::Correct)
}

/// Whether a reviewer judged the step redundant; `None` when unreviewed.
pub fn step_redundant(step: &Step) -> Option<bool> {
    step.label.as_ref().and_then(|l| l.correctness).map(|c| c == Correctness::Redundant)
}

/// A frame as PNG (see [`crate::store::frame_renderer::encode_png`]).
pub(crate) fn png(img: &RgbImage) -> Result<Vec<u8>, ExportError> {
    Ok(crate::store::frame_renderer::encode_png(img)?)
}

/// The wanted frames of a recording as PNGs, by sequence number (encoded images are small
/// enough to hold for one recording; raw ones are not).
pub(crate) fn frame_pngs(lib: &Library, source: &ExportSource, wanted: &BTreeSet<u64>) -> Result<HashMap<u64, Vec<u8>>, ExportError> {
    let mut pngs = HashMap::new();
    render_frames(lib, source, wanted, |seq, img| {
        pngs.insert(seq, png(img)?);
        Ok(())
    })?;
    Ok(pngs)
}

/// Creates `dir`; refuses one that exists and is not empty, so bundles never mix.
pub(crate) fn ensure_empty_dir(dir: &std::path::Path) -> Result<(), ExportError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(|e| ExportError::io(dir, e))?.next().is_some() {
        return Err(ExportError::OutputNotEmpty(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(|e| ExportError::io(dir, e))
}

pub(crate) fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), ExportError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ExportError::io(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| ExportError::io(path, e))
}

pub(crate) fn to_json<T: serde::Serialize>(what: &str, v: &T) -> Result<Vec<u8>, ExportError> {
    serde_json::to_vec_pretty(v).map_err(|source| ExportError::Json { what: what.into(), source })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::segment::steps::tests::{click, frame, two_displays};

    /// A reviewed source made in memory (no library): three clicks on display 0 with frames
    /// between them, a note on the second, the first labelled correct by a reviewer.
    pub(crate) fn fixture(outcome: Outcome) -> ExportSource {
        let mut recording = two_displays();
        (recording.status, recording.outcome) = (RecordingStatus::Finished, outcome);
        let streams = Streams {
            frames: vec![frame(0, 500_000, 0), frame(1, 1_500_000, 0), frame(2, 2_500_000, 0), frame(3, 3_500_000, 0)],
            notes: vec![Note { t: 1_900_000, text: "the second row holds the total".into(), source: NoteSource::Typed }],
            ..Default::default()
        };
        let steps = segment::steps::build_steps(vec![click(1_000_000, 50), click(2_000_000, 60), click(3_000_000, 70)], &recording, &streams);
        let quality = segment::quality::measure(&steps, recording.duration_us, &recording.pauses);
        let mut segmentation = Segmentation { rules_version: segment::RULES_VERSION, steps, quality };
        segmentation.steps[0].label = Some(StepLabel { correctness: Some(Correctness::Correct), reviewer: "rita".into(), ..Default::default() });
        ExportSource {
            recording,
            segmentation,
            streams,
            review: None,
            rubric: None,
            comparisons: vec![],
            progress: Progress::default(),
            provenance: None,
            review_log: vec![],
            redaction: None,
            privacy_policy: PrivacyPolicy::Mask,
        }
    }
}
