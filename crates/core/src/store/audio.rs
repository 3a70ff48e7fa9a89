//! Keeping think-aloud audio and its transcripts: reading the FLAC chunks back as continuous
//! runs of samples on the recording clock, and storing what transcription heard. Chunks are
//! written by the recorder's writer thread ([`super::writer`]); corrections to transcripts go
//! through the audit log ([`Library::set_transcript`]).

use rusqlite::{params, OptionalExtension};

use super::audio_codec::{decode_flac, SAMPLE_RATE};
use super::{Library, StoreError};
use crate::model::*;

/// Chunks closer than this are one continuous run (callback timing jitters by a few ms).
const RUN_GAP_US: Micros = 60_000;

/// Continuous audio: samples at [`SAMPLE_RATE`] starting at `t0` on the recording clock.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioRun {
    pub t0: Micros,
    pub samples: Vec<i16>,
}

/// A recording's audio read back: its continuous runs, and the spans of chunks that no longer
/// decode. A damaged chunk costs its half second, not the recording's audio: it becomes a gap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioRuns {
    pub runs: Vec<AudioRun>,
    pub damaged: Vec<(Micros, Micros)>,
}

impl AudioRuns {
    /// How much audio was lost to damaged chunks.
    pub fn damaged_us(&self) -> Micros {
        self.damaged.iter().map(|(t0, t1)| t1 - t0).sum()
    }
}

impl AudioRun {
    pub fn t1(&self) -> Micros {
        self.t0 + samples_to_us(self.samples.len())
    }
}

pub fn samples_to_us(n: usize) -> Micros {
    n as u64 * 1_000_000 / u64::from(SAMPLE_RATE)
}

/// How much audio a recording has, and what it costs on disk.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AudioStats {
    pub chunks: u64,
    pub audio_us: Micros,
    pub bytes: u64,
}

/// When a recording was transcribed, by which model, and what that found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TranscriptionInfo {
    pub model: String,
    pub finished_at: String,
    pub audio_us: Micros,
    pub speech_us: Micros,
    pub elapsed_ms: u64,
}

impl Library {
    /// Every stored audio chunk of the recording, as written, in time order.
    pub fn audio_chunks(&self, id: &str) -> Result<Vec<AudioChunk>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self.conn.prepare("SELECT t0_us, t1_us, sample_rate, samples, flac FROM audio_chunks WHERE recording_id = ?1 ORDER BY t0_us").map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([&id], |r| {
                Ok(AudioChunk { t0: r.get::<_, i64>(0)? as u64, t1: r.get::<_, i64>(1)? as u64, sample_rate: r.get::<_, i64>(2)? as u32, samples: r.get::<_, i64>(3)? as u32, flac: r.get(4)? })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn audio_stats(&self, id: &str) -> Result<AudioStats, StoreError> {
        let id = self.resolve_id(id)?;
        self.conn
            .query_row("SELECT COUNT(*), COALESCE(SUM(t1_us - t0_us), 0), COALESCE(SUM(LENGTH(flac)), 0) FROM audio_chunks WHERE recording_id = ?1", [&id], |r| {
                Ok(AudioStats { chunks: r.get::<_, i64>(0)? as u64, audio_us: r.get::<_, i64>(1)? as u64, bytes: r.get::<_, i64>(2)? as u64 })
            })
            .map_err(|e| self.err(e))
    }

    /// The recording's audio overlapping `[t0, t1)` as continuous runs, oldest first (all of it
    /// when `span` is None). Gaps (pauses, push-to-talk silences, a lost microphone) split runs.
    /// A chunk that does not decode is skipped with a warning and listed in `damaged`.
    pub fn audio_runs(&self, id: &str, span: Option<(Micros, Micros)>) -> Result<AudioRuns, StoreError> {
        let id = self.resolve_id(id)?;
        let (from, to) = span.unwrap_or((0, Micros::MAX));
        let mut stmt = self.conn.prepare("SELECT t0_us, t1_us, flac FROM audio_chunks WHERE recording_id = ?1 AND t1_us > ?2 AND t0_us < ?3 ORDER BY t0_us").map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![id, from as i64, to.min(i64::MAX as u64) as i64], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, Vec<u8>>(2)?)))
            .map_err(|e| self.err(e))?;
        let mut runs: Vec<AudioRun> = Vec::new();
        let mut damaged = Vec::new();
        let mut after_damage = false;
        for row in rows {
            let (t0, t1, flac) = row.map_err(|e| self.err(e))?;
            let samples = match decode_flac(&flac) {
                Ok(samples) => samples,
                Err(e) => {
                    tracing::warn!(recording = %id, t0_us = t0, t1_us = t1, error = %e, "skipping a damaged audio chunk");
                    damaged.push((t0, t1));
                    after_damage = true;
                    continue;
                }
            };
            match runs.last_mut() {
                Some(run) if !after_damage && t0 <= run.t1() + RUN_GAP_US => run.samples.extend_from_slice(&samples),
                _ => runs.push(AudioRun { t0, samples }),
            }
            after_damage = false;
        }
        if span.is_some() {
            for run in &mut runs {
                let skip = us_to_samples(from.saturating_sub(run.t0)).min(run.samples.len());
                let keep = us_to_samples(to.saturating_sub(run.t0)).min(run.samples.len());
                run.samples = run.samples[skip..keep.max(skip)].to_vec();
                run.t0 = run.t0.max(from);
            }
            runs.retain(|r| !r.samples.is_empty());
        }
        Ok(AudioRuns { runs, damaged })
    }

    /// Audio of `[t0, t1)` as one buffer, silence where nothing was recorded (for playback).
    pub fn audio_clip(&self, id: &str, t0: Micros, t1: Micros) -> Result<Vec<i16>, StoreError> {
        let mut out = vec![0i16; us_to_samples(t1.saturating_sub(t0))];
        for run in self.audio_runs(id, Some((t0, t1)))?.runs {
            let at = us_to_samples(run.t0 - t0).min(out.len());
            let n = run.samples.len().min(out.len() - at);
            out[at..at + n].copy_from_slice(&run.samples[..n]);
        }
        Ok(out)
    }

    /// Stores what transcription heard, replacing an earlier transcription. A reviewer's
    /// correction survives when an utterance with the same start is heard again.
    pub fn save_transcription(&self, id: &str, utterances: &[Utterance], info: &TranscriptionInfo) -> Result<(), StoreError> {
        let id = self.resolve_id(id)?;
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let corrections: std::collections::HashMap<i64, String> = {
            let mut stmt = tx.prepare("SELECT t0_us, corrected FROM utterances WHERE recording_id = ?1 AND corrected IS NOT NULL").map_err(|e| self.err(e))?;
            let rows = stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        tx.execute("DELETE FROM utterances WHERE recording_id = ?1", [&id]).map_err(|e| self.err(e))?;
        {
            let mut insert = tx.prepare("INSERT OR REPLACE INTO utterances (recording_id, t0_us, t1_us, text, words, corrected) VALUES (?1,?2,?3,?4,?5,?6)").map_err(|e| self.err(e))?;
            for u in utterances {
                let words = serde_json::to_string(&u.words).map_err(|e| StoreError::Encode(e.to_string()))?;
                insert.execute(params![id, u.t0 as i64, u.t1 as i64, u.text, words, corrections.get(&(u.t0 as i64))]).map_err(|e| self.err(e))?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO transcriptions (recording_id, model, finished_at, audio_us, speech_us, elapsed_ms) VALUES (?1,?2,?3,?4,?5,?6)",
            params![id, info.model, info.finished_at, info.audio_us as i64, info.speech_us as i64, info.elapsed_ms as i64],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Utterances in time order, with any correction.
    pub fn utterances(&self, id: &str) -> Result<Vec<Utterance>, StoreError> {
        let id = self.resolve_id(id)?;
        let mut stmt = self.conn.prepare("SELECT t0_us, t1_us, text, words, corrected FROM utterances WHERE recording_id = ?1 ORDER BY t0_us").map_err(|e| self.err(e))?;
        let rows: Vec<(i64, i64, String, String, Option<String>)> =
            stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).map_err(|e| self.err(e))?.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(t0, t1, text, words, corrected)| {
                let words = serde_json::from_str(&words).map_err(|e| StoreError::Corrupt { path: self.db_path(), reason: format!("utterance words: {e}") })?;
                Ok(Utterance { t0: t0 as u64, t1: t1 as u64, text, words, corrected })
            })
            .collect()
    }

    pub fn transcription(&self, id: &str) -> Result<Option<TranscriptionInfo>, StoreError> {
        let id = self.resolve_id(id)?;
        self.conn
            .query_row("SELECT model, finished_at, audio_us, speech_us, elapsed_ms FROM transcriptions WHERE recording_id = ?1", [&id], |r| {
                Ok(TranscriptionInfo { model: r.get(0)?, finished_at: r.get(1)?, audio_us: r.get::<_, i64>(2)? as u64, speech_us: r.get::<_, i64>(3)? as u64, elapsed_ms: r.get::<_, i64>(4)? as u64 })
            })
            .optional()
            .map_err(|e| self.err(e))
    }
}

fn us_to_samples(us: Micros) -> usize {
    (us * u64::from(SAMPLE_RATE) / 1_000_000) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audio_codec::encode_flac;
    use crate::store::writer::{WriteOp, Writer};

    fn chunk(t0: Micros, samples: &[i16]) -> AudioChunk {
        AudioChunk { t0, t1: t0 + samples_to_us(samples.len()), sample_rate: SAMPLE_RATE, samples: samples.len() as u32, flac: encode_flac(samples, SAMPLE_RATE).unwrap() }
    }

    /// A library whose recording `id` has half-second chunks at these times, each all one value.
    fn library_with_audio(id: &str, chunks: &[(Micros, i16)]) -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&crate::store::tests::sample_recording(id)).unwrap();
        let (w, join) = Writer::spawn(lib.db_path(), id.into()).unwrap();
        for &(t0, value) in chunks {
            w.send(WriteOp::Audio(chunk(t0, &[value; 8000])));
        }
        let duration = chunks.last().map(|(t0, _)| t0 + 500_000).unwrap_or(0);
        w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration, health: Health::default(), error: None });
        join.join().unwrap();
        (dir, lib)
    }

    #[test]
    fn chunks_read_back_as_runs_split_at_gaps_and_clips_keep_time() {
        // 0–0.5 s and 0.5–1.0 s are one run; 3.0–3.5 s (after a pause) is another.
        let (_dir, lib) = library_with_audio("a1", &[(0, 1), (500_000, 2), (3_000_000, 3)]);
        let runs = lib.audio_runs("a1", None).unwrap().runs;
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].t0, runs[0].samples.len(), runs[0].t1()), (0, 16_000, 1_000_000));
        assert_eq!(runs[1].t0, 3_000_000);
        let stats = lib.audio_stats("a1").unwrap();
        assert_eq!((stats.chunks, stats.audio_us), (3, 1_500_000));
        // 0.75–3.25 s: a quarter second of run 1, silence, a quarter second of run 2.
        let clip = lib.audio_clip("a1", 750_000, 3_250_000).unwrap();
        assert_eq!(clip.len(), 40_000);
        assert_eq!((clip[0], clip[3_999], clip[4_000], clip[35_999], clip[36_000]), (2, 2, 0, 0, 3));
    }

    #[test]
    fn a_damaged_chunk_is_a_reported_gap_and_the_rest_of_the_audio_survives() {
        let (_dir, lib) = library_with_audio("a3", &[(0, 1), (500_000, 2), (1_000_000, 3)]);
        // Flip bits inside the middle chunk's audio frames (past the 42-byte stream header).
        {
            let conn = rusqlite::Connection::open(lib.db_path()).unwrap();
            let mut flac: Vec<u8> = conn.query_row("SELECT flac FROM audio_chunks WHERE t0_us = 500000", [], |r| r.get(0)).unwrap();
            for b in &mut flac[60..] {
                *b ^= 0x5a;
            }
            conn.execute("UPDATE audio_chunks SET flac = ?1 WHERE t0_us = 500000", [&flac]).unwrap();
        }
        let read = lib.audio_runs("a3", None).unwrap();
        assert_eq!(read.damaged, vec![(500_000, 1_000_000)]);
        assert_eq!(read.damaged_us(), 500_000);
        // Both neighbours survive, as two runs around the gap, on their own times.
        assert_eq!(read.runs.len(), 2);
        assert_eq!((read.runs[0].t0, read.runs[0].t1(), read.runs[0].samples[0]), (0, 500_000, 1));
        assert_eq!((read.runs[1].t0, read.runs[1].t1(), read.runs[1].samples[0]), (1_000_000, 1_500_000, 3));
        // Playback hears silence where the chunk was.
        let clip = lib.audio_clip("a3", 0, 1_500_000).unwrap();
        assert_eq!((clip[7_999], clip[8_000], clip[15_999], clip[16_000]), (1, 0, 0, 3));
    }

    #[test]
    fn corrections_survive_retranscription_and_are_undone_through_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        lib.create_recording(&crate::store::tests::sample_recording("a2")).unwrap();
        let info = TranscriptionInfo { model: "m".into(), finished_at: "now".into(), audio_us: 1, speech_us: 1, elapsed_ms: 1 };
        let u = |t0, text: &str| Utterance { t0, t1: t0 + 1_000_000, text: text.into(), words: vec![], corrected: None };
        lib.save_transcription("a2", &[u(100, "open the sitting"), u(5_000_000, "save it")], &info).unwrap();
        assert_eq!(lib.set_transcript("a2", 100, Some("open the settings"), "rev").unwrap(), None);
        assert!(matches!(lib.set_transcript("a2", 7, Some("x"), "rev"), Err(StoreError::NoUtterance { .. })));
        lib.save_transcription("a2", &[u(100, "open the sitting"), u(5_000_000, "save it now")], &info).unwrap();
        let us = lib.utterances("a2").unwrap();
        assert_eq!(us[0].transcript(), "open the settings");
        assert_eq!(us[1].transcript(), "save it now");
        let undone = lib.undo_review_change("a2").unwrap().unwrap();
        assert!(matches!(undone.change, ReviewChange::Transcript { utterance: 100, .. }));
        assert_eq!(lib.utterances("a2").unwrap()[0].transcript(), "open the sitting");
        assert_eq!(lib.transcription("a2").unwrap().unwrap().model, "m");
    }
}
