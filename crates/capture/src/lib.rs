//! Capture: the screen, input and window context of a recording, and the [`recorder::Recorder`]
//! that runs them. Every stream is stamped by one [`apprentice_core::clock::RecordingClock`], passes the
//! [`privacy::PrivacyGate`], and reaches the store only through the writer thread.
//!
//! Threads of a running recorder: capture (grabs and diffs frames), encoder (WebP + media files),
//! input router (rdev events → raw input events, each with its origin from the input-origin
//! watcher), window watcher, writer, and the control socket.
//! Each talks to the next through a bounded queue; nothing slow runs on the capture or input path.

pub mod accessibility;
pub mod audio;
pub mod control;
pub mod exclusion;
pub mod frames;
pub mod input;
pub mod input_origin;
pub mod keys;
pub mod preflight;
pub mod privacy;
pub mod pulse;
pub mod recorder;
pub mod screen;
pub mod session;
pub mod typed_secrets;
pub mod window;
pub mod x11;
#[cfg(feature = "xcap")]
pub mod xcap_screen;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no display: {0}")]
    NoDisplay(String),
    #[error("{0}")]
    MissingExtension(String),
    #[error("screen capture is not supported here: {0}")]
    Unsupported(String),
    #[error("X11: {0}")]
    X11(String),
}
