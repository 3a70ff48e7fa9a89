//! The capture seal: at stop (or at recovery after a crash) a recording's chain head, its rows
//! per stream, its times and pauses, the recorder's version and the station's public key, signed
//! by the station key. A seal says: station K captured exactly these rows, then; it is
//! `interrupted` when the recorder died and only what reached disk is vouched for.

use serde::{Deserialize, Serialize};

use super::chain::StreamCounts;
use super::keys::{self, StationKey};
use super::ProvenanceError;
use crate::model::{Micros, Pause};

pub const SEAL_SCHEMA: &str = "apprentice.seal/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SealKind {
    /// Stopped on request: everything captured is here.
    Finished,
    /// The recorder died or a failure ended it: what reached disk is here.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub schema: String,
    pub recording_id: String,
    pub kind: SealKind,
    /// The chain's last link (hex); the genesis link when nothing was stored.
    pub chain_head: String,
    /// Batches in the chain.
    pub batches: u64,
    pub counts: StreamCounts,
    pub started_at: String,
    pub duration_us: Micros,
    pub pauses: Vec<Pause>,
    pub recorder_version: String,
    /// The station's public key (hex).
    pub station_key: String,
    /// When the seal was made (RFC 3339, UTC).
    pub sealed_at: String,
}

/// A seal and its signature by `seal.station_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSeal {
    pub seal: Seal,
    pub signature: String,
}

impl Seal {
    /// The bytes signed: the seal's JSON (field order fixed by the struct).
    pub fn message(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn sign(self, key: &StationKey) -> SignedSeal {
        let signature = key.sign(&self.message());
        SignedSeal { seal: self, signature }
    }
}

impl SignedSeal {
    /// The signature is the seal's station key's, over this seal.
    pub fn check_signature(&self) -> Result<(), ProvenanceError> {
        keys::verify(&self.seal.station_key, &self.seal.message(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_verifies_until_any_field_changes() {
        let key = StationKey::ephemeral([3; 32]);
        let seal = Seal {
            schema: SEAL_SCHEMA.into(),
            recording_id: "r".into(),
            kind: SealKind::Finished,
            chain_head: "ab".repeat(32),
            batches: 4,
            counts: StreamCounts { input: 10, frames: 3, ..Default::default() },
            started_at: "2026-12-02T00:00:00Z".into(),
            duration_us: 5_000_000,
            pauses: vec![],
            recorder_version: "0.1.0".into(),
            station_key: key.public_hex(),
            sealed_at: "2026-12-02T00:00:05Z".into(),
        };
        let signed = seal.sign(&key);
        signed.check_signature().unwrap();
        let mut changed = signed.clone();
        changed.seal.counts.input = 9;
        assert!(changed.check_signature().is_err());
        let mut other = signed.clone();
        other.seal.station_key = StationKey::ephemeral([4; 32]).public_hex();
        assert!(other.check_signature().is_err(), "claiming another station");
    }
}
