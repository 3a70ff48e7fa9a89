//! The library: a SQLite index (WAL) of recordings and their raw streams, plus content-addressed
//! media files, in one directory (default `$XDG_DATA_HOME/apprentice`). Opening a library applies
//! numbered migrations and recovers recordings whose recorder died (they become `interrupted`).
//! Reading is done here; writing during a recording goes through the single [`writer`] thread.
//! Not here: capture (see `capture/`), segmentation, export.

pub mod audio;
pub mod audio_codec;
pub mod frame_cache;
pub mod frame_codec;
pub mod frame_renderer;
pub mod media;
pub mod portable;
pub mod preflight;
pub mod private;
mod review;
mod sealing;
pub mod upload_queue;
pub mod writer;

use std::fs::{self, File};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use image::RgbImage;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::model::*;
pub use frame_renderer::FrameRenderer;
pub use media::MediaStore;

/// Numbered migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_segmentation.sql"),
    include_str!("migrations/0003_review.sql"),
    include_str!("migrations/0004_audio.sql"),
    include_str!("migrations/0005_audit_ids.sql"),
    include_str!("migrations/0006_provenance.sql"),
    include_str!("migrations/0007_signed_review.sql"),
    include_str!("migrations/0008_input_origin.sql"),
    include_str!("migrations/0009_hub.sql"),
    include_str!("migrations/0010_rubrics.sql"),
    include_str!("migrations/0011_comparisons.sql"),
    include_str!("migrations/0012_accessibility.sql"),
    include_str!("migrations/0013_privacy_policy.sql"),
];

const DB_FILE: &str = "library.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("library database {path}: {cause}")]
    Db { path: PathBuf, cause: rusqlite::Error },
    #[error("{path} is corrupt: {reason} (nothing was changed; keep a copy before repairing)")]
    Corrupt { path: PathBuf, reason: String },
    #[error("the library at {path} was written by a newer Apprentice (schema {found}, this build knows {known})")]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("no recording matches '{0}'")]
    NotFound(String),
    #[error("'{0}' matches more than one recording; give more of the id")]
    Ambiguous(String),
    #[error("the disk holding {path} is full: recording stopped, everything written so far is kept")]
    DiskFull { path: PathBuf },
    #[error("could not encode a frame: {0}")]
    Encode(String),
    #[error("recording {0} is still being recorded; stop it first")]
    Busy(String),
    #[error("audio: {0}")]
    Audio(String),
    #[error("recording {recording} has no utterance starting at {t0_us} µs")]
    NoUtterance { recording: String, t0_us: Micros },
    #[error("recording {recording} has no frame {seq}")]
    NoFrame { recording: String, seq: u64 },
}

impl StoreError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(libc::ENOSPC) {
            return StoreError::DiskFull { path: path.to_path_buf() };
        }
        StoreError::Io { path: path.to_path_buf(), cause: source }
    }

    fn db(path: &Path, source: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        if let rusqlite::Error::FromSqlConversionFailure(_, _, reason) = &source {
            return StoreError::Corrupt { path: path.to_path_buf(), reason: reason.to_string() };
        }
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path: path.to_path_buf(), reason: source.to_string() },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path: path.to_path_buf() },
            _ => StoreError::Db { path: path.to_path_buf(), cause: source },
        }
    }
}

/// A stored value that does not read back is a corrupt row: an error that names the row and the
/// value (it becomes [`StoreError::Corrupt`]), never a guessed default.
fn parse_column<T>(r: &rusqlite::Row, col: usize, parse: impl FnOnce(&str) -> Option<T>, row: impl FnOnce() -> String) -> rusqlite::Result<T> {
    let value: String = r.get(col)?;
    parse(&value).ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, format!("{}: unreadable value {value:?}", row()).into()))
}

/// A row of `apprentice list`.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RecordingSummary {
    pub id: String,
    pub task: String,
    pub task_id: Option<String>,
    pub status: RecordingStatus,
    pub started_at: String,
    pub duration_us: Micros,
    pub outcome: Outcome,
    /// Steps of the stored segmentation (None: never segmented).
    pub steps: Option<u32>,
    /// The reviewer's verdict, once one was given.
    pub verdict: Option<Verdict>,
}

/// What `apprentice info` shows.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingInfo {
    #[serde(flatten)]
    pub recording: Recording,
    pub counts: Counts,
    pub health: Option<Health>,
    /// Bytes of media files this recording references, as stored (shared files counted once).
    pub media_bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub frames: u64,
    pub key_frames: u64,
    pub input_events: u64,
    pub window_events: u64,
    pub notes: u64,
    pub markers: u64,
    pub pauses: u64,
}

pub struct Library {
    root: PathBuf,
    conn: Connection,
    media: MediaStore,
    /// This user's station key, loaded when first needed (to seal a recovered recording, to
    /// sign a review change); None when there is none to be had.
    signer: std::sync::OnceLock<Option<std::sync::Arc<crate::provenance::keys::StationKey>>>,
}

impl Library {
    /// `$APPRENTICE_LIBRARY`, else `$XDG_DATA_HOME/apprentice` (usually ~/.local/share/apprentice).
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("APPRENTICE_LIBRARY") {
            return PathBuf::from(dir);
        }
        dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("apprentice")
    }

    /// Opens (creating if needed) the library at `root`, migrates it and recovers recordings
    /// whose recorder is gone.
    pub fn open(root: impl Into<PathBuf>) -> Result<Library, StoreError> {
        let root = root.into();
        make_private(&root, &["media", "locks", "logs"])?;
        let conn = open_connection(&root.join(DB_FILE))?;
        let lib = Library { media: MediaStore::new(root.join("media")), root, conn, signer: std::sync::OnceLock::new() };
        lib.migrate()?;
        lib.recover_interrupted()?;
        Ok(lib)
    }

    /// Opens a library that came from elsewhere (a recording a station sent, see [`portable`]):
    /// migrated, but nothing recovered or sealed, and it never signs (it is not this machine's).
    pub fn open_received(root: impl Into<PathBuf>) -> Result<Library, StoreError> {
        let root = root.into();
        make_private(&root, &["media"])?;
        let conn = open_connection(&root.join(DB_FILE))?;
        let signer = std::sync::OnceLock::new();
        let _ = signer.set(None);
        let lib = Library { media: MediaStore::new(root.join("media")), root, conn, signer };
        lib.migrate()?;
        Ok(lib)
    }

    /// This user's station key (made on first use), or None, said once in the log, when it
    /// cannot be had: what seals recordings, signs review changes and export manifests.
    pub fn signer(&self) -> Option<&std::sync::Arc<crate::provenance::keys::StationKey>> {
        self.signer
            .get_or_init(|| match crate::provenance::keys::StationKey::load_or_create_default() {
                Ok(k) => Some(std::sync::Arc::new(k)),
                Err(e) => {
                    tracing::warn!(error = %e, "no station key: seals, review changes and export manifests will not be signed");
                    None
                }
            })
            .as_ref()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }
    pub fn media(&self) -> &MediaStore {
        &self.media
    }
    /// Where a running recorder listens for control commands.
    pub fn control_socket(&self) -> PathBuf {
        self.root.join("recorder.sock")
    }
    pub fn lock_path(&self, id: &str) -> PathBuf {
        self.root.join("locks").join(format!("{id}.lock"))
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::db(&self.db_path(), e)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let version: u32 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| self.err(e))?;
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::TooNew { path: self.db_path(), found: version, known: MIGRATIONS.len() as u32 });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let batch = format!("BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1);
            self.conn.execute_batch(&batch).map_err(|e| {
                let _ = self.conn.execute_batch("ROLLBACK");
                self.err(e)
            })?;
        }
        Ok(())
    }

    /// A live recording whose lock nobody holds has lost its recorder: mark it interrupted, with
    /// its duration taken from the last thing that reached disk.
    fn recover_interrupted(&self) -> Result<(), StoreError> {
        let live: Vec<String> = {
            let mut stmt = self.conn.prepare("SELECT id FROM recordings WHERE status IN ('recording','paused')").map_err(|e| self.err(e))?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        for id in live {
            let lock_path = self.lock_path(&id);
            let Some(_lock) = RecorderLock::try_acquire(&lock_path)? else { continue };
            let last: i64 = self
                .conn
                .query_row(
                    "SELECT MAX(t) FROM (
                        SELECT duration_us AS t FROM recordings WHERE id = ?1
                        UNION ALL SELECT MAX(t_us) FROM frames WHERE recording_id = ?1
                        UNION ALL SELECT MAX(t_us) FROM input_events WHERE recording_id = ?1
                        UNION ALL SELECT MAX(t_us) FROM window_events WHERE recording_id = ?1
                        UNION ALL SELECT MAX(t_us) FROM notes WHERE recording_id = ?1
                        UNION ALL SELECT MAX(t_us) FROM markers WHERE recording_id = ?1)",
                    [&id],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .map_err(|e| self.err(e))?
                .unwrap_or(0);
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .and_then(|_| self.conn.execute("UPDATE pauses SET t1_us = ?2 WHERE recording_id = ?1 AND t1_us IS NULL", params![id, last]))
                .and_then(|_| {
                    self.conn.execute(
                        "UPDATE recordings SET status = 'interrupted', duration_us = ?2,
                         error = COALESCE(error, 'the recorder stopped unexpectedly; recovered what reached disk') WHERE id = ?1",
                        params![id, last],
                    )
                })
                .and_then(|_| self.conn.execute_batch("COMMIT"))
                .map_err(|e| self.err(e))?;
            tracing::warn!(recording = %id, duration_us = last, "recovered interrupted recording");
            // Sealed as interrupted, vouching for what reached disk, by this user's station key.
            match self.signer() {
                Some(key) => sealing::seal(&self.conn, &id, crate::provenance::seal::SealKind::Interrupted, key).map_err(|e| self.err(e))?,
                None => tracing::warn!(recording = %id, "recovered recording left unsealed: no station key"),
            }
            drop(_lock);
            let _ = fs::remove_file(&lock_path);
        }
        Ok(())
    }

    pub fn create_recording(&self, rec: &Recording) -> Result<(), StoreError> {
        let env = serde_json::to_string(&rec.environment).map_err(|e| StoreError::Encode(e.to_string()))?;
        self.conn
            .execute(
                "INSERT INTO recordings (id, task_id, instruction, expert_id, status, started_at, duration_us, environment, outcome, campaign)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, 'unknown', ?8)",
                params![rec.id, rec.task.id, rec.task.instruction, rec.expert_id, rec.status.as_str(), rec.started_at, env, rec.task.campaign],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn set_outcome(&self, id: &str, outcome: Outcome, note: Option<&str>) -> Result<(), StoreError> {
        let id = self.resolve_id(id)?;
        self.conn.execute("UPDATE recordings SET outcome = ?2, outcome_note = ?3 WHERE id = ?1", params![id, outcome.as_str(), note]).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// What the recording does with secrets found in its text (set when it starts).
    pub fn privacy_policy(&self, id: &str) -> Result<PrivacyPolicy, StoreError> {
        let id = self.resolve_id(id)?;
        let value: String = self.conn.query_row("SELECT privacy_policy FROM recordings WHERE id = ?1", [&id], |r| r.get(0)).map_err(|e| self.err(e))?;
        PrivacyPolicy::parse(&value).ok_or_else(|| StoreError::Corrupt { path: self.db_path(), reason: format!("the privacy policy of recording {id} is {value:?}") })
    }

    pub fn set_privacy_policy(&self, id: &str, policy: PrivacyPolicy) -> Result<(), StoreError> {
        let id = self.resolve_id(id)?;
        self.conn.execute("UPDATE recordings SET privacy_policy = ?2 WHERE id = ?1", params![id, policy.as_str()]).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Deletes a recording, its streams, segmentation and review, and the media files no other
    /// recording uses. A recording still being recorded is refused.
    pub fn delete_recording(&self, id: &str) -> Result<(), StoreError> {
        let rec = self.recording(id)?;
        if rec.status.is_live() {
            return Err(StoreError::Busy(rec.id));
        }
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let orphans: Vec<String> = {
            let mut stmt = tx
                .prepare("SELECT DISTINCT sha256 FROM frames f WHERE recording_id = ?1 AND NOT EXISTS (SELECT 1 FROM frames o WHERE o.sha256 = f.sha256 AND o.recording_id <> ?1)")
                .map_err(|e| self.err(e))?;
            let rows = stmt.query_map([&rec.id], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        // Media is content-addressed, and a recorder that finds a frame's file already there
        // writes only its row, in its next batch. While any recording is live, a file no row
        // references yet may be one it is about to reference: keep them all (unreferenced files
        // cost disk, never data).
        let live: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM recordings WHERE status IN ('recording', 'paused') AND id <> ?1)", [&rec.id], |r| r.get(0)).map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM recordings WHERE id = ?1", [&rec.id]).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        if live {
            tracing::info!(recording = %rec.id, files = orphans.len(), "deleted while another recording is live: its media files are kept");
            return Ok(());
        }
        // Media goes after the rows: a crash in between leaves unreferenced files, never rows
        // pointing at missing ones.
        for sha in orphans {
            let path = self.media.path_of(&sha, "webp");
            if let Err(e) = fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(StoreError::io(&path, e));
                }
            }
        }
        Ok(())
    }

    /// Full id from a unique prefix (ids are long; people paste the first few characters).
    pub fn resolve_id(&self, prefix: &str) -> Result<String, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id FROM recordings WHERE id LIKE ?1 || '%' LIMIT 2").map_err(|e| self.err(e))?;
        let ids: Vec<String> = stmt.query_map([prefix], |r| r.get(0)).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        match ids.len() {
            0 => Err(StoreError::NotFound(prefix.to_string())),
            1 => Ok(ids.into_iter().next().unwrap_or_default()),
            _ => Err(StoreError::Ambiguous(prefix.to_string())),
        }
    }

    pub fn list(&self) -> Result<Vec<RecordingSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.id, r.instruction, r.task_id, r.status, r.started_at, r.duration_us, r.outcome,
                        (SELECT COUNT(*) FROM steps s WHERE s.recording_id = r.id), g.recording_id IS NOT NULL, v.verdict
                 FROM recordings r LEFT JOIN segmentations g ON g.recording_id = r.id LEFT JOIN trajectory_reviews v ON v.recording_id = r.id
                 ORDER BY r.started_at DESC, r.id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let id: String = r.get(0)?;
                let verdict = match r.get::<_, Option<String>>(9)? {
                    Some(_) => Some(parse_column(r, 9, Verdict::parse, || format!("the verdict of recording {id}"))?),
                    None => None,
                };
                Ok(RecordingSummary {
                    task: r.get(1)?,
                    task_id: r.get(2)?,
                    status: parse_column(r, 3, RecordingStatus::parse, || format!("the status of recording {id}"))?,
                    started_at: r.get(4)?,
                    duration_us: r.get::<_, i64>(5)? as u64,
                    outcome: parse_column(r, 6, Outcome::parse, || format!("the outcome of recording {id}"))?,
                    steps: r.get::<_, bool>(8)?.then_some(r.get::<_, u32>(7)?),
                    verdict,
                    id,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn recording(&self, id: &str) -> Result<Recording, StoreError> {
        let id = self.resolve_id(id)?;
        let (rec, env) = self
            .conn
            .query_row("SELECT id, task_id, instruction, expert_id, status, started_at, duration_us, environment, outcome, outcome_note, error, campaign FROM recordings WHERE id = ?1", [&id], |r| {
                let env: String = r.get(7)?;
                Ok((
                    Recording {
                        id: r.get(0)?,
                        task: Task { id: r.get(1)?, instruction: r.get(2)?, campaign: r.get(11)? },
                        expert_id: r.get(3)?,
                        status: parse_column(r, 4, RecordingStatus::parse, || format!("the status of recording {id}"))?,
                        started_at: r.get(5)?,
                        duration_us: r.get::<_, i64>(6)? as u64,
                        environment: Environment {
                            os: String::new(),
                            os_version: String::new(),
                            display_server: String::new(),
                            displays: vec![],
                            keyboard_layout: String::new(),
                            recorder_version: String::new(),
                            capture_backend: String::new(),
                        },
                        pauses: vec![],
                        outcome: parse_column(r, 8, Outcome::parse, || format!("the outcome of recording {id}"))?,
                        outcome_note: r.get(9)?,
                        error: r.get(10)?,
                    },
                    env,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut rec = rec;
        rec.environment = serde_json::from_str(&env).map_err(|e| StoreError::Corrupt { path: self.db_path(), reason: format!("environment of {id}: {e}") })?;
        let mut stmt = self.conn.prepare("SELECT t0_us, t1_us FROM pauses WHERE recording_id = ?1 ORDER BY t0_us").map_err(|e| self.err(e))?;
        rec.pauses = stmt
            .query_map([&id], |r| Ok(Pause { t0: r.get::<_, i64>(0)? as u64, t1: r.get::<_, Option<i64>>(1)?.map(|t| t as u64) }))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rec)
    }

    pub fn info(&self, id: &str) -> Result<RecordingInfo, StoreError> {
        let recording = self.recording(id)?;
        let id = recording.id.clone();
        let count = |table: &str| -> Result<u64, StoreError> {
            self.conn.query_row(&format!("SELECT COUNT(*) FROM {table} WHERE recording_id = ?1"), [&id], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(|e| self.err(e))
        };
        let counts = Counts {
            frames: count("frames")?,
            key_frames: self.conn.query_row("SELECT COUNT(*) FROM frames WHERE recording_id = ?1 AND encoding LIKE '%\"key\"%'", [&id], |r| r.get::<_, i64>(0)).map_err(|e| self.err(e))? as u64,
            input_events: count("input_events")?,
            window_events: count("window_events")?,
            notes: count("notes")?,
            markers: count("markers")?,
            pauses: count("pauses")?,
        };
        let health: Option<String> = self.conn.query_row("SELECT health FROM recordings WHERE id = ?1", [&id], |r| r.get(0)).map_err(|e| self.err(e))?;
        let media_bytes: i64 =
            self.conn.query_row("SELECT COALESCE(SUM(bytes), 0) FROM (SELECT DISTINCT sha256, bytes FROM frames WHERE recording_id = ?1)", [&id], |r| r.get(0)).map_err(|e| self.err(e))?;
        let health = match health {
            Some(h) => Some(serde_json::from_str(&h).map_err(|e| StoreError::Corrupt { path: self.db_path(), reason: format!("the health of recording {id}: {e}") })?),
            None => None,
        };
        Ok(RecordingInfo { recording, counts, health, media_bytes: media_bytes as u64 })
    }

    /// A recording that is no longer being recorded (finished or interrupted): segmentation,
    /// review and export read only those, since a live one's streams are still growing.
    pub fn finished_recording(&self, id: &str) -> Result<Recording, StoreError> {
        let recording = self.recording(id)?;
        if recording.status.is_live() {
            return Err(StoreError::Busy(recording.id));
        }
        Ok(recording)
    }

    /// The raw streams of a finished recording, the one loader every reader uses.
    pub fn streams(&self, id: &str) -> Result<Streams, StoreError> {
        let id = self.finished_recording(id)?.id;
        Ok(Streams {
            input: self.input_events(&id)?,
            frames: self.frames(&id)?,
            windows: self.window_events(&id)?,
            notes: self.notes(&id)?,
            utterances: self.utterances(&id)?,
            markers: self.markers(&id)?,
            accessibility: self.accessibility(&id)?,
        })
    }

    /// The recording's accessibility context: focus changes and the elements under presses.
    pub fn accessibility(&self, id: &str) -> Result<Vec<A11yEvent>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self.conn.prepare("SELECT t_us, kind, element FROM a11y_events WHERE recording_id = ?1 ORDER BY t_us, rowid").map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                let t = r.get::<_, i64>(0)? as u64;
                let what = || format!("the accessibility event at {t} µs of recording {id}");
                let kind = parse_column(r, 1, A11yKind::parse, what)?;
                let element = parse_column(r, 2, |s| serde_json::from_str::<Element>(s).ok(), what)?;
                Ok(A11yEvent { t, kind, element })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn frames(&self, id: &str) -> Result<Vec<Frame>, StoreError> {
        self.frames_in_order(id, "t_us, seq")
    }

    /// As [`Self::frames`], in `order` (SQL over the table's columns and rowid).
    pub(crate) fn frames_in_order(&self, id: &str, order: &str) -> Result<Vec<Frame>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT seq, t_us, display_id, width, height, reason, encoding, sha256, bytes FROM frames WHERE recording_id = ?1 ORDER BY {order}"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                let seq = r.get::<_, i64>(0)? as u64;
                let row = |what: &str| format!("the {what} of frame {seq} of recording {id}");
                Ok(Frame {
                    seq,
                    t: r.get::<_, i64>(1)? as u64,
                    display: r.get::<_, i64>(2)? as u32,
                    width: r.get::<_, i64>(3)? as u32,
                    height: r.get::<_, i64>(4)? as u32,
                    reason: parse_column(r, 5, FrameReason::parse, || row("reason"))?,
                    // A delta atlas decoded as a whole frame would be silent corruption.
                    encoding: parse_column(r, 6, |e| serde_json::from_str(e).ok(), || row("encoding"))?,
                    sha256: r.get(7)?,
                    bytes: r.get::<_, i64>(8)? as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The full image of frame `seq`, rebuilt from its key frame and deltas.
    pub fn frame_image(&self, id: &str, seq: u64) -> Result<RgbImage, StoreError> {
        self.frame_renderer(id)?.render(seq).cloned()
    }

    /// A renderer over the recording's frames (see [`FrameRenderer`]): what every reader of full
    /// frames uses.
    pub fn frame_renderer(&self, id: &str) -> Result<FrameRenderer, StoreError> {
        let id = self.resolve_id(id)?;
        Ok(self.frame_renderer_over(&id, self.frames(&id)?))
    }

    /// A renderer over frames of recording `id` the caller already read.
    pub fn frame_renderer_over(&self, id: &str, frames: impl IntoIterator<Item = Frame>) -> FrameRenderer {
        FrameRenderer::new(id, self.db_path(), self.media.clone(), frames)
    }

    pub fn input_events(&self, id: &str) -> Result<Vec<InputEvent>, StoreError> {
        self.input_events_in_order(id, "t_us, rowid")
    }

    /// As [`Self::input_events`], in `order` (SQL over the table's columns and rowid).
    pub(crate) fn input_events_in_order(&self, id: &str, order: &str) -> Result<Vec<InputEvent>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT t_us, kind, x, y, button, key, code, text, dx, dy, modifiers, origin FROM input_events WHERE recording_id = ?1 ORDER BY {order}"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                let t = r.get::<_, i64>(0)? as u64;
                Ok(InputEvent {
                    t,
                    kind: parse_column(r, 1, InputKind::parse, || format!("the kind of the input event at {t} µs of recording {id}"))?,
                    x: r.get(2)?,
                    y: r.get(3)?,
                    button: r.get(4)?,
                    key: r.get(5)?,
                    code: r.get::<_, Option<i64>>(6)?.map(|c| c as u32),
                    text: r.get(7)?,
                    dx: r.get(8)?,
                    dy: r.get(9)?,
                    modifiers: Modifiers(r.get::<_, i64>(10)? as u8),
                    origin: parse_column(r, 11, InputOrigin::parse, || format!("the origin of the input event at {t} µs of recording {id}"))?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn window_events(&self, id: &str) -> Result<Vec<WindowEvent>, StoreError> {
        self.window_events_in_order(id, "t_us, rowid")
    }

    /// As [`Self::window_events`], in `order` (SQL over the table's columns and rowid).
    pub(crate) fn window_events_in_order(&self, id: &str, order: &str) -> Result<Vec<WindowEvent>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt =
            self.conn.prepare(&format!("SELECT t_us, window_id, app, title, x, y, width, height, excluded FROM window_events WHERE recording_id = ?1 ORDER BY {order}")).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                Ok(WindowEvent {
                    t: r.get::<_, i64>(0)? as u64,
                    window_id: r.get::<_, i64>(1)? as u32,
                    app: r.get(2)?,
                    title: r.get(3)?,
                    bounds: Rect { x: r.get(4)?, y: r.get(5)?, width: r.get::<_, i64>(6)? as u32, height: r.get::<_, i64>(7)? as u32 },
                    excluded: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn notes(&self, id: &str) -> Result<Vec<Note>, StoreError> {
        self.notes_in_order(id, "t_us, rowid")
    }

    /// As [`Self::notes`], in `order` (SQL over the table's columns and rowid).
    pub(crate) fn notes_in_order(&self, id: &str, order: &str) -> Result<Vec<Note>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self.conn.prepare(&format!("SELECT t_us, text, source FROM notes WHERE recording_id = ?1 ORDER BY {order}")).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                let t = r.get::<_, i64>(0)? as u64;
                let source = |s: &str| match s {
                    "typed" => Some(NoteSource::Typed),
                    "spoken" => Some(NoteSource::Spoken),
                    _ => None,
                };
                Ok(Note { t, text: r.get(1)?, source: parse_column(r, 2, source, || format!("the source of the note at {t} µs of recording {id}"))? })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn markers(&self, id: &str) -> Result<Vec<Marker>, StoreError> {
        self.markers_in_order(id, "t_us, rowid")
    }

    /// As [`Self::markers`], in `order` (SQL over the table's columns and rowid).
    pub(crate) fn markers_in_order(&self, id: &str, order: &str) -> Result<Vec<Marker>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self.conn.prepare(&format!("SELECT t_us, kind, label FROM markers WHERE recording_id = ?1 ORDER BY {order}")).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                let t = r.get::<_, i64>(0)? as u64;
                Ok(Marker { t, kind: parse_column(r, 1, MarkerKind::parse, || format!("the kind of the marker at {t} µs of recording {id}"))?, label: r.get(2)? })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

impl Library {
    /// Replaces the recording's segmentation (steps and quality) in one transaction.
    pub fn save_segmentation(&self, id: &str, seg: &Segmentation) -> Result<(), StoreError> {
        let json = |v: &dyn erased::Json| v.to_json().map_err(|e| StoreError::Encode(e.to_string()));
        let quality = json(&seg.quality)?;
        let created = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM steps WHERE recording_id = ?1", [id]).map_err(|e| self.err(e))?;
        tx.execute("INSERT OR REPLACE INTO segmentations (recording_id, rules_version, created_at, quality) VALUES (?1, ?2, ?3, ?4)", params![id, seg.rules_version, created, quality])
            .map_err(|e| self.err(e))?;
        {
            let mut stmt = tx.prepare("INSERT INTO steps (recording_id, idx, t_start_us, kind, data) VALUES (?1, ?2, ?3, ?4, ?5)").map_err(|e| self.err(e))?;
            for st in &seg.steps {
                stmt.execute(params![id, st.index, st.t_start as i64, st.action.kind.as_str(), json(st)?]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// The stored segmentation of a recording, if it was segmented.
    pub fn segmentation(&self, id: &str) -> Result<Option<Segmentation>, StoreError> {
        let id = self.resolve_id(id)?;
        let head: Option<(u32, String)> =
            self.conn.query_row("SELECT rules_version, quality FROM segmentations WHERE recording_id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(|e| self.err(e))?;
        let Some((rules_version, quality)) = head else { return Ok(None) };
        let corrupt = |e: serde_json::Error| StoreError::Corrupt { path: self.db_path(), reason: format!("segmentation of {id}: {e}") };
        let mut stmt = self.conn.prepare("SELECT data FROM steps WHERE recording_id = ?1 ORDER BY idx").map_err(|e| self.err(e))?;
        let rows: Vec<String> = stmt.query_map([&id], |r| r.get(0)).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        let steps = rows.iter().map(|r| serde_json::from_str(r)).collect::<Result<_, _>>().map_err(corrupt)?;
        Ok(Some(Segmentation { rules_version, steps, quality: serde_json::from_str(&quality).map_err(corrupt)? }))
    }
}

mod erased {
    /// Serialises any serde value (object-safe, so one closure serves several types).
    pub trait Json {
        fn to_json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}

/// The library folder `root` and its `subdirs` as owner-only folders, its database file too;
/// a library found readable by others is tightened whole, once (its root is tightened last).
fn make_private(root: &Path, subdirs: &[&str]) -> Result<(), StoreError> {
    let io = |p: &Path, e| StoreError::io(p, e);
    let existed = root.exists();
    if existed && private::is_loose(root).map_err(|e| io(root, e))? {
        let changed = private::tighten(root).map_err(|e| io(root, e))?;
        tracing::info!(library = %root.display(), changed, "the library was readable by others: made owner-only");
    }
    for dir in std::iter::once(root.to_path_buf()).chain(subdirs.iter().map(|d| root.join(d))) {
        private::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    let db = root.join(DB_FILE);
    private::create_if_missing(&db).map_err(|e| io(&db, e))
}

pub(crate) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| StoreError::db(path, e))?;
    // journal_mode is the first statement that reads the file: a non-database fails here,
    // before anything is written to it.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).map_err(|e| StoreError::db(path, e))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;").map_err(|e| StoreError::db(path, e))?;
    Ok(conn)
}

/// An exclusive advisory lock a recorder holds on its recording for as long as it runs. The
/// kernel drops it when the process dies, however it dies, which is how recovery tells a
/// crashed recorder from a running one.
pub struct RecorderLock {
    _file: File,
}

impl RecorderLock {
    /// None if another process holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<RecorderLock>, StoreError> {
        let file = {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new().create(true).truncate(false).write(true).mode(private::FILE_MODE).open(path).map_err(|e| StoreError::io(path, e))?
        };
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            Ok(Some(RecorderLock { _file: file }))
        } else {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                Ok(None)
            } else {
                Err(StoreError::io(path, err))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_recording(id: &str) -> Recording {
        Recording {
            id: id.into(),
            task: Task { id: Some("T-1".into()), instruction: "Rename the file".into(), campaign: None },
            expert_id: Some("expert-7".into()),
            status: RecordingStatus::Recording,
            started_at: "2026-11-23T10:00:00Z".into(),
            duration_us: 0,
            environment: Environment {
                os: "linux".into(),
                os_version: "test".into(),
                display_server: "x11".into(),
                displays: vec![],
                keyboard_layout: "us".into(),
                recorder_version: "0".into(),
                capture_backend: "test".into(),
            },
            pauses: vec![],
            outcome: Outcome::Unknown,
            outcome_note: None,
            error: None,
        }
    }

    #[test]
    fn open_migrates_and_round_trips_a_recording() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let rec = sample_recording("0190-abc");
        lib.create_recording(&rec).unwrap();
        let back = lib.recording("0190").unwrap();
        assert_eq!(back.task, rec.task);
        assert_eq!(back.environment, rec.environment);
        assert_eq!(lib.list().unwrap().len(), 1);
        drop(lib);
        // Re-opening does not re-run migrations (they would fail on existing tables).
        Library::open(dir.path()).unwrap();
    }

    #[test]
    fn a_live_recording_without_a_lock_holder_is_recovered_as_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&sample_recording("r1")).unwrap();
        lib.conn.execute("INSERT INTO notes VALUES ('r1', 4200000, 'hi', 'typed')", []).unwrap();
        lib.conn.execute("INSERT INTO pauses VALUES ('r1', 1000000, NULL)", []).unwrap();
        // While a recorder holds the lock, nothing is recovered.
        let held = RecorderLock::try_acquire(&lib.lock_path("r1")).unwrap().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        assert_eq!(lib.recording("r1").unwrap().status, RecordingStatus::Recording);
        drop(held);
        let lib2 = Library::open(dir.path()).unwrap();
        let rec = lib2.recording("r1").unwrap();
        assert_eq!(rec.status, RecordingStatus::Interrupted);
        assert_eq!(rec.duration_us, 4_200_000);
        assert_eq!(rec.pauses, vec![Pause { t0: 1_000_000, t1: Some(4_200_000) }]);
        drop(lib);
    }

    #[test]
    fn opening_the_library_again_never_costs_a_running_writer_its_commits() {
        // The desktop app opens the library for each command while its recorder writes, and
        // other processes (the CLI's `status`, `events`) open and close it too. Each of them must
        // go on seeing every commit: none may take itself for the database's last user.
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&sample_recording("r1")).unwrap();
        let (writer, join) = writer::Writer::spawn(lib.db_path(), "r1".into()).unwrap();
        let event = |t| WindowEvent { t, window_id: 7, app: "app".into(), title: format!("window {t}"), bounds: Rect { x: 0, y: 0, width: 10, height: 10 }, excluded: false };
        let seen_elsewhere = || {
            let out = std::process::Command::new("python3")
                .args(["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute('SELECT COUNT(*) FROM window_events').fetchone()[0]); c.close()"])
                .arg(lib.db_path())
                .output()
                .expect("python3");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().parse::<usize>().unwrap()
        };
        let wait_for = |n: usize| {
            let start = std::time::Instant::now();
            loop {
                let seen = seen_elsewhere();
                if seen == n {
                    return;
                }
                assert!(start.elapsed() < std::time::Duration::from_secs(30), "another process sees {seen} of the {n} window events committed");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        };
        assert!(writer.send(writer::WriteOp::Window(event(1))));
        wait_for(1);
        // This process opens the library again, then another process opens and closes it.
        drop(Library::open(dir.path()).unwrap());
        assert_eq!(seen_elsewhere(), 1);
        assert!(dir.path().join(format!("{DB_FILE}-wal")).exists(), "the other process took itself for the last user and removed the WAL the writer still writes to");
        assert!(writer.send(writer::WriteOp::Window(event(2))));
        wait_for(2);
        drop(writer);
        join.join().unwrap();
        assert_eq!(lib.window_events("r1").unwrap().len(), 2);
    }

    #[test]
    fn a_corrupt_database_is_reported_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = b"this is not a database, it is an expert's hours of work".repeat(100);
        fs::write(dir.path().join(DB_FILE), &garbage).unwrap();
        let err = Library::open(dir.path()).err().expect("must fail");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("library.sqlite"), "{err}");
        assert_eq!(fs::read(dir.path().join(DB_FILE)).unwrap(), garbage);
    }

    /// A finished recording `id` whose one key frame is `frame`; returns the frame's sha256.
    fn finished_with_one_frame(lib: &Library, id: &str, frame: &[u8]) -> String {
        let mut rec = sample_recording(id);
        rec.status = RecordingStatus::Finished;
        lib.create_recording(&rec).unwrap();
        let sha = lib.media.put(frame, "webp").unwrap();
        lib.conn
            .execute("INSERT INTO frames (recording_id, seq, t_us, display_id, width, height, reason, encoding, sha256, bytes) VALUES (?1, 0, 0, 0, 4, 4, 'periodic', '\"key\"', ?2, 10)", [id, &sha])
            .unwrap();
        sha
    }

    /// Deleting a recording while another is being recorded keeps the media files they could
    /// share: the live recorder may have found a frame's file present and not yet written the
    /// row that references it.
    #[test]
    fn deleting_a_recording_while_another_records_keeps_the_media_they_may_share() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let sha = finished_with_one_frame(&lib, "done", b"the idle desktop, as a key frame");
        // Another recording is live (its lock held) and has written no frame row yet.
        lib.create_recording(&sample_recording("live")).unwrap();
        let _held = RecorderLock::try_acquire(&lib.lock_path("live")).unwrap().unwrap();
        lib.delete_recording("done").unwrap();
        assert!(lib.media.path_of(&sha, "webp").exists(), "a file the live recording may reference is kept");
        assert!(matches!(lib.recording("done"), Err(StoreError::NotFound(_))));

        // With no recording live, a deleted recording's own files go.
        let own = finished_with_one_frame(&lib, "other", b"a frame only this recording has");
        lib.conn.execute("UPDATE recordings SET status = 'finished' WHERE id = 'live'", []).unwrap();
        lib.delete_recording("other").unwrap();
        assert!(!lib.media.path_of(&own, "webp").exists(), "an orphan is removed once nothing is live");
    }

    #[test]
    fn ambiguous_and_unknown_ids_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&sample_recording("abc1")).unwrap();
        lib.create_recording(&sample_recording("abc2")).unwrap();
        assert!(matches!(lib.resolve_id("abc"), Err(StoreError::Ambiguous(_))));
        assert!(matches!(lib.resolve_id("zzz"), Err(StoreError::NotFound(_))));
        assert_eq!(lib.resolve_id("abc2").unwrap(), "abc2");
    }

    #[test]
    fn a_corrupt_row_is_an_error_naming_the_recording_and_the_row_not_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&sample_recording("r1")).unwrap();
        lib.conn
            .execute(
                "INSERT INTO frames (recording_id, seq, t_us, display_id, width, height, reason, encoding, sha256, bytes) VALUES ('r1', 7, 1000, 0, 4, 4, 'periodic', '{\"delta\": 3}', 'ab', 10)",
                [],
            )
            .unwrap();
        let err = lib.frames("r1").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("is corrupt: the encoding of frame 7 of recording r1: unreadable value"), "{err}");
        lib.conn.execute("UPDATE recordings SET outcome = 'maybe' WHERE id = 'r1'", []).unwrap();
        for err in [lib.recording("r1").err(), lib.list().err()] {
            let err = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("the outcome of recording r1: unreadable value \"maybe\""), "{err}");
        }
    }
}
