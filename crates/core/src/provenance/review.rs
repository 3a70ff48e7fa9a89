//! The signed review log: every audit-log entry (label, score, verdict, edit, transcript
//! correction) is chained to the one before it for the same recording and signed by the
//! reviewer's station key; an undo is signed too. hash₀ = sha256(tag ‖ recording id); an entry's
//! hash = sha256(tag ‖ previous hash ‖ its id, recording, time, reviewer and change as stored),
//! its signature is over that hash. A label changed, an entry dropped, inserted or reordered, an
//! undo flag flipped: each breaks the log. Pure hashing and checking: the store writes entries.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{self, StationKey};
use super::{hex, unhex};

const TAG: &[u8] = b"apprentice.review/1";

/// An undo of an entry: who undid it, when, and their signature over that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedUndo {
    pub at: String,
    pub reviewer: String,
    pub signer: String,
    pub signature: String,
}

/// An audit-log entry as stored and exported: the change as its JSON text, the chain, the
/// signature (None for entries made before signing, or without a key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntry {
    pub id: String,
    pub seq: i64,
    pub recording_id: String,
    pub at: String,
    pub reviewer: String,
    pub change: String,
    pub prev: Option<String>,
    pub hash: Option<String>,
    pub signer: Option<String>,
    pub signature: Option<String>,
    pub undone: bool,
    pub undo: Option<SignedUndo>,
}

pub fn genesis(recording_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(recording_id.as_bytes());
    h.finalize().into()
}

/// The hash of an entry after `prev`.
pub fn entry_hash(prev: &[u8; 32], id: &str, recording_id: &str, at: &str, reviewer: &str, change: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(prev);
    for part in [id, recording_id, at, reviewer, change] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// What an undo's signature covers.
pub fn undo_message(entry_hash: &str, at: &str, reviewer: &str) -> Vec<u8> {
    [TAG, &b"undo"[..], entry_hash.as_bytes(), at.as_bytes(), reviewer.as_bytes()].join(&0u8)
}

/// Chain and signature fields for a new entry after `prev`.
pub fn sign_entry(key: &StationKey, prev: &[u8; 32], id: &str, recording_id: &str, at: &str, reviewer: &str, change: &str) -> (String, String, String, String) {
    let hash = entry_hash(prev, id, recording_id, at, reviewer, change);
    (hex(prev), hex(&hash), key.public_hex(), key.sign(&hash))
}

pub fn sign_undo(key: &StationKey, entry_hash: &str, at: &str, reviewer: &str) -> SignedUndo {
    SignedUndo { at: at.into(), reviewer: reviewer.into(), signer: key.public_hex(), signature: key.sign(&undo_message(entry_hash, at, reviewer)) }
}

/// One thing wrong with a log: (where, expected, found).
pub type LogProblem = (String, String, String);

/// Checks a recording's log, oldest first: each entry chained to the one before, its hash its
/// content's, its signature its signer's, every undone entry's undo signed (and only those).
pub fn check_log(recording_id: &str, entries: &[SignedEntry]) -> Vec<LogProblem> {
    let mut out = vec![];
    let mut prev = genesis(recording_id);
    for (n, e) in entries.iter().enumerate() {
        let at = format!("review log entry {} ({} by {}, {})", n + 1, e.id, e.reviewer, e.at);
        let want = entry_hash(&prev, &e.id, &e.recording_id, &e.at, &e.reviewer, &e.change);
        let (Some(hash), Some(signer), Some(signature)) = (&e.hash, &e.signer, &e.signature) else {
            out.push((at, "a signed entry".into(), "an unsigned one".into()));
            prev = want;
            continue;
        };
        if e.recording_id != recording_id {
            out.push((at.clone(), format!("recording {recording_id}"), format!("recording {}", e.recording_id)));
        }
        if e.prev.as_deref() != Some(hex(&prev).as_str()) {
            out.push((at.clone(), "chained to the entry before it".into(), "a link to another entry (one dropped, inserted or reordered)".into()));
        }
        if *hash != hex(&want) {
            out.push((at.clone(), "its content as signed".into(), "content that differs (changed after signing)".into()));
        } else if let Err(e) = keys::verify(signer, &want, signature) {
            out.push((at.clone(), "a valid signature".into(), e.to_string()));
        }
        match (&e.undo, e.undone) {
            (Some(u), true) => {
                if keys::verify(&u.signer, &undo_message(hash, &u.at, &u.reviewer), &u.signature).is_err() {
                    out.push((format!("{at}, its undo"), "a valid signature".into(), "an undo whose signature does not match".into()));
                }
            }
            (None, true) => out.push((at.clone(), "a signed undo, as it is marked undone".into(), "no undo".into())),
            (Some(_), false) => out.push((at.clone(), "marked undone, as it has an undo".into(), "not marked undone".into())),
            (None, false) => {}
        }
        prev = unhex(hash).and_then(|b| <[u8; 32]>::try_from(b).ok()).unwrap_or(want);
    }
    out
}

/// The reviewers who signed a log: (name, public key, entries), in the order first seen.
pub fn signers(entries: &[SignedEntry]) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = vec![];
    for e in entries {
        let key = e.signer.clone().unwrap_or_default();
        match out.iter_mut().find(|(r, k, _)| *r == e.reviewer && *k == key) {
            Some(s) => s.2 += 1,
            None => out.push((e.reviewer.clone(), key, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &StationKey, prev: &[u8; 32], n: i64, change: &str) -> SignedEntry {
        let (id, at) = (format!("e{n}"), format!("2026-12-02T00:00:0{n}Z"));
        let (p, hash, signer, signature) = sign_entry(key, prev, &id, "r", &at, "ann", change);
        SignedEntry {
            id,
            seq: n,
            recording_id: "r".into(),
            at,
            reviewer: "ann".into(),
            change: change.into(),
            prev: Some(p),
            hash: Some(hash),
            signer: Some(signer),
            signature: Some(signature),
            undone: false,
            undo: None,
        }
    }

    fn log(key: &StationKey) -> Vec<SignedEntry> {
        let a = entry(key, &genesis("r"), 1, r#"{"kind":"label","step":1}"#);
        let b = entry(key, &unhex(a.hash.as_ref().unwrap()).unwrap().try_into().unwrap(), 2, r#"{"kind":"label","step":2}"#);
        vec![a, b]
    }

    #[test]
    fn a_signed_log_checks_and_every_kind_of_tampering_is_found() {
        let key = StationKey::ephemeral([2; 32]);
        let good = log(&key);
        assert!(check_log("r", &good).is_empty());
        let mut changed = good.clone();
        changed[1].change = r#"{"kind":"label","step":3}"#.into();
        assert_eq!(check_log("r", &changed).len(), 1);
        let dropped = vec![good[1].clone()];
        assert!(check_log("r", &dropped)[0].2.contains("one dropped"), "{:?}", check_log("r", &dropped));
        let mut flipped = good.clone();
        flipped[0].undone = true;
        assert_eq!(check_log("r", &flipped)[0].2, "no undo");
        let mut undone = good.clone();
        undone[1].undone = true;
        undone[1].undo = Some(sign_undo(&key, undone[1].hash.as_ref().unwrap(), "2026-12-02T00:01:00Z", "ann"));
        assert!(check_log("r", &undone).is_empty());
        undone[1].undo.as_mut().unwrap().reviewer = "bob".into();
        assert_eq!(check_log("r", &undone).len(), 1, "an undo re-attributed");
        assert_eq!(signers(&good), vec![("ann".to_string(), key.public_hex(), 2)]);
    }
}
