//! The hub a data vendor runs: accounts and tokens, campaigns with their task catalog and
//! assignments, stations and signed consent, uploads verified on arrival, the recordings they
//! deliver, review queues with agreement, side-by-side comparison, and publishing (docs/ARCHITECTURE.md, "The hub"). An axum server over PostgreSQL; every piece
//! of state is in the database or the object store, so several `apprentice-hub serve` processes can serve one hub.
//! It links the core crate and nothing of the desktop (no X11, audio, Whisper or WebKit).

pub mod accounts;
pub mod admin;
pub mod agreement;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod checkout;
pub mod compare;
pub mod db;
pub mod gold;
pub mod publish;
pub mod qa;
pub mod recordings;
pub mod review;
pub mod review_page;
pub mod server;
pub mod stations;
pub mod storage;
pub mod tasks;
pub mod uploads;
