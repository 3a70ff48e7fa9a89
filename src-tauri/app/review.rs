//! The review side of the desktop app: commands to open a trajectory as reviewed, label, score,
//! edit and undo (all through [`apprentice_core::review`] and the library, as the CLI does), library
//! housekeeping (delete, re-segment), and the `frame://` protocol that serves screens to the
//! webview as image files (BMP, rebuilt from key frames and deltas with a render cursor) —
//! through a byte-bounded cache, so stepping through a long trajectory never ships base64 JSON.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tauri::State;

use super::{err, AppState, CmdResult};
use apprentice_core::model::*;
use apprentice_core::review::{self, Reviewed};
use apprentice_core::store::Library;

/// What the review view shows of one recording.
#[derive(serde::Serialize)]
pub struct TrajectoryView {
    pub recording: Recording,
    #[serde(flatten)]
    pub reviewed: Reviewed,
}

pub(super) fn view(lib: &Library, id: &str) -> CmdResult<TrajectoryView> {
    let reviewed = review::load(lib, id).map_err(err)?;
    Ok(TrajectoryView { recording: lib.recording(id).map_err(err)?, reviewed })
}

fn library(state: &State<'_, AppState>) -> CmdResult<Library> {
    Library::open(&state.library_dir).map_err(err)
}

#[tauri::command]
pub fn default_reviewer() -> String {
    apprentice_core::review::reviewer_name(None)
}

#[tauri::command]
pub fn open_trajectory(state: State<'_, AppState>, id: String) -> CmdResult<TrajectoryView> {
    view(&library(&state)?, &id)
}

/// The recorder panel is a small window beside the work; review wants the whole screen.
#[tauri::command]
pub fn set_review_layout(window: tauri::WebviewWindow, reviewing: bool) -> CmdResult<()> {
    if reviewing { window.maximize() } else { window.unmaximize() }.map_err(err)
}

#[tauri::command]
pub fn set_step_label(state: State<'_, AppState>, id: String, step: Micros, label: StepLabel, reviewer: String) -> CmdResult<Option<StepLabel>> {
    library(&state)?.set_step_label(&id, step, label, &reviewer).map_err(err)
}

#[tauri::command]
pub fn set_trajectory_review(state: State<'_, AppState>, id: String, review: TrajectoryReview, reviewer: String) -> CmdResult<TrajectoryReview> {
    review::set_trajectory_review(&library(&state)?, &id, review, &reviewer).map_err(err)
}

#[tauri::command]
pub fn edit_step(state: State<'_, AppState>, id: String, edit: StepEdit, reviewer: String) -> CmdResult<TrajectoryView> {
    let lib = library(&state)?;
    review::edit(&lib, &id, &edit, &reviewer).map_err(err)?;
    view(&lib, &id)
}

#[tauri::command]
pub fn undo_review(state: State<'_, AppState>, id: String) -> CmdResult<TrajectoryView> {
    let lib = library(&state)?;
    lib.undo_review_change(&id).map_err(err)?;
    view(&lib, &id)
}

#[tauri::command]
pub fn delete_recording(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    library(&state)?.delete_recording(&id).map_err(err)
}

#[tauri::command]
pub fn resegment(state: State<'_, AppState>, id: String) -> CmdResult<usize> {
    apprentice_core::segment::segment_recording(&library(&state)?, &id).map(|s| s.steps.len()).map_err(err)
}

/// Recently served frames, bounded in bytes, and what makes the next one cheap: each recording's
/// frame index, and the last frame rebuilt per display (a *cursor*), so stepping forward costs
/// one delta, not a walk back to the key frame.
pub struct FrameCache {
    bytes: usize,
    order: VecDeque<FrameKey>,
    images: HashMap<FrameKey, Arc<Vec<u8>>>,
    index: HashMap<String, Arc<HashMap<u64, Frame>>>,
    /// By recording, display and size (thumbnails walk the strip apart from the main view).
    cursors: HashMap<(String, u32, bool), (u64, image::RgbImage)>,
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
        Mutex::new(FrameCache { bytes: 0, order: VecDeque::new(), images: HashMap::new(), index: HashMap::new(), cursors: HashMap::new(), library: None, dir })
    }

    /// The frame as a BMP file.
    fn get(&mut self, id: &str, seq: u64, thumb: bool) -> Result<Arc<Vec<u8>>, String> {
        let key = (id.to_string(), seq, thumb);
        if let Some(hit) = self.images.get(&key) {
            return Ok(hit.clone());
        }
        if self.library.is_none() {
            self.library = Some(Library::open(&self.dir).map_err(err)?);
        }
        let lib = self.library.as_ref().ok_or("no library")?;
        let index = match self.index.get(id) {
            Some(i) => i.clone(),
            None => {
                let i: Arc<HashMap<u64, Frame>> = Arc::new(lib.frames(id).map_err(err)?.into_iter().map(|f| (f.seq, f)).collect());
                self.index.insert(id.to_string(), i.clone());
                i
            }
        };
        let frame = index.get(&seq).ok_or_else(|| format!("recording {id} has no frame {seq}"))?;
        // Every frame goes out as BMP: the webview decodes it for the cost of a copy, where a
        // lossless WebP key frame took it tens of milliseconds; decoding here also seeds the cursor.
        let at = (id.to_string(), frame.display, thumb);
        // Cursors serve the recording under review; another one opened frees them.
        self.cursors.retain(|(rec, _, _), _| rec == id);
        let cursor = self.cursors.remove(&at);
        let image = rebuild(lib, &index, frame, cursor)?;
        let shown = if thumb {
            let h = (image.height() as u64 * THUMB_WIDTH as u64 / image.width().max(1) as u64).max(1) as u32;
            bmp(&apprentice_core::export::screen::downscale(&image, THUMB_WIDTH, h).map_err(err)?)
        } else {
            bmp(&image)
        };
        self.cursors.insert(at, (seq, image));
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

/// Rebuilds a delta frame: from the cursor when the frame's chain passes through it, else from
/// the chain's key frame.
fn rebuild(lib: &Library, index: &HashMap<u64, Frame>, frame: &Frame, cursor: Option<(u64, image::RgbImage)>) -> Result<image::RgbImage, String> {
    use apprentice_core::store::frame_codec;
    let mut chain = vec![frame];
    let mut base: Option<image::RgbImage> = None;
    let mut cursor = cursor;
    if cursor.as_ref().is_some_and(|(s, _)| *s == frame.seq) {
        return cursor.map(|(_, img)| img).ok_or_else(|| "no cursor".into());
    }
    while let FrameEncoding::Delta { parent, .. } = chain.last().map(|f| &f.encoding).ok_or("empty chain")? {
        if cursor.as_ref().is_some_and(|(s, _)| s == parent) {
            base = cursor.take().map(|(_, img)| img);
            break;
        }
        chain.push(index.get(parent).ok_or_else(|| format!("frame {parent} (a delta's parent) is missing"))?);
    }
    let mut image = match base {
        Some(img) => img,
        None => {
            let key = chain.pop().ok_or("empty chain")?;
            frame_codec::decode_webp(&lib.media().get(&key.sha256, "webp").map_err(err)?).map_err(err)?
        }
    };
    for f in chain.iter().rev() {
        if let FrameEncoding::Delta { rects, .. } = &f.encoding {
            let atlas = frame_codec::decode_webp(&lib.media().get(&f.sha256, "webp").map_err(err)?).map_err(err)?;
            frame_codec::apply_delta(&mut image, &atlas, rects).map_err(err)?;
        }
    }
    Ok(image)
}

/// An uncompressed BMP: the cheapest image a webview decodes, for frames that exist only in
/// memory (encoding PNG would cost ~15 ms a 1080p frame; this costs a copy).
fn bmp(img: &image::RgbImage) -> Vec<u8> {
    let (w, h) = img.dimensions();
    let row = (w as usize * 3).div_ceil(4) * 4;
    let size = 54 + row * h as usize;
    let mut out = vec![0u8; size];
    out[..2].copy_from_slice(b"BM");
    out[2..6].copy_from_slice(&(size as u32).to_le_bytes());
    out[10..14].copy_from_slice(&54u32.to_le_bytes());
    out[14..18].copy_from_slice(&40u32.to_le_bytes());
    out[18..22].copy_from_slice(&(w as i32).to_le_bytes());
    out[22..26].copy_from_slice(&(-(h as i32)).to_le_bytes()); // negative: rows top to bottom
    out[26..28].copy_from_slice(&1u16.to_le_bytes());
    out[28..30].copy_from_slice(&24u16.to_le_bytes());
    let src_row = w as usize * 3;
    for (dst, src) in out[54..].chunks_exact_mut(row).zip(img.as_raw().chunks_exact(src_row)) {
        for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
            d[0] = s[2];
            d[1] = s[1];
            d[2] = s[0];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bmp_round_trips_through_a_decoder() {
        let img = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 80, 7]));
        let bytes = super::bmp(&img);
        // The image crate is built without BMP; check the layout by hand: header, then rows
        // top to bottom in BGR, padded to 4 bytes.
        assert_eq!(&bytes[..2], b"BM");
        assert_eq!(bytes.len(), 54 + 16 * 3);
        assert_eq!(&bytes[54..57], &[7, 0, 0]);
        assert_eq!(&bytes[54 + 16 + 3..54 + 16 + 6], &[7, 80, 40]);
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
