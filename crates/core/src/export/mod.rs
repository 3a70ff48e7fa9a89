//! Export: projections of the canonical recording into the formats trainers use, one module per
//! format. Every format starts from the same [`ExportSource`] (recording, segmentation, raw
//! streams) and reads frames through [`FrameRenderer`], which rebuilds full frames from key
//! frames and deltas in one sequential pass.

pub mod agentnet;
pub mod anthropic;
pub mod atif;
pub mod canonical;
pub mod hf;
pub mod html;
pub mod openai;
pub mod pyautogui;
pub mod screen;
pub mod select;
pub mod webdataset;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use image::RgbImage;

use crate::model::*;
use crate::review;
use crate::segment::{self, Segmentation};
use crate::store::{frame_codec, Library, StoreError};

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
    pub input: Vec<InputEvent>,
    pub frames: Vec<Frame>,
    pub windows: Vec<WindowEvent>,
    pub notes: Vec<Note>,
    pub utterances: Vec<Utterance>,
    pub markers: Vec<Marker>,
    /// The reviewer's scores and verdict; step labels are on the steps.
    pub review: Option<TrajectoryReview>,
    /// Where frame rendering (the slow part of an export) reports how far it got.
    pub progress: Progress,
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
        let recording = lib.recording(id)?;
        if recording.status.is_live() {
            return Err(StoreError::Busy(recording.id).into());
        }
        let id = recording.id.clone();
        let segmentation = segment::stored_or_new(lib, &id)?;
        let mut source = ExportSource {
            input: lib.input_events(&id)?,
            frames: lib.frames(&id)?,
            windows: lib.window_events(&id)?,
            notes: lib.notes(&id)?,
            utterances: lib.utterances(&id)?,
            markers: lib.markers(&id)?,
            review: None,
            progress: Progress::default(),
            recording,
            segmentation,
        };
        let state = lib.review_state(&id)?;
        let streams = review::Streams {
            input: &source.input,
            frames: &source.frames,
            windows: &source.windows,
            notes: &source.notes,
            utterances: &source.utterances,
            markers: &source.markers,
        };
        let reviewed = review::apply(&source.recording, &source.segmentation, &state, &streams);
        (source.segmentation.steps, source.segmentation.quality, source.review) = (reviewed.steps, reviewed.quality, reviewed.review);
        if source.segmentation.steps.is_empty() {
            return Err(ExportError::NoSteps(id));
        }
        Ok(source)
    }

    /// The display a step happened on: its before frame's, else the first, else a placeholder.
    pub fn display_of(&self, step: &Step) -> DisplayInfo {
        let displays = &self.recording.environment.displays;
        displays.iter().find(|d| Some(d.id) == step.before.as_ref().map(|o| o.display)).or(displays.first()).cloned().unwrap_or_else(DisplayInfo::placeholder)
    }

    /// Frame sequence numbers the steps refer to (before and after), sorted.
    pub fn referenced_frames(&self) -> BTreeSet<u64> {
        self.segmentation.steps.iter().flat_map(|s| [s.before.as_ref(), s.after.as_ref()]).flatten().map(|o| o.frame_seq).collect()
    }
}

/// Rebuilds full frames in sequence order, applying each delta to the frame before it, so a
/// whole recording costs one decode per stored frame.
pub struct FrameRenderer<'a> {
    lib: &'a Library,
    id: String,
    frames: Vec<&'a Frame>,
    progress: &'a Progress,
}

impl<'a> FrameRenderer<'a> {
    pub fn new(lib: &'a Library, source: &'a ExportSource) -> Self {
        let mut frames: Vec<&Frame> = source.frames.iter().collect();
        frames.sort_by_key(|f| f.seq);
        FrameRenderer { lib, id: source.recording.id.clone(), frames, progress: &source.progress }
    }

    /// Calls `f` with each wanted frame's full image, in sequence order.
    pub fn render(&self, wanted: &BTreeSet<u64>, mut f: impl FnMut(u64, &RgbImage) -> Result<(), ExportError>) -> Result<(), ExportError> {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(&last) = wanted.iter().next_back() else { return Ok(()) };
        self.progress.counts().frames_total.fetch_add(wanted.len() as u64, Relaxed);
        let mut current: HashMap<u32, (u64, RgbImage)> = HashMap::new();
        for frame in self.frames.iter().take_while(|fr| fr.seq <= last) {
            let image = match &frame.encoding {
                FrameEncoding::Key => frame_codec::decode_webp(&self.lib.media().get(&frame.sha256, "webp")?)?,
                FrameEncoding::Delta { parent, rects } => match current.remove(&frame.display) {
                    Some((seq, mut base)) if seq == *parent => {
                        let atlas = frame_codec::decode_webp(&self.lib.media().get(&frame.sha256, "webp")?)?;
                        frame_codec::apply_delta(&mut base, &atlas, rects)?;
                        base
                    }
                    _ => self.lib.frame_image(&self.id, frame.seq)?,
                },
            };
            if wanted.contains(&frame.seq) {
                f(frame.seq, &image)?;
                self.progress.counts().frames_done.fetch_add(1, Relaxed);
            }
            current.insert(frame.display, (frame.seq, image));
        }
        Ok(())
    }
}

/// The review, for formats that carry it as metadata beside the transcript: the trajectory
/// review and each labelled step's label, by step index.
pub fn review_metadata(source: &ExportSource) -> serde_json::Value {
    let labels: Vec<serde_json::Value> = source
        .segmentation
        .steps
        .iter()
        .filter_map(|st| st.label.as_ref().map(|l| serde_json::json!({ "step": st.index, "label": l })))
        .collect();
    serde_json::json!({ "review": source.review, "labels": labels })
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

/// A frame as PNG. Fast deflate: the default compression costs ~10× the time for ~10% fewer bytes.
pub(crate) fn png(img: &RgbImage) -> Result<Vec<u8>, ExportError> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

/// The wanted frames of a recording as PNGs, by sequence number (encoded images are small
/// enough to hold for one recording; raw ones are not).
pub(crate) fn frame_pngs(lib: &Library, source: &ExportSource, wanted: &BTreeSet<u64>) -> Result<HashMap<u64, Vec<u8>>, ExportError> {
    let mut pngs = HashMap::new();
    FrameRenderer::new(lib, source).render(wanted, |seq, img| {
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
