//! The canonical bundle: the lossless export every other format is a projection of.
//!
//! ```text
//! DIR/trajectory.json      schema apprentice.trajectory/1 (schemas/apprentice.trajectory.v1.schema.json)
//! DIR/events.jsonl         every raw event of every stream, in time order, tagged by stream
//! DIR/frames/<sha256>.webp the full frames the steps refer to (lossless WebP)
//! DIR/audio/<t0>-<t1>.flac the audio of each spoken reasoning item (16 kHz mono; ms in the name)
//! DIR/audio/run-<t0>.flac  all think-aloud audio, one file per continuous run
//! DIR/seal.json            the capture seal: chain head, rows per stream, station key, signature
//! DIR/chain.json           the capture chain: per batch, rows and digest per stream, and link
//! DIR/review-log.json      the signed review log: every change, chained and signed by its reviewer
//! ```
//! The export directory's `manifest.json` and `manifest.sig` (every format's, see
//! [`super::manifest`]) cover every file, so the bundle says: captured by this station, these
//! rows, exported by that one.
//! Paths inside are relative to DIR; coordinates are physical pixels of the X screen, with the
//! display geometry in `recording.environment.displays`, so any target convention can be derived.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{render_frames, to_json, write_file, ExportError, ExportSource};
use crate::model::*;
use crate::store::{frame_codec, media::hex_sha256, Library};

#[derive(Serialize)]
struct Trajectory<'a> {
    schema: &'static str,
    recording: &'a Recording,
    rules_version: u32,
    quality: &'a Quality,
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<&'a TrajectoryReview>,
    /// The campaign's own questions; their answers are in the review and the step labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    rubric: Option<&'a Rubric>,
    /// Side-by-side comparisons of this recording with another of the same task.
    #[serde(skip_serializing_if = "<[Comparison]>::is_empty")]
    comparisons: &'a [Comparison],
    #[serde(skip_serializing_if = "Option::is_none")]
    audio: Option<BundleAudio>,
    steps: Vec<BundleStep<'a>>,
}

/// The think-aloud audio in the bundle.
#[derive(Serialize)]
struct BundleAudio {
    sample_rate: u32,
    runs: Vec<AudioRunFile>,
}

#[derive(Serialize)]
struct AudioRunFile {
    t0: Micros,
    t1: Micros,
    path: String,
}

#[derive(Serialize)]
struct BundleStep<'a> {
    #[serde(flatten)]
    step: std::borrow::Cow<'a, Step>,
    before_image: Option<&'a FrameFile>,
    after_image: Option<&'a FrameFile>,
}

#[derive(Serialize, Clone)]
pub struct FrameFile {
    /// Relative to the bundle directory.
    pub path: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Serialize)]
#[serde(tag = "stream", rename_all = "snake_case")]
enum StreamEvent<'a> {
    Input(&'a InputEvent),
    Window(&'a WindowEvent),
    Note(&'a Note),
    Marker(&'a Marker),
    Utterance(&'a Utterance),
    Accessibility(&'a A11yEvent),
    Frame {
        #[serde(flatten)]
        frame: &'a Frame,
        #[serde(skip_serializing_if = "Option::is_none")]
        image: Option<&'a str>,
    },
    PauseStart {
        t: Micros,
    },
    PauseEnd {
        t: Micros,
    },
}

impl StreamEvent<'_> {
    fn t(&self) -> Micros {
        match self {
            StreamEvent::Input(e) => e.t,
            StreamEvent::Window(e) => e.t,
            StreamEvent::Note(e) => e.t,
            StreamEvent::Marker(e) => e.t,
            StreamEvent::Accessibility(e) => e.t,
            StreamEvent::Utterance(u) => u.t0,
            StreamEvent::Frame { frame, .. } => frame.t,
            StreamEvent::PauseStart { t } | StreamEvent::PauseEnd { t } => *t,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BundleSummary {
    pub dir: std::path::PathBuf,
    pub steps: usize,
    pub frames: usize,
    pub bytes: u64,
}

/// Writes the canonical bundle of `source` into `dir` (created; must be empty if it exists).
/// Without `with_frames`, only trajectory.json, events.jsonl and the provenance are written (steps
/// keep their frame references; `before_image`/`after_image` are null).
pub fn export(lib: &Library, source: &ExportSource, dir: &Path, with_frames: bool) -> Result<BundleSummary, ExportError> {
    super::ensure_empty_dir(dir)?;
    // What was written, for the summary.
    let mut total: u64 = 0;

    // Frames the steps refer to, rebuilt and written once each.
    let mut files: HashMap<u64, FrameFile> = HashMap::new();
    let wanted = if with_frames { source.referenced_frames() } else { Default::default() };
    render_frames(lib, source, &wanted, |seq, image| {
        let bytes = frame_codec::encode_image(image)?;
        let sha256 = hex_sha256(&bytes);
        let path = format!("frames/{sha256}.webp");
        if !files.values().any(|f| f.sha256 == sha256) {
            write_file(&dir.join(&path), &bytes)?;
            total += bytes.len() as u64;
        }
        files.insert(seq, FrameFile { path, sha256, width: image.width(), height: image.height() });
        Ok(())
    })?;
    if let Some(missing) = wanted.into_iter().find(|s| !files.contains_key(s)) {
        return Err(crate::store::StoreError::Corrupt { path: lib.db_path(), reason: format!("frame {missing} of {} is referenced by a step but not stored", source.recording.id) }.into());
    }

    // Think-aloud audio: each spoken item's clip (its `audio` becomes the clip's path) and the runs.
    let mut add = |path: String, bytes: &[u8]| -> Result<(), ExportError> {
        write_file(&dir.join(&path), bytes)?;
        total += bytes.len() as u64;
        Ok(())
    };
    let clips = if with_frames { super::spoken_clips(lib, source, "audio/")? } else { Default::default() };
    for clip in clips.values() {
        add(clip.path.clone(), &clip.flac)?;
    }
    let mut audio = None;
    if with_frames {
        let mut runs = vec![];
        for run in lib.audio_runs(&source.recording.id, None)?.runs {
            let path = format!("audio/run-{}.flac", run.t0 / 1000);
            add(path.clone(), &crate::store::audio_codec::encode_flac(&run.samples, crate::store::audio_codec::SAMPLE_RATE)?)?;
            runs.push(AudioRunFile { t0: run.t0, t1: run.t1(), path });
        }
        audio = (!runs.is_empty()).then_some(BundleAudio { sample_rate: crate::store::audio_codec::SAMPLE_RATE, runs });
    }

    let seg = &source.segmentation;
    let steps = seg
        .steps
        .iter()
        .map(|step| {
            let images = (step.before.as_ref().and_then(|o| files.get(&o.frame_seq)), step.after.as_ref().and_then(|o| files.get(&o.frame_seq)));
            let step = if step.reasoning.iter().any(|r| r.audio.is_some()) {
                let mut s = step.clone();
                for r in &mut s.reasoning {
                    // Without the audio in the bundle, the reference names the recording's time span.
                    if let Some(clip) = r.audio.as_ref().and_then(|a| clips.get(a)) {
                        r.audio = Some(clip.path.clone());
                    }
                }
                std::borrow::Cow::Owned(s)
            } else {
                std::borrow::Cow::Borrowed(step)
            };
            BundleStep { step, before_image: images.0, after_image: images.1 }
        })
        .collect();
    let trajectory = Trajectory {
        schema: SCHEMA_VERSION,
        recording: &source.recording,
        rules_version: seg.rules_version,
        quality: &seg.quality,
        review: source.review.as_ref(),
        rubric: source.rubric.as_ref(),
        comparisons: &source.comparisons,
        audio,
        steps,
    };
    let bytes = to_json("trajectory.json", &trajectory)?;
    add("trajectory.json".into(), &bytes)?;

    let mut events: Vec<StreamEvent> = Vec::with_capacity(source.streams.input.len() + source.streams.frames.len() + 16);
    events.extend(source.streams.input.iter().map(StreamEvent::Input));
    events.extend(source.streams.windows.iter().map(StreamEvent::Window));
    events.extend(source.streams.notes.iter().map(StreamEvent::Note));
    events.extend(source.streams.markers.iter().map(StreamEvent::Marker));
    events.extend(source.streams.accessibility.iter().map(StreamEvent::Accessibility));
    events.extend(source.streams.utterances.iter().map(StreamEvent::Utterance));
    events.extend(source.streams.frames.iter().map(|f| StreamEvent::Frame { frame: f, image: files.get(&f.seq).map(|ff| ff.path.as_str()) }));
    for p in &source.recording.pauses {
        events.push(StreamEvent::PauseStart { t: p.t0 });
        if let Some(t) = p.t1 {
            events.push(StreamEvent::PauseEnd { t });
        }
    }
    events.sort_by_key(|e| e.t());
    let mut jsonl = Vec::new();
    for e in &events {
        serde_json::to_writer(&mut jsonl, e).map_err(|source| ExportError::Json { what: "events.jsonl".into(), source })?;
        let _ = jsonl.write_all(b"\n");
    }
    add("events.jsonl".into(), &jsonl)?;

    // Provenance: the capture seal and chain, when the recording has them.
    if let Some((seal, chain)) = &source.provenance {
        add("seal.json".into(), &to_json("seal.json", seal)?)?;
        add("chain.json".into(), &to_json("chain.json", chain)?)?;
    }
    if !source.review_log.is_empty() {
        add("review-log.json".into(), &to_json("review-log.json", &source.review_log)?)?;
    }
    Ok(BundleSummary { dir: dir.to_path_buf(), steps: seg.steps.len(), frames: files.len(), bytes: total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::fixture;

    #[test]
    fn a_bundle_without_frames_holds_the_reviewed_steps_every_event_in_time_order_and_a_true_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path().join("library")).unwrap();
        let out = dir.path().join("bundle");
        let summary = export(&lib, &fixture(Outcome::Success), &out, false).unwrap();
        assert_eq!((summary.steps, summary.frames), (3, 0));
        let read = |name: &str| std::fs::read(out.join(name)).unwrap();
        let trajectory: serde_json::Value = serde_json::from_slice(&read("trajectory.json")).unwrap();
        assert_eq!((trajectory["schema"].as_str(), trajectory["recording"]["outcome"].as_str()), (Some(SCHEMA_VERSION), Some("success")));
        let steps = trajectory["steps"].as_array().cloned().unwrap_or_default();
        assert_eq!(steps.iter().map(|s| s["action"]["x"].as_i64()).collect::<Vec<_>>(), vec![Some(50), Some(60), Some(70)]);
        assert_eq!(steps[0]["label"]["correctness"], "correct", "the review travels with the steps");
        assert_eq!((steps[1]["before"]["frame_seq"].as_u64(), &steps[1]["before_image"]), (Some(1), &serde_json::Value::Null), "frame references stay; no image without frames");
        // Four frames and a note, in time order.
        let events: Vec<serde_json::Value> = String::from_utf8(read("events.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(events.len(), 5);
        let times: Vec<u64> = events.iter().filter_map(|e| e["t"].as_u64()).collect();
        assert!(times.len() == 5 && times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        // The manifest (the registry writes it after every format) names each file with its
        // true size and sha256.
        crate::export::manifest::write(&out, "canonical", vec![], Default::default(), None).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&read("manifest.json")).unwrap();
        let files = manifest["files"].as_array().cloned().unwrap_or_default();
        assert_eq!(files.iter().filter_map(|f| f["path"].as_str()).collect::<Vec<_>>(), vec!["events.jsonl", "trajectory.json"]);
        for f in &files {
            let bytes = read(f["path"].as_str().unwrap());
            assert_eq!((f["sha256"].as_str(), f["bytes"].as_u64()), (Some(hex_sha256(&bytes).as_str()), Some(bytes.len() as u64)));
        }
    }
}
