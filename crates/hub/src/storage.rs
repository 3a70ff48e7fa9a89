//! Object storage for what stations send: a local directory (`file:///srv/hub`) or an
//! S3-compatible bucket (`s3://bucket/prefix`, endpoint and credentials from the options or the
//! usual `AWS_*` variables), through the `object_store` crate. Objects are moved whole and
//! streamed (files to and from objects, never a whole object in memory). Keys:
//! `media/<sha256[..2]>/<sha256>.<ext>` (shared by every recording, stored once),
//! `recordings/<id>/library-<sha256>.sqlite` (one recording's rows, sealed), and
//! `uploads/<upload>/<sha256>` (what an upload in progress has received; moved or deleted when it
//! completes). Not its job: what is allowed where (uploads.rs).

use std::path::Path as FsPath;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

/// How to reach an S3-compatible server; unset fields come from `AWS_*` variables.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// e.g. `http://127.0.0.1:9000` (plain http is allowed for a server on the same network).
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

/// The hub's object store.
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    url: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("object storage, local file {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl StorageError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::Store(object_store::Error::NotFound { .. }))
    }
}

fn io(path: &FsPath, source: std::io::Error) -> StorageError {
    StorageError::Io { path: path.display().to_string(), source }
}

impl Store {
    /// `file:///dir` (created if missing) or `s3://bucket[/prefix]`.
    pub fn parse(url: &str, s3: &S3Options) -> Result<Store> {
        if let Some(path) = url.strip_prefix("file://") {
            let dir = std::path::PathBuf::from(path);
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the store directory {}", dir.display()))?;
            let probe = dir.join(".apprentice-hub-probe");
            std::fs::write(&probe, b"").with_context(|| format!("the store directory {} is not writable", dir.display()))?;
            let _ = std::fs::remove_file(probe);
            let fs = LocalFileSystem::new_with_prefix(&dir).with_context(|| format!("the store directory {}", dir.display()))?;
            return Ok(Store { inner: Arc::new(fs), url: url.to_string() });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                bail!("{url:?} names no bucket: give s3://bucket or s3://bucket/prefix");
            }
            let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Some(endpoint) = &s3.endpoint {
                b = b.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://")).with_virtual_hosted_style_request(false);
            }
            if let Some(region) = &s3.region {
                b = b.with_region(region);
            }
            let s3store = b.build().with_context(|| format!("cannot use {url} (credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"))?;
            let inner: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() { Arc::new(s3store) } else { Arc::new(PrefixStore::new(s3store, prefix.trim_matches('/'))) };
            return Ok(Store { inner, url: url.to_string() });
        }
        bail!("{url:?} is not a store URL: give file:///path/to/dir or s3://bucket/prefix")
    }

    /// Writes a probe object and removes it: the store is reachable and writable.
    pub async fn check(&self) -> Result<()> {
        let probe = Path::from(".apprentice-hub-probe");
        self.inner.put(&probe, bytes::Bytes::from_static(b"ok").into()).await.with_context(|| format!("cannot write to the store {}", self.url))?;
        let _ = self.inner.delete(&probe).await;
        Ok(())
    }

    pub fn media_key(sha256: &str, ext: &str) -> Path {
        Path::from(format!("media/{}/{sha256}.{ext}", sha256.get(..2).unwrap_or("xx")))
    }
    pub fn library_key(recording: &str, sha256: &str) -> Path {
        Path::from(format!("recordings/{recording}/library-{sha256}.sqlite"))
    }
    pub fn staged_key(upload: i64, sha256: &str) -> Path {
        Path::from(format!("uploads/{upload}/{sha256}"))
    }

    /// Whether an object is there.
    pub async fn exists(&self, key: &Path) -> Result<bool, StorageError> {
        match self.inner.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams a local file into an object (multipart for big files).
    pub async fn put_file(&self, key: &Path, file: &FsPath) -> Result<(), StorageError> {
        let mut src = tokio::fs::File::open(file).await.map_err(|e| io(file, e))?;
        let mut dst = BufWriter::new(self.inner.clone(), key.clone());
        if let Err(e) = tokio::io::copy(&mut src, &mut dst).await {
            let _ = dst.abort().await;
            return Err(io(file, e));
        }
        dst.shutdown().await.map_err(|e| io(file, e))
    }

    /// Streams an object into a local file.
    pub async fn get_file(&self, key: &Path, file: &FsPath) -> Result<u64, StorageError> {
        let mut stream = self.inner.get(key).await?.into_stream();
        let mut out = tokio::fs::File::create(file).await.map_err(|e| io(file, e))?;
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            n += chunk.len() as u64;
            out.write_all(&chunk).await.map_err(|e| io(file, e))?;
        }
        out.flush().await.map_err(|e| io(file, e))?;
        Ok(n)
    }

    pub async fn copy(&self, from: &Path, to: &Path) -> Result<(), StorageError> {
        Ok(self.inner.copy(from, to).await?)
    }

    /// Deletes an object; one that is not there is not an error.
    pub async fn delete(&self, key: &Path) -> Result<(), StorageError> {
        match self.inner.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every key under a prefix.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let prefix = Path::from(prefix);
        let mut out = vec![];
        let mut s = self.inner.list(Some(&prefix));
        while let Some(meta) = s.next().await {
            out.push(meta?.location.to_string());
        }
        Ok(out)
    }
}
