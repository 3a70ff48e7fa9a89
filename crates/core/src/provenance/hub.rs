//! What a station signs for a hub: joining it (proof that the station holds the key it
//! registers, bound to the hub account) and an expert's consent decision on a campaign (the
//! consent text's version and sha256, accept or withdraw, when, by whom). Station and hub build
//! the same bytes from here. Pure: no network, no storage.

/// Domain separation for everything signed for a hub.
const TAG: &[u8] = b"apprentice.hub/1";

/// What a station signs to join a hub as `user` with `public_key` (hex).
pub fn join_message(user: &str, public_key: &str) -> Vec<u8> {
    [TAG, &b"join"[..], user.as_bytes(), public_key.as_bytes()].join(&0u8)
}

/// Accept or withdraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentDecision {
    Accept,
    Withdraw,
}

impl ConsentDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentDecision::Accept => "accept",
            ConsentDecision::Withdraw => "withdraw",
        }
    }
}

/// What an expert's station signs to accept or withdraw `campaign`'s consent text (its
/// `version` and `sha256`) at `at` (RFC 3339) as `user`.
pub fn consent_message(campaign: &str, version: i32, sha256: &str, decision: ConsentDecision, at: &str, user: &str) -> Vec<u8> {
    [TAG, &b"consent"[..], campaign.as_bytes(), version.to_string().as_bytes(), sha256.as_bytes(), decision.as_str().as_bytes(), at.as_bytes(), user.as_bytes()].join(&0u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::keys::{verify, StationKey};

    #[test]
    fn a_signed_decision_holds_only_for_what_was_signed() {
        let key = StationKey::ephemeral([7; 32]);
        let msg = consent_message("spreadsheets", 1, "ab12", ConsentDecision::Accept, "2026-12-02T10:00:00Z", "ann");
        let sig = key.sign(&msg);
        assert!(verify(&key.public_hex(), &msg, &sig).is_ok());
        for other in [
            consent_message("spreadsheets", 2, "ab12", ConsentDecision::Accept, "2026-12-02T10:00:00Z", "ann"),
            consent_message("spreadsheets", 1, "ab13", ConsentDecision::Accept, "2026-12-02T10:00:00Z", "ann"),
            consent_message("spreadsheets", 1, "ab12", ConsentDecision::Withdraw, "2026-12-02T10:00:00Z", "ann"),
            consent_message("spreadsheets", 1, "ab12", ConsentDecision::Accept, "2026-12-02T10:00:00Z", "bob"),
        ] {
            assert!(verify(&key.public_hex(), &other, &sig).is_err());
        }
        assert_ne!(join_message("ann", &key.public_hex()), join_message("bob", &key.public_hex()));
    }
}
