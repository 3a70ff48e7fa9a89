//! The review side of the desktop app: commands to open a trajectory as reviewed, label, score,
//! edit and undo (all through [`apprentice_core::review`] and the library, as the CLI does), library
//! housekeeping (delete, re-segment), and the `frame://` protocol that serves screens to the
//! webview as image files (BMP, rebuilt by the library's frame renderer) —
//! through a byte-bounded cache, so stepping through a long trajectory never ships base64 JSON.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tauri::State;

use super::{AppState, CmdResult};
use apprentice_core::model::*;
use apprentice_core::review::{self, Reviewed};
use apprentice_core::store::frame_renderer::encode_bmp;
use apprentice_core::store::{FrameRenderer, Library};

/// What the review view shows of one recording.
#[derive(serde::Serialize, specta::Type)]
pub struct TrajectoryView {
    pub recording: Recording,
    #[serde(flatten)]
    pub reviewed: Reviewed,
}

pub(super) fn view(lib: &Library, id: &str) -> CmdResult<TrajectoryView> {
    let reviewed = review::load(lib, id)?;
    Ok(TrajectoryView { recording: lib.recording(id)?, reviewed })
}

fn library(state: &State<'_, AppState>) -> CmdResult<Library> {
    Ok(Library::open(&state.library_dir)?)
}

#[tauri::command]
#[specta::specta]
pub fn default_reviewer() -> String {
    apprentice_core::review::reviewer_name(None)
}

#[tauri::command]
#[specta::specta]
pub fn open_trajectory(state: State<'_, AppState>, id: String) -> CmdResult<TrajectoryView> {
    view(&library(&state)?, &id)
}

/// The recorder panel is a small window beside the work; review wants the whole screen.
#[tauri::command]
#[specta::specta]
pub fn set_review_layout(window: tauri::WebviewWindow, reviewing: bool) -> CmdResult<()> {
    Ok(if reviewing { window.maximize() } else { window.unmaximize() }?)
}

#[tauri::command]
#[specta::specta]
pub fn set_step_label(state: State<'_, AppState>, id: String, step: Micros, label: StepLabel, reviewer: String) -> CmdResult<Option<StepLabel>> {
    Ok(library(&state)?.set_step_label(&id, step, label, &reviewer)?)
}

#[tauri::command]
#[specta::specta]
pub fn set_trajectory_review(state: State<'_, AppState>, id: String, review: TrajectoryReview, reviewer: String) -> CmdResult<TrajectoryReview> {
    Ok(review::set_trajectory_review(&library(&state)?, &id, review, &reviewer)?)
}

#[tauri::command]
#[specta::specta]
pub fn edit_step(state: State<'_, AppState>, id: String, edit: StepEdit, reviewer: String) -> CmdResult<TrajectoryView> {
    let lib = library(&state)?;
    review::edit(&lib, &id, &edit, &reviewer)?;
    view(&lib, &id)
}

#[tauri::command]
#[specta::specta]
pub fn undo_review(state: State<'_, AppState>, id: String) -> CmdResult<TrajectoryView> {
    let lib = library(&state)?;
    lib.undo_review_change(&id)?;
    view(&lib, &id)
}

/// The audit log, oldest first.
#[tauri::command]
#[specta::specta]
pub fn review_log(state: State<'_, AppState>, id: String) -> CmdResult<Vec<AuditEntry>> {
    Ok(library(&state)?.review_state(&id)?.log)
}

#[tauri::command]
#[specta::specta]
pub fn delete_recording(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    Ok(library(&state)?.delete_recording(&id)?)
}

#[tauri::command]
#[specta::specta]
pub fn resegment(state: State<'_, AppState>, id: String) -> CmdResult<usize> {
    Ok(apprentice_core::segment::segment_recording(&library(&state)?, &id)?.steps.len())
}

/// Recently served frames, bounded in bytes, and what makes the next one cheap: a frame
/// renderer per view of the recording under review (its cursors make stepping forward cost one
/// delta, not a walk back to the key frame).
pub struct FrameCache {
    bytes: usize,
    order: VecDeque<FrameKey>,
    images: HashMap<FrameKey, Arc<Vec<u8>>>,
    /// By recording and size: thumbnails walk the strip apart from the main view.
    renderers: HashMap<(String, bool), FrameRenderer>,
    library: Option<Library>,
    dir: PathBuf,
}

const FRAME_CACHE_BYTES: usize = 256 << 20;
/// Width of filmstrip thumbnails: decoding full frames for them would halve the view's speed.
const THUMB_WIDTH: u32 = 192;

/// Recording, frame, thumbnail or not.
type FrameKey = (String, u64, bool);

impl FrameCache {
    pub fn new(dir: PathBuf) -> Mutex<FrameCache> {
        Mutex::new(FrameCache { bytes: 0, order: VecDeque::new(), images: HashMap::new(), renderers: HashMap::new(), library: None, dir })
    }

    /// The frame as a BMP file.
    fn get(&mut self, id: &str, seq: u64, thumb: bool) -> Result<Arc<Vec<u8>>, String> {
        let key = (id.to_string(), seq, thumb);
        if let Some(hit) = self.images.get(&key) {
            return Ok(hit.clone());
        }
        if self.library.is_none() {
            self.library = Some(Library::open(&self.dir).map_err(|e| e.to_string())?);
        }
        let lib = self.library.as_ref().ok_or("no library")?;
        // Renderers serve the recording under review; another one opened frees them.
        self.renderers.retain(|(rec, _), _| rec == id);
        let renderer = match self.renderers.entry((id.to_string(), thumb)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(lib.frame_renderer(id).map_err(|e| e.to_string())?),
        };
        if renderer.frame(seq).is_none() {
            return Err(format!("recording {id} has no frame {seq}"));
        }
        let image = renderer.render(seq).map_err(|e| e.to_string())?;
        // Every frame goes out as BMP: the webview decodes it for the cost of a copy, where a
        // lossless WebP key frame took it tens of milliseconds.
        let shown = if thumb {
            let h = (image.height() as u64 * THUMB_WIDTH as u64 / image.width().max(1) as u64).max(1) as u32;
            encode_bmp(&apprentice_core::export::screen::downscale(image, THUMB_WIDTH, h).map_err(|e| e.to_string())?)
        } else {
            encode_bmp(image)
        }
        .map_err(|e| e.to_string())?;
        let entry = Arc::new(shown);
        self.bytes += entry.len();
        self.order.push_back(key.clone());
        self.images.insert(key, entry.clone());
        while self.bytes > FRAME_CACHE_BYTES {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(b) = self.images.remove(&old) {
                self.bytes -= b.len();
            }
        }
        Ok(entry)
    }
}

/// Serves `frame://localhost/<recording id>/<frame seq>[/thumb]`.
pub fn serve_frame(cache: &Mutex<FrameCache>, path: &str) -> tauri::http::Response<Vec<u8>> {
    let respond = |status: u16, kind: &str, body: Vec<u8>| {
        tauri::http::Response::builder().status(status).header("Content-Type", kind).header("Cache-Control", "max-age=31536000, immutable").body(body).unwrap_or_default()
    };
    let mut parts = path.trim_start_matches('/').split('/');
    let (Some(id), Some(Ok(seq)), thumb) = (parts.next(), parts.next().map(str::parse::<u64>), parts.next() == Some("thumb")) else {
        return respond(400, "text/plain", b"expected /<recording id>/<frame seq>[/thumb]".to_vec());
    };
    let got = match cache.lock() {
        Ok(mut c) => c.get(id, seq, thumb),
        Err(_) => Err("frame cache poisoned".into()),
    };
    match got {
        Ok(bytes) => respond(200, "image/bmp", bytes.as_ref().clone()),
        Err(e) => {
            tracing::warn!(path, error = %e, "frame not served");
            respond(404, "text/plain", e.into_bytes())
        }
    }
}
