//! The Tauri shell: a thin layer that exposes the library to the web UI as typed commands and
//! events ([`bindings`] generates their TypeScript, `ui/src/bindings.ts`; errors are
//! [`error::CommandError`]). It owns at most one running recorder, which it also serves
//! on the library's control socket, so `apprentice note|mark|pause|resume|stop` work against
//! the GUI's recording too. Review commands and the `frame://` protocol are in [`review`];
//! transcription, transcript corrections and the `audio://` protocol in [`speech`]; assigned
//! tasks and background upload to a hub in [`hub`]. No
//! business logic lives here.

pub mod bindings;
mod error;
mod hub;
mod review;
mod speech;

use std::path::PathBuf;
use std::sync::Mutex;

use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

use error::CommandError;

use apprentice_capture::audio::AudioSettings;
use apprentice_capture::exclusion::{ExclusionField, ExclusionRule};
use apprentice_capture::input::RECORDER_HOTKEYS;
use apprentice_capture::recorder::{RecorderConfig, RecorderStatus};
use apprentice_capture::session::RecordingSession;
use apprentice_core::model::{MarkerKind, Micros, NoteSource, Outcome};
use apprentice_core::store::{Library, RecordingSummary};

struct AppState {
    library_dir: PathBuf,
    session: Mutex<Option<RecordingSession>>,
    frames: Mutex<review::FrameServer>,
    sync: hub::Uploader,
}

type CmdResult<T> = Result<T, CommandError>;

fn no_recording() -> CommandError {
    CommandError::wrong_state("no recording is running")
}

/// What the panel asks the recorder for.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct RecordingRequest {
    /// The task as the expert was given it.
    pub task: String,
    /// The task's id in the vendor's catalogue, if it has one: on a station that joined a hub,
    /// an assigned task's (its instruction and campaign then come from the hub).
    pub task_id: Option<String>,
    /// Exclusion rules (`app:…`, `title:…`, `class:…` globs); blank ones are ignored.
    pub exclusions: Vec<String>,
    /// Record think-aloud audio from the default microphone.
    pub audio: bool,
    /// Keep audio only while the push-to-talk chord (Ctrl+Alt+K) is held.
    pub push_to_talk: bool,
}

/// A recording stopped (from the panel, a hotkey or `apprentice stop`); its outcome is still to
/// be asked.
#[derive(Debug, Clone, serde::Serialize, specta::Type, tauri_specta::Event)]
pub struct RecordingStopped(pub String);

/// The push-to-talk chord went down (true) or up.
#[derive(Debug, Clone, serde::Serialize, specta::Type, tauri_specta::Event)]
pub struct Talking(pub bool);

/// A recorder hotkey (the key after Ctrl+Alt) was pressed anywhere on the desktop.
#[derive(Debug, Clone, serde::Serialize, specta::Type, tauri_specta::Event)]
pub struct Hotkey(pub String);

/// The recorder's own windows are never part of a demonstration.
fn own_window_rule() -> ExclusionRule {
    ExclusionRule { field: ExclusionField::Class, pattern: "apprentice".into() }
}

#[tauri::command]
#[specta::specta]
fn recorder_status(state: State<'_, AppState>) -> CmdResult<Option<RecorderStatus>> {
    let session = state.session.lock().map_err(CommandError::internal)?;
    Ok(session.as_ref().map(|s| s.control().status()))
}

#[tauri::command]
#[specta::specta]
async fn start_recording(app: AppHandle, request: RecordingRequest) -> CmdResult<RecorderStatus> {
    let state = app.state::<AppState>();
    let mut session = state.session.lock().map_err(CommandError::internal)?;
    if session.is_some() {
        return Err(CommandError::wrong_state("a recording is already running"));
    }
    let RecordingRequest { task, task_id, mut exclusions, audio, push_to_talk } = request;
    let task_id = task_id.filter(|t| !t.trim().is_empty());
    // A hub task brings its campaign's exclusions, on top of the expert's own.
    let bound = hub::bind_task(task, task_id)?;
    exclusions.extend(bound.exclusions.iter().cloned());
    let mut rules: Vec<ExclusionRule> =
        exclusions.iter().filter(|s| !s.trim().is_empty()).map(|s| s.parse::<ExclusionRule>().map_err(|e| CommandError::invalid(e.to_string()))).collect::<CmdResult<_>>()?;
    rules.push(own_window_rule());
    let lib = Library::open(&state.library_dir)?;
    bound.keep_rubric(&lib)?;
    // A hub task's campaign also says what happens to secrets in the recording's text.
    let config =
        RecorderConfig { task: Some(bound.task), exclusions: rules, audio: AudioSettings { enabled: audio, device: None, push_to_talk }, privacy_policy: bound.privacy_policy, ..Default::default() };
    let started = RecordingSession::start(&lib, config)?;
    let status = started.control().status();
    let stop_rx = started.stop_requests().clone();
    *session = Some(started);
    // A Stop over the control socket ends the recording as the Stop button would.
    let handle = app.clone();
    std::thread::spawn(move || {
        if stop_rx.recv().is_ok() {
            match finish(&handle) {
                Ok(id) => drop(RecordingStopped(id).emit(&handle)),
                Err(e) => tracing::error!(error = %e, "stopping from the control socket failed"),
            }
        }
    });
    Ok(status)
}

/// Stops and saves the running recording. Its outcome stays `unknown` until the expert answers
/// (the panel asks at once; [`set_outcome`] stores the answer): never a default.
fn finish(app: &AppHandle) -> CmdResult<String> {
    let state = app.state::<AppState>();
    let session = state.session.lock().map_err(CommandError::internal)?.take().ok_or_else(no_recording)?;
    let stopped = session.stop()?;
    let id = stopped.id;
    stopped.segmentation?;
    // A hub task's recording goes to the hub in the background.
    if let Err(e) = hub::queue(&state, &id) {
        tracing::warn!(recording = %id, error = %e, "not queued for the hub");
    }
    // Think-aloud audio is transcribed on a worker; the recording is usable at once.
    speech::transcribe_in_background(app.clone(), state.library_dir.clone(), id.clone());
    Ok(id)
}

#[tauri::command]
#[specta::specta]
async fn stop_recording(app: AppHandle) -> CmdResult<String> {
    finish(&app)
}

/// The privacy check of a recording (what the recorder says at stop): what the detectors found
/// in its text, by step, masked.
#[tauri::command]
#[specta::specta]
fn privacy_check(state: State<'_, AppState>, id: String) -> CmdResult<Vec<apprentice_core::privacy::Flag>> {
    let lib = Library::open(&state.library_dir)?;
    Ok(apprentice_core::privacy::check(&lib, &id, &apprentice_core::privacy::detect::Detectors::builtin())?)
}

/// The expert's answer to "how did it end?", given at stop or later from the library.
#[tauri::command]
#[specta::specta]
fn set_outcome(state: State<'_, AppState>, id: String, outcome: Outcome, comment: Option<String>) -> CmdResult<()> {
    let comment = comment.filter(|c| !c.trim().is_empty());
    Library::open(&state.library_dir)?.set_outcome(&id, outcome, comment.as_deref())?;
    // The hub's copy (sent at stop) gets the answer too.
    hub::queue(&state, &id)
}

fn with_control<T>(state: &State<'_, AppState>, f: impl FnOnce(&apprentice_capture::recorder::RecorderControl) -> CmdResult<T>) -> CmdResult<T> {
    let session = state.session.lock().map_err(CommandError::internal)?;
    let s = session.as_ref().ok_or_else(no_recording)?;
    f(&s.control())
}

#[tauri::command]
#[specta::specta]
fn pause_recording(state: State<'_, AppState>) -> CmdResult<()> {
    with_control(&state, |c| Ok(c.pause()?))
}

#[tauri::command]
#[specta::specta]
fn resume_recording(state: State<'_, AppState>) -> CmdResult<()> {
    with_control(&state, |c| Ok(c.resume()?))
}

/// A typed note at this moment of the recording; returns its time (µs).
#[tauri::command]
#[specta::specta]
fn add_note(state: State<'_, AppState>, text: String) -> CmdResult<Micros> {
    if text.trim().is_empty() {
        return Err(CommandError::invalid("empty note"));
    }
    with_control(&state, |c| Ok(c.note(&text, NoteSource::Typed)))
}

/// A marker at this moment of the recording; returns its time (µs).
#[tauri::command]
#[specta::specta]
fn add_marker(state: State<'_, AppState>, kind: MarkerKind, label: Option<String>) -> CmdResult<Micros> {
    with_control(&state, |c| Ok(c.mark(kind, label)))
}

/// The preflight checks (`apprentice doctor`'s): display, input, window manager, microphone
/// (half a second of listening), speech model, library and disk. Run off the main thread.
#[tauri::command]
#[specta::specta]
async fn preflight(state: State<'_, AppState>) -> CmdResult<Vec<apprentice_core::model::Check>> {
    let dir = state.library_dir.clone();
    tauri::async_runtime::spawn_blocking(move || apprentice_cli::doctor::checks(&dir, None)).await.map_err(CommandError::internal)
}

#[tauri::command]
#[specta::specta]
fn list_recordings(state: State<'_, AppState>) -> CmdResult<Vec<RecordingSummary>> {
    Ok(Library::open(&state.library_dir)?.list()?)
}

/// A recorder hotkey (Ctrl+Alt+key, see [`RECORDER_HOTKEYS`]) was pressed anywhere on the
/// desktop. Pause and markers act at once; start, stop and the note box go through the panel
/// (which knows the task, and asks the outcome after stop), which focuses the right box and then
/// brings itself to the front.
fn on_hotkey(app: &AppHandle, key: &str) {
    let state = app.state::<AppState>();
    let acted = match key {
        "p" => with_control(&state, |c| Ok(if c.status().state == apprentice_core::model::RecordingStatus::Paused { c.resume() } else { c.pause() }?)),
        "m" | "v" | "s" | "e" => {
            let kind = match key {
                "m" => MarkerKind::Mistake,
                "v" => MarkerKind::Recovery,
                "s" => MarkerKind::SubtaskStart,
                _ => MarkerKind::SubtaskEnd,
            };
            with_control(&state, |c| {
                c.mark(kind, None);
                Ok(())
            })
        }
        _ => Ok(()),
    };
    match acted {
        Ok(()) => drop(Hotkey(key.to_string()).emit(app)),
        Err(e) => tracing::warn!(key, error = %e, "hotkey ignored"),
    }
}

fn hotkey_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_global_shortcut::{Builder, Code, Modifiers, Shortcut, ShortcutState};
    let code = |k: &str| match k {
        "r" => Code::KeyR,
        "p" => Code::KeyP,
        "n" => Code::KeyN,
        "m" => Code::KeyM,
        "v" => Code::KeyV,
        "s" => Code::KeyS,
        "k" => Code::KeyK,
        _ => Code::KeyE,
    };
    let shortcuts: Vec<(Shortcut, &'static str)> = RECORDER_HOTKEYS.iter().map(|(k, _)| (Shortcut::new(Some(Modifiers::CONTROL | Modifiers::ALT), code(k)), *k)).collect();
    let keys = shortcuts.clone();
    Builder::new()
        .with_handler(move |app, shortcut, event| {
            let Some((_, k)) = keys.iter().find(|(s, _)| s == shortcut) else { return };
            if *k == "k" {
                // Push-to-talk: audio is kept while the chord is held.
                let held = event.state() == ShortcutState::Pressed;
                let _ = with_control(&app.state::<AppState>(), |c| {
                    c.set_talking(held);
                    Ok(())
                });
                drop(Talking(held).emit(app));
            } else if event.state() == ShortcutState::Pressed {
                on_hotkey(app, k);
            }
        })
        .with_shortcuts(shortcuts.into_iter().map(|(s, _)| s))
        .map(|b| b.build())
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "global hotkeys unavailable");
            Builder::new().build()
        })
}

/// Opens the desktop app on the library at `library_dir`.
pub fn run(library_dir: PathBuf) -> anyhow::Result<()> {
    // Recover anything a crash left behind before the UI lists it.
    Library::open(&library_dir)?;
    let library_dir = library_dir.canonicalize().unwrap_or(library_dir);
    let commands = bindings::builder();
    tauri::Builder::default()
        .plugin(hotkey_plugin())
        .manage(AppState { frames: review::FrameServer::new(library_dir.clone()), sync: hub::Uploader::start(library_dir.clone()), library_dir, session: Mutex::new(None) })
        .register_asynchronous_uri_scheme_protocol("frame", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_string();
            std::thread::spawn(move || responder.respond(review::serve_frame(&app.state::<AppState>().frames, &path)));
        })
        .register_asynchronous_uri_scheme_protocol("audio", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_string();
            std::thread::spawn(move || responder.respond(speech::serve_audio(&app.state::<AppState>().library_dir, &path)));
        })
        .invoke_handler(commands.invoke_handler())
        .setup(move |app| {
            commands.mount_events(app);
            Ok(())
        })
        .build(tauri::generate_context!())?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Closing the window never loses a recording: stop and save it.
                if let Some(state) = app.try_state::<AppState>() {
                    if let Ok(Some(session)) = state.session.lock().map(|mut s| s.take()) {
                        if let Err(e) = session.stop() {
                            tracing::error!(error = %e, "could not save the recording on exit");
                        }
                    }
                }
            }
        });
    Ok(())
}
