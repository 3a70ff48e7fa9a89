//! Apprentice records how a domain expert does real computer work and turns it into training
//! data for computer-use agents. The library runs headless; the CLI (`cli`) and the Tauri shell
//! (`app`) are thin layers over it. Modules follow the pipeline:
//!
//! capture → store → (speech →) segment → review → export
//!
//! - [`model`]: the trajectory data model (serde types, schema version),
//! - [`clock`]: the one monotonic clock every stream is stamped with,
//! - [`capture`]: screen, input, window context and the microphone, and the recorder that runs them,
//! - [`store`]: the library (SQLite index + content-addressed media, audio chunks), recovery,
//! - [`speech`]: think-aloud audio → timed utterances (VAD + whisper.cpp, on this machine),
//! - [`segment`]: raw events → actions → steps, and quality figures,
//! - [`export`]: projections into trainer formats (the canonical bundle first),
//! - [`control`]: the local socket through which a running recorder is driven,
//! - [`cli`] and [`app`]: the shells.

pub mod capture;
pub mod cli;
pub mod clock;
pub mod control;
pub mod export;
pub mod model;
pub mod review;
pub mod segment;
pub mod speech;
pub mod store;

#[cfg(feature = "gui")]
pub mod app;
