//! Think aloud in the desktop app: transcribing a recording on a background worker when it
//! stops (progress as `transcription` events, at low CPU priority so a new recording is never
//! starved), correcting a transcript from the review view, and the `audio://` protocol that
//! plays a span of a recording's audio to the webview as WAV.

use tauri::{AppHandle, State};
use tauri_specta::Event;

use super::{AppState, CmdResult};
use apprentice_core::model::Micros;
use apprentice_core::store::audio_codec::{wav, SAMPLE_RATE};
use apprentice_core::store::Library;
use apprentice_speech::{self as speech, model, Transcriber};

/// What the panel and library hear about a transcription.
#[derive(Debug, Clone, serde::Serialize, specta::Type, tauri_specta::Event)]
pub struct Transcription {
    pub id: String,
    pub state: TranscriptionState,
    pub done_us: Micros,
    pub total_us: Micros,
    pub utterances: usize,
    /// Why it failed; when done, a warning (damaged audio was skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptionState {
    Running,
    Done,
    Failed,
}

/// Transcribes `id` on a worker thread if it has audio; events report progress and the end.
pub fn transcribe_in_background(app: AppHandle, library_dir: std::path::PathBuf, id: String) {
    let spawned = std::thread::Builder::new().name("apprentice-transcribe".into()).spawn(move || {
        lower_priority();
        let event = |state, p: speech::Progress, error: Option<String>| Transcription { id: id.clone(), state, done_us: p.done_us, total_us: p.total_us, utterances: p.utterances, error };
        let err = |e: speech::SpeechError| e.to_string();
        let result = (|| -> Result<speech::Summary, String> {
            let lib = Library::open(&library_dir).map_err(|e| e.to_string())?;
            if lib.audio_stats(&id).map_err(|e| e.to_string())?.chunks == 0 {
                return Err(String::new());
            }
            // One core stays free for the recorder and the desktop.
            let threads = std::thread::available_parallelism().map(|n| n.get().saturating_sub(1).max(1)).unwrap_or(1);
            let transcriber = Transcriber::load(&model::resolve(None), threads).map_err(err)?;
            speech::transcribe_recording(&lib, &id, &transcriber, &mut |p| drop(event(TranscriptionState::Running, p, None).emit(&app))).map_err(err)
        })();
        match result {
            Ok(s) => {
                drop(event(TranscriptionState::Done, speech::Progress { done_us: s.speech_us, total_us: s.speech_us, utterances: s.utterances }, s.warning()).emit(&app));
            }
            Err(e) if e.is_empty() => {}
            Err(e) => {
                tracing::warn!(recording = %id, error = %e, "not transcribed");
                drop(event(TranscriptionState::Failed, speech::Progress::default(), Some(e)).emit(&app));
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the transcription worker");
    }
}

/// Transcription yields to everything else (whisper.cpp's worker threads inherit this).
fn lower_priority() {
    // SAFETY: setpriority on the calling thread (who = 0 with PRIO_PROCESS names the caller's
    // thread on Linux); it only lowers this thread's scheduling priority.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[tauri::command]
#[specta::specta]
pub fn transcribe(app: AppHandle, state: State<'_, AppState>, id: String) -> CmdResult<()> {
    let lib = Library::open(&state.library_dir)?;
    let id = lib.resolve_id(&id)?;
    model::check(&model::resolve(None))?;
    transcribe_in_background(app, state.library_dir.clone(), id);
    Ok(())
}

/// Corrects (or with `text` None restores) the transcript of the utterance starting at `t0`.
#[tauri::command]
#[specta::specta]
pub fn set_transcript(state: State<'_, AppState>, id: String, t0: Micros, text: Option<String>, reviewer: String) -> CmdResult<super::review::TrajectoryView> {
    let lib = Library::open(&state.library_dir)?;
    let text = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    lib.set_transcript(&id, t0, text.as_deref(), &reviewer)?;
    super::review::view(&lib, &id)
}

/// `audio://localhost/<recording id>/<t0 µs>-<t1 µs>`: that span of the recording as WAV.
pub fn serve_audio(library_dir: &std::path::Path, path: &str) -> tauri::http::Response<Vec<u8>> {
    let respond = |status: u16, kind: &str, body: Vec<u8>| {
        // The page's origin (tauri://localhost) differs from audio://; it may read the bytes.
        tauri::http::Response::builder().status(status).header("Content-Type", kind).header("Access-Control-Allow-Origin", "*").body(body).unwrap_or_default()
    };
    let mut parts = path.trim_start_matches('/').split('/');
    let span = parts.next().zip(parts.next().and_then(|s| s.split_once('-'))).and_then(|(id, (a, b))| Some((id, a.parse::<Micros>().ok()?, b.parse::<Micros>().ok()?)));
    let Some((id, t0, t1)) = span.filter(|(_, a, b)| b > a && b - a <= 600_000_000) else {
        return respond(400, "text/plain", b"expected /<recording id>/<t0 us>-<t1 us> (at most 10 minutes)".to_vec());
    };
    match Library::open(library_dir).and_then(|lib| lib.audio_clip(id, t0, t1)) {
        Ok(samples) => respond(200, "audio/wav", wav(&samples, SAMPLE_RATE)),
        Err(e) => {
            tracing::warn!(path, error = %e, "audio not served");
            respond(404, "text/plain", e.to_string().into_bytes())
        }
    }
}
