//! A recording session: what every shell does around a [`Recorder`] — start it, serve it on the
//! library's control socket (so `apprentice note|mark|pause|resume|talk|stop|status` reach it from
//! anywhere), and at stop close the socket, save, and segment the recording. The CLI's `record`
//! and the desktop app both use it. Its outcome stays `unknown`: asking the expert is the shell's
//! job. Not its job either: transcription, which runs after (and off) the session.

use std::path::PathBuf;

use crossbeam_channel::Receiver;

use super::control::{ControlError, ControlServer};
use super::recorder::{RecordError, Recorder, RecorderConfig, RecorderControl};
use apprentice_core::model::Segmentation;
use apprentice_core::segment;
use apprentice_core::store::{Library, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Control(#[from] ControlError),
}

/// A running recording, served on the control socket until [`RecordingSession::stop`].
pub struct RecordingSession {
    recorder: Recorder,
    server: ControlServer,
    stop_requests: Receiver<()>,
    library: PathBuf,
}

/// A session that has stopped.
pub struct Stopped {
    pub id: String,
    /// The recording's steps, or why segmenting failed (the recording itself is saved either
    /// way; `apprentice segment ID` can try again).
    pub segmentation: Result<Segmentation, StoreError>,
}

impl RecordingSession {
    /// Starts a recorder in `lib` and serves it on `lib`'s control socket.
    pub fn start(lib: &Library, config: RecorderConfig) -> Result<RecordingSession, SessionError> {
        let recorder = Recorder::start(lib, config)?;
        let (stop_tx, stop_requests) = crossbeam_channel::bounded(1);
        let server = match ControlServer::bind(&lib.control_socket(), recorder.control(), stop_tx) {
            Ok(s) => s,
            Err(e) => {
                // Without its socket nothing could stop it from outside: stop it now, keep what it has.
                let _ = recorder.stop();
                return Err(e.into());
            }
        };
        Ok(RecordingSession { recorder, server, stop_requests, library: lib.root().to_path_buf() })
    }

    pub fn id(&self) -> &str {
        self.recorder.id()
    }

    pub fn control(&self) -> RecorderControl {
        self.recorder.control()
    }

    /// Receives once when a Stop came over the control socket (`apprentice stop`).
    pub fn stop_requests(&self) -> &Receiver<()> {
        &self.stop_requests
    }

    /// Stops the recorder, closes the control socket, and segments the recording.
    pub fn stop(self) -> Result<Stopped, SessionError> {
        let RecordingSession { recorder, server, library, .. } = self;
        let id = recorder.stop();
        drop(server);
        let id = id?;
        let segmentation = Library::open(&library).and_then(|lib| segment::segment_recording(&lib, &id));
        Ok(Stopped { id, segmentation })
    }
}
