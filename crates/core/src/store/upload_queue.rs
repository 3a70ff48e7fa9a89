//! The station's upload queue: which recordings still have to go to which hub, how far each got
//! (the hub's upload id, attempts, the last error), kept in the library so it survives restarts
//! and crashes. Not its job: sending (the station crate), or what goes in an upload
//! ([`super::portable`]).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{Library, StoreError};

/// Where a queued recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// Waiting to be sent (or part-sent: `upload_id` set).
    Queued,
    /// The hub holds it, verified.
    Sent,
    /// The hub refused it (the error says why); sending again will not help until it changes.
    Refused,
}

impl QueueState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Refused => "refused",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "sent" => Self::Sent,
            "refused" => Self::Refused,
            _ => Self::Queued,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueuedUpload {
    pub recording_id: String,
    pub hub: String,
    pub state: QueueState,
    pub upload_id: Option<i64>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub queued_at: String,
    pub sent_at: Option<String>,
}

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Library {
    /// Queues recording `id` for `hub` (again, if it was sent or refused: it may have changed).
    pub fn queue_upload(&self, id: &str, hub: &str) -> Result<(), StoreError> {
        let id = self.resolve_id(id)?;
        self.conn
            .execute(
                "INSERT INTO upload_queue (recording_id, hub, state, queued_at) VALUES (?1, ?2, 'queued', ?3)
                 ON CONFLICT (recording_id) DO UPDATE SET hub = ?2, state = 'queued', last_error = NULL, queued_at = ?3",
                params![id, hub, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The queue, oldest first.
    pub fn upload_queue(&self) -> Result<Vec<QueuedUpload>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT recording_id, hub, state, upload_id, attempts, last_error, queued_at, sent_at FROM upload_queue ORDER BY queued_at, recording_id").map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(QueuedUpload {
                    recording_id: r.get(0)?,
                    hub: r.get(1)?,
                    state: QueueState::parse(&r.get::<_, String>(2)?),
                    upload_id: r.get(3)?,
                    attempts: r.get(4)?,
                    last_error: r.get(5)?,
                    queued_at: r.get(6)?,
                    sent_at: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn queued_upload(&self, id: &str) -> Result<Option<QueuedUpload>, StoreError> {
        let id = self.resolve_id(id)?;
        Ok(self.upload_queue()?.into_iter().find(|q| q.recording_id == id))
    }

    /// Records an attempt: the hub's upload id once known, and the error if it failed.
    pub fn note_upload_attempt(&self, id: &str, upload_id: Option<i64>, error: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE upload_queue SET attempts = attempts + 1, upload_id = COALESCE(?2, upload_id), last_error = ?3 WHERE recording_id = ?1", params![id, upload_id, error])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Marks a queued recording sent or refused, unless it was queued again after `queued_at`
    /// (changed while being sent: what was sent is not what it now is, so it stays queued).
    /// False when it was queued again.
    pub fn finish_upload(&self, id: &str, state: QueueState, error: Option<&str>, queued_at: &str) -> Result<bool, StoreError> {
        let sent_at = (state == QueueState::Sent).then(now);
        let changed = self
            .conn
            .execute(
                "UPDATE upload_queue SET state = ?2, last_error = ?3, sent_at = COALESCE(?4, sent_at) WHERE recording_id = ?1 AND queued_at = ?5",
                params![id, state.as_str(), error, sent_at, queued_at],
            )
            .map_err(|e| self.err(e))?;
        if changed == 0 && self.queued_upload(id)?.is_none() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        Ok(changed == 1)
    }

    /// How many recordings wait to be sent.
    pub fn upload_queue_depth(&self) -> Result<u32, StoreError> {
        self.conn.query_row("SELECT COUNT(*) FROM upload_queue WHERE state = 'queued'", [], |r| r.get(0)).optional().map(|n| n.unwrap_or(0)).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_keeps_each_recording_s_progress_across_reopening() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let lib = Library::open(dir.path()).expect("lib");
            lib.create_recording(&crate::store::tests::sample_recording("rec-1")).expect("rec");
            lib.create_recording(&crate::store::tests::sample_recording("rec-2")).expect("rec");
            lib.queue_upload("rec-1", "http://hub").expect("queue");
            lib.queue_upload("rec-2", "http://hub").expect("queue");
            lib.note_upload_attempt("rec-1", Some(7), Some("hub unreachable")).expect("attempt");
            let queued_at = lib.queued_upload("rec-2").expect("queue").expect("queued").queued_at;
            assert!(lib.finish_upload("rec-2", QueueState::Sent, None, &queued_at).expect("sent"));
        }
        let lib = Library::open(dir.path()).expect("reopen");
        let q = lib.upload_queue().expect("queue");
        assert_eq!(q.len(), 2);
        let one = q.iter().find(|x| x.recording_id == "rec-1").expect("rec-1");
        assert_eq!((one.state, one.upload_id, one.attempts, one.last_error.as_deref()), (QueueState::Queued, Some(7), 1, Some("hub unreachable")));
        let two = q.iter().find(|x| x.recording_id == "rec-2").expect("rec-2");
        assert_eq!(two.state, QueueState::Sent);
        assert!(two.sent_at.is_some());
        assert_eq!(lib.upload_queue_depth().expect("depth"), 1);
        // Queued again (it changed after review): back to queued, its upload id kept for the hub to match.
        lib.queue_upload("rec-2", "http://hub").expect("requeue");
        assert_eq!(lib.upload_queue_depth().expect("depth"), 2);
        assert!(lib.finish_upload("nope", QueueState::Sent, None, "").is_err());
        // Queued again while a push was sending it: that push's end does not mark it sent.
        let before = lib.queued_upload("rec-1").expect("queue").expect("queued").queued_at;
        std::thread::sleep(std::time::Duration::from_millis(2));
        lib.queue_upload("rec-1", "http://hub").expect("requeue");
        assert!(!lib.finish_upload("rec-1", QueueState::Sent, None, &before).expect("finish"));
        assert_eq!(lib.queued_upload("rec-1").expect("queue").expect("queued").state, QueueState::Queued);
    }
}
