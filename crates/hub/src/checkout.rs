//! Received recordings as local libraries: a recording the hub holds (its one-recording library
//! and its media, in the object store) laid out in a local cache directory so the core's own
//! code can read it — the review view, its frames, publishing. The cache is only a copy of the
//! store: any hub process rebuilds it on a miss, so nothing of the hub's state lives here. A
//! recording's database is fetched once into a temporary directory and renamed into place, so a
//! reader never sees half of one; its media come as they are wanted (a frame's, or all of them),
//! each renamed into place too, so opening a long recording costs its database, not its hours of
//! screens. Frames are served through the core's [`FrameCache`] (PNG), and a recording
//! as a review state makes it (the core's replay) is kept by that state's audit log: twenty
//! reviewers opening one recording replay it once. Not its job: deciding who may read what
//! (review.rs, compare.rs, publish.rs).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use apprentice_core::model::{AuditEntry, Recording, ReviewState};
use apprentice_core::review::{self, Reviewed};
use apprentice_core::store::frame_cache::{FrameCache, ImageFormat};
use apprentice_core::store::Library;
use sha2::{Digest, Sha256};

use crate::api::ApiError;
use crate::storage::Store;

/// Rendered frames kept in memory by one hub process.
const FRAME_CACHE_BYTES: usize = 256 << 20;
/// Recordings whose frame renderers are kept (about one per reviewer at work).
const RENDERED_RECORDINGS: usize = 32;
/// Replayed reviews kept (a few per reviewer at work; a 500-step one is about a megabyte).
const REPLAYS: usize = 64;

/// A recording as one review state has it: the core's replay, and the recording (the expert as
/// stored; callers put the pseudonym in).
pub struct Replayed {
    pub recording: Recording,
    pub reviewed: Reviewed,
}

type ReplayCell = Arc<tokio::sync::OnceCell<Arc<Replayed>>>;
/// A recording's frames as (seq, media sha256), in order.
type FrameMedia = Arc<Vec<(u64, String)>>;

/// Replays by (recording, digest of the audit log), oldest first for eviction.
#[derive(Default)]
struct Replays {
    cells: std::collections::HashMap<String, ReplayCell>,
    order: std::collections::VecDeque<String>,
}

#[derive(Clone)]
pub struct Checkouts {
    store: Store,
    dir: PathBuf,
    frames: Arc<Mutex<FrameCache>>,
    replays: Arc<Mutex<Replays>>,
    /// One fetch of a recording's database at a time, by its directory.
    fetching: Arc<Mutex<std::collections::HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>>,
    /// Frames whose media are all here, by recording directory: every frame up to this seq.
    media_upto: Arc<Mutex<std::collections::HashMap<PathBuf, u64>>>,
    /// Each checked-out recording's frames (seq, media sha256), read once.
    frame_media: Arc<Mutex<std::collections::HashMap<PathBuf, FrameMedia>>>,
}

/// What the database says a recording is made of.
#[derive(Clone)]
struct Contents {
    library_sha256: String,
    media: Vec<(String, String)>,
}

impl Checkouts {
    pub fn new(store: Store, dir: PathBuf) -> Checkouts {
        Checkouts {
            store,
            dir,
            frames: Arc::new(Mutex::new(FrameCache::new(ImageFormat::Png, FRAME_CACHE_BYTES, RENDERED_RECORDINGS))),
            replays: Arc::default(),
            fetching: Arc::default(),
            media_upto: Arc::default(),
            frame_media: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The local library directory of recording `id` with its database, fetched from the store
    /// if this process has not yet; media come when wanted ([`Self::complete_dir`], frames).
    /// Requests for one recording arriving together wait for one fetch.
    pub async fn library_dir(&self, client: &impl deadpool_postgres::GenericClient, id: &str) -> Result<PathBuf, ApiError> {
        Ok(self.checked_out(client, id).await?.0)
    }

    /// As [`Self::library_dir`], with every media file of the recording (what publishing, audio
    /// and a comparison's thumbnails read).
    pub async fn complete_dir(&self, client: &impl deadpool_postgres::GenericClient, id: &str) -> Result<PathBuf, ApiError> {
        let (dir, c) = self.checked_out(client, id).await?;
        self.fetch_media(&dir, c.media.iter()).await?;
        Ok(dir)
    }

    async fn checked_out(&self, client: &impl deadpool_postgres::GenericClient, id: &str) -> Result<(PathBuf, Contents), ApiError> {
        let c = contents(client, id).await?;
        let dest = self.dir.join(format!("{id}-{}", &c.library_sha256[..16.min(c.library_sha256.len())]));
        if dest.join("library.sqlite").exists() {
            return Ok((dest, c));
        }
        let gate = {
            let mut fetching = self.fetching.lock().map_err(|_| ApiError::internal("checkout lock poisoned"))?;
            fetching.entry(dest.clone()).or_default().clone()
        };
        let _one_at_a_time = gate.lock().await;
        if dest.join("library.sqlite").exists() {
            return Ok((dest, c));
        }
        let scratch = |e: std::io::Error| ApiError::unavailable(format!("checkout space {}: {e}", self.dir.display()));
        tokio::fs::create_dir_all(&self.dir).await.map_err(scratch)?;
        let tmp = tempfile::Builder::new().prefix(".fetch-").tempdir_in(&self.dir).map_err(scratch)?;
        let unavailable = |e: crate::storage::StorageError| ApiError::unavailable(e.to_string());
        self.store.get_file(&Store::library_key(id, &c.library_sha256), &tmp.path().join("library.sqlite")).await.map_err(unavailable)?;
        let tmp = tmp.keep();
        match tokio::fs::rename(&tmp, &dest).await {
            Ok(()) => {}
            // Another process sharing this cache fetched it first: theirs is as good.
            Err(_) if dest.join("library.sqlite").exists() => {
                let _ = tokio::fs::remove_dir_all(&tmp).await;
            }
            Err(e) => return Err(scratch(e)),
        }
        tracing::debug!(recording = id, media = c.media.len(), "recording checked out");
        Ok((dest, c))
    }

    /// Fetches into `dir` the media files of `wanted` it lacks, each into a temporary name
    /// renamed into place, so a reader never sees half of one.
    async fn fetch_media<'a>(&self, dir: &Path, wanted: impl Iterator<Item = &'a (String, String)>) -> Result<usize, ApiError> {
        let scratch = |e: std::io::Error| ApiError::unavailable(format!("checkout space {}: {e}", self.dir.display()));
        let unavailable = |e: crate::storage::StorageError| ApiError::unavailable(e.to_string());
        let mut fetched = 0;
        for (sha, ext) in wanted {
            let path = dir.join(format!("media/{}/{sha}.{ext}", &sha[..2.min(sha.len())]));
            if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                continue;
            }
            let parent = path.parent().unwrap_or(dir);
            tokio::fs::create_dir_all(parent).await.map_err(scratch)?;
            let tmp = tempfile::Builder::new().prefix(".fetch-").tempfile_in(parent).map_err(scratch)?.into_temp_path();
            self.store.get_file(&Store::media_key(sha, ext), &tmp).await.map_err(unavailable)?;
            tmp.persist(&path).map_err(|e| scratch(e.error))?;
            fetched += 1;
        }
        Ok(fetched)
    }

    /// Frame `seq` of recording `id` as PNG (a thumbnail when `thumb`). The media of every
    /// frame up to it are fetched first (what the renderer may read to rebuild it).
    pub async fn frame(&self, client: &impl deadpool_postgres::GenericClient, id: &str, seq: u64, thumb: bool) -> Result<Arc<Vec<u8>>, ApiError> {
        let (dir, c) = self.checked_out(client, id).await?;
        let known = self.media_upto.lock().map_err(|_| ApiError::internal("checkout lock poisoned"))?.get(&dir).copied();
        if known.is_none_or(|upto| seq > upto) {
            let listed = self.frame_media.lock().map_err(|_| ApiError::internal("checkout lock poisoned"))?.get(&dir).cloned();
            let listed = match listed {
                Some(l) => l,
                None => {
                    let (d, rec) = (dir.clone(), id.to_string());
                    let frames = tokio::task::spawn_blocking(move || -> Result<Vec<(u64, String)>, ApiError> {
                        let lib = open(&d).map_err(|e| ApiError::internal(e.to_string()))?;
                        Ok(lib.frames(&rec).map_err(|e| ApiError::internal(e.to_string()))?.into_iter().map(|f| (f.seq, f.sha256)).collect())
                    })
                    .await
                    .map_err(|e| ApiError::internal(format!("frame: {e}")))??;
                    let frames = Arc::new(frames);
                    self.frame_media.lock().map_err(|_| ApiError::internal("checkout lock poisoned"))?.insert(dir.clone(), frames.clone());
                    frames
                }
            };
            // Only the frames since the last ones known to be here.
            let ext: std::collections::HashMap<&str, &str> = c.media.iter().map(|(s, e)| (s.as_str(), e.as_str())).collect();
            let wanted: Vec<(String, String)> =
                listed.iter().filter(|(s, _)| *s <= seq && known.is_none_or(|upto| *s > upto)).map(|(_, sha)| (sha.clone(), ext.get(sha.as_str()).copied().unwrap_or("webp").to_string())).collect();
            self.fetch_media(&dir, wanted.iter()).await?;
            let first = {
                let mut upto = self.media_upto.lock().map_err(|_| ApiError::internal("checkout lock poisoned"))?;
                let first = !upto.contains_key(&dir);
                let e = upto.entry(dir.clone()).or_insert(seq);
                *e = (*e).max(seq);
                first
            };
            if first {
                // Once the first frame asked for is here, the rest of the media follow in the
                // background, so later steps are read from here by the time a reviewer gets there.
                let (this, dir, media) = (self.clone(), dir.clone(), c.media.clone());
                tokio::spawn(async move {
                    match this.fetch_media(&dir, media.iter()).await {
                        Ok(n) => tracing::debug!(fetched = n, dir = %dir.display(), "media prefetched"),
                        Err(e) => tracing::warn!(dir = %dir.display(), "prefetching media: {}", e.message),
                    }
                });
            }
        }
        let (frames, id) = (self.frames.clone(), id.to_string());
        tokio::task::spawn_blocking(move || {
            let mut cache = frames.lock().map_err(|_| ApiError::internal("frame cache poisoned"))?;
            cache.get(|| open(&dir).map(Box::new), &id, seq, thumb).map_err(|e| match e {
                apprentice_core::store::StoreError::NoFrame { .. } => ApiError::not_found(e.to_string()),
                e => ApiError::internal(e.to_string()),
            })
        })
        .await
        .map_err(|e| ApiError::internal(format!("frame: {e}")))?
    }
}

impl Checkouts {
    /// Recording `id` as the review whose audit log is `log` has it (`review::load_as` over the
    /// checked-out library), replayed once per distinct log: the same log (every fresh lease's
    /// empty one, or a log read again unchanged) answers from memory, and requests arriving
    /// together wait for the one replay.
    pub async fn replayed(&self, client: &impl deadpool_postgres::GenericClient, id: &str, log: Vec<AuditEntry>) -> Result<Arc<Replayed>, ApiError> {
        let key = replay_key(id, &log);
        let cell = {
            let mut replays = self.replays.lock().map_err(|_| ApiError::internal("replay cache poisoned"))?;
            let cell = replays.cells.get(&key).cloned();
            match cell {
                Some(c) => c,
                None => {
                    let c = ReplayCell::default();
                    replays.cells.insert(key.clone(), c.clone());
                    replays.order.push_back(key.clone());
                    while replays.order.len() > REPLAYS {
                        if let Some(old) = replays.order.pop_front() {
                            replays.cells.remove(&old);
                        }
                    }
                    c
                }
            }
        };
        let replayed = cell
            .get_or_try_init(|| async {
                let dir = self.library_dir(client, id).await?;
                let (id, state) = (id.to_string(), ReviewState::from_log(log));
                tokio::task::spawn_blocking(move || -> Result<Arc<Replayed>, ApiError> {
                    let internal = |e: &dyn std::fmt::Display| ApiError::internal(format!("recording {id}: {e}"));
                    let lib = open(&dir).map_err(|e| internal(&e))?;
                    let reviewed = review::load_as(&lib, &id, &state).map_err(|e| internal(&e))?;
                    let recording = lib.recording(&id).map_err(|e| internal(&e))?;
                    Ok(Arc::new(Replayed { recording, reviewed }))
                })
                .await
                .map_err(|e| ApiError::internal(format!("replay: {e}")))?
            })
            .await;
        match replayed {
            Ok(r) => Ok(r.clone()),
            Err(e) => {
                // A failed replay is not remembered: the next request tries again.
                if let Ok(mut replays) = self.replays.lock() {
                    replays.cells.remove(&key);
                    replays.order.retain(|k| *k != key);
                }
                Err(e)
            }
        }
    }

    /// A span of recording `id`'s audio as WAV.
    pub async fn audio(&self, client: &impl deadpool_postgres::GenericClient, id: &str, t0: u64, t1: u64) -> Result<Vec<u8>, ApiError> {
        let dir = self.complete_dir(client, id).await?;
        let id = id.to_string();
        tokio::task::spawn_blocking(move || {
            let lib = open(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
            let samples = lib.audio_clip(&id, t0, t1).map_err(|e| ApiError::not_found(e.to_string()))?;
            Ok(apprentice_core::store::audio_codec::wav(&samples, apprentice_core::store::audio_codec::SAMPLE_RATE))
        })
        .await
        .map_err(|e| ApiError::internal(format!("audio: {e}")))?
    }
}

/// What a replay is kept by: the recording and every entry of the log as stored (a change, an
/// undo or an entry from another reviewer gives another key).
fn replay_key(id: &str, log: &[AuditEntry]) -> String {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    for e in log {
        h.update([0]);
        h.update(serde_json::to_vec(e).unwrap_or_default());
    }
    format!("{id}:{:x}", h.finalize())
}

/// Opens a checked-out library (never recovering or signing anything in it).
pub fn open(dir: &Path) -> Result<Library, apprentice_core::store::StoreError> {
    Library::open_received(dir)
}

async fn contents(client: &impl deadpool_postgres::GenericClient, id: &str) -> Result<Contents, ApiError> {
    let row = client
        .query_opt("SELECT r.library_sha256, u.media FROM recordings r JOIN uploads u ON u.id = r.upload_id WHERE r.id = $1", &[&id])
        .await
        .map_err(ApiError::db)?
        .ok_or_else(|| ApiError::not_found(format!("no recording {id}")))?;
    let media: serde_json::Value = row.get(1);
    let mut seen = std::collections::BTreeSet::new();
    let media = media
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m.get("sha256")?.as_str()?.to_string(), m.get("ext").and_then(|e| e.as_str()).unwrap_or("webp").to_string())))
        .filter(|(sha, _)| seen.insert(sha.clone()))
        .collect();
    Ok(Contents { library_sha256: row.get(0), media })
}
