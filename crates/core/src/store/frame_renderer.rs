//! The frame renderer: a recording's full frames, rebuilt from key frames and tile deltas. It
//! keeps a *cursor* per display (the last frame it rebuilt there), so the next frame in sequence
//! costs one delta, a pass in sequence order decodes each stored frame once, and a frame whose
//! chain does not pass the cursor is rebuilt from its key frame. The one implementation, used by
//! [`Library::frame_image`](super::Library::frame_image), every export and the desktop app's
//! frame server, with the two encodings they ship frames in ([`encode_png`], [`encode_bmp`]).
//! Not its job: caching or scaling the images it makes.

use std::collections::HashMap;
use std::path::PathBuf;

use image::RgbImage;

use super::media::MediaStore;
use super::{frame_codec, StoreError};
use crate::model::{Frame, FrameEncoding};

/// A chain longer than this cannot be real (a key frame comes every 200 frames): it loops.
const MAX_CHAIN: usize = 100_000;

pub struct FrameRenderer {
    recording: String,
    db_path: PathBuf,
    media: MediaStore,
    frames: HashMap<u64, Frame>,
    cursors: HashMap<u32, (u64, RgbImage)>,
}

impl FrameRenderer {
    /// A renderer over `frames`, the frame index of `recording` (see `Library::frame_renderer`).
    pub fn new(recording: &str, db_path: PathBuf, media: MediaStore, frames: impl IntoIterator<Item = Frame>) -> Self {
        FrameRenderer { recording: recording.to_string(), db_path, media, frames: frames.into_iter().map(|f| (f.seq, f)).collect(), cursors: HashMap::new() }
    }

    /// The stored frame `seq`, if the recording has it.
    pub fn frame(&self, seq: u64) -> Option<&Frame> {
        self.frames.get(&seq)
    }

    /// The full image of frame `seq`; its display's cursor moves to it.
    pub fn render(&mut self, seq: u64) -> Result<&RgbImage, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt { path: self.db_path.clone(), reason };
        let frame = self.frames.get(&seq).ok_or_else(|| corrupt(format!("recording {} has no frame {seq}", self.recording)))?;
        let display = frame.display;
        if self.cursors.get(&display).is_some_and(|(s, _)| *s == seq) {
            return Ok(&self.cursors[&display].1);
        }
        let mut cursor = self.cursors.remove(&display);
        // Walk back to the key frame, or to the cursor if the chain passes through it.
        let mut chain: Vec<&Frame> = vec![frame];
        let mut base: Option<RgbImage> = None;
        while let Some(FrameEncoding::Delta { parent, .. }) = chain.last().map(|f| &f.encoding) {
            if cursor.as_ref().is_some_and(|(s, _)| s == parent) {
                base = cursor.take().map(|(_, image)| image);
                break;
            }
            let parent = self.frames.get(parent).ok_or_else(|| corrupt(format!("frame {parent} of recording {} is missing (needed to rebuild frame {seq})", self.recording)))?;
            chain.push(parent);
            if chain.len() > MAX_CHAIN {
                return Err(corrupt(format!("the delta chain of frame {seq} of recording {} loops", self.recording)));
            }
        }
        let decode = |f: &Frame| -> Result<RgbImage, StoreError> { frame_codec::decode_webp(&self.media.get(&f.sha256, "webp")?) };
        let mut image = match base {
            Some(image) => image,
            None => match chain.pop() {
                Some(key) => decode(key)?,
                None => return Err(corrupt(format!("frame {seq} of recording {} has no key frame", self.recording))),
            },
        };
        for f in chain.iter().rev() {
            if let FrameEncoding::Delta { rects, .. } = &f.encoding {
                frame_codec::apply_delta(&mut image, &decode(f)?, rects)?;
            }
        }
        self.cursors.insert(display, (seq, image));
        Ok(&self.cursors[&display].1)
    }
}

/// A frame as PNG. Fast deflate: the default compression costs ~10× the time for ~10% fewer bytes.
pub fn encode_png(img: &RgbImage) -> Result<Vec<u8>, StoreError> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

/// An uncompressed BMP (the `image` crate's encoder): the cheapest image a webview decodes, for
/// frames that exist only in memory (encoding PNG would cost ~15 ms a 1080p frame; this ~4 ms).
pub fn encode_bmp(img: &RgbImage) -> Result<Vec<u8>, StoreError> {
    use image::codecs::bmp::BmpEncoder;
    let mut out = Vec::with_capacity(img.as_raw().len() + 64);
    BmpEncoder::new(&mut out).encode(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rect;

    #[test]
    fn a_bmp_decodes_to_the_very_pixels_it_was_made_from() {
        // 5 px wide: rows of 15 bytes are padded to 16.
        let img = RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 80, 7]));
        let bytes = encode_bmp(&img).unwrap();
        assert_eq!(&bytes[..2], b"BM");
        let back = image::load_from_memory_with_format(&bytes, image::ImageFormat::Bmp).unwrap().to_rgb8();
        assert_eq!(back, img);
    }

    fn stored(media: &MediaStore, seq: u64, display: u32, encoding: FrameEncoding, img: &RgbImage) -> Frame {
        let sha256 = media.put(&frame_codec::encode_image(img).unwrap(), "webp").unwrap();
        Frame { seq, t: seq * 1000, display, width: 4, height: 2, reason: crate::model::FrameReason::Periodic, encoding, sha256, bytes: 0 }
    }

    #[test]
    fn frames_rebuild_the_same_in_order_out_of_order_and_across_displays() {
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::new(dir.path().to_path_buf());
        let key = RgbImage::from_pixel(4, 2, image::Rgb([10, 10, 10]));
        let patch = |v: u8| RgbImage::from_pixel(1, 1, image::Rgb([v, v, v]));
        let rect = |x: u32| vec![Rect { x: x as i32, y: 0, width: 1, height: 1 }];
        let frames = vec![
            stored(&media, 0, 0, FrameEncoding::Key, &key),
            stored(&media, 1, 1, FrameEncoding::Key, &RgbImage::from_pixel(4, 2, image::Rgb([200, 0, 0]))),
            stored(&media, 2, 0, FrameEncoding::Delta { parent: 0, rects: rect(1) }, &patch(50)),
            stored(&media, 3, 0, FrameEncoding::Delta { parent: 2, rects: rect(2) }, &patch(90)),
        ];
        let expected = |seq: u64| -> RgbImage {
            let mut img = if seq == 1 { RgbImage::from_pixel(4, 2, image::Rgb([200, 0, 0])) } else { key.clone() };
            if seq >= 2 && seq != 1 {
                img.put_pixel(1, 0, image::Rgb([50, 50, 50]));
            }
            if seq == 3 {
                img.put_pixel(2, 0, image::Rgb([90, 90, 90]));
            }
            img
        };
        let mut renderer = FrameRenderer::new("r", dir.path().join("db"), media.clone(), frames.clone());
        for seq in [0, 1, 2, 3, 3, 2, 0, 3, 1] {
            assert_eq!(renderer.render(seq).unwrap(), &expected(seq), "frame {seq}");
        }
        // A broken chain names the recording and the missing frame.
        let mut broken = FrameRenderer::new("r", dir.path().join("db"), media, frames.into_iter().filter(|f| f.seq != 2));
        let err = broken.render(3).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("frame 2 of recording r is missing (needed to rebuild frame 3)"), "{err}");
    }
}
