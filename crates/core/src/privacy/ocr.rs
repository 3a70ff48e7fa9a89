//! Words on a screen image, with their boxes, read by Tesseract (Debian's `tesseract-ocr`, run as
//! a child process: no library to link, and a crash of the engine is an error of one call, never
//! of the exporter). One call per image: the image goes in on stdin as PNM, the words come back
//! as Tesseract's TSV. Not its job: which regions to read ([`super::frames`]) or what a word means
//! ([`super::detect`]).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use image::RgbImage;

use crate::model::Rect;

/// One word read, in the image's pixels; words of one line share `line`.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub rect: Rect,
    pub line: u64,
    /// Tesseract's confidence, 0–100.
    pub confidence: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("frames cannot be redacted: Tesseract is not installed ({program}: {cause}); install it (apt install tesseract-ocr tesseract-ocr-eng), or export with --no-redact on your own machine")]
    Missing { program: String, cause: String },
    #[error("Tesseract could not read a frame ({0}); the export stops rather than write it unredacted")]
    Failed(String),
}

/// The OCR engine: a Tesseract program and its language.
#[derive(Debug, Clone)]
pub struct Tesseract {
    program: PathBuf,
    lang: String,
    /// `tesseract 5.3.0`: what the redaction manifest names.
    pub version: String,
}

impl Tesseract {
    /// Tesseract from `$APPRENTICE_TESSERACT` or the PATH, reading English; checked by asking its
    /// version, so a missing engine is found before the first frame.
    pub fn find() -> Result<Tesseract, OcrError> {
        Tesseract::at(std::env::var_os("APPRENTICE_TESSERACT").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("tesseract")))
    }

    /// The Tesseract program at `program`, checked.
    pub fn at(program: PathBuf) -> Result<Tesseract, OcrError> {
        let missing = |cause: String| OcrError::Missing { program: program.display().to_string(), cause };
        let out = Command::new(&program).arg("--version").stdin(Stdio::null()).output().map_err(|e| missing(e.to_string()))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let version = text.lines().next().unwrap_or_default().trim().to_string();
        if !out.status.success() || !version.starts_with("tesseract") {
            return Err(missing(format!("`--version` said {:?}", text.trim())));
        }
        Ok(Tesseract { program, lang: "eng".into(), version })
    }

    /// The words of `image`, in reading order.
    pub fn words(&self, image: &RgbImage) -> Result<Vec<Word>, OcrError> {
        let mut child = Command::new(&self.program)
            // Sparse text (a screen is no page), thresholded locally (Leptonica's adaptive Otsu):
            // a global threshold loses grey text beside a dark desktop or a dark panel.
            .args(["stdin", "stdout", "-l", &self.lang, "--psm", "11", "-c", "thresholding_method=1", "tsv"])
            // One thread: its OpenMP threads only spin on 2 cores (measured: 0.7 s a 1080p frame
            // against 3.8 s with them).
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| OcrError::Failed(format!("{}: {e}", self.program.display())))?;
        let mut pnm = format!("P6\n{} {}\n255\n", image.width(), image.height()).into_bytes();
        pnm.extend_from_slice(image.as_raw());
        // Written from another thread so a full stdout pipe can never stall the write.
        let mut stdin = child.stdin.take().ok_or_else(|| OcrError::Failed("no stdin".into()))?;
        let writer = std::thread::spawn(move || stdin.write_all(&pnm));
        let mut tsv = String::new();
        let mut err = String::new();
        if let Some(mut out) = child.stdout.take() {
            out.read_to_string(&mut tsv).map_err(|e| OcrError::Failed(e.to_string()))?;
        }
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let status = child.wait().map_err(|e| OcrError::Failed(e.to_string()))?;
        let written = writer.join().map_err(|_| OcrError::Failed("the writer thread panicked".into()))?;
        if !status.success() {
            return Err(OcrError::Failed(format!("{status}: {}", err.trim().lines().last().unwrap_or_default())));
        }
        written.map_err(|e| OcrError::Failed(format!("writing the image: {e}")))?;
        Ok(parse_tsv(&tsv))
    }
}

/// Tesseract's TSV: level, page, block, paragraph, line, word, left, top, width, height,
/// confidence, text; level 5 rows are words.
fn parse_tsv(tsv: &str) -> Vec<Word> {
    let mut out = vec![];
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let text = cols[11].trim();
        let n = |i: usize| cols[i].parse::<i64>().unwrap_or(0);
        if text.is_empty() || n(8) <= 0 || n(9) <= 0 {
            continue;
        }
        let line = ((n(2) as u64) << 32) | ((n(3) as u64 & 0xffff) << 16) | (n(4) as u64 & 0xffff);
        out.push(Word { text: text.to_string(), rect: Rect { x: n(6) as i32, y: n(7) as i32, width: n(8) as u32, height: n(9) as u32 }, line, confidence: cols[10].parse().unwrap_or(0.0) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_lines_come_from_tesseract_tsv() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t640\t480\t-1\t\n\
                   5\t1\t2\t1\t1\t1\t21\t93\t24\t13\t93.3\tKey:\n\
                   5\t1\t2\t1\t1\t2\t54\t93\t180\t10\t88.4\tAKIAIOSFODNN7EXAMPLE\n\
                   5\t1\t3\t1\t1\t1\t21\t130\t24\t13\t91.0\tnext\n\
                   5\t1\t3\t1\t1\t2\t60\t130\t0\t13\t91.0\tempty\n";
        let w = parse_tsv(tsv);
        assert_eq!(w.len(), 3, "the page row and a zero-width box are not words");
        assert_eq!((w[1].text.as_str(), w[1].rect), ("AKIAIOSFODNN7EXAMPLE", Rect { x: 54, y: 93, width: 180, height: 10 }));
        assert_eq!(w[0].line, w[1].line);
        assert_ne!(w[1].line, w[2].line);
    }

    #[test]
    fn a_missing_engine_says_how_to_install_it() {
        let err = Tesseract { program: "/nonexistent/tesseract".into(), lang: "eng".into(), version: String::new() }.words(&RgbImage::new(4, 4)).unwrap_err();
        assert!(err.to_string().contains("could not read"), "{err}");
        let err = Tesseract::at("/nonexistent/tesseract".into()).unwrap_err();
        assert!(err.to_string().contains("apt install tesseract-ocr"), "{err}");
    }
}
