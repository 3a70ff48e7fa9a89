//! The one thread that writes a recording's rows. Everything captured arrives here as a
//! [`WriteOp`] on a bounded channel and is committed in batches at least every
//! [`COMMIT_INTERVAL`], so a crash (even `kill -9`) loses at most that much. Each commit also
//! advances the recording's duration and health, which is what recovery trusts after a crash.
//! A write that fails (full disk, vanished directory) stops the writer and is reported through
//! [`WriterHandle::failure`]; whatever was committed before stays.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use rusqlite::{params, Connection};

use super::{open_connection, StoreError};
use crate::model::*;
use crate::provenance::chain::{self, ChainRow};
use crate::provenance::keys::StationKey;
use crate::provenance::seal::SealKind;

/// How often buffered rows are committed: the most a crash can lose.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(250);
const MAX_BATCH: usize = 5_000;
const QUEUE: usize = 100_000;

#[derive(Debug)]
pub enum WriteOp {
    Input(InputEvent),
    Window(WindowEvent),
    Note(Note),
    Marker(Marker),
    /// A focus change or a press target from the accessibility bus.
    Accessibility(A11yEvent),
    Frame(Frame),
    Audio(AudioChunk),
    PauseStart(Micros),
    PauseEnd(Micros),
    /// The recording is alive at `now`; `health` is the latest snapshot.
    Heartbeat {
        now: Micros,
        health: Health,
    },
    /// Final state; the writer commits and exits after it.
    Finish {
        status: RecordingStatus,
        duration: Micros,
        health: Health,
        error: Option<String>,
    },
}

#[derive(Clone)]
pub struct WriterHandle {
    tx: Sender<WriteOp>,
    failure: Arc<Mutex<Option<String>>>,
}

impl WriterHandle {
    /// Queues an op. False if the writer has stopped (see [`Self::failure`]).
    pub fn send(&self, op: WriteOp) -> bool {
        self.tx.send(op).is_ok()
    }
    pub fn queue_len(&self) -> usize {
        self.tx.len()
    }
    /// A handle whose ops land on the returned receiver instead of a library: for testing a
    /// producer (a capture source) alone.
    pub fn detached() -> (WriterHandle, Receiver<WriteOp>) {
        let (tx, rx) = bounded(QUEUE);
        (WriterHandle { tx, failure: Arc::new(Mutex::new(None)) }, rx)
    }
    /// Why the writer stopped, if it failed.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}

pub struct Writer;

impl Writer {
    /// A writer whose recording is not sealed at stop (tests, benchmarks, imports).
    pub fn spawn(db_path: PathBuf, recording_id: String) -> Result<(WriterHandle, JoinHandle<()>), StoreError> {
        Self::spawn_sealed(db_path, recording_id, None)
    }

    /// A writer that seals the recording with `key` when it finishes (see [`super::sealing`]).
    pub fn spawn_sealed(db_path: PathBuf, recording_id: String, key: Option<Arc<StationKey>>) -> Result<(WriterHandle, JoinHandle<()>), StoreError> {
        let conn = open_connection(&db_path)?;
        let (tx, rx) = bounded(QUEUE);
        let failure = Arc::new(Mutex::new(None));
        let handle = WriterHandle { tx, failure: failure.clone() };
        let join = std::thread::Builder::new()
            .name("apprentice-writer".into())
            .spawn(move || {
                if let Err(e) = run(&conn, &db_path, &recording_id, rx, key.as_deref()) {
                    tracing::error!(error = %e, "writer stopped");
                    if let Ok(mut f) = failure.lock() {
                        *f = Some(e.to_string());
                    }
                }
            })
            .map_err(|e| StoreError::io(std::path::Path::new("writer thread"), e))?;
        Ok((handle, join))
    }
}

/// Set (to anything) in a benchmark's environment, the writer keeps no capture chain, so the
/// recorder's CPU can be measured with and without it in one run. Such a recording fails
/// `verify`: this exists for measurement, never for use.
pub const BENCH_UNCHAINED_ENV: &str = "APPRENTICE_BENCH_UNCHAINED";

fn run(conn: &Connection, db_path: &std::path::Path, id: &str, rx: Receiver<WriteOp>, key: Option<&StationKey>) -> Result<(), StoreError> {
    // The chain continues from what the library holds (a writer starts on a new recording).
    let mut chain = Chain::load(conn, id).map_err(|e| StoreError::db(db_path, e))?;
    chain.enabled = std::env::var_os(BENCH_UNCHAINED_ENV).is_none();
    if !chain.enabled {
        tracing::warn!(recording = id, "{BENCH_UNCHAINED_ENV} is set: this recording keeps no capture chain and will not verify");
    }
    let mut batch: Vec<WriteOp> = Vec::with_capacity(1024);
    loop {
        let deadline = Instant::now() + COMMIT_INTERVAL;
        let mut finished = false;
        let mut disconnected = false;
        while batch.len() < MAX_BATCH {
            match rx.recv_deadline(deadline) {
                Ok(op) => {
                    finished = matches!(op, WriteOp::Finish { .. });
                    batch.push(op);
                    if finished {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            commit(conn, id, &batch, &mut chain, key).map_err(|e| StoreError::db(db_path, e))?;
            batch.clear();
        }
        if finished || disconnected {
            // Fold the WAL into the database so a finished recording is one compact file.
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            return Ok(());
        }
    }
}

/// Where the capture chain stands: its last link and the next batch's number.
struct Chain {
    prev: [u8; 32],
    seq: u64,
    /// False only under [`BENCH_UNCHAINED_ENV`].
    enabled: bool,
}

impl Chain {
    fn load(conn: &Connection, id: &str) -> rusqlite::Result<Chain> {
        let (head, batches) = super::sealing::chain_head(conn, id)?;
        let prev = crate::provenance::unhex(&head).and_then(|b| <[u8; 32]>::try_from(b).ok()).unwrap_or_else(|| chain::genesis(id));
        Ok(Chain { prev, seq: batches, enabled: true })
    }

    /// Extends the chain by the rows of `batch` (a batch with none adds no link).
    fn extend(&mut self, tx: &Connection, id: &str, batch: &[WriteOp]) -> rusqlite::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let rows = chain::group(batch.iter().filter_map(|op| match op {
            WriteOp::Input(e) => Some(ChainRow::Input(e)),
            WriteOp::Window(w) => Some(ChainRow::Window(w)),
            WriteOp::Note(n) => Some(ChainRow::Note(n)),
            WriteOp::Marker(m) => Some(ChainRow::Marker(m)),
            WriteOp::Frame(f) => Some(ChainRow::Frame(f)),
            WriteOp::Audio(a) => Some(ChainRow::Audio(a)),
            _ => None,
        }));
        let (link, c, digests) = chain::link(&self.prev, &rows);
        if c.total() == 0 {
            return Ok(());
        }
        let digests: std::collections::BTreeMap<_, _> = digests.iter().map(|(s, d)| (*s, crate::provenance::hex(d))).collect();
        let digests = serde_json::to_string(&digests).unwrap_or_default();
        tx.execute(
            "INSERT INTO capture_chain (recording_id, seq, input, window, notes, markers, frames, audio, link, digests) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            params![id, self.seq as i64, c.input as i64, c.window as i64, c.notes as i64, c.markers as i64, c.frames as i64, c.audio as i64, crate::provenance::hex(&link), digests],
        )?;
        (self.prev, self.seq) = (link, self.seq + 1);
        Ok(())
    }
}

fn commit(conn: &Connection, id: &str, batch: &[WriteOp], chain: &mut Chain, key: Option<&StationKey>) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    // If the transaction fails the chain must not have moved: extend a copy.
    let mut next = Chain { prev: chain.prev, seq: chain.seq, enabled: chain.enabled };
    next.extend(&tx, id, batch)?;
    let mut sealed_as = None;
    let mut latest: Micros = 0;
    {
        let mut input =
            tx.prepare_cached("INSERT INTO input_events (recording_id, t_us, kind, x, y, button, key, code, text, dx, dy, modifiers, origin) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)")?;
        let mut window = tx.prepare_cached("INSERT INTO window_events (recording_id, t_us, window_id, app, title, x, y, width, height, excluded) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")?;
        let mut frame =
            tx.prepare_cached("INSERT OR REPLACE INTO frames (recording_id, seq, t_us, display_id, width, height, reason, encoding, sha256, bytes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")?;
        for op in batch {
            match op {
                WriteOp::Input(e) => {
                    latest = latest.max(e.t);
                    input.execute(params![id, e.t as i64, e.kind.as_str(), e.x, e.y, e.button, e.key, e.code, e.text, e.dx, e.dy, e.modifiers.0, e.origin.as_str()])?;
                }
                WriteOp::Window(w) => {
                    latest = latest.max(w.t);
                    window.execute(params![id, w.t as i64, w.window_id, w.app, w.title, w.bounds.x, w.bounds.y, w.bounds.width, w.bounds.height, w.excluded])?;
                }
                WriteOp::Frame(f) => {
                    latest = latest.max(f.t);
                    let enc = serde_json::to_string(&f.encoding).unwrap_or_else(|_| "{\"kind\":\"key\"}".into());
                    frame.execute(params![id, f.seq as i64, f.t as i64, f.display, f.width, f.height, f.reason.as_str(), enc, f.sha256, f.bytes as i64])?;
                }
                WriteOp::Audio(a) => {
                    latest = latest.max(a.t1);
                    tx.prepare_cached("INSERT OR REPLACE INTO audio_chunks (recording_id, t0_us, t1_us, sample_rate, samples, flac) VALUES (?1,?2,?3,?4,?5,?6)")?.execute(params![
                        id,
                        a.t0 as i64,
                        a.t1 as i64,
                        a.sample_rate,
                        a.samples,
                        a.flac
                    ])?;
                }
                WriteOp::Note(n) => {
                    latest = latest.max(n.t);
                    let source = match n.source {
                        NoteSource::Typed => "typed",
                        NoteSource::Spoken => "spoken",
                    };
                    tx.execute("INSERT INTO notes (recording_id, t_us, text, source) VALUES (?1,?2,?3,?4)", params![id, n.t as i64, n.text, source])?;
                }
                WriteOp::Accessibility(a) => {
                    latest = latest.max(a.t);
                    let element = serde_json::to_string(&a.element).unwrap_or_default();
                    tx.prepare_cached("INSERT INTO a11y_events (recording_id, t_us, kind, element) VALUES (?1,?2,?3,?4)")?.execute(params![id, a.t as i64, a.kind.as_str(), element])?;
                }
                WriteOp::Marker(m) => {
                    latest = latest.max(m.t);
                    tx.execute("INSERT INTO markers (recording_id, t_us, kind, label) VALUES (?1,?2,?3,?4)", params![id, m.t as i64, m.kind.as_str(), m.label])?;
                }
                WriteOp::PauseStart(t) => {
                    latest = latest.max(*t);
                    tx.execute("INSERT OR IGNORE INTO pauses (recording_id, t0_us, t1_us) VALUES (?1, ?2, NULL)", params![id, *t as i64])?;
                    tx.execute("UPDATE recordings SET status = 'paused' WHERE id = ?1", [id])?;
                }
                WriteOp::PauseEnd(t) => {
                    latest = latest.max(*t);
                    tx.execute("UPDATE pauses SET t1_us = ?2 WHERE recording_id = ?1 AND t1_us IS NULL", params![id, *t as i64])?;
                    tx.execute("UPDATE recordings SET status = 'recording' WHERE id = ?1", [id])?;
                }
                WriteOp::Heartbeat { now, health } => {
                    latest = latest.max(*now);
                    tx.execute("UPDATE recordings SET health = ?2 WHERE id = ?1", params![id, serde_json::to_string(health).ok()])?;
                }
                WriteOp::Finish { status, duration, health, error } => {
                    latest = latest.max(*duration);
                    tx.execute("UPDATE pauses SET t1_us = ?2 WHERE recording_id = ?1 AND t1_us IS NULL", params![id, *duration as i64])?;
                    tx.execute("UPDATE recordings SET status = ?2, health = ?3, error = COALESCE(?4, error) WHERE id = ?1", params![id, status.as_str(), serde_json::to_string(health).ok(), error])?;
                    sealed_as = Some(if *status == RecordingStatus::Finished { SealKind::Finished } else { SealKind::Interrupted });
                }
            }
        }
    }
    tx.execute("UPDATE recordings SET duration_us = MAX(duration_us, ?2) WHERE id = ?1", params![id, latest as i64])?;
    if let (Some(kind), Some(key)) = (sealed_as, key) {
        super::sealing::seal(&tx, id, kind, key)?;
    }
    tx.commit()?;
    *chain = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Library;

    #[test]
    fn ops_are_committed_within_the_commit_interval_without_finish() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&crate::store::tests::sample_recording("w1")).unwrap();
        // Held as a live recorder holds it, so re-opening the library does not recover it.
        let _lock = crate::store::RecorderLock::try_acquire(&lib.lock_path("w1")).unwrap().unwrap();
        let (w, _join) = Writer::spawn(lib.db_path(), "w1".into()).unwrap();
        w.send(WriteOp::Note(Note { t: 10, text: "why".into(), source: NoteSource::Typed }));
        w.send(WriteOp::Marker(Marker { t: 20, kind: MarkerKind::Mistake, label: None }));
        w.send(WriteOp::PauseStart(30));
        std::thread::sleep(COMMIT_INTERVAL * 3);
        // Read through a separate connection, as a crash-recovering process would.
        let lib2 = Library::open(dir.path()).unwrap();
        assert_eq!(lib2.notes("w1").unwrap()[0].text, "why");
        assert_eq!(lib2.markers("w1").unwrap()[0].kind, MarkerKind::Mistake);
        let rec = lib2.recording("w1").unwrap();
        assert_eq!(rec.status, RecordingStatus::Paused);
        assert_eq!(rec.duration_us, 30);
        assert_eq!(rec.pauses, vec![Pause { t0: 30, t1: None }]);
    }
}
