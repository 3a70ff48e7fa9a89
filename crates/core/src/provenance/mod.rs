//! Provenance primitives: who captured or changed something, and proof that nothing else did.
//! A station key signs (`keys`); every batch the writer commits extends a hash chain over the
//! rows it stored (`chain`); at stop a recording is sealed — chain head, counts, times, station
//! key — and signed (`seal`). Pure hashing and signing over the model types: no SQL here (the
//! store calls these), and checking a recording or an export is `crate::verify`'s job.

pub mod chain;
pub mod hub;
pub mod keys;
pub mod review;
pub mod seal;

#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    #[error("the key file {path} cannot be used: {reason}")]
    Key { path: std::path::PathBuf, reason: String },
    #[error("bad signature: {0}")]
    Signature(String),
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from lower- or upper-case hex; None when it is not hex of an even length.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}
