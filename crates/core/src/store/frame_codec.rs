//! How frames are kept on disk: key frames as lossless WebP of the whole display, and delta
//! frames holding only the 32×32 tiles that changed since their parent, stacked into one
//! lossless WebP. Typing or a moving pointer changes a few tiles, so most frames cost a few KB
//! instead of ~100 KB. Decoding walks the chain back to a key frame (the recorder bounds the
//! chain length). Pixels travel as 4-byte BGRX (X11's native layout) or RGBA.

use image::{ImageBuffer, Rgb, RgbImage};

use crate::model::Rect;

use super::StoreError;

/// Side of the square tiles frames are compared and stored in.
pub const TILE: u32 = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Bgrx,
    Rgba,
}

/// A borrowed 4-byte-per-pixel image.
#[derive(Debug, Clone, Copy)]
pub struct PixelsRef<'a> {
    pub data: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// Bytes per row.
    pub stride: usize,
    pub format: PixelFormat,
}

impl PixelsRef<'_> {
    fn rgb_at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = y as usize * self.stride + x as usize * 4;
        let p = &self.data[i..i + 4];
        match self.format {
            PixelFormat::Bgrx => [p[2], p[1], p[0]],
            PixelFormat::Rgba => [p[0], p[1], p[2]],
        }
    }

    /// Copies `rect` (inside the image) into a new RGB image.
    pub fn crop_rgb(&self, rect: Rect) -> RgbImage {
        let mut out = RgbImage::new(rect.width, rect.height);
        for y in 0..rect.height {
            for x in 0..rect.width {
                out.put_pixel(x, y, Rgb(self.rgb_at(rect.x as u32 + x, rect.y as u32 + y)));
            }
        }
        out
    }

    pub fn to_rgb(&self) -> RgbImage {
        self.crop_rgb(Rect { x: 0, y: 0, width: self.width, height: self.height })
    }
}

/// The tiles that differ between two images of the same size, merged into horizontal runs per
/// tile row (so a changed line of text is one rect, not twenty).
pub fn changed_rects(prev: PixelsRef, cur: PixelsRef) -> Vec<Rect> {
    debug_assert_eq!((prev.width, prev.height), (cur.width, cur.height));
    let (w, h) = (cur.width, cur.height);
    let cols = w.div_ceil(TILE);
    let mut rects = Vec::new();
    for ty in 0..h.div_ceil(TILE) {
        let y0 = ty * TILE;
        let th = TILE.min(h - y0);
        let mut run: Option<(u32, u32)> = None; // (first col, last col)
        for tx in 0..=cols {
            let changed = tx < cols && {
                let x0 = tx * TILE;
                let bytes = (TILE.min(w - x0) * 4) as usize;
                (y0..y0 + th).any(|y| {
                    let a = y as usize * prev.stride + x0 as usize * 4;
                    let b = y as usize * cur.stride + x0 as usize * 4;
                    prev.data[a..a + bytes] != cur.data[b..b + bytes]
                })
            };
            match (changed, run) {
                (true, None) => run = Some((tx, tx)),
                (true, Some((first, _))) => run = Some((first, tx)),
                (false, Some((first, last))) => {
                    let x0 = first * TILE;
                    let x1 = ((last + 1) * TILE).min(w);
                    rects.push(Rect { x: x0 as i32, y: y0 as i32, width: x1 - x0, height: th });
                    run = None;
                }
                (false, None) => {}
            }
        }
    }
    rects
}

pub fn area(rects: &[Rect]) -> u64 {
    rects.iter().map(|r| r.width as u64 * r.height as u64).sum()
}

/// Encodes an image (a whole frame, or a delta's stacked tiles) as lossless WebP.
pub fn encode_image(img: &RgbImage) -> Result<Vec<u8>, StoreError> {
    encode_webp(img)
}

/// Stacks the given rects of `pixels` top to bottom and encodes them as one lossless WebP.
pub fn encode_delta(pixels: PixelsRef, rects: &[Rect]) -> Result<Vec<u8>, StoreError> {
    encode_webp(&stack_rects(pixels, rects))
}

/// The atlas a delta frame stores: each rect's pixels, stacked top to bottom, left-aligned.
pub fn stack_rects(pixels: PixelsRef, rects: &[Rect]) -> RgbImage {
    let width = rects.iter().map(|r| r.width).max().unwrap_or(1);
    let height = rects.iter().map(|r| r.height).sum::<u32>().max(1);
    let mut atlas = RgbImage::new(width, height);
    let mut top = 0;
    for r in rects {
        let tile = pixels.crop_rgb(*r);
        image::imageops::replace(&mut atlas, &tile, 0, top as i64);
        top += r.height;
    }
    atlas
}

/// Pastes a delta's atlas over its parent frame.
pub fn apply_delta(base: &mut RgbImage, atlas: &RgbImage, rects: &[Rect]) -> Result<(), StoreError> {
    let mut top = 0u32;
    for r in rects {
        if r.x < 0 || r.y < 0 || r.x as u32 + r.width > base.width() || r.y as u32 + r.height > base.height() || top + r.height > atlas.height() || r.width > atlas.width() {
            return Err(StoreError::Corrupt { path: Default::default(), reason: format!("delta rect {r:?} does not fit its frame") });
        }
        let tile = image::imageops::crop_imm(atlas, 0, top, r.width, r.height).to_image();
        image::imageops::replace(base, &tile, r.x as i64, r.y as i64);
        top += r.height;
    }
    Ok(())
}

pub fn decode_webp(bytes: &[u8]) -> Result<RgbImage, StoreError> {
    image::load_from_memory_with_format(bytes, image::ImageFormat::WebP)
        .map(|img| img.to_rgb8())
        .map_err(|e| StoreError::Corrupt { path: Default::default(), reason: format!("frame does not decode: {e}") })
}

fn encode_webp(img: &ImageBuffer<Rgb<u8>, Vec<u8>>) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out).encode(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bgrx(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let mut v = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let [r, g, b] = f(x, y);
                v.extend_from_slice(&[b, g, r, 0]);
            }
        }
        v
    }

    #[test]
    fn delta_round_trip_reproduces_the_new_frame_exactly() {
        let (w, h) = (300, 200);
        let a = bgrx(w, h, |x, y| [(x % 256) as u8, (y % 256) as u8, 7]);
        let b = bgrx(w, h, |x, y| if (70..140).contains(&x) && (10..20).contains(&y) || x > 290 && y > 190 { [255, 0, 0] } else { [(x % 256) as u8, (y % 256) as u8, 7] });
        let pa = PixelsRef { data: &a, width: w, height: h, stride: w as usize * 4, format: PixelFormat::Bgrx };
        let pb = PixelsRef { data: &b, width: w, height: h, stride: w as usize * 4, format: PixelFormat::Bgrx };
        let rects = changed_rects(pa, pb);
        // x 70..140 spans tile columns 2..=4 (64..160) in tile row 0; the corner (y 191..200)
        // touches tile rows 5 and 6 of the last column.
        assert_eq!(rects, vec![Rect { x: 64, y: 0, width: 96, height: 32 }, Rect { x: 288, y: 160, width: 12, height: 32 }, Rect { x: 288, y: 192, width: 12, height: 8 },]);
        let mut base = decode_webp(&encode_image(&pa.to_rgb()).unwrap()).unwrap();
        assert_eq!(base, pa.to_rgb());
        let atlas = decode_webp(&encode_delta(pb, &rects).unwrap()).unwrap();
        apply_delta(&mut base, &atlas, &rects).unwrap();
        assert_eq!(base, pb.to_rgb());
    }

    #[test]
    fn identical_frames_have_no_changed_rects() {
        let a = bgrx(130, 70, |x, _| [x as u8, 1, 2]);
        let p = PixelsRef { data: &a, width: 130, height: 70, stride: 520, format: PixelFormat::Bgrx };
        assert!(changed_rects(p, p).is_empty());
    }
}
