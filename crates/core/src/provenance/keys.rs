//! Station keys: an Ed25519 key pair per machine and user, made on first use and kept in the
//! XDG config dir (`~/.config/apprentice/keys/station.key`, mode 0600; `$APPRENTICE_KEY` names
//! another file). The private key never leaves that file: libraries and exports hold only the
//! public key and signatures. The same key signs what this user captures and the review changes
//! they make.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{hex, unhex, ProvenanceError};

pub const KEY_ENV: &str = "APPRENTICE_KEY";

pub struct StationKey {
    signing: SigningKey,
    path: PathBuf,
}

impl std::fmt::Debug for StationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        write!(f, "StationKey({} at {})", self.fingerprint(), self.path.display())
    }
}

/// Where this user's station key lives.
pub fn default_path() -> PathBuf {
    match std::env::var_os(KEY_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("apprentice").join("keys").join("station.key"),
    }
}

impl StationKey {
    /// This user's key, made on first use.
    pub fn load_or_create_default() -> Result<StationKey, ProvenanceError> {
        Self::load_or_create(&default_path())
    }

    /// The key at `path` (hex of the 32-byte secret), or a new one written there with mode 0600.
    pub fn load_or_create(path: &Path) -> Result<StationKey, ProvenanceError> {
        let err = |reason: String| ProvenanceError::Key { path: path.to_path_buf(), reason };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes: [u8; 32] = unhex(text.trim()).and_then(|b| b.try_into().ok()).ok_or_else(|| err("not a station key (64 hex digits)".into()))?;
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path).map_err(|e| err(e.to_string()))?.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(err(format!("readable by others (mode {:o}): chmod 600 it", mode & 0o777)));
                }
                Ok(StationKey { signing: SigningKey::from_bytes(&bytes), path: path.to_path_buf() })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| err(format!("no randomness for a new key: {e}")))?;
                write_secret(path, &hex(&seed)).map_err(|e| err(e.to_string()))?;
                Ok(StationKey { signing: SigningKey::from_bytes(&seed), path: path.to_path_buf() })
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// A key that lives only in memory (tests, benchmarks).
    pub fn ephemeral(seed: [u8; 32]) -> StationKey {
        StationKey { signing: SigningKey::from_bytes(&seed), path: PathBuf::from("(memory)") }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex(self.signing.verifying_key().as_bytes())
    }

    /// A short name of the public key for people: the first 8 bytes of its sha256.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_hex())
    }

    /// Signature of `message`, hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex(&self.signing.sign(message).to_bytes())
    }
}

/// The short name of a public key (hex): its sha256's first 8 bytes, in four groups.
pub fn fingerprint(public_hex: &str) -> String {
    let digest = Sha256::digest(unhex(public_hex).unwrap_or_default());
    digest[..8].chunks(2).map(hex).collect::<Vec<_>>().join(":")
}

/// Checks a signature (hex) of `message` by the public key (hex).
pub fn verify(public_hex: &str, message: &[u8], signature_hex: &str) -> Result<(), ProvenanceError> {
    let key: [u8; 32] = unhex(public_hex).and_then(|b| b.try_into().ok()).ok_or_else(|| ProvenanceError::Signature(format!("'{public_hex}' is not a public key")))?;
    let key = VerifyingKey::from_bytes(&key).map_err(|e| ProvenanceError::Signature(format!("public key: {e}")))?;
    let sig: [u8; 64] = unhex(signature_hex).and_then(|b| b.try_into().ok()).ok_or_else(|| ProvenanceError::Signature("not a signature (128 hex digits)".into()))?;
    key.verify(message, &Signature::from_bytes(&sig)).map_err(|_| ProvenanceError::Signature(format!("does not match the content for key {}", fingerprint(public_hex))))
}

/// Writes `text` to a new file only its owner can read, in a directory only its owner can enter.
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    // A key another process made meanwhile wins: link fails if the file exists.
    match std::fs::hard_link(&tmp, path) {
        Ok(()) => std::fs::remove_file(&tmp),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::remove_file(&tmp),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_private_to_its_owner_and_signs_what_it_verifies() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/station.key");
        let a = StationKey::load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let b = StationKey::load_or_create(&path).unwrap();
        assert_eq!(a.public_hex(), b.public_hex(), "the same key on the next use");
        assert_eq!(a.fingerprint().len(), 19);
        let sig = a.sign(b"seal");
        verify(&a.public_hex(), b"seal", &sig).unwrap();
        assert!(verify(&a.public_hex(), b"seal!", &sig).is_err(), "another message");
        let other = StationKey::ephemeral([7; 32]);
        assert!(verify(&other.public_hex(), b"seal", &sig).is_err(), "another key");
        assert!(!format!("{a:?}").contains(&std::fs::read_to_string(&path).unwrap().trim().to_string()), "Debug never shows the secret");
    }

    #[test]
    fn a_key_file_others_can_read_or_that_is_not_a_key_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.key");
        StationKey::load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(StationKey::load_or_create(&path).unwrap_err().to_string().contains("readable by others"));
        std::fs::write(&path, "hello").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(StationKey::load_or_create(&path).unwrap_err().to_string().contains("not a station key"));
    }
}
