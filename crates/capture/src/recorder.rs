//! The recorder: starts every capture thread for one recording, and pauses, resumes, takes notes
//! and markers, reports health and stops. The GUI, the CLI and the control socket all drive this
//! one type. A recording is created in the library only once capture is known to work, holds a
//! [`RecorderLock`] for as long as it runs, and is finalised on stop; if the process dies instead,
//! the next [`Library::open`] recovers it as `interrupted`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, unbounded, Sender};

use super::accessibility;
use super::audio::{AudioCapture, AudioCounters, AudioSettings};
use super::exclusion::ExclusionRule;
use super::frames::{encode_loop, CaptureLoop, CaptureTrigger, FrameCounters, FrameSettings};
use super::input::{self, InputCounters};
use super::privacy::{PrivacyGate, Timeline};
use super::screen::{open_screen, ScreenBackend};
use super::typed_secrets::TypedRuns;
use super::window::{self, WindowContext};
use super::CaptureError;
use apprentice_core::clock::RecordingClock;
use apprentice_core::model::*;
use apprentice_core::privacy::{detect::Detectors, Masker};
use apprentice_core::store::writer::{WriteOp, Writer, WriterHandle};
use apprentice_core::store::{Library, RecorderLock, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a recorder is already running in this library ({0})")]
    AlreadyRecording(String),
    #[error("the recording is not {0}")]
    WrongState(&'static str),
    #[error("cannot start a recorder thread: {0}")]
    Thread(std::io::Error),
    #[error("the recording could not be saved at stop ({0}); what reached disk is kept and is recovered as interrupted on the next start")]
    NotFinalised(String),
}

#[derive(Debug, Clone, Default)]
pub struct RecorderConfig {
    pub task: Option<Task>,
    pub expert_id: Option<String>,
    pub exclusions: Vec<ExclusionRule>,
    pub backend: ScreenBackend,
    pub frames: FrameSettings,
    pub audio: AudioSettings,
    /// What to do with secrets found in the recording's text (`drop`: never written).
    pub privacy_policy: PrivacyPolicy,
}

/// What a running recorder reports.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct RecorderStatus {
    pub id: String,
    pub task: String,
    pub state: RecordingStatus,
    pub elapsed_us: Micros,
    pub health: Health,
}

struct Shared {
    id: String,
    task: Task,
    clock: RecordingClock,
    gate: Arc<PrivacyGate>,
    writer: WriterHandle,
    frame_counters: Arc<FrameCounters>,
    input_counters: Arc<InputCounters>,
    input_dropped: Box<dyn Fn() -> u64 + Send + Sync>,
    /// Why input cannot be told human or injected here, if it cannot.
    input_origin_unknown: Option<String>,
    /// Why there is no accessibility context, if there is none.
    accessibility_missing: Option<String>,
    /// With the `drop` policy: masks what the recorder writes itself (notes, marker labels,
    /// window titles), one placeholder per value.
    masker: Option<Arc<Mutex<Masker>>>,
    audio: Option<Arc<AudioCounters>>,
    /// The push-to-talk key is up (true) or held, over time.
    key_up: Arc<Timeline>,
    state: Mutex<RecordingStatus>,
    /// Set when a thread failed in a way that ends the recording (disk full, display gone).
    fatal: Mutex<Option<String>>,
}

/// The `drop` policy's masker, even if a thread panicked holding it (each change to it is whole).
fn masking(m: &Mutex<Masker>) -> std::sync::MutexGuard<'_, Masker> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A cheap handle for pausing, notes, markers and status from any thread.
#[derive(Clone)]
pub struct RecorderControl(Arc<Shared>);

pub struct Recorder {
    control: RecorderControl,
    triggers: Sender<CaptureTrigger>,
    stop: Arc<AtomicBool>,
    threads: Vec<(&'static str, JoinHandle<()>)>,
    writer_join: JoinHandle<()>,
    _lock: RecorderLock,
    lock_path: std::path::PathBuf,
}

impl Recorder {
    /// Starts recording `$DISPLAY` into `library`.
    pub fn start(library: &Library, config: RecorderConfig) -> Result<Recorder, RecordError> {
        limit_allocator_retention();
        // Everything that can fail because of the machine fails before the recording exists.
        let screen = open_screen(config.backend)?;
        let window_ctx = WindowContext::connect()?;
        let subscription = input::subscribe()?;
        if let Ok(mut s) = std::os::unix::net::UnixStream::connect(library.control_socket()) {
            let _ = std::io::Write::write_all(&mut s, b"{\"cmd\":\"status\"}\n");
            return Err(RecordError::AlreadyRecording(library.control_socket().display().to_string()));
        }

        let id = uuid::Uuid::now_v7().to_string();
        let lock_path = library.lock_path(&id);
        let lock = RecorderLock::try_acquire(&lock_path)?.ok_or_else(|| RecordError::AlreadyRecording(id.clone()))?;
        let task = config.task.clone().unwrap_or_default();
        let clock = RecordingClock::start();
        let recording = Recording {
            id: id.clone(),
            task: task.clone(),
            expert_id: config.expert_id.clone(),
            status: RecordingStatus::Recording,
            started_at: now_rfc3339(),
            duration_us: 0,
            environment: environment(screen.backend(), screen.displays().to_vec()),
            pauses: vec![],
            outcome: Outcome::Unknown,
            outcome_note: None,
            error: None,
        };
        library.create_recording(&recording)?;
        library.set_privacy_policy(&id, config.privacy_policy)?;
        let detectors = Arc::new(Detectors::builtin());
        let masker = (config.privacy_policy == PrivacyPolicy::Drop).then(|| Arc::new(Mutex::new(Masker::new(detectors.clone()))));
        let typed = (config.privacy_policy == PrivacyPolicy::Drop).then(|| TypedRuns::new(detectors.clone()));
        // Sealed at stop by this user's station key; without one the recording goes on unsealed.
        let (writer, writer_join) = Writer::spawn_sealed(library.db_path(), id.clone(), library.signer().cloned())?;

        let gate = Arc::new(PrivacyGate::default());
        // The accessibility bus: elements under presses and password fields; without it the
        // recording goes on, and its health says why.
        let a11y = accessibility::connect();
        if let Err(e) = &a11y {
            tracing::warn!("{e}");
        }
        let frame_counters = Arc::new(FrameCounters::default());
        let input_counters = Arc::new(InputCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (trigger_tx, trigger_rx) = unbounded();
        let (encode_tx, encode_rx) = bounded(4);
        let (window_tx, window_rx) = unbounded::<WindowEvent>();
        let sub = Arc::new(subscription);
        let sub_for_health = sub.clone();
        let audio_counters = config.audio.enabled.then(|| Arc::new(AudioCounters::default()));
        let key_up = Arc::new(Timeline::starting(true));
        let shared = Arc::new(Shared {
            id: id.clone(),
            task,
            clock,
            gate: gate.clone(),
            writer: writer.clone(),
            frame_counters: frame_counters.clone(),
            input_counters: input_counters.clone(),
            input_origin_unknown: sub.origins.unavailable(),
            accessibility_missing: a11y.as_ref().err().map(|e| e.to_string()),
            masker: masker.clone(),
            input_dropped: Box::new(move || sub_for_health.dropped()),
            audio: audio_counters.clone(),
            key_up: key_up.clone(),
            state: Mutex::new(RecordingStatus::Recording),
            fatal: Mutex::new(None),
        });
        let control = RecorderControl(shared.clone());
        let mut threads = Vec::new();
        let spawn = |name: &'static str, f: Box<dyn FnOnce() + Send>| -> Result<(&'static str, JoinHandle<()>), RecordError> {
            std::thread::Builder::new().name(format!("apprentice-{name}")).spawn(f).map(|h| (name, h)).map_err(RecordError::Thread)
        };

        // Window context (also feeds the privacy gate before any frame or key is released).
        {
            let (gate, stop, triggers, rules) = (gate.clone(), stop.clone(), trigger_tx.clone(), config.exclusions.clone());
            threads.push(spawn(
                "window",
                Box::new(move || {
                    window::watch(
                        window_ctx,
                        rules,
                        clock,
                        gate,
                        window_tx,
                        move || {
                            let _ = triggers.send(CaptureTrigger::Focus);
                        },
                        stop,
                    )
                }),
            )?);
        }
        {
            let (writer, masker) = (writer.clone(), masker.clone());
            threads.push(spawn(
                "window-writer",
                Box::new(move || {
                    for mut e in window_rx {
                        if let Some(m) = &masker {
                            masking(m).mask(&mut e.title);
                        }
                        writer.send(WriteOp::Window(e));
                    }
                }),
            )?);
        }
        {
            let (media, writer, counters, control) = (library.media().clone(), writer.clone(), frame_counters.clone(), control.clone());
            threads.push(spawn(
                "encoder",
                Box::new(move || {
                    if let Err(e) = encode_loop(encode_rx, media, writer, counters) {
                        control.fail(e.to_string());
                    }
                }),
            )?);
        }
        {
            let capture = CaptureLoop { source: screen, settings: config.frames.clone(), clock, gate: gate.clone(), counters: frame_counters.clone(), triggers: trigger_rx, encoder: encode_tx };
            let control = control.clone();
            threads.push(spawn(
                "capture",
                Box::new(move || {
                    if let Err(e) = capture.run() {
                        control.fail(format!("screen capture stopped: {e}"));
                    }
                }),
            )?);
        }
        let presses = match a11y {
            Ok(conn) => {
                let watch = accessibility::start(conn, clock, gate.clone(), writer.clone(), stop.clone()).map_err(RecordError::Thread)?;
                threads.extend(watch.threads.into_iter().map(|t| ("accessibility", t)));
                Some(watch.presses)
            }
            Err(_) => None,
        };
        {
            let (gate, stop, counters, writer, triggers) = (gate.clone(), stop.clone(), input_counters.clone(), writer.clone(), trigger_tx.clone());
            threads.push(spawn(
                "input",
                Box::new(move || {
                    input::route(
                        &sub,
                        clock,
                        &gate,
                        &counters,
                        &stop,
                        typed,
                        |ev| {
                            let press = !matches!(ev.kind, InputKind::Move | InputKind::KeyRelease | InputKind::ButtonRelease);
                            let _ = triggers.send(CaptureTrigger::Input { press });
                            // Asked at once, while the screen still shows what was pressed.
                            if let (InputKind::ButtonPress, Some(p)) = (ev.kind, &presses) {
                                let _ = p.try_send(accessibility::Press { t: ev.t, x: ev.x, y: ev.y });
                            }
                        },
                        |ev| {
                            writer.send(WriteOp::Input(ev));
                        },
                    )
                }),
            )?);
        }
        if let Some(counters) = audio_counters {
            // The first attempt to open the microphone is awaited, so a missing one is reported
            // as the recording starts; the recording goes on either way.
            let capture = AudioCapture { settings: config.audio.clone(), clock, gate: gate.clone(), key_up, counters, writer: writer.clone(), stop: stop.clone() };
            let (opened_tx, opened_rx) = bounded(1);
            threads.push(spawn("audio", Box::new(move || capture.run(opened_tx)))?);
            match opened_rx.recv_timeout(Duration::from_secs(5)) {
                Ok(Ok(device)) => tracing::info!(%device, "recording the microphone"),
                Ok(Err(e)) => tracing::warn!(error = %e, "recording without audio"),
                Err(_) => tracing::warn!("the microphone is slow to open; audio starts when it does"),
            }
        }
        {
            let (control, stop) = (control.clone(), stop.clone());
            threads.push(spawn(
                "heartbeat",
                Box::new(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(250));
                        let status = control.status();
                        control.0.writer.send(WriteOp::Heartbeat { now: status.elapsed_us, health: status.health });
                        if let Some(f) = control.0.writer.failure() {
                            control.fail(f);
                        }
                    }
                }),
            )?);
        }
        tracing::info!(recording = %id, "recording started");
        Ok(Recorder { control, triggers: trigger_tx, stop, threads, writer_join, _lock: lock, lock_path })
    }

    pub fn id(&self) -> &str {
        &self.control.0.id
    }

    pub fn control(&self) -> RecorderControl {
        self.control.clone()
    }

    /// Stops every thread, writes the final state and releases the recording.
    pub fn stop(self) -> Result<String, RecordError> {
        let Recorder { control, triggers, stop, threads, writer_join, _lock, lock_path } = self;
        let _ = triggers.send(CaptureTrigger::Stop);
        stop.store(true, Ordering::Relaxed);
        for (name, handle) in threads {
            if handle.join().is_err() {
                control.fail(format!("the {name} thread panicked"));
            }
        }
        let status = control.status();
        let error = control.fatal();
        // A recording a failure ended (disk full, display gone) did not finish: it was interrupted,
        // and says why.
        let final_status = if error.is_some() { RecordingStatus::Interrupted } else { RecordingStatus::Finished };
        control.0.writer.send(WriteOp::Finish { status: final_status, duration: status.elapsed_us, health: status.health, error: error.clone() });
        let _ = writer_join.join();
        if let Some(f) = control.0.writer.failure() {
            // The final row could not be written; the lock is released and the next open recovers it.
            tracing::error!(error = %f, "could not finalise the recording");
            return Err(RecordError::NotFinalised(f));
        }
        drop(_lock);
        let _ = std::fs::remove_file(&lock_path);
        tracing::info!(recording = %control.0.id, "recording stopped");
        Ok(control.0.id.clone())
    }
}

impl RecorderControl {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    pub fn pause(&self) -> Result<(), RecordError> {
        let mut state = self.0.state.lock().map_err(|_| RecordError::WrongState("usable"))?;
        if *state != RecordingStatus::Recording {
            return Err(RecordError::WrongState("recording"));
        }
        let t = self.0.clock.now();
        self.0.gate.paused.set(t, true);
        self.0.writer.send(WriteOp::PauseStart(t));
        *state = RecordingStatus::Paused;
        Ok(())
    }

    pub fn resume(&self) -> Result<(), RecordError> {
        let mut state = self.0.state.lock().map_err(|_| RecordError::WrongState("usable"))?;
        if *state != RecordingStatus::Paused {
            return Err(RecordError::WrongState("paused"));
        }
        let t = self.0.clock.now();
        self.0.gate.paused.set(t, false);
        self.0.writer.send(WriteOp::PauseEnd(t));
        *state = RecordingStatus::Recording;
        Ok(())
    }

    pub fn note(&self, text: &str, source: NoteSource) -> Micros {
        let t = self.0.clock.now();
        let mut text = text.to_string();
        if let Some(m) = &self.0.masker {
            masking(m).mask(&mut text);
        }
        self.0.writer.send(WriteOp::Note(Note { t, text, source }));
        t
    }

    /// Push-to-talk: audio is kept only while this is set (when the recording uses it).
    pub fn set_talking(&self, talking: bool) {
        self.0.key_up.set(self.0.clock.now(), !talking);
    }

    pub fn mark(&self, kind: MarkerKind, label: Option<String>) -> Micros {
        let t = self.0.clock.now();
        let mut label = label;
        if let Some(m) = &self.0.masker {
            masking(m).mask_opt(&mut label);
        }
        self.0.writer.send(WriteOp::Marker(Marker { t, kind, label }));
        t
    }

    pub fn status(&self) -> RecorderStatus {
        let f = &self.0.frame_counters;
        let now = self.0.clock.now();
        let last = f.last_capture_us.load(Ordering::Relaxed);
        let health = Health {
            frames_captured: f.captured.load(Ordering::Relaxed),
            frames_stored: f.stored.load(Ordering::Relaxed),
            frames_unchanged: f.unchanged.load(Ordering::Relaxed),
            frames_dropped: f.dropped.load(Ordering::Relaxed),
            frames_excluded: f.excluded.load(Ordering::Relaxed),
            input_events: self.0.input_counters.kept.load(Ordering::Relaxed),
            input_dropped: (self.0.input_dropped)(),
            input_excluded: self.0.input_counters.excluded.load(Ordering::Relaxed),
            input_injected: self.0.input_counters.injected.load(Ordering::Relaxed),
            input_origin_message: self.0.input_origin_unknown.clone(),
            accessibility_message: self.0.accessibility_missing.clone(),
            encode_queue: f.encode_queue.load(Ordering::Relaxed),
            write_queue: self.0.writer.queue_len() as u64,
            last_frame_age_ms: (last > 0).then(|| now.saturating_sub(last) / 1000),
            media_bytes: f.media_bytes.load(Ordering::Relaxed),
            ..Health::default()
        };
        let mut health = health;
        if let Some(a) = &self.0.audio {
            (health.audio, health.audio_message) = a.state();
            health.audio_level_db = a.level_db(now);
            health.audio_us = a.audio_us.load(Ordering::Relaxed);
            health.audio_bytes = a.bytes.load(Ordering::Relaxed);
        }
        let state = self.0.state.lock().map(|s| *s).unwrap_or(RecordingStatus::Recording);
        RecorderStatus { id: self.0.id.clone(), task: self.0.task.instruction.clone(), state, elapsed_us: now, health }
    }

    /// Why the recording must end early, if it must.
    pub fn fatal(&self) -> Option<String> {
        self.0.fatal.lock().ok().and_then(|f| f.clone())
    }

    fn fail(&self, reason: String) {
        tracing::error!(%reason, "recording failed");
        if let Ok(mut f) = self.0.fatal.lock() {
            f.get_or_insert(reason);
        }
    }
}

/// Frames are 8 MB buffers allocated and freed several times a second. glibc would otherwise
/// raise its mmap threshold after the first free and keep freed frames on the heap, so RSS would
/// ratchet up; a fixed threshold returns every frame buffer to the OS, and fewer arenas keep
/// per-thread heaps from multiplying that.
fn limit_allocator_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before the recorder's threads allocate.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn environment(backend: &str, displays: Vec<DisplayInfo>) -> Environment {
    let os_version = std::fs::read_to_string("/etc/os-release").ok().and_then(|s| s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))).unwrap_or_default();
    let keyboard_layout = std::process::Command::new("setxkbmap")
        .arg("-query")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("layout:").map(|v| v.trim().to_string())))
        .unwrap_or_else(|| std::env::var("XKB_DEFAULT_LAYOUT").unwrap_or_else(|_| "unknown".into()));
    Environment {
        os: std::env::consts::OS.into(),
        os_version,
        display_server: "x11".into(),
        displays,
        keyboard_layout,
        recorder_version: env!("CARGO_PKG_VERSION").into(),
        capture_backend: backend.into(),
    }
}
