//! Content-addressed media files: `media/<first two hex>/<sha256>.<ext>`. A file is written to a
//! temporary name and renamed into place, so a crash never leaves a half-written file under a
//! content address. Identical content is stored once.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::StoreError;

#[derive(Debug, Clone)]
pub struct MediaStore {
    dir: PathBuf,
}

impl MediaStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn path_of(&self, sha256: &str, ext: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("xx");
        self.dir.join(prefix).join(format!("{sha256}.{ext}"))
    }

    /// Stores `bytes` and returns their sha256 (hex). Writing content that already exists is a no-op.
    pub fn put(&self, bytes: &[u8], ext: &str) -> Result<String, StoreError> {
        let sha = hex_sha256(bytes);
        let path = self.path_of(&sha, ext);
        if path.exists() {
            return Ok(sha);
        }
        let parent = path.parent().unwrap_or(&self.dir);
        super::private::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
        let tmp = parent.join(format!(".{sha}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = super::private::create_file(&tmp)?;
            f.write_all(bytes)?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io(&path, e)
        })?;
        Ok(sha)
    }

    pub fn get(&self, sha256: &str, ext: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(sha256, ext);
        let bytes = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
        if hex_sha256(&bytes) != sha256 {
            return Err(StoreError::Corrupt { path: path.clone(), reason: "content does not match its sha256".into() });
        }
        Ok(bytes)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    crate::provenance::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_is_content_addressed_and_verified_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::new(dir.path().join("media"));
        let a = media.put(b"hello", "bin").unwrap();
        assert_eq!(a, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(media.put(b"hello", "bin").unwrap(), a);
        assert_eq!(media.get(&a, "bin").unwrap(), b"hello");
        fs::write(media.path_of(&a, "bin"), b"tampered").unwrap();
        assert!(matches!(media.get(&a, "bin"), Err(StoreError::Corrupt { .. })));
    }
}
