//! What a failed command tells the UI: a kind it can act on and a message for the person. The
//! mapping from the library's, recorder's and transcriber's errors to kinds lives here and nowhere
//! else; the commands only use `?`.

use apprentice_capture::recorder::RecordError;
use apprentice_capture::session::SessionError;
use apprentice_core::review::ReviewError;
use apprentice_core::store::StoreError;
use apprentice_speech::SpeechError;

/// A command's error, as the UI receives it (`{kind, message}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
}

/// What went wrong, in terms the UI can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No such recording, step or utterance.
    NotFound,
    /// What was asked needs another state: a recording still being recorded, none running, or
    /// one already running.
    WrongState,
    /// The request itself cannot be done (an empty note, a score out of range, an edit that does
    /// not apply, an ambiguous id).
    Invalid,
    /// Stored data does not read back; nothing was changed.
    Corrupt,
    /// The disk is full; what was written so far is kept.
    DiskFull,
    /// A part of the machine is missing: the display, the microphone, the Whisper model.
    Unavailable,
    /// Anything else (I/O, the database, the webview).
    Internal,
}

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError { kind, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn wrong_state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::WrongState, message)
    }

    /// A failure with no better kind (a poisoned lock, the webview).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Internal, e.to_string())
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        let kind = match &e {
            StoreError::NotFound(_) | StoreError::NoUtterance { .. } | StoreError::NoFrame { .. } => ErrorKind::NotFound,
            StoreError::Ambiguous(_) => ErrorKind::Invalid,
            StoreError::Busy(_) => ErrorKind::WrongState,
            StoreError::Corrupt { .. } | StoreError::TooNew { .. } => ErrorKind::Corrupt,
            StoreError::DiskFull { .. } => ErrorKind::DiskFull,
            StoreError::Io { .. } | StoreError::Db { .. } | StoreError::Encode(_) | StoreError::Audio(_) => ErrorKind::Internal,
        };
        Self::new(kind, e.to_string())
    }
}

impl From<ReviewError> for CommandError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Store(e) => e.into(),
            ReviewError::NoSuchStep(_) => Self::new(ErrorKind::NotFound, e.to_string()),
            ReviewError::NothingToMerge(_) | ReviewError::CannotMerge(..) | ReviewError::CannotSplit { .. } | ReviewError::ScoreOutOfRange(_) | ReviewError::Rubric(_) => Self::invalid(e.to_string()),
        }
    }
}

impl From<RecordError> for CommandError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Store(e) => e.into(),
            RecordError::Capture(_) => Self::new(ErrorKind::Unavailable, e.to_string()),
            RecordError::AlreadyRecording(_) | RecordError::WrongState(_) => Self::wrong_state(e.to_string()),
            RecordError::Thread(_) | RecordError::NotFinalised(_) => Self::internal(e),
        }
    }
}

impl From<SessionError> for CommandError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Record(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<SpeechError> for CommandError {
    fn from(e: SpeechError) -> Self {
        match e {
            SpeechError::Store(e) => e.into(),
            SpeechError::NoModel { .. } | SpeechError::NotAModel { .. } | SpeechError::Load { .. } => Self::new(ErrorKind::Unavailable, e.to_string()),
            SpeechError::Whisper(_) => Self::internal(e),
        }
    }
}

impl From<tauri::Error> for CommandError {
    fn from(e: tauri::Error) -> Self {
        Self::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_keep_their_message_and_get_a_kind_the_ui_can_act_on() {
        let busy: CommandError = StoreError::Busy("r1".into()).into();
        assert_eq!(busy, CommandError::new(ErrorKind::WrongState, "recording r1 is still being recorded; stop it first"));
        let missing: CommandError = ReviewError::Store(StoreError::NotFound("zz".into())).into();
        assert_eq!(missing.kind, ErrorKind::NotFound);
        let json = serde_json::to_value(CommandError::from(ReviewError::ScoreOutOfRange("safety"))).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"kind": "invalid", "message": "safety must be between 1 and 5"}));
    }
}
