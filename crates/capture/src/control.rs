//! The control plane: a running recorder listens on a Unix socket in its library
//! (`recorder.sock`), so that the CLI (`apprentice note|mark|pause|resume|talk|stop|status`), global
//! hotkey helpers and scripts can drive it. One JSON request per line, one JSON reply per line.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Sender;
use serde::{Deserialize, Serialize};

use crate::recorder::{RecorderControl, RecorderStatus};
use apprentice_core::model::{MarkerKind, NoteSource};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ControlRequest {
    Status,
    Pause,
    Resume,
    Stop,
    Note {
        text: String,
    },
    Mark {
        kind: String,
        label: Option<String>,
    },
    /// Push-to-talk held (`on`) or released.
    Talk {
        on: bool,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ControlReply {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RecorderStatus>,
    /// Recording time the note or marker was stamped at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_us: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no recorder is running in the library at {0}")]
    NoRecorder(PathBuf),
    #[error("control socket {path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("the recorder answered something unreadable: {0}")]
    BadReply(String),
    #[error("the recorder refused: {0}")]
    Refused(String),
}

/// Serves control requests for one recorder until dropped.
pub struct ControlServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ControlServer {
    /// Binds `path` (replacing a stale socket file) and serves `control`; a Stop request is
    /// passed to `on_stop` for whoever owns the recorder.
    pub fn bind(path: &Path, control: RecorderControl, on_stop: Sender<()>) -> Result<ControlServer, ControlError> {
        let io = |source| ControlError::Io { path: path.to_path_buf(), cause: source };
        if path.exists() && UnixStream::connect(path).is_err() {
            std::fs::remove_file(path).map_err(io)?;
        }
        let listener = UnixListener::bind(path).map_err(io)?;
        listener.set_nonblocking(true).map_err(io)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("apprentice-control".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Err(e) = serve(stream, &control, &on_stop) {
                                tracing::warn!(error = %e, "control connection failed");
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
                        Err(e) => {
                            tracing::warn!(error = %e, "control socket accept failed");
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            })
            .map_err(io)?;
        Ok(ControlServer { path: path.to_path_buf(), stop, thread: Some(thread) })
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve(stream: UnixStream, control: &RecorderControl, on_stop: &Sender<()>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let reply = match serde_json::from_str::<ControlRequest>(&line) {
        Ok(req) => handle(req, control, on_stop),
        Err(e) => ControlReply { ok: false, error: Some(format!("bad request: {e}")), ..Default::default() },
    };
    let mut out = serde_json::to_string(&reply).unwrap_or_else(|_| "{\"ok\":false}".into());
    out.push('\n');
    (&stream).write_all(out.as_bytes())
}

fn handle(req: ControlRequest, control: &RecorderControl, on_stop: &Sender<()>) -> ControlReply {
    let done = |r: Result<(), String>| match r {
        Ok(()) => ControlReply { ok: true, status: Some(control.status()), ..Default::default() },
        Err(e) => ControlReply { ok: false, error: Some(e), ..Default::default() },
    };
    match req {
        ControlRequest::Status => done(Ok(())),
        ControlRequest::Pause => done(control.pause().map_err(|e| e.to_string())),
        ControlRequest::Resume => done(control.resume().map_err(|e| e.to_string())),
        ControlRequest::Stop => done(on_stop.send(()).map_err(|_| "the recorder is already stopping".to_string())),
        ControlRequest::Note { text } => {
            if text.trim().is_empty() {
                return done(Err("empty note".into()));
            }
            let t = control.note(&text, NoteSource::Typed);
            ControlReply { ok: true, t_us: Some(t), ..Default::default() }
        }
        ControlRequest::Talk { on } => {
            control.set_talking(on);
            done(Ok(()))
        }
        ControlRequest::Mark { kind, label } => match MarkerKind::parse(&kind) {
            Some(k) => {
                let t = control.mark(k, label);
                ControlReply { ok: true, t_us: Some(t), ..Default::default() }
            }
            None => done(Err(format!("unknown marker '{kind}': use mistake, recovery, subtask-start, subtask-end or custom"))),
        },
    }
}

/// Sends one request to the recorder listening at `socket`.
pub fn send(socket: &Path, req: &ControlRequest) -> Result<ControlReply, ControlError> {
    let io = |source| ControlError::Io { path: socket.to_path_buf(), cause: source };
    let stream = UnixStream::connect(socket).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => ControlError::NoRecorder(socket.parent().unwrap_or(socket).to_path_buf()),
        _ => io(e),
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(io)?;
    let mut line = serde_json::to_string(req).map_err(|e| ControlError::BadReply(e.to_string()))?;
    line.push('\n');
    (&stream).write_all(line.as_bytes()).map_err(io)?;
    let mut reply = String::new();
    BufReader::new(&stream).read_line(&mut reply).map_err(io)?;
    let reply: ControlReply = serde_json::from_str(&reply).map_err(|e| ControlError::BadReply(format!("{e}: {reply}")))?;
    if !reply.ok {
        return Err(ControlError::Refused(reply.error.unwrap_or_default()));
    }
    Ok(reply)
}
