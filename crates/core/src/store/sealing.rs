//! Sealing a recording in the library: the seal ([`crate::provenance::seal`]) made from what the
//! library holds — the capture chain's last link, the rows per stream, times and pauses — signed
//! and stored in `seals`. The writer seals at stop, recovery seals what a dead recorder left.
//! One implementation for both; reading a seal back is here too. Checking one is
//! `crate::verify`'s job.

use rusqlite::{params, Connection, OptionalExtension};

use crate::model::*;
use crate::provenance::chain::{self, Stream, StreamCounts};
use crate::provenance::hex;
use crate::provenance::keys::StationKey;
use crate::provenance::seal::{Seal, SealKind, SignedSeal, SEAL_SCHEMA};

/// The table each stream's rows live in.
pub(crate) fn table(s: Stream) -> &'static str {
    match s {
        Stream::Input => "input_events",
        Stream::Window => "window_events",
        Stream::Notes => "notes",
        Stream::Markers => "markers",
        Stream::Frames => "frames",
        Stream::Audio => "audio_chunks",
    }
}

/// Rows per stream of a recording, as stored.
pub(crate) fn stored_counts(conn: &Connection, id: &str) -> rusqlite::Result<StreamCounts> {
    let mut counts = StreamCounts::default();
    for s in Stream::ALL {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {} WHERE recording_id = ?1", table(s)), [id], |r| r.get(0))?;
        counts.add(s, n as u64);
    }
    Ok(counts)
}

/// The chain's last link (hex) and its number of batches.
pub(crate) fn chain_head(conn: &Connection, id: &str) -> rusqlite::Result<(String, u64)> {
    let last: Option<(i64, String)> = conn.query_row("SELECT seq, link FROM capture_chain WHERE recording_id = ?1 ORDER BY seq DESC LIMIT 1", [id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    Ok(match last {
        Some((seq, link)) => (link, seq as u64 + 1),
        None => (hex(&chain::genesis(id)), 0),
    })
}

/// Seals recording `id` as it now stands in the library, signed by `key`, replacing any seal.
pub(crate) fn seal(conn: &Connection, id: &str, kind: SealKind, key: &StationKey) -> rusqlite::Result<()> {
    let (started_at, duration, env): (String, i64, String) =
        conn.query_row("SELECT started_at, duration_us, environment FROM recordings WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let recorder_version = serde_json::from_str::<Environment>(&env).map(|e| e.recorder_version).unwrap_or_default();
    let pauses = {
        let mut stmt = conn.prepare("SELECT t0_us, t1_us FROM pauses WHERE recording_id = ?1 ORDER BY t0_us")?;
        let rows = stmt.query_map([id], |r| Ok(Pause { t0: r.get::<_, i64>(0)? as u64, t1: r.get::<_, Option<i64>>(1)?.map(|v| v as u64) }))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let (chain_head, batches) = chain_head(conn, id)?;
    let sealed_at = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let signed = Seal {
        schema: SEAL_SCHEMA.into(),
        recording_id: id.into(),
        kind,
        chain_head,
        batches,
        counts: stored_counts(conn, id)?,
        started_at,
        duration_us: duration as u64,
        pauses,
        recorder_version,
        station_key: key.public_hex(),
        sealed_at,
    }
    .sign(key);
    let json = serde_json::to_string(&signed).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute("INSERT OR REPLACE INTO seals (recording_id, seal) VALUES (?1, ?2)", params![id, json])?;
    Ok(())
}

impl super::Library {
    /// The recording's capture chain, batch by batch.
    pub fn capture_chain(&self, id: &str) -> Result<Vec<chain::ChainBatch>, super::StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self.conn.prepare("SELECT seq, input, window, notes, markers, frames, audio, link, digests FROM capture_chain WHERE recording_id = ?1 ORDER BY seq").map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
                let digests: String = r.get(8)?;
                Ok(chain::ChainBatch {
                    seq: n(0)?,
                    counts: StreamCounts { input: n(1)?, window: n(2)?, notes: n(3)?, markers: n(4)?, frames: n(5)?, audio: n(6)? },
                    link: r.get(7)?,
                    // Unreadable digests make the link fail to recompute: never silently accepted.
                    digests: serde_json::from_str(&digests).unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The recording's seal, if it has one.
    pub fn seal(&self, id: &str) -> Result<Option<SignedSeal>, super::StoreError> {
        let id = self.resolve_id(id)?;
        let json: Option<String> = self.conn.query_row("SELECT seal FROM seals WHERE recording_id = ?1", [&id], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| super::StoreError::Corrupt { path: self.db_path(), reason: format!("the seal of recording {id}: {e}") })).transpose()
    }
}
