//! An export's redaction, on by default in every format: each loaded recording's texts are
//! masked in place before any format sees them ([`Redaction::mask_source`]: the task, typed text
//! and the raw key events it was typed with, notes, transcripts and their words, window titles,
//! accessible names, markers, review comments — one placeholder per value across them all), and every frame is
//! filled where it shows what the detectors find ([`Redaction::frame`], called by
//! [`super::render_frames`], the one way formats get frames). What it did becomes the redaction
//! section of the export's signed manifest. Not its job: finding (`privacy::detect`, `ocr`,
//! `frames`) or writing files.

use std::sync::Arc;

use image::RgbImage;

use super::{ExportError, ExportSource};
use crate::model::*;
use crate::privacy::detect::Detectors;
use crate::privacy::frames::{self, FrameRedactor};
use crate::privacy::ocr::Tesseract;
use crate::privacy::{FrameBoxes, Masker, Report};

/// What redacted raw key events say instead of the key they were.
pub const REDACTED_KEY: &str = "[redacted]";

/// One export's redaction: the detectors, the frame reader (started at the first frame) and the
/// report.
pub struct Redaction {
    detectors: Arc<Detectors>,
    frames: Option<FrameRedactor>,
    pub report: Report,
}

impl Redaction {
    pub fn new(detectors: Arc<Detectors>) -> Redaction {
        let report = Report { redacted: true, detectors_version: crate::privacy::detect::VERSION, rules: detectors.rule_names(), ..Default::default() };
        Redaction { detectors, frames: None, report }
    }

    /// The report of an export made with `--no-redact`.
    pub fn off() -> Report {
        Report { redacted: false, detectors_version: crate::privacy::detect::VERSION, ..Default::default() }
    }

    /// Masks every text of `source` in place, one placeholder per value across the trajectory;
    /// a recording whose policy is `flag` is left as it is and what it holds is counted.
    pub fn mask_source(&mut self, source: &mut ExportSource) {
        *self.report.policies.entry(source.privacy_policy.as_str().to_string()).or_default() += 1;
        if source.privacy_policy == PrivacyPolicy::Flag {
            let mut m = Masker::new(self.detectors.clone());
            let seg = &source.segmentation;
            for s in &seg.steps {
                let texts = s.action.text.iter().chain(s.reasoning.iter().map(|r| &r.text)).chain(s.window.iter().map(|w| &w.title));
                for t in texts {
                    m.count(t);
                }
            }
            for (kind, n) in m.counts {
                *self.report.flagged.entry(kind).or_default() += n;
            }
            return;
        }
        let mut m = Masker::new(self.detectors.clone());
        let r = &mut source.recording;
        m.mask(&mut r.task.instruction);
        m.mask_opt(&mut r.outcome_note);
        for step in &mut source.segmentation.steps {
            if !m.mask_opt(&mut step.action.text).is_empty() {
                scrub_keys(&mut source.streams.input, step.action.raw);
            }
            for reasoning in &mut step.reasoning {
                m.mask(&mut reasoning.text);
            }
            if let Some(w) = &mut step.window {
                m.mask(&mut w.title);
            }
            if let Some(e) = &mut step.action.target {
                mask_element(&mut m, e);
            }
            for marker in &mut step.markers {
                m.mask_opt(&mut marker.label);
            }
            if let Some(s) = &mut step.subtask {
                m.mask_opt(&mut s.label);
            }
            if let Some(l) = &mut step.label {
                m.mask_opt(&mut l.comment);
                m.mask_opt(&mut l.reasoning);
            }
        }
        let streams = &mut source.streams;
        for n in &mut streams.notes {
            m.mask(&mut n.text);
        }
        for u in &mut streams.utterances {
            m.mask_utterance(u);
        }
        for w in &mut streams.windows {
            m.mask(&mut w.title);
        }
        for marker in &mut streams.markers {
            m.mask_opt(&mut marker.label);
        }
        for a in &mut streams.accessibility {
            mask_element(&mut m, &mut a.element);
        }
        if let Some(review) = &mut source.review {
            m.mask_opt(&mut review.comment);
        }
        for c in &mut source.comparisons {
            m.mask(&mut c.rationale);
            m.mask(&mut c.instruction);
        }
        for (kind, n) in m.counts {
            *self.report.text.entry(kind).or_default() += n;
        }
    }

    /// `image` (frame `seq` of the source, on `display`) with what it shows of a secret filled;
    /// None when there was nothing to fill.
    pub fn frame(&mut self, recording: &str, seq: u64, display: u32, image: &RgbImage) -> Result<Option<RgbImage>, ExportError> {
        let redactor = match &mut self.frames {
            Some(r) => r,
            None => {
                let r = FrameRedactor::new(Tesseract::find()?, self.detectors.clone());
                self.report.ocr = Some(r.engine().to_string());
                self.frames.insert(r)
            }
        };
        let boxes = redactor.find(recording, display, image)?;
        self.report.cost = redactor.cost;
        if boxes.is_empty() {
            return Ok(None);
        }
        let mut out = image.clone();
        frames::fill(&mut out, &boxes.iter().map(|b| b.rect).collect::<Vec<_>>());
        for b in &boxes {
            *self.report.frames.entry(b.kind).or_default() += 1;
        }
        // A frame an export writes twice (two formats' passes) is listed once.
        if !self.report.boxes.iter().any(|f| f.recording == recording && f.frame == seq) {
            self.report.boxes.push(FrameBoxes { recording: recording.to_string(), frame: seq, boxes });
        }
        Ok(Some(out))
    }

    /// The recording's frames are done: what was read of its screens is dropped.
    pub fn finish(&mut self, recording: &str) {
        if let Some(r) = &mut self.frames {
            r.forget(recording);
        }
    }
}

/// An accessible element's name and its ancestors' names.
fn mask_element(m: &mut Masker, e: &mut Element) {
    m.mask(&mut e.name);
    for a in &mut e.ancestors {
        m.mask(&mut a.name);
    }
}

/// The raw key events of a typed text that held a secret lose what they typed (their timing
/// stays, so the action still reads as typing).
fn scrub_keys(input: &mut [InputEvent], (first, last): (usize, usize)) {
    let Some(events) = input.get_mut(first..=last.min(input.len().saturating_sub(1))) else { return };
    for e in events.iter_mut().filter(|e| matches!(e.kind, InputKind::KeyPress | InputKind::KeyRelease)) {
        if e.text.is_some() || e.key.as_deref().is_some_and(|k| k.chars().count() == 1) {
            (e.text, e.key, e.code) = (None, Some(REDACTED_KEY.into()), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::fixture;
    use crate::privacy::detect::Kind;

    #[test]
    fn one_value_gets_one_placeholder_in_every_text_and_its_keys_are_scrubbed() {
        let mut source = fixture(Outcome::Success);
        let email = "ann.lee@example.com";
        // Typed in the second step, said in a note and a transcript, shown in a window title.
        let typed: Vec<InputEvent> = email
            .chars()
            .map(|c| InputEvent {
                t: 2_100_000,
                kind: InputKind::KeyPress,
                x: 0,
                y: 0,
                button: None,
                key: Some(c.to_string()),
                code: Some(38),
                text: Some(c.to_string()),
                dx: 0,
                dy: 0,
                modifiers: Modifiers::default(),
                origin: InputOrigin::Device,
            })
            .collect();
        let first = source.streams.input.len();
        source.streams.input.extend(typed);
        let step = &mut source.segmentation.steps[1];
        step.action = Action { kind: ActionKind::Type, text: Some(format!("to {email}")), raw: (first, first + email.len() - 1), ..step.action.clone() };
        step.window = Some(WindowContext { app: "mail".into(), title: format!("Compose: {email}"), window_id: 1, bounds: Rect::default() });
        source.streams.notes[0].text = format!("writing to {email} and 4111 1111 1111 1111");
        source.streams.utterances.push(Utterance {
            t0: 0,
            t1: 1,
            text: format!("I mail {email} now"),
            words: vec![Word { t0: 0, t1: 1, text: " mail".into() }, Word { t0: 0, t1: 1, text: format!(" {email}") }],
            corrected: None,
        });
        let mut r = Redaction::new(Arc::new(Detectors::builtin()));
        r.mask_source(&mut source);
        let step = &source.segmentation.steps[1];
        assert_eq!(step.action.text.as_deref(), Some("to [EMAIL_1]"));
        assert_eq!(step.window.as_ref().map(|w| w.title.as_str()), Some("Compose: [EMAIL_1]"));
        assert_eq!(source.streams.notes[0].text, "writing to [EMAIL_1] and [CARD_NUMBER_1]");
        assert_eq!(source.streams.utterances[0].text, "I mail [EMAIL_1] now");
        assert_eq!(source.streams.utterances[0].words[1].text, " [EMAIL_1]");
        assert_eq!(source.streams.utterances[0].words[0].text, " mail");
        assert!(source.streams.input[first..].iter().all(|e| e.text.is_none() && e.key.as_deref() == Some(REDACTED_KEY)));
        let everything = format!("{:?}", (&source.segmentation, &source.streams, &source.recording));
        assert!(!everything.contains(email) && !everything.contains("4111"), "nothing of the values is left");
        assert_eq!(r.report.text.get(&Kind::Email), Some(&4));
        assert_eq!(r.report.text.get(&Kind::CardNumber), Some(&1));
    }
}
