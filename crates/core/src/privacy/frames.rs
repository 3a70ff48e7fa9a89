//! Frame redaction: the boxes of a screen image that show a secret or personal data, found by
//! reading the image ([`super::ocr`]) and running the text detectors over each line of words, and
//! filled. Reading is incremental per display: only the bands of rows that changed since the last
//! image read are read again, and the words of the rest are kept (an export reads a recording's
//! frames in order, and most of a screen stays as it was from one step to the next). Boxes given
//! by other means (accessible names with bounds, a reviewer's box) are filled the same way.
//! Not its job: which frames an export writes, or the manifest the boxes go into.

use std::collections::HashMap;
use std::sync::Arc;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::detect::{Detectors, Kind};
use super::ocr::{OcrError, Tesseract, Word};
use crate::model::Rect;

/// Rows around a changed row that are read again with it, so a line of text that only partly
/// changed is read whole.
const BAND_MARGIN: u32 = 24;
/// Changed rows closer than this are read as one band.
const BAND_JOIN: u32 = 32;
/// Blank rows between the bands stacked into the one image Tesseract reads per frame.
const BAND_GAP: u32 = 16;
/// What the stacked bands are scaled by before Tesseract reads them (in halves): it reads small
/// screen text much better a little larger (measured on the recall benchmark).
const READ_SCALE_HALVES: u32 = 3;
/// Pixels added around a found value's box when it is filled.
const FILL_PAD: i32 = 2;

/// One box filled in a frame: where, and what it covered (never the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Box {
    #[serde(flatten)]
    pub rect: Rect,
    pub kind: Kind,
    pub rule: String,
}

/// What reading a frame cost, for benchmarks and the manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Frames looked at, and those Tesseract was run on (an unchanged frame is not).
    pub frames: u64,
    pub frames_read: u64,
    /// Pixels read by Tesseract, against the frames' whole area.
    pub pixels_read: u64,
    pub pixels_total: u64,
}

struct Seen {
    image: RgbImage,
    words: Vec<Word>,
}

/// Redacts the frames of one or more recordings, in order per display.
pub struct FrameRedactor {
    ocr: Tesseract,
    detectors: Arc<Detectors>,
    /// What was last read of each (recording, display).
    seen: HashMap<(String, u32), Seen>,
    next_line: u64,
    /// Read every frame whole (for measuring against the incremental reading).
    pub full_frames: bool,
    pub cost: Cost,
}

impl FrameRedactor {
    /// Reads with `ocr` and finds what `detectors` find, with the rules for OCR'd text added.
    pub fn new(ocr: Tesseract, detectors: Arc<Detectors>) -> FrameRedactor {
        FrameRedactor { ocr, detectors: Arc::new(detectors.screen()), seen: HashMap::new(), next_line: 1, full_frames: false, cost: Cost::default() }
    }

    /// The engine's name and version, for the manifest.
    pub fn engine(&self) -> &str {
        &self.ocr.version
    }

    /// Forgets what was read of `recording` (its frames are done).
    pub fn forget(&mut self, recording: &str) {
        self.seen.retain(|(r, _), _| r != recording);
    }

    /// The boxes of `image` (frame of `recording`'s `display`) that show what the detectors find.
    pub fn find(&mut self, recording: &str, display: u32, image: &RgbImage) -> Result<Vec<Box>, OcrError> {
        let key = (recording.to_string(), display);
        let previous = self.seen.remove(&key).filter(|s| s.image.dimensions() == image.dimensions() && !self.full_frames);
        let bands = match &previous {
            Some(s) => changed_bands(&s.image, image),
            None => vec![(0, image.height())],
        };
        let mut words: Vec<Word> = match previous {
            Some(s) => s.words.into_iter().filter(|w| !bands.iter().any(|&(y0, y1)| overlaps(w.rect, y0, y1))).collect(),
            None => vec![],
        };
        self.cost.frames += 1;
        self.cost.pixels_total += u64::from(image.width()) * u64::from(image.height());
        if !bands.is_empty() {
            words.extend(self.read_bands(image, &bands)?);
        }
        let boxes = boxes_of(&self.detectors, &words);
        self.seen.insert(key, Seen { image: image.clone(), words });
        Ok(boxes)
    }

    /// Reads the bands (row ranges) of `image` as one image: stacked, with a blank gap between.
    fn read_bands(&mut self, image: &RgbImage, bands: &[(u32, u32)]) -> Result<Vec<Word>, OcrError> {
        let width = image.width();
        let height: u32 = bands.iter().map(|(a, b)| b - a).sum::<u32>() + BAND_GAP * (bands.len() as u32 - 1);
        let mut atlas = RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
        let mut offsets = vec![]; // (atlas y0, atlas y1, image y0)
        let mut y = 0;
        for &(y0, y1) in bands {
            let h = y1 - y0;
            let row_bytes = width as usize * 3;
            let src = &image.as_raw()[y0 as usize * row_bytes..y1 as usize * row_bytes];
            let dst = &mut atlas.as_mut()[y as usize * row_bytes..(y + h) as usize * row_bytes];
            dst.copy_from_slice(src);
            // Tesseract reads dark text on light: a dark band (a dark theme, a terminal) is
            // inverted first (measured: a quarter of the values missed on dark screens were found).
            let mean = src.iter().map(|&b| u64::from(b)).sum::<u64>() / src.len().max(1) as u64;
            if mean < 110 {
                dst.iter_mut().for_each(|b| *b = 255 - *b);
            }
            offsets.push((y, y + h, y0));
            y += h + BAND_GAP;
        }
        self.cost.frames_read += 1;
        self.cost.pixels_read += u64::from(width) * u64::from(height);
        let scaled = scale(&atlas, READ_SCALE_HALVES)?;
        let mut out = vec![];
        let mut lines: HashMap<u64, u64> = HashMap::new();
        for mut w in self.ocr.words(&scaled)? {
            let back = |v: i64| (v * 2 / i64::from(READ_SCALE_HALVES)) as i32;
            let (x1, y1) = (back(i64::from(w.rect.x) + i64::from(w.rect.width) + 1), back(i64::from(w.rect.y) + i64::from(w.rect.height) + 1));
            let (x0, y0) = (back(i64::from(w.rect.x)), back(i64::from(w.rect.y)));
            w.rect = Rect { x: x0, y: y0, width: (x1 - x0).max(1) as u32, height: (y1 - y0).max(1) as u32 };
            let mid = w.rect.y + w.rect.height as i32 / 2;
            let Some(&(a0, _, i0)) = offsets.iter().find(|(a0, a1, _)| mid >= *a0 as i32 && mid < *a1 as i32) else { continue };
            w.rect.y = w.rect.y - a0 as i32 + i0 as i32;
            let next = &mut self.next_line;
            w.line = *lines.entry(w.line).or_insert_with(|| {
                *next += 1;
                *next
            });
            out.push(w);
        }
        Ok(out)
    }
}

/// `image` scaled by `halves`/2 (bilinear).
fn scale(image: &RgbImage, halves: u32) -> Result<RgbImage, OcrError> {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    if halves == 2 {
        return Ok(image.clone());
    }
    let mut out = RgbImage::new(image.width() * halves / 2, image.height() * halves / 2);
    Resizer::new().resize(image, &mut out, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))).map_err(|e| OcrError::Failed(format!("scaling a frame: {e}")))?;
    Ok(out)
}

fn overlaps(r: Rect, y0: u32, y1: u32) -> bool {
    r.y < y1 as i32 && r.y + r.height as i32 > y0 as i32
}

/// The row ranges of `now` that differ from `before` (same size), widened by a margin and joined.
pub fn changed_bands(before: &RgbImage, now: &RgbImage) -> Vec<(u32, u32)> {
    let row = now.width() as usize * 3;
    let (a, b) = (before.as_raw(), now.as_raw());
    let h = now.height();
    let mut bands: Vec<(u32, u32)> = vec![];
    for y in 0..h {
        let at = y as usize * row;
        if a[at..at + row] == b[at..at + row] {
            continue;
        }
        let (y0, y1) = (y.saturating_sub(BAND_MARGIN), (y + 1 + BAND_MARGIN).min(h));
        match bands.last_mut() {
            Some(last) if y0 <= last.1 + BAND_JOIN => last.1 = last.1.max(y1),
            _ => bands.push((y0, y1)),
        }
    }
    bands
}

/// Each line's words joined by spaces, the detectors run over it, and the union of the words of
/// each finding as its box.
fn boxes_of(detectors: &Detectors, words: &[Word]) -> Vec<Box> {
    let mut lines: HashMap<u64, Vec<&Word>> = HashMap::new();
    for w in words {
        lines.entry(w.line).or_default().push(w);
    }
    let mut out = vec![];
    let mut keys: Vec<u64> = lines.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let mut line = lines.remove(&key).unwrap_or_default();
        line.sort_by_key(|w| w.rect.x);
        let mut text = String::new();
        let mut spans = vec![];
        for w in &line {
            if !text.is_empty() {
                text.push(' ');
            }
            spans.push((text.len(), text.len() + w.text.len()));
            text.push_str(&w.text);
        }
        for f in detectors.find(&ocr_digits(&text)) {
            let hit: Vec<Rect> = line.iter().zip(&spans).filter(|(_, &(s, e))| s < f.end && e > f.start).map(|(w, &span)| part_of(w.rect, span, (f.start, f.end))).collect();
            if let Some(rect) = union(&hit) {
                out.push(Box { rect: pad(rect), kind: f.kind, rule: f.rule });
            }
        }
    }
    out
}

/// The part of a word's box that shows bytes `found` of a line where the word is bytes `word`:
/// all of it, or (a value glued to a label, "Email:ann@x.org" read as one word) the share of its
/// width those characters take, widened by half a character on a cut side.
fn part_of(rect: Rect, word: (usize, usize), found: (usize, usize)) -> Rect {
    let n = (word.1 - word.0).max(1) as f64;
    let (a, b) = (found.0.max(word.0) - word.0, found.1.min(word.1) - word.0);
    if a == 0 && b as f64 >= n {
        return rect;
    }
    let per = f64::from(rect.width) / n;
    let x0 = rect.x as f64 + per * a as f64 - if a > 0 { per / 2.0 } else { 0.0 };
    let x1 = rect.x as f64 + per * b as f64 + if (b as f64) < n { per / 2.0 } else { 0.0 };
    Rect { x: x0.floor() as i32, y: rect.y, width: (x1.ceil() - x0.floor()).max(1.0) as u32, height: rect.height }
}

/// `text` with the letters OCR mistakes for digits read as digits, in words that are mostly
/// digits ("4O11", "DEO7" stay the same length): what the number rules are run over.
fn ocr_digits(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let digits = w.chars().filter(char::is_ascii_digit).count();
            if digits * 2 < w.chars().count() {
                return w.to_string();
            }
            w.chars()
                .map(|c| match c {
                    'O' | 'o' | 'D' => '0',
                    'l' | 'I' | '|' => '1',
                    'S' => '5',
                    'B' => '8',
                    c => c,
                })
                .collect()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn union(rects: &[Rect]) -> Option<Rect> {
    let first = rects.first()?;
    let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x + first.width as i32, first.y + first.height as i32);
    for r in &rects[1..] {
        (x0, y0) = (x0.min(r.x), y0.min(r.y));
        (x1, y1) = (x1.max(r.x + r.width as i32), y1.max(r.y + r.height as i32));
    }
    Some(Rect { x: x0, y: y0, width: (x1 - x0) as u32, height: (y1 - y0) as u32 })
}

fn pad(r: Rect) -> Rect {
    Rect { x: r.x - FILL_PAD, y: r.y - FILL_PAD, width: r.width + 2 * FILL_PAD as u32, height: r.height + 2 * FILL_PAD as u32 }
}

/// Fills each box (clipped to the image) with a flat, low-contrast shade of the background
/// around it (the commonest colour of its border, moved an eighth of the way to mid-grey): what
/// was there is gone, the box is visible to a person, and it reads as no text to OCR, so the words
/// beside it stay readable (black boxes made Tesseract misread the label next to them).
pub fn fill(image: &mut RgbImage, boxes: &[Rect]) {
    let frame = Rect { x: 0, y: 0, width: image.width(), height: image.height() };
    for b in boxes.iter().filter_map(|b| b.intersect(&frame)) {
        let shade = shade_of(background(image, b));
        for y in b.y..b.y + b.height as i32 {
            for x in b.x..b.x + b.width as i32 {
                image.put_pixel(x as u32, y as u32, shade);
            }
        }
    }
}

/// The commonest colour on the border of `r` (inside the image).
fn background(image: &RgbImage, r: Rect) -> image::Rgb<u8> {
    let mut counts: HashMap<[u8; 3], u32> = HashMap::new();
    let (x1, y1) = (r.x + r.width as i32 - 1, r.y + r.height as i32 - 1);
    let border = (r.x..=x1).flat_map(|x| [(x, r.y), (x, y1)]).chain((r.y..=y1).flat_map(|y| [(r.x, y), (x1, y)]));
    for (x, y) in border {
        *counts.entry(image.get_pixel(x as u32, y as u32).0).or_default() += 1;
    }
    image::Rgb(counts.into_iter().max_by_key(|&(c, n)| (n, c)).map(|(c, _)| c).unwrap_or([255, 255, 255]))
}

fn shade_of(bg: image::Rgb<u8>) -> image::Rgb<u8> {
    image::Rgb(bg.0.map(|c| ((u16::from(c) * 7 + 128) / 8) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x: i32, y: i32, line: u64) -> Word {
        Word { text: text.into(), rect: Rect { x, y, width: 8 * text.len() as u32, height: 12 }, line, confidence: 90.0 }
    }

    #[test]
    fn a_value_spread_over_words_is_one_box_and_other_words_are_left() {
        let words = [word("Card:", 10, 10, 1), word("4111", 60, 10, 1), word("1111", 100, 11, 1), word("1111", 140, 10, 1), word("1111", 180, 10, 1), word("Tuesday", 10, 40, 2)];
        let boxes = boxes_of(&Detectors::builtin(), &words);
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        assert_eq!((boxes[0].kind, boxes[0].rect), (Kind::CardNumber, Rect { x: 58, y: 8, width: 156, height: 17 }));
    }

    #[test]
    fn a_value_glued_to_its_label_covers_only_its_share_of_the_word() {
        let words = [word("Email:ann@example.com", 10, 10, 1)];
        let boxes = boxes_of(&Detectors::builtin(), &words);
        // 21 characters over 168 px: "Email:" is the first 6 (48 px), less half a character.
        assert_eq!(boxes.len(), 1);
        assert_eq!(boxes[0].rect, Rect { x: 10 + 44 - FILL_PAD, y: 8, width: 168 - 44 + 2 * FILL_PAD as u32, height: 16 });
    }

    #[test]
    fn look_alike_letters_are_read_as_digits_only_in_numbers() {
        assert_eq!(ocr_digits("Card: 4O11 1111 l111 1111 DEO7 Oslo"), "Card: 4011 1111 1111 1111 DEO7 Oslo", "DEO7 is mostly letters: the IBAN rule takes O for 0 itself");
        let words = [word("Card:", 10, 10, 1), word("4O11", 60, 10, 1), word("1111", 100, 10, 1), word("l111", 140, 10, 1), word("1111", 180, 10, 1)];
        assert_eq!(boxes_of(&Detectors::builtin().screen(), &words).iter().map(|b| b.kind).collect::<Vec<_>>(), [Kind::CardNumber]);
    }

    #[test]
    fn only_changed_rows_are_read_again_widened_and_joined() {
        let before = RgbImage::from_pixel(100, 400, image::Rgb([255, 255, 255]));
        let mut now = before.clone();
        assert!(changed_bands(&before, &now).is_empty());
        now.put_pixel(5, 100, image::Rgb([0, 0, 0]));
        now.put_pixel(5, 130, image::Rgb([0, 0, 0]));
        now.put_pixel(5, 390, image::Rgb([0, 0, 0]));
        assert_eq!(changed_bands(&before, &now), vec![(76, 155), (366, 400)]);
    }

    #[test]
    fn a_box_is_filled_flat_in_a_shade_of_its_background_and_clipped_to_the_image() {
        let white = image::Rgb([255, 255, 255]);
        let mut img = RgbImage::from_pixel(10, 10, white);
        img.put_pixel(0, 9, image::Rgb([0, 0, 0])); // the text being hidden
        fill(&mut img, &[Rect { x: -3, y: 7, width: 5, height: 5 }]);
        let shade = image::Rgb([239, 239, 239]);
        assert_eq!((*img.get_pixel(0, 9), *img.get_pixel(1, 7), *img.get_pixel(2, 9)), (shade, shade, white));
        assert_eq!(img.pixels().filter(|p| **p == shade).count(), 6);
        let mut dark = RgbImage::from_pixel(4, 4, image::Rgb([30, 30, 40]));
        fill(&mut dark, &[Rect { x: 0, y: 0, width: 4, height: 4 }]);
        assert_eq!(*dark.get_pixel(1, 1), image::Rgb([42, 42, 51]), "a dark theme gets a lighter shade");
    }
}
