//! The hub a data vendor runs: accounts and tokens, campaigns with their task catalog and
//! assignments, stations and signed consent, uploads verified on arrival, and the recordings they deliver (docs/ARCHITECTURE.md, "The hub"). An axum server over PostgreSQL; every piece
//! of state is in the database or the object store, so several `apprentice-hub serve` processes can serve one hub.
//! It links the core crate and nothing of the desktop (no X11, audio, Whisper or WebKit).

pub mod accounts;
pub mod admin;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod db;
pub mod recordings;
pub mod server;
pub mod stations;
pub mod storage;
pub mod tasks;
pub mod uploads;
