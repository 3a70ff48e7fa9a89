//! Serving frames to a viewer: recently served frame images, bounded in bytes, and a frame
//! renderer per recording being viewed, so the next frame in sequence costs one delta. The one
//! implementation behind the desktop app's `frame://` protocol (BMP: the webview decodes it for
//! the cost of a copy) and the hub's frame endpoint (PNG: a fraction of the bytes over a
//! network). Not its job: the transport, or knowing where a recording's library is (the caller
//! passes it).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::frame_renderer::{encode_bmp, encode_png};
use super::{FrameRenderer, Library, StoreError};

/// Width of filmstrip thumbnails: decoding full frames for them would halve the view's speed.
pub const THUMB_WIDTH: u32 = 192;

/// How frames are shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Bmp,
    Png,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Bmp => "image/bmp",
            ImageFormat::Png => "image/png",
        }
    }
}

/// Recording, frame, thumbnail or not.
type FrameKey = (String, u64, bool);

pub struct FrameCache {
    format: ImageFormat,
    max_bytes: usize,
    max_recordings: usize,
    bytes: usize,
    order: VecDeque<FrameKey>,
    images: HashMap<FrameKey, Arc<Vec<u8>>>,
    /// By recording and size (thumbnails walk the strip apart from the main view), with the
    /// order they were last used in.
    renderers: HashMap<(String, bool), FrameRenderer>,
    recent: VecDeque<String>,
}

impl FrameCache {
    /// A cache of at most `max_bytes` of images, keeping renderers for the `max_recordings`
    /// recordings viewed last (one for a desktop, one per reviewer at work for a server).
    pub fn new(format: ImageFormat, max_bytes: usize, max_recordings: usize) -> FrameCache {
        FrameCache { format, max_bytes, max_recordings: max_recordings.max(1), bytes: 0, order: VecDeque::new(), images: HashMap::new(), renderers: HashMap::new(), recent: VecDeque::new() }
    }

    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// Frame `seq` of recording `id` as an image file; `lib` gives its library, asked for only
    /// when the recording has no renderer yet.
    pub fn get<L: std::ops::Deref<Target = Library>>(&mut self, lib: impl FnOnce() -> Result<L, StoreError>, id: &str, seq: u64, thumb: bool) -> Result<Arc<Vec<u8>>, StoreError> {
        let key = (id.to_string(), seq, thumb);
        if let Some(hit) = self.images.get(&key) {
            return Ok(hit.clone());
        }
        self.recent.retain(|r| r != id);
        self.recent.push_back(id.to_string());
        while self.recent.len() > self.max_recordings {
            if let Some(old) = self.recent.pop_front() {
                self.renderers.retain(|(rec, _), _| *rec != old);
            }
        }
        let renderer = match self.renderers.entry((id.to_string(), thumb)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(lib()?.frame_renderer(id)?),
        };
        if renderer.frame(seq).is_none() {
            return Err(StoreError::NoFrame { recording: id.to_string(), seq });
        }
        let image = renderer.render(seq)?;
        let encode = |img: &image::RgbImage| match self.format {
            ImageFormat::Bmp => encode_bmp(img),
            ImageFormat::Png => encode_png(img),
        };
        let shown = if thumb {
            let h = (image.height() as u64 * THUMB_WIDTH as u64 / image.width().max(1) as u64).max(1) as u32;
            encode(&crate::export::screen::downscale(image, THUMB_WIDTH, h).map_err(|e| StoreError::Encode(e.to_string()))?)
        } else {
            encode(image)
        }?;
        let entry = Arc::new(shown);
        self.bytes += entry.len();
        self.order.push_back(key.clone());
        self.images.insert(key, entry.clone());
        while self.bytes > self.max_bytes {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(b) = self.images.remove(&old) {
                self.bytes -= b.len();
            }
        }
        Ok(entry)
    }
}
