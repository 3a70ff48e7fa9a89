//! Verification: does a recording in the library still hold exactly what was captured, sealed by
//! whom? The capture chain is recomputed from the stored rows (each stream in the order the
//! chain was built), every link compared, the seal's signature, head and counts checked, and
//! every frame's media file hashed against the address its row names. Each problem names the
//! batch, stream, file or field, what was expected and what was found. Not its job: making
//! chains or seals (`provenance`, the writer) or deciding what to trust (the caller's keys).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::*;
use crate::provenance::chain::{self, ChainRow, Stream, StreamCounts};
use crate::provenance::keys;
use crate::provenance::seal::SealKind;
use crate::provenance::{hex, unhex};
use crate::store::{Library, StoreError};

/// One thing that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: "stream input, batch 12 (t 3.25 s)", "seal", "frame 40's media file …".
    pub what: String,
    pub expected: String,
    pub found: String,
}

/// What verification of a recording found.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingReport {
    pub recording_id: String,
    pub ok: bool,
    /// How it was sealed (finished, interrupted), if it was.
    pub sealed: Option<SealKind>,
    /// The sealing station's public key and its fingerprint.
    pub station_key: Option<String>,
    pub fingerprint: Option<String>,
    /// With trusted keys given: whether the seal's key is one of them.
    pub trusted: Option<bool>,
    pub batches: u64,
    pub rows: StreamCounts,
    pub media_files: u64,
    pub media_bytes: u64,
    /// Input events by origin: a person's device, injected, unknown.
    pub input_origins: InputOrigins,
    /// Who signed the review log: name, fingerprint, entries.
    pub reviewers: Vec<Reviewer>,
    pub problems: Vec<Problem>,
}

/// How many of a recording's input events came from each origin (from rows the chain vouches for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InputOrigins {
    pub device: u64,
    pub injected: u64,
    pub unknown: u64,
}

impl InputOrigins {
    pub fn count<'a>(events: impl IntoIterator<Item = &'a InputEvent>) -> InputOrigins {
        let mut o = InputOrigins::default();
        for e in events {
            o.add(e.origin);
        }
        o
    }

    pub fn add(&mut self, origin: InputOrigin) {
        match origin {
            InputOrigin::Device => self.device += 1,
            InputOrigin::Injected | InputOrigin::Mixed => self.injected += 1,
            InputOrigin::Unknown => self.unknown += 1,
        }
    }

    /// Share of input events that were injected (0 when there are none).
    pub fn synthetic_share(&self) -> f64 {
        let all = self.device + self.injected + self.unknown;
        if all == 0 {
            0.0
        } else {
            self.injected as f64 / all as f64
        }
    }

    /// A problem when more than `max` (a share, 0–1) of the input was injected: the threshold a
    /// vendor refuses recordings above.
    pub fn over(&self, max: f64, what: &str) -> Option<Problem> {
        (self.synthetic_share() > max).then(|| Problem {
            what: format!("{what}: input origin"),
            expected: format!("at most {:.1}% injected input events", max * 100.0),
            found: format!(
                "{:.1}% injected ({} of {}; {} from a device, {} unknown)",
                self.synthetic_share() * 100.0,
                self.injected,
                self.device + self.injected + self.unknown,
                self.device,
                self.unknown
            ),
        })
    }
}

/// A reviewer as the signed review log names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reviewer {
    pub name: String,
    pub fingerprint: String,
    pub entries: u64,
}

fn reviewers(log: &[crate::provenance::review::SignedEntry]) -> Vec<Reviewer> {
    crate::provenance::review::signers(log)
        .into_iter()
        .map(|(name, key, entries)| Reviewer { name, fingerprint: if key.is_empty() { "unsigned".into() } else { keys::fingerprint(&key) }, entries })
        .collect()
}

/// Verifies recording `id` (a prefix is enough). `trusted`: public keys (hex) a seal must be
/// made by; empty to accept any valid signature.
pub fn recording(lib: &Library, id: &str, trusted: &[String]) -> Result<RecordingReport, StoreError> {
    let id = lib.resolve_id(id)?;
    let mut problems = vec![];
    let mut problem = |what: String, expected: String, found: String| problems.push(Problem { what, expected, found });

    // Each stream's rows in the order the chain was built.
    let input = lib.input_events_in_order(&id, "rowid")?;
    let window = lib.window_events_in_order(&id, "rowid")?;
    let notes = lib.notes_in_order(&id, "rowid")?;
    let markers = lib.markers_in_order(&id, "rowid")?;
    let frames = lib.frames_in_order(&id, "seq")?;
    let audio = lib.audio_chunks(&id)?;
    let mut streams: BTreeMap<Stream, Vec<ChainRow>> = BTreeMap::new();
    streams.insert(Stream::Input, input.iter().map(ChainRow::Input).collect());
    streams.insert(Stream::Window, window.iter().map(ChainRow::Window).collect());
    streams.insert(Stream::Notes, notes.iter().map(ChainRow::Note).collect());
    streams.insert(Stream::Markers, markers.iter().map(ChainRow::Marker).collect());
    streams.insert(Stream::Frames, frames.iter().map(ChainRow::Frame).collect());
    streams.insert(Stream::Audio, audio.iter().map(ChainRow::Audio).collect());
    let mut rows = StreamCounts::default();
    for (s, r) in &streams {
        rows.add(*s, r.len() as u64);
    }

    let batches = lib.capture_chain(&id)?;
    let mut prev = chain::genesis(&id);
    let mut taken = StreamCounts::default();
    for (i, b) in batches.iter().enumerate() {
        if b.seq != i as u64 {
            problem(format!("capture chain, batch {i}"), format!("batch number {i}"), format!("batch number {}", b.seq));
        }
        let mut grouped = vec![];
        let mut short = false;
        for s in Stream::ALL {
            let (from, n) = (taken.get(s) as usize, b.counts.get(s) as usize);
            let all = &streams[&s];
            let part: Vec<Vec<u8>> = all.get(from..(from + n).min(all.len())).unwrap_or_default().iter().map(ChainRow::encode).collect();
            short |= part.len() < n;
            grouped.push((s, part));
            taken.add(s, n as u64);
        }
        let (link, _, digests) = chain::link(&prev, &grouped);
        if hex(&link) != b.link {
            let damaged: Vec<&str> = Stream::ALL.iter().filter(|s| digests.get(s).map(|d| hex(d)) != b.digests.get(s).cloned()).map(|s| s.as_str()).collect();
            let span = first_time(&grouped).map(|t| format!(" (from {:.2} s)", t as f64 / 1e6)).unwrap_or_default();
            let what = match damaged.as_slice() {
                [] => format!("capture chain, batch {i}{span}"),
                names => format!("stream {}, batch {i}{span}", names.join(" and ")),
            };
            let found = if short { "fewer rows than the chain holds (rows deleted)".to_string() } else { "rows whose hash differs (changed, reordered, added or removed)".to_string() };
            problem(what, format!("link {}", short_hex(&b.link)), format!("{found}: link {}", short_hex(&hex(&link))));
        }
        // Later batches are checked against the stored links, so each damaged batch is named.
        prev = unhex(&b.link).and_then(|v| <[u8; 32]>::try_from(v).ok()).unwrap_or(link);
    }
    for s in Stream::ALL {
        if rows.get(s) > taken.get(s) {
            problem(
                format!("stream {}", s.as_str()),
                format!("{} rows, as the capture chain holds", taken.get(s)),
                format!("{} rows: {} not in the chain (added after capture)", rows.get(s), rows.get(s) - taken.get(s)),
            );
        }
    }

    // The seal: signed by its station, over this chain's head and these rows.
    let seal = lib.seal(&id)?;
    let recording = lib.recording(&id)?;
    let head = batches.last().map(|b| b.link.clone()).unwrap_or_else(|| hex(&chain::genesis(&id)));
    match &seal {
        None => problem(
            "seal".into(),
            "a seal by the recording station".into(),
            if recording.status == RecordingStatus::Recording || recording.status == RecordingStatus::Paused { "none: the recording is still live".into() } else { "none".into() },
        ),
        Some(s) => {
            if let Err(e) = s.check_signature() {
                problem("seal's signature".into(), format!("a valid signature by {}", keys::fingerprint(&s.seal.station_key)), e.to_string());
            }
            let sealed = &s.seal;
            if sealed.recording_id != id {
                problem("seal's recording id".into(), id.clone(), sealed.recording_id.clone());
            }
            if sealed.chain_head != head {
                problem("seal's chain head".into(), short_hex(&head), short_hex(&sealed.chain_head));
            }
            if sealed.batches != batches.len() as u64 {
                problem("seal's batch count".into(), batches.len().to_string(), sealed.batches.to_string());
            }
            for st in Stream::ALL {
                if sealed.counts.get(st) != rows.get(st) {
                    problem(format!("seal's count of stream {}", st.as_str()), format!("{} rows, as stored", rows.get(st)), format!("{} rows", sealed.counts.get(st)));
                }
            }
            let status_kind = if recording.status == RecordingStatus::Finished { SealKind::Finished } else { SealKind::Interrupted };
            if sealed.kind != status_kind {
                problem("seal's kind".into(), format!("{status_kind:?}, the recording's status"), format!("{:?}", sealed.kind));
            }
            if sealed.started_at != recording.started_at || sealed.duration_us != recording.duration_us || sealed.pauses != recording.pauses {
                problem(
                    "seal's times".into(),
                    format!("start {}, {} µs, {} pauses", recording.started_at, recording.duration_us, recording.pauses.len()),
                    format!("start {}, {} µs, {} pauses", sealed.started_at, sealed.duration_us, sealed.pauses.len()),
                );
            }
        }
    }
    let trusted_seal = (!trusted.is_empty()).then(|| seal.as_ref().is_some_and(|s| trusted.iter().any(|k| k.eq_ignore_ascii_case(&s.seal.station_key))));
    if trusted_seal == Some(false) {
        if let Some(s) = &seal {
            problem("seal's station key".into(), format!("one of {} trusted keys", trusted.len()), format!("{} (not trusted)", keys::fingerprint(&s.seal.station_key)));
        }
    }

    // Media: every frame's file holds the bytes its row names (content-addressed).
    let (mut media_files, mut media_bytes) = (0u64, 0u64);
    let mut seen = std::collections::HashSet::new();
    for f in &frames {
        if !seen.insert(f.sha256.clone()) {
            continue;
        }
        let path = lib.media().path_of(&f.sha256, "webp");
        match std::fs::read(&path) {
            Ok(bytes) => {
                media_files += 1;
                media_bytes += bytes.len() as u64;
                let found = crate::store::media::hex_sha256(&bytes);
                if found != f.sha256 {
                    problem(format!("frame {}'s media file {}", f.seq, path.display()), format!("content with sha256 {}", short_hex(&f.sha256)), format!("sha256 {}", short_hex(&found)));
                }
            }
            Err(e) => problem(format!("frame {}'s media file {}", f.seq, path.display()), "present".into(), e.to_string()),
        }
    }

    // The review log: chained, signed, undos signed.
    let log = lib.signed_review_log(&id)?;
    for (what, expected, found) in crate::provenance::review::check_log(&id, &log) {
        problem(what, expected, found);
    }

    Ok(RecordingReport {
        reviewers: reviewers(&log),
        recording_id: id,
        ok: problems.is_empty(),
        sealed: seal.as_ref().map(|s| s.seal.kind),
        station_key: seal.as_ref().map(|s| s.seal.station_key.clone()),
        fingerprint: seal.as_ref().map(|s| keys::fingerprint(&s.seal.station_key)),
        trusted: trusted_seal,
        batches: batches.len() as u64,
        rows,
        media_files,
        media_bytes,
        input_origins: InputOrigins::count(&input),
        problems,
    })
}

/// A canonical bundle's seal, as found in an export directory.
#[derive(Debug, Clone, Serialize)]
pub struct BundleSeal {
    /// The bundle's directory, relative to the export directory ("" for the export itself).
    pub bundle: String,
    pub recording_id: String,
    pub sealed: SealKind,
    pub station_key: String,
    pub fingerprint: String,
    /// Who signed the bundle's review log.
    pub reviewers: Vec<Reviewer>,
    /// The bundle's input events by origin (from its events.jsonl).
    pub input_origins: InputOrigins,
}

/// What verification of an export directory found.
#[derive(Debug, Clone, Serialize)]
pub struct DirectoryReport {
    pub dir: std::path::PathBuf,
    pub ok: bool,
    pub format: Option<String>,
    pub recordings: Vec<String>,
    pub files: u64,
    pub bytes: u64,
    /// Who signed the manifest.
    pub public_key: Option<String>,
    pub fingerprint: Option<String>,
    /// With trusted keys given: whether the manifest and every seal are signed by one of them.
    pub trusted: Option<bool>,
    pub seals: Vec<BundleSeal>,
    pub problems: Vec<Problem>,
}

/// Verifies an export directory: its manifest's signature, every listed file present with its
/// size and sha256, no file that is not listed, and in each canonical bundle the capture seal's
/// signature and the chain it seals, recomputed from the bundle's events where they are there.
/// `trusted`: public keys (hex) the manifest and seals must be signed by (empty: any).
pub fn directory(dir: &std::path::Path, trusted: &[String]) -> DirectoryReport {
    use crate::export::manifest::{self, Manifest, ManifestSignature, MANIFEST_FILE, SIGNATURE_FILE};
    let mut report = DirectoryReport {
        dir: dir.to_path_buf(),
        ok: false,
        format: None,
        recordings: vec![],
        files: 0,
        bytes: 0,
        public_key: None,
        fingerprint: None,
        trusted: None,
        seals: vec![],
        problems: vec![],
    };
    let mut problem = |what: String, expected: &str, found: String| report.problems.push(Problem { what, expected: expected.to_string(), found });
    let is_trusted = |key: &str| trusted.iter().any(|k| k.eq_ignore_ascii_case(key));
    let mut all_trusted = true;

    let bytes = match std::fs::read(dir.join(MANIFEST_FILE)) {
        Ok(b) => b,
        Err(e) => {
            problem(MANIFEST_FILE.into(), "the export's manifest", e.to_string());
            return report;
        }
    };
    let manifest: Option<Manifest> = match serde_json::from_slice(&bytes) {
        Ok(m) => Some(m),
        Err(e) => {
            problem(MANIFEST_FILE.into(), "a manifest (apprentice.manifest/3)", format!("unreadable: {e}"));
            None
        }
    };
    match read_json::<ManifestSignature>(&dir.join(SIGNATURE_FILE)) {
        Ok(sig) => {
            if let Err(e) = sig.check(&bytes) {
                problem(format!("{SIGNATURE_FILE} over {MANIFEST_FILE}"), "a valid signature", e.to_string());
            }
            if !trusted.is_empty() && !is_trusted(&sig.public_key) {
                all_trusted = false;
                problem(format!("{SIGNATURE_FILE}'s key"), "a trusted key", format!("{} (not trusted)", keys::fingerprint(&sig.public_key)));
            }
            report.fingerprint = Some(keys::fingerprint(&sig.public_key));
            report.public_key = Some(sig.public_key);
        }
        Err(e) => problem(SIGNATURE_FILE.into(), "the exporting station's signature", e),
    }
    let Some(manifest) = manifest else { return report };
    report.format = Some(manifest.format.clone());
    report.recordings = manifest.recordings.clone();

    // Every file listed is there, whole; nothing else is.
    let listed: std::collections::HashSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for f in &manifest.files {
        let safe = !f.path.is_empty() && !f.path.starts_with('/') && !f.path.split('/').any(|c| c == ".." || c.is_empty());
        if !safe {
            problem(format!("file {}", f.path), "a path inside the export", "a path outside it".into());
            continue;
        }
        let expected = format!("{} bytes, sha256 {}", f.bytes, short_hex(&f.sha256));
        match manifest::hash_file(&dir.join(&f.path)) {
            Ok((n, sha)) => {
                report.files += 1;
                report.bytes += n;
                if n != f.bytes {
                    problem(format!("file {}", f.path), &expected, format!("{n} bytes"));
                } else if sha != f.sha256 {
                    problem(format!("file {}", f.path), &expected, format!("sha256 {}", short_hex(&sha)));
                }
            }
            Err(e) => problem(format!("file {}", f.path), &expected, format!("missing ({e})")),
        }
    }
    match manifest::files_under(dir) {
        Ok(found) => {
            for extra in found.iter().filter(|p| !listed.contains(p.as_str())) {
                problem(format!("file {extra}"), "only the files the manifest lists", "a file it does not list".into());
            }
        }
        Err(e) => problem(format!("{}", dir.display()), "a readable directory", e.to_string()),
    }

    // Canonical bundles: the seal, and the chain it seals.
    let mut bundles: Vec<String> = manifest.files.iter().filter_map(|f| f.path.strip_suffix("seal.json")).filter(|p| p.is_empty() || p.ends_with('/')).map(str::to_string).collect();
    bundles.sort();
    for prefix in bundles {
        let seal_path = format!("{prefix}seal.json");
        let seal: crate::provenance::seal::SignedSeal = match read_json(&dir.join(&seal_path)) {
            Ok(s) => s,
            Err(e) => {
                problem(seal_path, "a capture seal", e);
                continue;
            }
        };
        if let Err(e) = seal.check_signature() {
            problem(format!("{seal_path}'s signature"), "a valid signature by the recording station", e.to_string());
        }
        if !trusted.is_empty() && !is_trusted(&seal.seal.station_key) {
            all_trusted = false;
            problem(format!("{seal_path}'s station key"), "a trusted key", format!("{} (not trusted)", keys::fingerprint(&seal.seal.station_key)));
        }
        let input_origins = check_bundle_chain(dir, &prefix, &seal, &mut |what, expected, found| problem(what, expected, found));
        // The review log, when the recording was reviewed.
        let log_path = format!("{prefix}review-log.json");
        // Absent when nobody reviewed the recording; unreadable is a problem.
        let log: Vec<crate::provenance::review::SignedEntry> = if dir.join(&log_path).exists() {
            read_json(&dir.join(&log_path)).unwrap_or_else(|e| {
                problem(log_path.clone(), "a signed review log", e);
                vec![]
            })
        } else {
            vec![]
        };
        for (what, expected, found) in crate::provenance::review::check_log(&seal.seal.recording_id, &log) {
            problem(format!("{log_path}: {what}"), &expected, found);
        }
        report.seals.push(BundleSeal {
            bundle: prefix.trim_end_matches('/').to_string(),
            recording_id: seal.seal.recording_id.clone(),
            sealed: seal.seal.kind,
            station_key: seal.seal.station_key.clone(),
            fingerprint: keys::fingerprint(&seal.seal.station_key),
            reviewers: reviewers(&log),
            input_origins,
        });
    }
    report.trusted = (!trusted.is_empty()).then_some(all_trusted && report.public_key.is_some());
    report.ok = report.problems.is_empty();
    report
}

/// A bundle's chain.json against its seal (links recomputed from the digests, head, counts),
/// and its events.jsonl against the chain (each stream's rows, batch by batch). Returns the
/// origins of the bundle's input events.
fn check_bundle_chain(dir: &std::path::Path, prefix: &str, seal: &crate::provenance::seal::SignedSeal, problem: &mut dyn FnMut(String, &str, String)) -> InputOrigins {
    let chain_path = format!("{prefix}chain.json");
    let batches: Vec<chain::ChainBatch> = match read_json(&dir.join(&chain_path)) {
        Ok(b) => b,
        Err(e) => {
            problem(chain_path, "the capture chain the seal seals", e);
            return InputOrigins::default();
        }
    };
    let mut prev = chain::genesis(&seal.seal.recording_id);
    let mut totals = StreamCounts::default();
    for (i, b) in batches.iter().enumerate() {
        let digests: Option<BTreeMap<Stream, [u8; 32]>> = b.digests.iter().map(|(s, d)| Some((*s, unhex(d)?.try_into().ok()?))).collect();
        let link = digests.map(|d| chain::link_from(&prev, &b.counts, &d));
        if link.map(|l| hex(&l)) != Some(b.link.clone()) {
            problem(format!("{chain_path}, batch {i}"), "a link that follows from the one before", "a broken link".into());
        }
        prev = unhex(&b.link).and_then(|v| <[u8; 32]>::try_from(v).ok()).unwrap_or(prev);
        for s in Stream::ALL {
            totals.add(s, b.counts.get(s));
        }
    }
    let head = batches.last().map(|b| b.link.clone()).unwrap_or_else(|| hex(&chain::genesis(&seal.seal.recording_id)));
    if head != seal.seal.chain_head || batches.len() as u64 != seal.seal.batches {
        problem(
            format!("{chain_path}'s head"),
            &format!("{} batches up to {}, as sealed", seal.seal.batches, short_hex(&seal.seal.chain_head)),
            format!("{} batches up to {}", batches.len(), short_hex(&head)),
        );
    }
    if totals != seal.seal.counts {
        problem(format!("{chain_path}'s rows"), &format!("{:?}, as sealed", seal.seal.counts), format!("{totals:?}"));
    }

    // The bundle's own copy of the raw streams (audio is in it re-encoded, so only the chain vouches for it).
    let events_path = format!("{prefix}events.jsonl");
    let Ok(text) = std::fs::read_to_string(dir.join(&events_path)) else { return InputOrigins::default() };
    let mut rows: BTreeMap<Stream, Vec<Vec<u8>>> = BTreeMap::new();
    let mut origins = InputOrigins::default();
    for (n, line) in text.lines().enumerate() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            problem(format!("{events_path}, line {}", n + 1), "a JSON event", "unreadable".into());
            continue;
        };
        let encoded = match v["stream"].as_str() {
            Some("input") => serde_json::from_value::<InputEvent>(v).map(|e| {
                origins.add(e.origin);
                (Stream::Input, ChainRow::Input(&e).encode())
            }),
            Some("window") => serde_json::from_value::<WindowEvent>(v).map(|e| (Stream::Window, ChainRow::Window(&e).encode())),
            Some("note") => serde_json::from_value::<Note>(v).map(|e| (Stream::Notes, ChainRow::Note(&e).encode())),
            Some("marker") => serde_json::from_value::<Marker>(v).map(|e| (Stream::Markers, ChainRow::Marker(&e).encode())),
            Some("frame") => serde_json::from_value::<Frame>(v).map(|e| (Stream::Frames, ChainRow::Frame(&e).encode())),
            _ => continue,
        };
        match encoded {
            Ok((s, row)) => rows.entry(s).or_default().push(row),
            Err(e) => problem(format!("{events_path}, line {}", n + 1), "an event of its stream", format!("unreadable: {e}")),
        }
    }
    for s in [Stream::Input, Stream::Window, Stream::Notes, Stream::Markers, Stream::Frames] {
        let all = rows.remove(&s).unwrap_or_default();
        let mut from = 0usize;
        for (i, b) in batches.iter().enumerate() {
            let n = b.counts.get(s) as usize;
            if n == 0 {
                continue;
            }
            let part = all.get(from..(from + n).min(all.len())).unwrap_or_default();
            from += n;
            if b.digests.get(&s) != Some(&hex(&chain::digest(part))) {
                problem(
                    format!("{events_path}: stream {}, batch {i}", s.as_str()),
                    "the rows the chain holds",
                    if part.len() < n { "fewer rows (dropped)".into() } else { "rows that differ (changed or reordered)".into() },
                );
                break;
            }
        }
        if all.len() > from {
            problem(format!("{events_path}: stream {}", s.as_str()), &format!("{from} rows, as the chain holds"), format!("{} rows", all.len()));
        }
    }
    origins
}

/// A JSON file of an export, read; the error as a problem's "found".
fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("unreadable: {e}"))
}

/// The earliest time among a batch's rows, to place it for a person.
fn first_time(grouped: &[(Stream, Vec<Vec<u8>>)]) -> Option<Micros> {
    grouped.iter().flat_map(|(_, r)| r.iter()).filter_map(|row| serde_json::from_slice::<serde_json::Value>(row).ok()).filter_map(|v| v.get("t").or_else(|| v.get("t0")).and_then(|t| t.as_u64())).min()
}

fn short_hex(h: &str) -> String {
    h.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::provenance::keys::StationKey;
    use crate::store::writer::{WriteOp, Writer};

    fn key_event(t: Micros, c: &str) -> InputEvent {
        InputEvent {
            t,
            kind: InputKind::KeyPress,
            x: 5,
            y: 5,
            button: None,
            key: Some(c.into()),
            code: Some(38),
            text: Some(c.into()),
            dx: 0,
            dy: 0,
            modifiers: Modifiers(0),
            origin: Default::default(),
        }
    }

    /// A sealed recording written through the real writer, in several batches.
    fn sealed(dir: &std::path::Path) -> (Library, StationKey) {
        let lib = Library::open(dir).unwrap();
        let mut rec = crate::store::tests::sample_recording("v1");
        rec.status = RecordingStatus::Recording;
        lib.create_recording(&rec).unwrap();
        let key = StationKey::ephemeral([9; 32]);
        let (w, join) = Writer::spawn_sealed(lib.db_path(), "v1".into(), Some(Arc::new(StationKey::ephemeral([9; 32])))).unwrap();
        for (i, c) in ["a", "b", "c", "d"].iter().enumerate() {
            w.send(WriteOp::Input(key_event(100_000 * (i as u64 + 1), c)));
            if i == 1 {
                w.send(WriteOp::Note(Note { t: 250_000, text: "why".into(), source: NoteSource::Typed }));
            }
            std::thread::sleep(crate::store::writer::COMMIT_INTERVAL + std::time::Duration::from_millis(50));
        }
        w.send(WriteOp::Finish { status: RecordingStatus::Finished, duration: 1_000_000, health: Health::default(), error: None });
        join.join().unwrap();
        (lib, key)
    }

    #[test]
    fn a_sealed_recording_verifies_and_a_changed_row_is_named_by_stream_and_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, key) = sealed(dir.path());
        let report = recording(&lib, "v1", &[]).unwrap();
        assert!(report.ok, "{:?}", report.problems);
        assert_eq!((report.sealed, report.station_key.as_deref()), (Some(SealKind::Finished), Some(key.public_hex().as_str())));
        assert_eq!((report.rows.input, report.rows.notes), (4, 1));
        assert!(report.batches >= 3, "one batch per commit: {}", report.batches);
        assert_eq!(recording(&lib, "v1", &[key.public_hex()]).unwrap().trusted, Some(true));

        let conn = rusqlite::Connection::open(lib.db_path()).unwrap();
        conn.execute("UPDATE input_events SET text = 'x' WHERE text = 'c'", []).unwrap();
        let report = recording(&lib, "v1", &[]).unwrap();
        assert!(!report.ok);
        assert_eq!(report.problems.len(), 1, "only the damaged batch: {:?}", report.problems);
        assert!(report.problems[0].what.starts_with("stream input, batch "), "{:?}", report.problems);
        // Placed in time for a person (when the damaged batch began).
        assert!(report.problems[0].what.contains(" (from 0."), "{:?}", report.problems);
    }

    #[test]
    fn a_forged_seal_and_rows_outside_the_chain_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, _) = sealed(dir.path());
        let conn = rusqlite::Connection::open(lib.db_path()).unwrap();
        conn.execute("INSERT INTO notes (recording_id, t_us, text, source) VALUES ('v1', 900000, 'added later', 'typed')", []).unwrap();
        let seal: String = conn.query_row("SELECT seal FROM seals", [], |r| r.get(0)).unwrap();
        conn.execute("UPDATE seals SET seal = ?1", [seal.replace("\"notes\":1", "\"notes\":2")]).unwrap();
        let report = recording(&lib, "v1", &[]).unwrap();
        let what: Vec<&str> = report.problems.iter().map(|p| p.what.as_str()).collect();
        assert_eq!(what, ["stream notes", "seal's signature"], "{:?}", report.problems);
        assert_eq!(report.problems[0].found, "2 rows: 1 not in the chain (added after capture)");
    }
}
