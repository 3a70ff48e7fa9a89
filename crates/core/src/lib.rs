//! Apprentice's core: everything about a recording that needs no desktop. A station, the desktop
//! app and a server all stand on it; it links no X11, audio device, whisper or Tauri code, so it
//! builds and tests headless. Modules follow the pipeline after capture:
//!
//! store → segment → review → export
//!
//! - [`model`]: the trajectory data model (serde types, schema version),
//! - [`clock`]: the one monotonic clock every stream is stamped with,
//! - [`provenance`]: station keys, the capture hash chain, signed seals,
//! - [`store`]: the library (SQLite index + content-addressed media, audio chunks), recovery,
//! - [`segment`]: raw events → actions → steps, and quality figures,
//! - [`review`]: a trajectory as reviewed (edits replayed, labels attached),
//! - [`export`]: projections into trainer formats (the canonical bundle first),
//! - [`verify`]: checking a recording against its capture chain and seal.
//!
//! Not here: capturing (`apprentice-capture`), transcribing (`apprentice-speech`), the shells.

pub mod clock;
pub mod export;
pub mod model;
pub mod privacy;
pub mod provenance;
pub mod review;
pub mod segment;
pub mod store;
pub mod verify;
