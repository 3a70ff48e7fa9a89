//! Secrets and personal data in what a recording holds as text: [`detect`] finds them, and
//! [`scan`] runs it over a trajectory's typed text, reasoning (notes and transcripts), window
//! titles and marker labels, for the privacy check at stop (`apprentice privacy ID`) — what it
//! found and where, never the value itself. Not its job: capture-time suppression (the capture
//! crate's privacy gate) or frames.

pub mod detect;

use serde::{Deserialize, Serialize};

use crate::model::*;
use detect::{Detectors, Kind, Placeholders};

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
