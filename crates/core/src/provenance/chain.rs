//! The capture chain: every batch the writer commits extends a hash chain over the rows it
//! stored, so a stored event, frame, audio chunk, note or marker changed, dropped, added or
//! reordered later breaks it. link₀ = sha256(tag ‖ recording id); linkₙ = sha256(tag ‖ linkₙ₋₁ ‖
//! for each stream in [`Stream::ALL`] order: its row count ‖ its digest), a stream's digest being
//! the sha256 of its rows in the order they were stored (insertion for events, notes and
//! markers, sequence for frames, start time for audio), each as length ‖ bytes. Per-stream
//! digests are kept with each link, so a damaged batch names its stream and a bundle that
//! carries only some streams can still be checked against the chain. A row is hashed as its
//! canonical JSON; an audio
//! chunk as its JSON with the FLAC bytes replaced by their sha256; a frame's media is covered by
//! the sha256 its row names (the media store is content-addressed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::*;

const TAG: &[u8] = b"apprentice.chain/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Input,
    Window,
    Notes,
    Markers,
    Frames,
    Audio,
}

impl Stream {
    pub const ALL: [Stream; 6] = [Stream::Input, Stream::Window, Stream::Notes, Stream::Markers, Stream::Frames, Stream::Audio];
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Input => "input",
            Stream::Window => "window",
            Stream::Notes => "notes",
            Stream::Markers => "markers",
            Stream::Frames => "frames",
            Stream::Audio => "audio",
        }
    }
}

/// Rows per stream (of one batch, or of a whole recording), in [`Stream::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamCounts {
    pub input: u64,
    pub window: u64,
    pub notes: u64,
    pub markers: u64,
    pub frames: u64,
    pub audio: u64,
}

impl StreamCounts {
    pub fn get(&self, s: Stream) -> u64 {
        match s {
            Stream::Input => self.input,
            Stream::Window => self.window,
            Stream::Notes => self.notes,
            Stream::Markers => self.markers,
            Stream::Frames => self.frames,
            Stream::Audio => self.audio,
        }
    }
    pub fn add(&mut self, s: Stream, n: u64) {
        match s {
            Stream::Input => self.input += n,
            Stream::Window => self.window += n,
            Stream::Notes => self.notes += n,
            Stream::Markers => self.markers += n,
            Stream::Frames => self.frames += n,
            Stream::Audio => self.audio += n,
        }
    }
    pub fn total(&self) -> u64 {
        Stream::ALL.iter().map(|&s| self.get(s)).sum()
    }
}

/// A stored row, as the chain hashes it.
pub enum ChainRow<'a> {
    Input(&'a InputEvent),
    Window(&'a WindowEvent),
    Note(&'a Note),
    Marker(&'a Marker),
    Frame(&'a Frame),
    Audio(&'a AudioChunk),
}

impl ChainRow<'_> {
    pub fn stream(&self) -> Stream {
        match self {
            ChainRow::Input(_) => Stream::Input,
            ChainRow::Window(_) => Stream::Window,
            ChainRow::Note(_) => Stream::Notes,
            ChainRow::Marker(_) => Stream::Markers,
            ChainRow::Frame(_) => Stream::Frames,
            ChainRow::Audio(_) => Stream::Audio,
        }
    }

    /// The row's canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let json = match self {
            ChainRow::Input(e) => serde_json::to_vec(e),
            ChainRow::Window(w) => serde_json::to_vec(w),
            ChainRow::Note(n) => serde_json::to_vec(n),
            ChainRow::Marker(m) => serde_json::to_vec(m),
            ChainRow::Frame(f) => serde_json::to_vec(f),
            ChainRow::Audio(a) => serde_json::to_vec(&serde_json::json!({
                "t0": a.t0, "t1": a.t1, "sample_rate": a.sample_rate, "samples": a.samples, "flac_sha256": super::hex(&Sha256::digest(&a.flac)),
            })),
        };
        // The model types serialise infallibly (no maps with non-string keys, no custom errors).
        json.unwrap_or_default()
    }
}

/// The chain's first link, before any batch.
pub fn genesis(recording_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(recording_id.as_bytes());
    h.finalize().into()
}

/// A stream's digest over its rows in one batch.
pub fn digest(rows: &[Vec<u8>]) -> [u8; 32] {
    let mut h = Sha256::new();
    for row in rows {
        h.update((row.len() as u64).to_le_bytes());
        h.update(row);
    }
    h.finalize().into()
}

/// The link after a batch whose streams have these counts and digests (a stream without rows
/// has no digest).
pub fn link_from(prev: &[u8; 32], counts: &StreamCounts, digests: &BTreeMap<Stream, [u8; 32]>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(prev);
    for s in Stream::ALL {
        h.update(counts.get(s).to_le_bytes());
        h.update(digests.get(&s).copied().unwrap_or([0; 32]));
    }
    h.finalize().into()
}

/// The link after a batch: `rows` holds each stream's rows (see [`group`]). Also gives the
/// batch's counts and per-stream digests.
pub fn link(prev: &[u8; 32], rows: &[(Stream, Vec<Vec<u8>>)]) -> ([u8; 32], StreamCounts, BTreeMap<Stream, [u8; 32]>) {
    let mut counts = StreamCounts::default();
    let mut digests = BTreeMap::new();
    for (s, r) in rows.iter().filter(|(_, r)| !r.is_empty()) {
        counts.add(*s, r.len() as u64);
        digests.insert(*s, digest(r));
    }
    (link_from(prev, &counts, &digests), counts, digests)
}

/// One batch of the chain as stored: its number, rows per stream, the link after it, and each
/// stream's digest (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBatch {
    pub seq: u64,
    pub counts: StreamCounts,
    pub link: String,
    pub digests: BTreeMap<Stream, String>,
}

/// Groups one batch's rows by stream, each stream's rows in the order given.
pub fn group<'a>(rows: impl IntoIterator<Item = ChainRow<'a>>) -> Vec<(Stream, Vec<Vec<u8>>)> {
    let mut out: Vec<(Stream, Vec<Vec<u8>>)> = Stream::ALL.iter().map(|&s| (s, vec![])).collect();
    for r in rows {
        let i = Stream::ALL.iter().position(|&s| s == r.stream()).unwrap_or(0);
        out[i].1.push(r.encode());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: Micros, text: &str) -> InputEvent {
        InputEvent {
            t,
            kind: InputKind::KeyPress,
            x: 1,
            y: 2,
            button: None,
            key: Some(text.into()),
            code: Some(38),
            text: Some(text.into()),
            dx: 0,
            dy: 0,
            modifiers: Modifiers(0),
            origin: Default::default(),
        }
    }

    #[test]
    fn any_change_to_a_row_its_order_or_its_batch_changes_the_link() {
        let g = genesis("r1");
        assert_ne!(g, genesis("r2"), "the chain starts from the recording's id");
        let (a, b) = (key(10, "a"), key(20, "b"));
        let note = Note { t: 15, text: "why".into(), source: NoteSource::Typed };
        let (l, counts, _) = link(&g, &group([ChainRow::Input(&a), ChainRow::Note(&note), ChainRow::Input(&b)]));
        assert_eq!((counts.input, counts.notes, counts.total()), (2, 1, 3));
        // Grouped by stream: the note's place among the keys does not matter, the keys' order does.
        assert_eq!(l, link(&g, &group([ChainRow::Note(&note), ChainRow::Input(&a), ChainRow::Input(&b)])).0);
        assert_ne!(l, link(&g, &group([ChainRow::Input(&b), ChainRow::Input(&a), ChainRow::Note(&note)])).0, "reordered");
        assert_ne!(l, link(&g, &group([ChainRow::Input(&a), ChainRow::Input(&b)])).0, "a row dropped");
        assert_ne!(l, link(&g, &group([ChainRow::Input(&a), ChainRow::Note(&note), ChainRow::Input(&key(20, "c"))])).0, "a row changed");
        assert_ne!(l, link(&genesis("r2"), &group([ChainRow::Input(&a), ChainRow::Note(&note), ChainRow::Input(&b)])).0, "another chain");
        let chunk = AudioChunk { t0: 0, t1: 500_000, sample_rate: 16_000, samples: 8000, flac: vec![1, 2, 3] };
        let mut flipped = chunk.clone();
        flipped.flac[1] ^= 1;
        assert_ne!(ChainRow::Audio(&chunk).encode(), ChainRow::Audio(&flipped).encode(), "audio bytes are covered by their hash");
    }
}
