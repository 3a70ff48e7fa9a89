//! The station's config: which hub, whose token, which station id, in
//! `$XDG_CONFIG_HOME/apprentice/station.json` (mode 0600: it holds a bearer token), and the task
//! list fetched last beside it. Written whole to a temporary file and renamed, so a crash never
//! leaves half a config. Not its job: the station key (`core::provenance::keys`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Result, StationError};
use apprentice_hub_api::AssignedTask;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StationConfig {
    pub hub: String,
    pub token: String,
    /// The account the token belongs to.
    pub user: String,
    pub station_id: i64,
    pub fingerprint: String,
}

/// `$APPRENTICE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/apprentice`.
pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("APPRENTICE_CONFIG_DIR") {
        return PathBuf::from(d);
    }
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("apprentice")
}

pub fn path() -> PathBuf {
    dir().join("station.json")
}

fn config_error(path: &Path, e: impl std::fmt::Display) -> StationError {
    StationError::Config { path: path.display().to_string(), message: e.to_string() }
}

/// The saved config, or None when this station never joined.
pub fn load() -> Result<Option<StationConfig>> {
    let path = path();
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| config_error(&path, format!("unreadable ({e}); join again"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(config_error(&path, e)),
    }
}

/// The saved config, with `APPRENTICE_HUB_TOKEN` (when set) in place of the saved token.
pub fn required() -> Result<StationConfig> {
    let mut cfg = load()?.ok_or(StationError::NotJoined)?;
    if let Ok(t) = std::env::var("APPRENTICE_HUB_TOKEN") {
        if !t.is_empty() {
            cfg.token = t;
        }
    }
    Ok(cfg)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| config_error(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| config_error(dir, e))?;
    // NamedTempFile is created 0600 on Unix.
    tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).map_err(|e| config_error(path, e))?;
    tmp.persist(path).map_err(|e| config_error(path, e.error))?;
    Ok(())
}

pub fn save(cfg: &StationConfig) -> Result<()> {
    let path = path();
    write_private(&path, &serde_json::to_vec_pretty(cfg).map_err(|e| config_error(&path, e))?)
}

fn tasks_path() -> PathBuf {
    dir().join("tasks.json")
}

pub fn save_tasks(tasks: &[AssignedTask]) -> Result<()> {
    let path = tasks_path();
    write_private(&path, &serde_json::to_vec_pretty(tasks).map_err(|e| config_error(&path, e))?)
}

pub fn load_tasks() -> Result<Vec<AssignedTask>> {
    let path = tasks_path();
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| config_error(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(e) => Err(config_error(&path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_config_is_private_and_round_trips() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("station.json");
        let cfg = StationConfig { hub: "http://hub".into(), token: "aph_x".into(), user: "ada".into(), station_id: 3, fingerprint: "ab:cd".into() };
        write_private(&path, &serde_json::to_vec(&cfg).expect("json")).expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a file holding a token is the user's alone");
        let back: StationConfig = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("parse");
        assert_eq!((back.hub.as_str(), back.station_id), ("http://hub", 3));
    }
}
