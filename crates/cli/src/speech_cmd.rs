//! `apprentice transcribe | utterances | audio | mics`: think-aloud audio from the command line.
//! Transcription shows a progress line on stderr; everything runs on this machine.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use apprentice_capture::audio::list_microphones;
use apprentice_core::model::Micros;
use apprentice_core::store::audio_codec::{encode_flac, wav, SAMPLE_RATE};
use apprentice_core::store::Library;
use apprentice_speech::{self as speech, model, Transcriber};

#[derive(Debug, Subcommand)]
pub enum SpeechCommand {
    /// Transcribe a recording's think-aloud audio on this machine (Whisper) and bind it to steps.
    Transcribe {
        id: String,
        /// A whisper.cpp ggml model (default: $APPRENTICE_WHISPER_MODEL, else the one scripts/install-model installed).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Threads for Whisper (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        #[arg(long)]
        json: bool,
    },
    /// List what transcription heard, numbered for `apprentice review transcript`.
    Utterances {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a recording's audio (all of it, one step's or one utterance's) as WAV or FLAC.
    Audio {
        id: String,
        /// Only this step's span (index as `apprentice show` prints it), with its spoken reasoning.
        #[arg(long, conflicts_with = "utterance")]
        step: Option<u32>,
        /// Only this utterance (index as `apprentice utterances` prints it).
        #[arg(long)]
        utterance: Option<usize>,
        /// Output file: .wav or .flac.
        #[arg(long)]
        out: PathBuf,
    },
    /// List the microphones this machine offers (names for `record --mic`).
    Mics,
}

pub fn run(lib: &Library, cmd: SpeechCommand, out: &mut impl Write) -> Result<()> {
    match cmd {
        SpeechCommand::Transcribe { id, model: path, threads, json } => {
            let summary = transcribe(lib, &id, path.as_deref(), threads)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
            } else {
                writeln!(
                    out,
                    "{}: {} utterances from {:.1} s of speech in {:.1} s of audio (model {}, {:.2}× real time)",
                    summary.recording,
                    summary.utterances,
                    summary.speech_us as f64 / 1e6,
                    summary.audio_us as f64 / 1e6,
                    summary.model,
                    summary.real_time_factor
                )?;
            }
        }
        SpeechCommand::Utterances { id, json } => {
            let utterances = lib.utterances(&id)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&utterances)?)?;
            } else {
                for (i, u) in utterances.iter().enumerate() {
                    let fixed = if u.corrected.is_some() { "  (corrected)" } else { "" };
                    writeln!(out, "#{i:<3} {:>8.2}–{:<8.2} {}{fixed}", u.t0 as f64 / 1e6, u.t1 as f64 / 1e6, u.transcript())?;
                }
            }
        }
        SpeechCommand::Audio { id, step, utterance, out: path } => {
            let id = lib.resolve_id(&id)?;
            let (t0, t1) = match (step, utterance) {
                (Some(i), _) => step_span(lib, &id, i)?,
                (_, Some(i)) => {
                    let us = lib.utterances(&id)?;
                    let u = us.get(i).with_context(|| format!("recording {id} has {} utterances; there is no #{i}", us.len()))?;
                    (u.t0, u.t1)
                }
                _ => (0, lib.recording(&id)?.duration_us),
            };
            let samples = lib.audio_clip(&id, t0, t1)?;
            let bytes = match path.extension().and_then(|e| e.to_str()) {
                Some("wav") => wav(&samples, SAMPLE_RATE),
                Some("flac") => encode_flac(&samples, SAMPLE_RATE)?,
                _ => bail!("--out must end in .wav or .flac"),
            };
            std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(out, "{}: {:.2} s of audio", path.display(), samples.len() as f64 / f64::from(SAMPLE_RATE))?;
        }
        SpeechCommand::Mics => {
            for name in list_microphones()? {
                writeln!(out, "{name}")?;
            }
        }
    }
    Ok(())
}

/// Transcribes with a progress line on stderr.
pub fn transcribe(lib: &Library, id: &str, model_path: Option<&std::path::Path>, threads: usize) -> Result<speech::Summary> {
    let path = model::resolve(model_path);
    let transcriber = Transcriber::load(&path, threads)?;
    let mut last = std::time::Instant::now() - std::time::Duration::from_secs(10);
    let summary = speech::transcribe_recording(lib, id, &transcriber, &mut |p| {
        if last.elapsed().as_millis() >= 500 || p.done_us == p.total_us {
            last = std::time::Instant::now();
            eprint!("\rtranscribing: {:.1}/{:.1} s of speech, {} utterances ", p.done_us as f64 / 1e6, p.total_us as f64 / 1e6, p.utterances);
        }
    })?;
    eprintln!();
    if let Some(warning) = summary.warning() {
        eprintln!("warning: {warning}");
    }
    Ok(summary)
}

/// A step's span for listening: from its first spoken reasoning (or its start) to its end.
fn step_span(lib: &Library, id: &str, index: u32) -> Result<(Micros, Micros)> {
    let reviewed = apprentice_core::review::load(lib, id)?;
    let step = reviewed.steps.get(index as usize).with_context(|| format!("recording {id} has {} steps; there is no step {index}", reviewed.steps.len()))?;
    let spoken = step.reasoning.iter().filter(|r| r.audio.is_some());
    let t0 = spoken.clone().map(|r| r.t0).min().unwrap_or(step.t_start).min(step.t_start);
    let t1 = spoken.map(|r| r.t1).max().unwrap_or(step.t_end).max(step.t_end);
    Ok((t0, t1))
}
