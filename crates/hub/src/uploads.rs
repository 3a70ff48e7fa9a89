//! Uploads: a station announces a recording (its one-recording library and the media files its
//! frames use, each named by sha256), sends the files the hub lacks, and asks the hub to
//! complete it. Every step is idempotent and every piece of progress is in PostgreSQL and the
//! object store, so an upload survives a crash of either side and may be finished against
//! another hub process. Completion checks, with the core's own code, that the library holds
//! exactly the announced recording, sealed by the announcing station's key over an intact chain
//! (`verify::recording`), bound to a task the expert is assigned and has consented to; then it
//! segments the recording, moves its files into place and indexes it. A refused upload's files
//! are deleted: nothing of it is kept but the reasons. Not its job: HTTP (api.rs), or where
//! objects live (storage.rs).

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::api::ApiError;
use crate::auth::{Caller, Role};
use crate::storage::Store;
use apprentice_core::provenance::keys;
use apprentice_hub_api::{NewUpload, UploadFile, UploadStatus};

/// Media extensions a recording's frames use.
const MEDIA_EXTS: &[&str] = &["webp"];
/// At most this many media files in one upload (an hour of busy work has a few thousand).
const MAX_MEDIA: usize = 1_000_000;

/// Where uploads work: the store, a local scratch directory, and the largest file accepted.
#[derive(Clone, Debug)]
pub struct Uploads {
    pub store: Store,
    pub scratch: PathBuf,
    pub max_file_bytes: u64,
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn check_file(f: &UploadFile, what: &str, max: u64) -> Result<(), ApiError> {
    if !is_sha256(&f.sha256) {
        return Err(ApiError::bad_request(format!("{what}: sha256 must be 64 lowercase hex digits")));
    }
    if f.bytes == 0 || f.bytes > max {
        return Err(ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, format!("{what}: {} bytes; this hub takes files of 1 to {max} bytes", f.bytes)));
    }
    Ok(())
}

/// The upload row a handler works on.
struct Upload {
    id: i64,
    user_id: i64,
    station_key: String,
    recording_id: String,
    campaign: String,
    task_id: String,
    library: UploadFile,
    media: Vec<UploadFile>,
    state: String,
    problems: Vec<String>,
}

const UPLOAD_SQL: &str = "SELECT u.id, u.user_id, s.public_key, u.recording_id, c.name, u.task_id, u.library_sha256, u.library_bytes, u.media, u.state, u.problems
     FROM uploads u JOIN stations s ON s.id = u.station_id JOIN campaigns c ON c.id = u.campaign_id WHERE u.id = $1";

fn upload_of(r: &tokio_postgres::Row) -> Result<Upload, ApiError> {
    let media: serde_json::Value = r.get(8);
    let problems: serde_json::Value = r.get(10);
    Ok(Upload {
        id: r.get(0),
        user_id: r.get(1),
        station_key: r.get(2),
        recording_id: r.get(3),
        campaign: r.get(4),
        task_id: r.get(5),
        library: UploadFile { sha256: r.get(6), bytes: r.get::<_, i64>(7) as u64, ext: None },
        media: serde_json::from_value(media).map_err(|e| ApiError::internal(format!("a stored upload: {e}")))?,
        state: r.get(9),
        problems: serde_json::from_value(problems).unwrap_or_default(),
    })
}

/// The caller's upload `id` (admins may read any); `lock` takes the row for the transaction.
async fn load(client: &impl deadpool_postgres::GenericClient, caller: &Caller, id: i64, lock: bool) -> Result<Upload, ApiError> {
    let sql = if lock { format!("{UPLOAD_SQL} FOR UPDATE OF u") } else { UPLOAD_SQL.to_string() };
    let row = client.query_opt(&sql, &[&id]).await.map_err(ApiError::db)?;
    let up = row.as_ref().map(upload_of).transpose()?;
    match up {
        Some(u) if u.user_id == caller.user_id || caller.role == Role::Admin => Ok(u),
        _ => Err(ApiError::not_found(format!("no upload {id} of {}", caller.name))),
    }
}

/// Announces an upload (or finds the one already announced for this recording and content).
pub async fn announce(client: &deadpool_postgres::Client, up: &Uploads, caller: &Caller, n: NewUpload) -> Result<(bool, UploadStatus), ApiError> {
    check_file(&n.library, "library", up.max_file_bytes)?;
    if n.media.len() > MAX_MEDIA {
        return Err(ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, format!("{} media files; this hub takes at most {MAX_MEDIA} in one upload", n.media.len())));
    }
    for f in &n.media {
        check_file(f, &format!("media file {}", f.sha256.get(..12).unwrap_or(&f.sha256)), up.max_file_bytes)?;
        if !f.ext.as_deref().is_some_and(|e| MEDIA_EXTS.contains(&e)) {
            return Err(ApiError::bad_request(format!("media file {}: ext must be one of {MEDIA_EXTS:?}", f.sha256)));
        }
    }
    if n.recording_id.is_empty() || n.recording_id.len() > 64 || !n.recording_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::bad_request("recording_id must be 1–64 letters, digits and dashes"));
    }
    let key = n.station_key.to_ascii_lowercase();
    let station: Option<i64> = client.query_opt("SELECT id FROM stations WHERE public_key = $1 AND user_id = $2", &[&key, &caller.user_id]).await.map_err(ApiError::db)?.map(|r| r.get(0));
    let Some(station_id) = station else {
        return Err(ApiError::forbidden(format!("the station {} has not joined this hub as {}'s: run `apprentice station join`", keys::fingerprint(&key), caller.name)));
    };
    client.execute("UPDATE stations SET last_seen = now(), queue_depth = $2 WHERE id = $1", &[&station_id, &(n.queue.min(i32::MAX as u32) as i32)]).await.map_err(ApiError::db)?;
    let campaign_id = may_record(client, caller, &n.campaign, &n.task_id).await?;
    if let Some(r) = client.query_opt("SELECT station_id FROM recordings WHERE id = $1", &[&n.recording_id]).await.map_err(ApiError::db)? {
        if r.get::<_, i64>(0) != station_id {
            return Err(ApiError::conflict(format!("recording {} came from another station", n.recording_id)));
        }
    }
    let media = serde_json::to_value(&n.media).map_err(|e| ApiError::internal(e.to_string()))?;
    let row = client
        .query_one(
            "INSERT INTO uploads (station_id, user_id, recording_id, campaign_id, task_id, library_sha256, library_bytes, media) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (station_id, recording_id, library_sha256) DO UPDATE SET updated_at = now() RETURNING id, (xmax = 0)",
            &[&station_id, &caller.user_id, &n.recording_id, &campaign_id, &n.task_id, &n.library.sha256, &(n.library.bytes as i64), &media],
        )
        .await
        .map_err(ApiError::db)?;
    let (id, new): (i64, bool) = (row.get(0), row.get(1));
    let upload = load(client, caller, id, false).await?;
    Ok((new, status_of(client, caller, &upload).await?))
}

/// The campaign's id when `caller` is assigned `task_id` in it and has accepted its consent.
async fn may_record(client: &impl deadpool_postgres::GenericClient, caller: &Caller, campaign: &str, task_id: &str) -> Result<i64, ApiError> {
    let row = client
        .query_opt(
            "SELECT c.id, c.consent_text IS NOT NULL, c.consent_version, EXISTS (SELECT 1 FROM assignments a WHERE a.campaign_id = c.id AND a.task_id = $2 AND a.expert_id = $3) FROM campaigns c WHERE c.name = $1",
            &[&campaign, &task_id, &caller.user_id],
        )
        .await
        .map_err(ApiError::db)?
        .ok_or_else(|| ApiError::not_found(format!("no campaign named {campaign}")))?;
    let (id, asks_consent, version, assigned): (i64, bool, i32, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
    if !assigned {
        return Err(ApiError::forbidden(format!("{} is not assigned task {task_id} of campaign {campaign}", caller.name)));
    }
    if asks_consent {
        let decision = crate::stations::decision_of(client, id, caller.user_id, version).await?;
        if decision.as_deref() != Some("accept") {
            return Err(ApiError::forbidden(format!("{} has not accepted the consent of campaign {campaign} (version {version}): run `apprentice consent {campaign} --accept`", caller.name)));
        }
    }
    Ok(id)
}

/// Files of `u` the hub still needs, with their sizes.
async fn missing(client: &impl deadpool_postgres::GenericClient, u: &Upload) -> Result<Vec<UploadFile>, ApiError> {
    let received: std::collections::HashSet<String> = client.query("SELECT sha256 FROM upload_files WHERE upload_id = $1", &[&u.id]).await.map_err(ApiError::db)?.iter().map(|r| r.get(0)).collect();
    let shas: Vec<String> = u.media.iter().map(|m| m.sha256.clone()).collect();
    let stored: std::collections::HashSet<String> = client.query("SELECT sha256 FROM media WHERE sha256 = ANY($1)", &[&shas]).await.map_err(ApiError::db)?.iter().map(|r| r.get(0)).collect();
    let mut out = vec![];
    if !received.contains(&u.library.sha256) {
        out.push(u.library.clone());
    }
    let mut seen = std::collections::HashSet::new();
    for m in &u.media {
        if !received.contains(&m.sha256) && !stored.contains(&m.sha256) && seen.insert(m.sha256.clone()) {
            out.push(m.clone());
        }
    }
    Ok(out)
}

async fn status_of(client: &impl deadpool_postgres::GenericClient, caller: &Caller, u: &Upload) -> Result<UploadStatus, ApiError> {
    let missing = if u.state == "open" { missing(client, u).await? } else { vec![] };
    let recording = if u.state == "complete" { crate::recordings::get(client, caller, &u.recording_id).await.ok() } else { None };
    Ok(UploadStatus {
        id: u.id,
        recording_id: u.recording_id.clone(),
        state: u.state.clone(),
        files: 1 + u.media.len() as u64,
        missing_bytes: missing.iter().map(|f| f.bytes).sum(),
        missing: missing.into_iter().map(|f| f.sha256).collect(),
        problems: u.problems.clone(),
        recording,
    })
}

pub async fn status(client: &deadpool_postgres::Client, caller: &Caller, id: i64) -> Result<UploadStatus, ApiError> {
    let u = load(client, caller, id, false).await?;
    status_of(client, caller, &u).await
}

/// Receives one file of an open upload, streamed to scratch while hashed, then into the store.
/// A body longer than announced is cut off at the announced size; shorter, or with other
/// content, is refused; nothing of a refused body is kept.
pub async fn receive(client: &deadpool_postgres::Client, up: &Uploads, caller: &Caller, id: i64, sha256: &str, body: axum::body::Body) -> Result<UploadStatus, ApiError> {
    let u = load(client, caller, id, false).await?;
    if u.state != "open" {
        return Err(ApiError::conflict(format!("upload {id} is {}: it takes no more files", u.state)));
    }
    let expected = if u.library.sha256 == sha256 { Some(u.library.bytes) } else { u.media.iter().find(|m| m.sha256 == sha256).map(|m| m.bytes) };
    let Some(expected) = expected else { return Err(ApiError::not_found(format!("{sha256} is not a file of upload {id}"))) };
    let have = client.query_opt("SELECT 1 FROM upload_files WHERE upload_id = $1 AND sha256 = $2", &[&id, &sha256]).await.map_err(ApiError::db)?.is_some();
    if !have {
        let tmp = tempfile::NamedTempFile::new_in(&up.scratch).map_err(|e| ApiError::unavailable(format!("scratch space {}: {e}", up.scratch.display())))?;
        let n = spool(body, tmp.path(), expected, sha256).await?;
        up.store.put_file(&Store::staged_key(id, sha256), tmp.path()).await.map_err(|e| ApiError::unavailable(e.to_string()))?;
        client.execute("INSERT INTO upload_files (upload_id, sha256, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&id, &sha256, &(n as i64)]).await.map_err(ApiError::db)?;
        client.execute("UPDATE uploads SET updated_at = now() WHERE id = $1", &[&id]).await.map_err(ApiError::db)?;
    }
    status_of(client, caller, &u).await
}

/// Writes `body` to `path`, at most `expected` bytes, and checks length and sha256.
async fn spool(body: axum::body::Body, path: &Path, expected: u64, sha256: &str) -> Result<u64, ApiError> {
    let mut file = tokio::fs::File::create(path).await.map_err(|e| ApiError::unavailable(format!("scratch file: {e}")))?;
    let mut hasher = Sha256::new();
    let mut n = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("the body was cut off after {n} of {expected} bytes ({e})")))?;
        n += chunk.len() as u64;
        if n > expected {
            return Err(ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, format!("the body is longer than the {expected} bytes announced for {sha256}")));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(|e| ApiError::unavailable(format!("scratch file: {e}")))?;
    }
    if n < expected {
        return Err(ApiError::bad_request(format!("the body was cut off after {n} of {expected} bytes")));
    }
    let got: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    if got != sha256 {
        return Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, format!("the body's sha256 is {got}, not {sha256}")));
    }
    file.flush().await.map_err(|e| ApiError::unavailable(format!("scratch file: {e}")))?;
    Ok(n)
}

/// What the core found in a received recording.
struct Checked {
    recording: apprentice_core::model::Recording,
    segmentation: apprentice_core::model::Segmentation,
    report: apprentice_core::verify::RecordingReport,
    chain_head: String,
}

/// Verifies and segments the recording laid out under `dir` (blocking: SQLite and hashing).
fn check(dir: &Path, u: &Upload) -> Result<Checked, Vec<String>> {
    use apprentice_core::model::RecordingStatus;
    let lib = apprentice_core::store::Library::open_received(dir).map_err(|e| vec![format!("library: {e}")])?;
    let ids: Vec<String> = lib.list().map_err(|e| vec![format!("library: {e}")])?.into_iter().map(|r| r.id).collect();
    if ids != [u.recording_id.clone()] {
        return Err(vec![format!("library: expected recording {} alone, found {}", u.recording_id, if ids.is_empty() { "none".to_string() } else { ids.join(", ") })]);
    }
    let recording = lib.recording(&u.recording_id).map_err(|e| vec![format!("recording: {e}")])?;
    let mut problems = vec![];
    if !matches!(recording.status, RecordingStatus::Finished | RecordingStatus::Interrupted) {
        problems.push(format!("recording: expected a finished or interrupted recording, found {}", recording.status.as_str()));
    }
    if recording.task.id.as_deref() != Some(u.task_id.as_str()) || recording.task.campaign.as_deref() != Some(u.campaign.as_str()) {
        problems.push(format!(
            "task: expected task {} of campaign {}, found {} of {}",
            u.task_id,
            u.campaign,
            recording.task.id.as_deref().unwrap_or("none"),
            recording.task.campaign.as_deref().unwrap_or("none")
        ));
    }
    let report = apprentice_core::verify::recording(&lib, &u.recording_id, std::slice::from_ref(&u.station_key)).map_err(|e| vec![format!("verify: {e}")])?;
    problems.extend(report.problems.iter().map(|p| format!("{}: expected {}, found {}", p.what, p.expected, p.found)));
    if !problems.is_empty() {
        return Err(problems);
    }
    let chain_head = lib.seal(&u.recording_id).ok().flatten().map(|s| s.seal.chain_head).unwrap_or_default();
    let segmentation = apprentice_core::segment::segment_recording(&lib, &u.recording_id).map_err(|e| vec![format!("segmenting: {e}")])?;
    Ok(Checked { recording, segmentation, report, chain_head })
}

/// Completes an upload: verifies, then keeps or refuses it. Completing a complete upload
/// answers as the first time did.
pub async fn complete(client: &mut deadpool_postgres::Client, up: &Uploads, caller: &Caller, id: i64) -> Result<UploadStatus, ApiError> {
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let u = load(&tx, caller, id, true).await?;
    match u.state.as_str() {
        "complete" => return status_of(&tx, caller, &u).await,
        "refused" => return Err(refusal(&u.recording_id, &u.problems)),
        _ => {}
    }
    let missing = missing(&tx, &u).await?;
    if !missing.is_empty() {
        return Err(ApiError::conflict(format!("upload {id} still lacks {} files ({} bytes): send them first", missing.len(), missing.iter().map(|f| f.bytes).sum::<u64>())));
    }
    // The recording as a library directory, in scratch space, from the store.
    let received: std::collections::HashSet<String> = tx.query("SELECT sha256 FROM upload_files WHERE upload_id = $1", &[&id]).await.map_err(ApiError::db)?.iter().map(|r| r.get(0)).collect();
    let dir = tempfile::tempdir_in(&up.scratch).map_err(|e| ApiError::unavailable(format!("scratch space: {e}")))?;
    let unavailable = |e: crate::storage::StorageError| ApiError::unavailable(e.to_string());
    let mut wanted = vec![(Store::staged_key(id, &u.library.sha256), dir.path().join("library.sqlite"), u.library.sha256.clone())];
    let mut seen = std::collections::HashSet::new();
    for m in u.media.iter().filter(|m| seen.insert(m.sha256.clone())) {
        let ext = m.ext.as_deref().unwrap_or("webp");
        let dest = dir.path().join(format!("media/{}/{}.{ext}", &m.sha256[..2], m.sha256));
        tokio::fs::create_dir_all(dest.parent().unwrap_or(dir.path())).await.map_err(|e| ApiError::unavailable(format!("scratch space: {e}")))?;
        let key = if received.contains(&m.sha256) { Store::staged_key(id, &m.sha256) } else { Store::media_key(&m.sha256, ext) };
        wanted.push((key, dest, m.sha256.clone()));
    }
    let mut lost = vec![];
    for (key, dest, sha) in &wanted {
        match up.store.get_file(key, dest).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => lost.push(sha.clone()),
            Err(e) => return Err(unavailable(e)),
        }
    }
    if !lost.is_empty() {
        // The store lost what the database says arrived (restored from a backup, cleaned by
        // hand): forget those files so the station sends them again.
        tx.execute("DELETE FROM upload_files WHERE upload_id = $1 AND sha256 = ANY($2)", &[&id, &lost]).await.map_err(ApiError::db)?;
        tx.execute("DELETE FROM media WHERE sha256 = ANY($1)", &[&lost]).await.map_err(ApiError::db)?;
        tx.commit().await.map_err(ApiError::db)?;
        tracing::warn!(upload = id, files = lost.len(), "files of an upload are missing from the store: asking for them again");
        return Err(ApiError::conflict(format!("upload {id} lacks {} files the store no longer holds: send them again", lost.len())));
    }
    let checked = {
        let (path, upload) = (dir.path().to_path_buf(), Upload { media: vec![], problems: vec![], ..u.clone_head() });
        tokio::task::spawn_blocking(move || check(&path, &upload)).await.map_err(|e| ApiError::internal(format!("verifying: {e}")))?
    };
    let checked = match checked {
        Ok(c) => c,
        Err(problems) => {
            let p = serde_json::to_value(&problems).unwrap_or_default();
            tx.execute("UPDATE uploads SET state = 'refused', problems = $2, updated_at = now() WHERE id = $1", &[&id, &p]).await.map_err(ApiError::db)?;
            tx.commit().await.map_err(ApiError::db)?;
            for sha in &received {
                let _ = up.store.delete(&Store::staged_key(id, sha)).await;
            }
            tracing::warn!(upload = id, recording = %u.recording_id, user = %caller.name, problems = ?problems, "upload refused");
            return Err(refusal(&u.recording_id, &problems));
        }
    };
    // Into place: media (stored once), then the library as received; then the index.
    for m in u.media.iter().filter(|m| received.contains(&m.sha256)) {
        let ext = m.ext.as_deref().unwrap_or("webp");
        up.store.copy(&Store::staged_key(id, &m.sha256), &Store::media_key(&m.sha256, ext)).await.map_err(unavailable)?;
    }
    up.store.copy(&Store::staged_key(id, &u.library.sha256), &Store::library_key(&u.recording_id, &u.library.sha256)).await.map_err(unavailable)?;
    let mut stored = std::collections::HashSet::new();
    for m in u.media.iter().filter(|m| received.contains(&m.sha256) && stored.insert(m.sha256.clone())) {
        tx.execute("INSERT INTO media (sha256, ext, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&m.sha256, &m.ext.as_deref().unwrap_or("webp"), &(m.bytes as i64)])
            .await
            .map_err(ApiError::db)?;
    }
    index(&tx, &u, &checked).await?;
    tx.execute("UPDATE uploads SET state = 'complete', updated_at = now() WHERE id = $1", &[&id]).await.map_err(ApiError::db)?;
    tx.commit().await.map_err(ApiError::db)?;
    for sha in &received {
        let _ = up.store.delete(&Store::staged_key(id, sha)).await;
    }
    tracing::info!(upload = id, recording = %u.recording_id, user = %caller.name, steps = checked.segmentation.steps.len(), "recording received");
    let u = Upload { state: "complete".into(), ..u };
    status_of(client, caller, &u).await
}

impl Upload {
    /// The fields `check` needs.
    fn clone_head(&self) -> Upload {
        Upload {
            id: self.id,
            user_id: self.user_id,
            station_key: self.station_key.clone(),
            recording_id: self.recording_id.clone(),
            campaign: self.campaign.clone(),
            task_id: self.task_id.clone(),
            library: self.library.clone(),
            media: vec![],
            state: self.state.clone(),
            problems: vec![],
        }
    }
}

fn refusal(recording: &str, problems: &[String]) -> ApiError {
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, format!("recording {recording} was refused and not stored: {}", problems.join("; ")))
}

/// The recording's row in the index (a re-sent recording, e.g. after review, replaces it).
async fn index(tx: &deadpool_postgres::Transaction<'_>, u: &Upload, c: &Checked) -> Result<(), ApiError> {
    let q = &c.segmentation.quality;
    let quality = serde_json::to_value(q).map_err(|e| ApiError::internal(e.to_string()))?;
    let sealed = c.report.sealed.map(|k| format!("{k:?}").to_ascii_lowercase()).unwrap_or_default();
    tx.execute(
        "INSERT INTO recordings (id, station_id, user_id, campaign_id, task_id, instruction, sealed, started_at, duration_us, steps, input_events, frames, media_bytes, outcome, synthetic_input_share, quality, chain_head, library_sha256, upload_id)
         SELECT $1, u.station_id, u.user_id, u.campaign_id, u.task_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, u.library_sha256, u.id FROM uploads u WHERE u.id = $14
         ON CONFLICT (id) DO UPDATE SET instruction = EXCLUDED.instruction, sealed = EXCLUDED.sealed, duration_us = EXCLUDED.duration_us, steps = EXCLUDED.steps,
           input_events = EXCLUDED.input_events, frames = EXCLUDED.frames, media_bytes = EXCLUDED.media_bytes, outcome = EXCLUDED.outcome,
           synthetic_input_share = EXCLUDED.synthetic_input_share, quality = EXCLUDED.quality, chain_head = EXCLUDED.chain_head,
           library_sha256 = EXCLUDED.library_sha256, upload_id = EXCLUDED.upload_id, updated_at = now()
         WHERE recordings.station_id = EXCLUDED.station_id",
        &[
            &u.recording_id,
            &c.recording.task.instruction,
            &sealed,
            &c.recording.started_at,
            &(c.recording.duration_us as i64),
            &(c.segmentation.steps.len() as i32),
            &(c.report.rows.input as i64),
            &(c.report.rows.frames as i64),
            &(c.report.media_bytes as i64),
            &c.recording.outcome.as_str(),
            &q.synthetic_input_share,
            &quality,
            &c.chain_head,
            &u.id,
        ],
    )
    .await
    .map_err(ApiError::db)?;
    Ok(())
}
