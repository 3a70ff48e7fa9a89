//! Sending in the background: a loop that pushes the library's queued recordings whenever it is
//! woken (a recording was queued) and every [`INTERVAL`] otherwise, for as long as its owner
//! runs it (the desktop app; `apprentice sync run` on a headless station). Each round is one
//! push of the queue with a short retry, so a hub that is away only delays the next round.
//! Not its job: the push itself ([`crate::push`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::push::{self, PushOptions, PushReport};
use crate::{config, station_key, Result};
use apprentice_core::store::upload_queue::QueueState;
use apprentice_core::store::Library;

/// How often the queue is tried without being woken.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// The queue as the panel shows it.
#[derive(Debug, Clone, Default, Serialize, specta::Type)]
pub struct SyncSummary {
    /// The hub this station joined, if any.
    pub hub: Option<String>,
    pub queued: u32,
    pub sent: u32,
    pub refused: u32,
    /// The latest error of a recording still queued or refused.
    pub last_error: Option<String>,
}

pub fn summary(lib: &Library) -> Result<SyncSummary> {
    let queue = lib.upload_queue()?;
    let count = |s: QueueState| queue.iter().filter(|q| q.state == s).count() as u32;
    Ok(SyncSummary {
        hub: config::load()?.map(|c| c.hub),
        queued: count(QueueState::Queued),
        sent: count(QueueState::Sent),
        refused: count(QueueState::Refused),
        last_error: queue.iter().rev().filter(|q| q.state != QueueState::Sent).find_map(|q| q.last_error.clone()),
    })
}

/// One round: push what is queued, if this station joined a hub (else nothing).
pub fn round(library: &std::path::Path, options: &PushOptions) -> Result<Vec<PushReport>> {
    let Some(_) = config::load()? else { return Ok(vec![]) };
    let cfg = config::required()?;
    let lib = Library::open(library)?;
    if lib.upload_queue_depth()? == 0 {
        return Ok(vec![]);
    }
    push::push(&lib, &cfg, &station_key()?, &[], options, &mut |_| {})
}

/// Runs rounds until `stop` is set: at once, whenever `wake` receives, and every [`INTERVAL`].
pub fn run(library: PathBuf, wake: Receiver<()>, stop: Arc<AtomicBool>) {
    let options = PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(5) };
    while !stop.load(Ordering::Relaxed) {
        match round(&library, &options) {
            Ok(reports) => {
                for r in reports {
                    match &r.error {
                        None => tracing::info!(recording = %r.recording_id, files = r.files_sent, bytes = r.bytes_sent, "sent to the hub"),
                        Some(e) => tracing::warn!(recording = %r.recording_id, state = r.state.as_str(), error = %e, "not sent to the hub"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "background sync round failed"),
        }
        match wake.recv_timeout(INTERVAL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
