//! A preflight check: one thing a recording needs from this machine (a display with RECORD, a
//! window manager, a microphone, a speech model, disk space…), whether it is there, and the fix
//! in one line. `apprentice doctor` and the desktop app's check list show the same checks. The
//! checks themselves live where the thing checked does (capture, speech, store); this is only
//! their shape.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Works.
    Ok,
    /// Recording works, with something missing (no microphone: no think aloud).
    Warn,
    /// Recording, or a part the expert relies on, will not work.
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Check {
    /// Stable name: display, input, shared_memory, window_manager, microphone, speech_model,
    /// library, disk.
    pub id: String,
    pub status: CheckStatus,
    /// What was found, for a person.
    pub summary: String,
    /// What to do about it, in one line (none when it works).
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(id: &str, summary: impl Into<String>) -> Check {
        Check { id: id.into(), status: CheckStatus::Ok, summary: summary.into(), fix: None }
    }
    pub fn warn(id: &str, summary: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { id: id.into(), status: CheckStatus::Warn, summary: summary.into(), fix: Some(fix.into()) }
    }
    pub fn fail(id: &str, summary: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { id: id.into(), status: CheckStatus::Fail, summary: summary.into(), fix: Some(fix.into()) }
    }
}
