//! The review side of the desktop app: commands to open a trajectory as reviewed, label, score,
//! edit and undo (all through [`apprentice_core::review`] and the library, as the CLI does), library
//! housekeeping (delete, re-segment), and the `frame://` protocol that serves screens to the
//! webview as image files (BMP, rebuilt by the library's frame renderer) —
//! through a byte-bounded cache, so stepping through a long trajectory never ships base64 JSON.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tauri::State;

use super::{AppState, CmdResult};
use apprentice_core::model::*;
use apprentice_core::review;
use apprentice_core::store::frame_cache::{FrameCache, ImageFormat};
use apprentice_core::store::Library;

pub use apprentice_core::review::TrajectoryView;

pub(super) fn view(lib: &Library, id: &str) -> CmdResult<TrajectoryView> {
    Ok(review::view(lib, id)?)
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
    Ok(review::set_step_label(&library(&state)?, &id, step, label, &reviewer)?)
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

/// Frames served to the webview (BMP, see [`FrameCache`]) from the library under review.
pub struct FrameServer {
    cache: FrameCache,
    library: Option<Library>,
    dir: PathBuf,
}

const FRAME_CACHE_BYTES: usize = 256 << 20;

impl FrameServer {
    pub fn new(dir: PathBuf) -> Mutex<FrameServer> {
        // One recording is reviewed at a time.
        Mutex::new(FrameServer { cache: FrameCache::new(ImageFormat::Bmp, FRAME_CACHE_BYTES, 1), library: None, dir })
    }

    fn get(&mut self, id: &str, seq: u64, thumb: bool) -> Result<Arc<Vec<u8>>, String> {
        if self.library.is_none() {
            self.library = Some(Library::open(&self.dir).map_err(|e| e.to_string())?);
        }
        let lib = self.library.as_ref().ok_or("no library")?;
        self.cache.get(|| Ok::<_, apprentice_core::store::StoreError>(lib), id, seq, thumb).map_err(|e| e.to_string())
    }
}

/// Serves `frame://localhost/<recording id>/<frame seq>[/thumb]`.
pub fn serve_frame(cache: &Mutex<FrameServer>, path: &str) -> tauri::http::Response<Vec<u8>> {
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
        Ok(bytes) => respond(200, ImageFormat::Bmp.content_type(), bytes.as_ref().clone()),
        Err(e) => {
            tracing::warn!(path, error = %e, "frame not served");
            respond(404, "text/plain", e.into_bytes())
        }
    }
}
