//! The manifest every export directory gets, whatever the format: `manifest.json` lists every
//! other file (path, size, sha256) and `manifest.sig` is the exporting station's signature over
//! manifest.json's exact bytes. With them a receiver can tell that nothing was changed, added,
//! removed or renamed since the export, and by whom it was made (`crate::verify::directory`).
//! It also carries the export's redaction report (`crate::privacy::Report`), so what was masked,
//! and whether anything was, is signed with the rest.
//! Written by the export registry after the format; formats never write it themselves.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{to_json, write_file, ExportError};
use crate::provenance::keys::{self, StationKey};

pub const MANIFEST_SCHEMA: &str = "apprentice.manifest/3";
pub const SIGNATURE_SCHEMA: &str = "apprentice.signature/1";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const SIGNATURE_FILE: &str = "manifest.sig";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative to the export directory, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    /// The export format (`apprentice export --format`).
    pub format: String,
    /// The recordings exported.
    pub recordings: Vec<String>,
    pub created_at: String,
    /// Every file of the directory but the manifest and its signature, sorted by path.
    pub files: Vec<ManifestFile>,
    /// What was redacted, and how (manifests before schema 3 have none: nothing was).
    #[serde(default)]
    pub redaction: crate::privacy::Report,
}

/// `manifest.sig`: who signed manifest.json, and the signature over its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSignature {
    pub schema: String,
    pub public_key: String,
    pub fingerprint: String,
    pub signature: String,
}

/// Size and sha256 of a file, read in 1 MB pieces.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let read = f.read(&mut buf)?;
        if read == 0 {
            break;
        }
        h.update(&buf[..read]);
        n += read as u64;
    }
    Ok((n, crate::provenance::hex(&h.finalize())))
}

/// Every file under `dir` (relative, `/`-separated, sorted), the manifest and its signature
/// left out.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
                if rel != MANIFEST_FILE && rel != SIGNATURE_FILE {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes `dir`'s manifest, and its signature when there is a key.
pub fn write(dir: &Path, format: &str, recordings: Vec<String>, redaction: crate::privacy::Report, key: Option<&StationKey>) -> Result<Manifest, ExportError> {
    let mut files = vec![];
    for path in files_under(dir).map_err(|e| ExportError::io(dir, e))? {
        let full = dir.join(&path);
        let (bytes, sha256) = hash_file(&full).map_err(|e| ExportError::io(&full, e))?;
        files.push(ManifestFile { path, bytes, sha256 });
    }
    let created_at = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let manifest = Manifest { schema: MANIFEST_SCHEMA.into(), format: format.into(), recordings, created_at, files, redaction };
    let bytes = to_json(MANIFEST_FILE, &manifest)?;
    write_file(&dir.join(MANIFEST_FILE), &bytes)?;
    if let Some(key) = key {
        let sig = ManifestSignature { schema: SIGNATURE_SCHEMA.into(), public_key: key.public_hex(), fingerprint: key.fingerprint(), signature: key.sign(&bytes) };
        write_file(&dir.join(SIGNATURE_FILE), &to_json(SIGNATURE_FILE, &sig)?)?;
    }
    Ok(manifest)
}

impl ManifestSignature {
    /// The signature is its key's, over `manifest_bytes`.
    pub fn check(&self, manifest_bytes: &[u8]) -> Result<(), crate::provenance::ProvenanceError> {
        keys::verify(&self.public_key, manifest_bytes, &self.signature)
    }
}
