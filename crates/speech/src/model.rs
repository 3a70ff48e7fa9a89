//! Which Whisper model transcribes, and whether it is usable. The path comes from `--model`,
//! else `$APPRENTICE_WHISPER_MODEL`, else the per-user default that `scripts/install-model`
//! writes (`~/.local/share/apprentice/models/ggml-tiny.en.bin`). Models are whisper.cpp ggml
//! files; nothing is ever downloaded by the app.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::SpeechError;

pub const MODEL_ENV: &str = "APPRENTICE_WHISPER_MODEL";
pub const DEFAULT_MODEL_FILE: &str = "ggml-tiny.en.bin";
/// What a whisper.cpp model file starts with ("ggml", little-endian).
const GGML_MAGIC: u32 = 0x6767_6d6c;

/// Where installed models live for this user.
pub fn models_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("apprentice").join("models")
}

/// The model to use: the explicit one, the environment's, or the installed default.
pub fn resolve(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match std::env::var_os(MODEL_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => models_dir().join(DEFAULT_MODEL_FILE),
    }
}

/// A model file that looks usable.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    /// The file name without `ggml-` and `.bin`, e.g. `tiny.en`.
    pub name: String,
    pub bytes: u64,
}

/// Checks the file exists and is a ggml model, with errors that say how to fix it.
pub fn check(path: &Path) -> Result<ModelInfo, SpeechError> {
    let mut file = std::fs::File::open(path).map_err(|_| SpeechError::NoModel { path: path.to_path_buf() })?;
    let mut magic = [0u8; 4];
    if file.read_exact(&mut magic).is_err() || u32::from_le_bytes(magic) != GGML_MAGIC {
        return Err(SpeechError::NotAModel { path: path.to_path_buf() });
    }
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = stem.strip_prefix("ggml-").unwrap_or(&stem).to_string();
    Ok(ModelInfo { path: path.to_path_buf(), name, bytes })
}

/// The speech model's preflight check: the model `resolve` picks is there and is a ggml file.
/// Without one, recordings still keep their audio, to transcribe once a model is installed.
pub fn preflight(explicit: Option<&Path>) -> apprentice_core::model::Check {
    use apprentice_core::model::Check;
    let path = resolve(explicit);
    match check(&path) {
        Ok(m) => Check::ok("speech_model", format!("Whisper {} at {} ({:.0} MB)", m.name, m.path.display(), m.bytes as f64 / 1e6)),
        Err(e) => Check::warn("speech_model", format!("{e}: spoken reasoning is recorded but cannot be transcribed"), format!("run scripts/install-model (or give --model FILE or ${MODEL_ENV})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_foreign_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("ggml-none.bin");
        let e = check(&missing).unwrap_err().to_string();
        assert!(e.contains("no Whisper model") && e.contains("scripts/install-model") && e.contains(MODEL_ENV), "{e}");
        let foreign = dir.path().join("model.bin");
        std::fs::write(&foreign, b"PK\x03\x04 a zip, not a model").unwrap();
        assert!(check(&foreign).unwrap_err().to_string().contains("not a whisper.cpp"));
        let fine = dir.path().join("ggml-tiny.en.bin");
        std::fs::write(&fine, [0x6c, 0x6d, 0x67, 0x67, 0, 0]).unwrap();
        assert_eq!(check(&fine).unwrap().name, "tiny.en");
    }

    #[test]
    fn the_preflight_check_warns_without_a_model_and_names_the_one_found() {
        use apprentice_core::model::CheckStatus;
        let dir = tempfile::tempdir().unwrap();
        let missing = preflight(Some(&dir.path().join("ggml-base.bin")));
        assert_eq!((missing.id.as_str(), missing.status), ("speech_model", CheckStatus::Warn));
        assert!(missing.fix.as_deref().is_some_and(|f| f.starts_with("run scripts/install-model")), "{missing:?}");
        let fine = dir.path().join("ggml-base.bin");
        std::fs::write(&fine, [0x6c, 0x6d, 0x67, 0x67, 0, 0]).unwrap();
        let found = preflight(Some(&fine));
        assert_eq!(found.status, CheckStatus::Ok);
        assert!(found.summary.starts_with("Whisper base at "), "{found:?}");
    }

    #[test]
    fn an_explicit_path_wins() {
        assert_eq!(resolve(Some(Path::new("/m.bin"))), PathBuf::from("/m.bin"));
    }
}
