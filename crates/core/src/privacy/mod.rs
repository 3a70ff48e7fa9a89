//! Secrets and personal data in what a recording holds: [`detect`] finds them in text; [`scan`]
//! runs it over a trajectory's typed text, reasoning (notes and transcripts), window titles and
//! marker labels, for the privacy check at stop (`apprentice privacy ID`) — what it found and
//! where, never the value itself; [`Masker`] replaces what it finds with placeholders, one per
//! value; [`frames`] finds and fills it in screen images, read by [`ocr`]; [`Report`] is what an
//! export's redaction manifest says. Not its job: capture-time suppression (the capture crate's
//! privacy gate), or walking an export's contents (`export::redact`).

pub mod detect;
pub mod frames;
pub mod ocr;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::*;
use detect::{Detectors, Kind, Placeholders};

/// Masks text with placeholders: one value gets one placeholder in every text of a trajectory
/// (make one masker per trajectory), and every value masked is counted by kind.
pub struct Masker {
    detectors: std::sync::Arc<Detectors>,
    placeholders: Placeholders,
    /// Values masked (each occurrence), per kind.
    pub counts: BTreeMap<Kind, u64>,
}

impl Masker {
    pub fn new(detectors: std::sync::Arc<Detectors>) -> Masker {
        Masker { detectors, placeholders: Placeholders::default(), counts: BTreeMap::new() }
    }

    /// What `text` holds, without changing it (each occurrence counted).
    pub fn count(&mut self, text: &str) -> usize {
        let found = self.detectors.find(text);
        for f in &found {
            *self.counts.entry(f.kind).or_default() += 1;
        }
        found.len()
    }

    /// Masks `text` in place; returns the values it masked (empty when there were none).
    pub fn mask(&mut self, text: &mut String) -> Vec<(Kind, String)> {
        let found = self.detectors.find(text);
        if found.is_empty() {
            return vec![];
        }
        let values = found.iter().map(|f| (f.kind, text[f.start..f.end].to_string())).collect();
        for f in &found {
            *self.counts.entry(f.kind).or_default() += 1;
        }
        *text = self.placeholders.mask(text, &found);
        values
    }

    /// Masks an optional text in place.
    pub fn mask_opt(&mut self, text: &mut Option<String>) -> Vec<(Kind, String)> {
        text.as_mut().map(|t| self.mask(t)).unwrap_or_default()
    }

    /// Masks an utterance: its transcript, its correction, and its word timings (a word that is,
    /// or is part of, a masked value becomes the value's placeholder; not counted again, the
    /// words repeat the transcript).
    pub fn mask_utterance(&mut self, u: &mut Utterance) {
        let mut values = self.mask(&mut u.text);
        values.extend(self.mask_opt(&mut u.corrected));
        let counted = self.counts.clone();
        for w in u.words.iter_mut() {
            let core = w.text.trim().trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '+').to_string();
            if core.is_empty() || !self.mask(&mut w.text).is_empty() {
                continue;
            }
            if let Some((kind, value)) = values.iter().find(|(_, v)| v.contains(core.as_str())) {
                let lead = if w.text.starts_with(' ') { " " } else { "" };
                w.text = format!("{lead}{}", self.placeholders.of(*kind, value));
            }
        }
        self.counts = counted;
    }
}

/// An export's redaction, as its manifest says it: the rules it ran, what it masked and where —
/// counts and boxes, never the removed content. Signed with the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// False when the owner exported with `--no-redact`: nothing below was applied.
    pub redacted: bool,
    /// `privacy::detect::VERSION`, and the rules by name (built-in, then the vendor's).
    pub detectors_version: u32,
    pub rules: Vec<String>,
    /// The OCR engine frames were read with (`tesseract 5.3.0`); None when no frame was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr: Option<String>,
    /// Values masked in text (typed text, notes, transcripts, titles, labels), per kind.
    pub text: BTreeMap<Kind, u64>,
    /// Values found in the text of recordings whose policy is `flag`, left as they are, per kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flagged: BTreeMap<Kind, u64>,
    /// Recordings exported, per privacy policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, u64>,
    /// Boxes filled in frames, per kind.
    pub frames: BTreeMap<Kind, u64>,
    /// Every frame with a box filled, by recording and frame number.
    pub boxes: Vec<FrameBoxes>,
    /// What reading the frames cost.
    pub cost: frames::Cost,
}

impl Report {
    /// "masked 3 values in text (2 email, 1 card number) and 4 boxes in 2 frames": for a person.
    pub fn summary(&self) -> String {
        if !self.redacted {
            return "not redacted (--no-redact)".into();
        }
        let list = |by: &BTreeMap<Kind, u64>| by.iter().map(|(k, n)| format!("{n} {}", k.as_str().replace('_', " "))).collect::<Vec<_>>().join(", ");
        let (text, boxes): (u64, u64) = (self.text.values().sum(), self.frames.values().sum());
        let mut out = format!("masked {text} value{} in text", if text == 1 { "" } else { "s" });
        if text > 0 {
            out += &format!(" ({})", list(&self.text));
        }
        let flagged: u64 = self.flagged.values().sum();
        if flagged > 0 {
            out += &format!(", flagged {flagged} left as recorded ({}; policy flag)", list(&self.flagged));
        }
        if self.cost.frames > 0 {
            out += &format!(" and {boxes} box{} in {} of {} frames", if boxes == 1 { "" } else { "es" }, self.boxes.len(), self.cost.frames);
            if boxes > 0 {
                out += &format!(" ({})", list(&self.frames));
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameBoxes {
    pub recording: String,
    pub frame: u64,
    pub boxes: Vec<frames::Box>,
}

/// Where in a trajectory a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Flag {
    pub kind: Kind,
    pub rule: String,
    /// The step (1-based) it belongs to.
    pub step: u32,
    /// typed, reasoning, window_title or marker.
    pub field: String,
    /// The text with every finding masked (`[EMAIL_1]`): enough to find it, nothing to leak.
    pub masked: String,
}

/// What the privacy check found in `steps`, in step order. Masked previews share one set of
/// placeholders, so a value met twice reads the same both times.
pub fn scan(detectors: &Detectors, steps: &[Step]) -> Vec<Flag> {
    let mut placeholders = Placeholders::default();
    let mut out = vec![];
    for (i, s) in steps.iter().enumerate() {
        let mut texts: Vec<(&str, &str)> = vec![];
        if let Some(t) = s.action.text.as_deref() {
            texts.push(("typed", t));
        }
        texts.extend(s.reasoning.iter().map(|r| ("reasoning", r.text.as_str())));
        if let Some(w) = &s.window {
            texts.push(("window_title", w.title.as_str()));
        }
        texts.extend(s.markers.iter().filter_map(|m| m.label.as_deref()).map(|l| ("marker", l)));
        for (field, text) in texts {
            let found = detectors.find(text);
            if found.is_empty() {
                continue;
            }
            let masked = placeholders.mask(text, &found);
            for f in found {
                out.push(Flag { kind: f.kind, rule: f.rule, step: i as u32 + 1, field: field.into(), masked: masked.clone() });
            }
        }
    }
    out
}

/// "3 possible secrets (2 emails, 1 credential)": how a check's result is said to the expert.
pub fn summary(flags: &[Flag]) -> String {
    if flags.is_empty() {
        return "no secrets or personal data found in the text".into();
    }
    let mut by: std::collections::BTreeMap<Kind, usize> = Default::default();
    for f in flags {
        *by.entry(f.kind).or_default() += 1;
    }
    let parts: Vec<String> = by.iter().map(|(k, n)| format!("{n} {}", k.as_str().replace('_', " "))).collect();
    format!("{} possible secret{} or personal data ({}): review before upload", flags.len(), if flags.len() == 1 { "" } else { "s" }, parts.join(", "))
}

/// The privacy check of recording `id` as reviewed (edits applied).
pub fn check(lib: &crate::store::Library, id: &str, detectors: &Detectors) -> Result<Vec<Flag>, crate::review::ReviewError> {
    Ok(scan(detectors, &crate::review::load(lib, id)?.steps))
}
