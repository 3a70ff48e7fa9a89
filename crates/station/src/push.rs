//! Sending recordings to the hub. A recording is extracted as a one-recording library
//! (`store::portable`), announced with the sha256 of every file, and only the files the hub lacks
//! are sent; then the hub is asked to complete it. Each step is idempotent, so a push that dies
//! (the hub restarting, this process killed) is simply run again and continues. Transient
//! failures (the hub unreachable or failing) are retried with backoff for up to
//! [`PushOptions::retry_for`]; a refusal (a tampered recording, no consent) is final and kept in
//! the queue with the hub's reason. Not its job: HTTP, or the queue's storage (the library).

use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{client, Result, StationConfig, StationError};
use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::portable;
use apprentice_core::store::upload_queue::QueueState;
use apprentice_core::store::Library;
use apprentice_hub_api::client::{HubClient, HubError};
use apprentice_hub_api::{RecordingSummary, UploadFile, UploadStatus};

#[derive(Debug, Clone)]
pub struct PushOptions {
    /// At most this many bytes per second (None: as fast as the link goes).
    pub bytes_per_second: Option<u64>,
    /// How long to keep retrying while the hub is away or failing.
    pub retry_for: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions { bytes_per_second: None, retry_for: Duration::from_secs(600) }
    }
}

/// What one recording's push came to.
#[derive(Debug, Clone, Serialize)]
pub struct PushReport {
    pub recording_id: String,
    pub state: QueueState,
    pub upload_id: Option<i64>,
    /// Files in the upload, sent this time, and already at the hub.
    pub files: u64,
    pub files_sent: u64,
    pub bytes_sent: u64,
    pub attempts: u32,
    /// Why it is not sent (refused, or still failing after the retries).
    pub error: Option<String>,
    pub recording: Option<RecordingSummary>,
}

/// What a push tells as it goes.
pub enum Progress<'a> {
    Announced { recording: &'a str, upload: i64, missing: usize, files: u64 },
    Sent { recording: &'a str, sha256: &'a str, bytes: u64, left: usize },
    Retrying { recording: &'a str, error: &'a HubError, wait: Duration },
}

/// Pushes `ids` (queuing any not queued), or with none every queued recording, to the hub.
pub fn push(lib: &Library, cfg: &StationConfig, key: &StationKey, ids: &[String], options: &PushOptions, progress: &mut dyn FnMut(Progress)) -> Result<Vec<PushReport>> {
    let ids: Vec<String> = if ids.is_empty() {
        lib.upload_queue()?.into_iter().filter(|q| q.state == QueueState::Queued).map(|q| q.recording_id).collect()
    } else {
        let mut full = vec![];
        for id in ids {
            let id = lib.resolve_id(id)?;
            lib.queue_upload(&id, &cfg.hub)?;
            full.push(id);
        }
        full
    };
    let hub = client(cfg);
    let mut reports = vec![];
    for id in ids {
        reports.push(push_one(lib, &hub, key, &id, options, progress)?);
    }
    Ok(reports)
}

fn push_one(lib: &Library, hub: &HubClient, key: &StationKey, id: &str, options: &PushOptions, progress: &mut dyn FnMut(Progress)) -> Result<PushReport> {
    let started = Instant::now();
    // Queued again while this push runs (the outcome answered, say): it stays queued for the next.
    let queued_at = lib.queued_upload(id)?.map(|q| q.queued_at).unwrap_or_default();
    let mut wait = Duration::from_millis(500);
    let mut report = PushReport { recording_id: id.to_string(), state: QueueState::Queued, upload_id: None, files: 0, files_sent: 0, bytes_sent: 0, attempts: 0, error: None, recording: None };
    loop {
        report.attempts += 1;
        match attempt(lib, hub, key, id, options, &mut report, progress) {
            Ok(status) => {
                lib.note_upload_attempt(id, Some(status.id), None)?;
                report.state = if lib.finish_upload(id, QueueState::Sent, None, &queued_at)? { QueueState::Sent } else { QueueState::Queued };
                report.recording = status.recording;
                return Ok(report);
            }
            Err(Failure::Refused(message)) => {
                lib.note_upload_attempt(id, report.upload_id, Some(&message))?;
                if lib.finish_upload(id, QueueState::Refused, Some(&message), &queued_at)? {
                    report.state = QueueState::Refused;
                }
                report.error = Some(message);
                return Ok(report);
            }
            Err(Failure::Again(e)) | Err(Failure::Hub(e)) if (e.is_transient() || e.status() == Some(409)) && started.elapsed() + wait < options.retry_for => {
                lib.note_upload_attempt(id, report.upload_id, Some(&e.to_string()))?;
                progress(Progress::Retrying { recording: id, error: &e, wait });
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(15));
            }
            Err(Failure::Hub(e)) | Err(Failure::Again(e)) => {
                let message = e.to_string();
                lib.note_upload_attempt(id, report.upload_id, Some(&message))?;
                // The hub's no about this recording is final; a token it no longer takes is not
                // the recording's fault: it stays queued.
                if !e.is_transient() && !matches!(e.status(), Some(401) | Some(409)) && lib.finish_upload(id, QueueState::Refused, Some(&message), &queued_at)? {
                    report.state = QueueState::Refused;
                }
                report.error = Some(message);
                return Ok(report);
            }
            Err(Failure::Station(e)) => return Err(e),
        }
    }
}

enum Failure {
    /// The hub answered that it will not take this recording.
    Refused(String),
    Hub(HubError),
    /// Worth another attempt: the hub lost or lacks files, so announce again.
    Again(HubError),
    Station(StationError),
}

impl From<HubError> for Failure {
    fn from(e: HubError) -> Self {
        Failure::Hub(e)
    }
}
impl From<StationError> for Failure {
    fn from(e: StationError) -> Self {
        Failure::Station(e)
    }
}
impl From<apprentice_core::store::StoreError> for Failure {
    fn from(e: apprentice_core::store::StoreError) -> Self {
        Failure::Station(e.into())
    }
}

fn sha256_file(path: &std::path::Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((h.finalize().iter().map(|b| format!("{b:02x}")).collect(), n))
}

fn attempt(
    lib: &Library,
    hub: &HubClient,
    key: &StationKey,
    id: &str,
    options: &PushOptions,
    report: &mut PushReport,
    progress: &mut dyn FnMut(Progress),
) -> std::result::Result<UploadStatus, Failure> {
    let rec = lib.recording(id)?;
    let (Some(task_id), Some(campaign)) = (rec.task.id.clone(), rec.task.campaign.clone()) else {
        return Err(Failure::Refused(format!("recording {id} is not bound to a hub task: only recordings made with `apprentice record --task-id` go to a hub")));
    };
    // Extracted beside the library (same disk), gone when this attempt ends.
    let scratch = tempfile::Builder::new().prefix(".push-").tempdir_in(lib.root()).map_err(|e| StationError::Store(apprentice_core::store::StoreError::io(lib.root(), e)))?;
    let extract = portable::extract(lib, id, scratch.path())?;
    let (lib_sha, lib_bytes) = sha256_file(&extract.db).map_err(|e| StationError::Store(apprentice_core::store::StoreError::io(&extract.db, e)))?;
    let media: Vec<UploadFile> = extract.media.iter().map(|m| UploadFile { sha256: m.sha256.clone(), bytes: m.bytes, ext: Some(m.ext.clone()) }).collect();
    let body = serde_json::json!({
        "recording_id": id,
        "station_key": key.public_hex(),
        "campaign": campaign,
        "task_id": task_id,
        "library": UploadFile { sha256: lib_sha.clone(), bytes: lib_bytes, ext: None },
        "media": media,
        "queue": lib.upload_queue_depth()?,
    });
    let status: UploadStatus = hub.post("/api/uploads", &body, "announcing the upload")?;
    report.upload_id = Some(status.id);
    report.files = status.files;
    lib.note_upload_attempt(id, Some(status.id), None)?;
    match status.state.as_str() {
        "complete" => return Ok(status),
        "refused" => return Err(Failure::Refused(format!("the hub refused recording {id}: {}", status.problems.join("; ")))),
        _ => {}
    }
    progress(Progress::Announced { recording: id, upload: status.id, missing: status.missing.len(), files: status.files });
    let by_sha: std::collections::HashMap<&str, &std::path::Path> = extract.media.iter().map(|m| (m.sha256.as_str(), m.path.as_path())).chain([(lib_sha.as_str(), extract.db.as_path())]).collect();
    for (i, sha) in status.missing.iter().enumerate() {
        let Some(path) = by_sha.get(sha.as_str()) else {
            return Err(Failure::Refused(format!("the hub asked for {sha}, which is not a file of recording {id}")));
        };
        let sent: UploadStatus = hub.put_file(&format!("/api/uploads/{}/files/{sha}", status.id), path, options.bytes_per_second, "sending a file")?;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        report.files_sent += 1;
        report.bytes_sent += bytes;
        progress(Progress::Sent { recording: id, sha256: sha, bytes, left: sent.missing.len().min(status.missing.len() - i - 1) });
    }
    match hub.post::<UploadStatus>(&format!("/api/uploads/{}/complete", status.id), &serde_json::json!({}), "completing the upload") {
        Ok(done) => Ok(done),
        // Files went missing in between (another process, a hub restart): announce again.
        Err(e) if e.status() == Some(409) => Err(Failure::Again(e)),
        Err(e) => Err(e.into()),
    }
}
