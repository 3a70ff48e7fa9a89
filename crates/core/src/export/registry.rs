//! The export registry: every format by name, and [`run`], the one way to export that the CLI,
//! the desktop app and a server all call, which also writes every export's signed manifest
//! ([`super::manifest`]). Adding a format is one module in `export/` plus one
//! entry in [`FORMATS`]; no caller matches on formats. `run` picks the recordings, loads them one
//! at a time (an export of many never holds more than one recording's streams) and hands them to
//! the format. Not its job: the projections themselves (the format modules) or drawing progress
//! (the shells read [`Options::progress`] and the [`Notice`]s).

use std::path::Path;

use super::redact::Redaction;
use super::select::{self, Selection};
use super::{agentnet, anthropic, atif, canonical, hf, html, openai, preferences, rewards, webdataset, ExportError, ExportSource, Progress};
use crate::model::RecordingStatus;
use crate::privacy::detect::Detectors;
use crate::provenance::keys::StationKey;
use crate::store::Library;

/// How an export is written, whatever the format (each format reads what applies to it).
#[derive(Debug, Clone)]
pub struct Options {
    /// Canonical: write frame images (false: trajectory and events only).
    pub frames: bool,
    /// WebDataset and hf: the largest shard, in bytes.
    pub shard_bytes: u64,
    /// Advanced as frames render, for a progress display on another thread.
    pub progress: Progress,
    /// Signs the export's manifest (`manifest.sig`); None writes the manifest unsigned.
    pub signer: Option<std::sync::Arc<StationKey>>,
    /// Masks secrets and personal data in every text and frame (the default); false only for the
    /// data's owner on their own machine (`--no-redact`), and the manifest says so.
    pub redact: bool,
    /// What redaction looks for: the built-in detectors, plus a vendor's patterns and words.
    pub detectors: std::sync::Arc<Detectors>,
}

impl Default for Options {
    fn default() -> Self {
        Options { frames: true, shard_bytes: 1 << 30, progress: Progress::default(), signer: None, redact: true, detectors: std::sync::Arc::new(Detectors::builtin()) }
    }
}

/// One registered format.
pub struct Format {
    /// What callers name it by (`apprentice export --format NAME`).
    pub name: &'static str,
    /// One line for a help text.
    pub about: &'static str,
    write: WriteFn,
}

type Sources<'a> = &'a mut dyn Iterator<Item = Result<ExportSource, ExportError>>;
/// Writes the sources into `dir` and says what was written; `chosen` is how many were picked.
type WriteFn = fn(&Library, Sources<'_>, &Path, &Options, usize) -> Result<String, ExportError>;

/// Every format, the canonical bundle first (the default).
pub static FORMATS: &[Format] = &[
    Format { name: "canonical", about: "The lossless bundle: trajectory.json, events.jsonl, frames/, manifest.json.", write: write_canonical },
    Format { name: "agentnet", about: "AgentNet / OpenCUA JSONL with pyautogui code and step screenshots.", write: write_agentnet },
    Format { name: "anthropic", about: "Anthropic Messages-API transcript with the computer tool (computer_20250124).", write: write_anthropic },
    Format { name: "openai", about: "OpenAI computer-use items, and a chat fine-tuning JSONL line with tool calls.", write: write_openai },
    Format { name: "webdataset", about: "WebDataset tar shards, one sample per step.", write: write_webdataset },
    Format { name: "atif", about: "ATIF (Harbor's Agent Trajectory Interchange Format, v1.8) with screenshots as image parts.", write: write_atif },
    Format { name: "html", about: "A self-contained HTML report per recording (steps, screens, actions drawn, reasoning, labels).", write: write_html },
    Format { name: "hf", about: "Hugging Face dataset: Parquet shards (one row per step, PNG image columns) and a dataset card.", write: write_hf },
    Format { name: "rewards", about: "Step rewards for process reward models (+1/0/-1 per step from review labels; TRL stepwise JSONL).", write: write_rewards },
    Format { name: "preferences", about: "Preference pairs from side-by-side comparisons (chosen / rejected / rationale; DPO-ready JSONL).", write: write_preferences },
];

/// The format called `name`.
pub fn find(name: &str) -> Result<&'static Format, ExportError> {
    FORMATS.iter().find(|f| f.name == name).ok_or_else(|| ExportError::UnknownFormat { name: name.to_string(), known: FORMATS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ") })
}

/// Something a caller may want to tell its user while an export runs.
#[derive(Debug)]
pub enum Notice {
    /// Loading recording `index` (1-based) of `total`.
    Loading { index: usize, total: usize, id: String },
    /// The recording was interrupted: it is exported with what reached disk.
    Interrupted { id: String },
    /// Picked by a filter, but it cannot be exported (named ids never are skipped: they fail).
    Skipped { id: String, error: ExportError },
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Recordings exported.
    pub recordings: usize,
    pub steps: usize,
    /// What the format wrote, for a person ("3 trajectories", "12 samples in 1 shards").
    pub written: String,
    /// What redaction did (also in the manifest).
    pub redaction: crate::privacy::Report,
}

/// Exports the selected recordings to `dir` in `format`. Recordings named explicitly must all
/// export; ones picked by `all` or a filter are skipped (with a [`Notice::Skipped`]) when they
/// cannot.
pub fn run(lib: &Library, format: &Format, selection: &Selection, dir: &Path, options: &Options, notice: &mut dyn FnMut(Notice)) -> Result<Summary, ExportError> {
    let chosen = select::select(lib, selection)?;
    if chosen.is_empty() {
        return Err(ExportError::NothingSelected);
    }
    let explicit = !selection.ids.is_empty();
    let total = chosen.len();
    let (mut recordings, mut steps) = (0, 0);
    let mut exported: Vec<String> = vec![];
    let redaction = options.redact.then(|| std::sync::Arc::new(std::sync::Mutex::new(Redaction::new(options.detectors.clone()))));
    let mut sources = chosen.iter().enumerate().filter_map(|(i, id)| {
        notice(Notice::Loading { index: i + 1, total, id: id.clone() });
        match ExportSource::load(lib, id) {
            Ok(mut s) => {
                if s.recording.status == RecordingStatus::Interrupted {
                    notice(Notice::Interrupted { id: id.clone() });
                }
                recordings += 1;
                exported.push(id.clone());
                steps += s.segmentation.steps.len();
                s.progress = options.progress.clone();
                if let Some(r) = &redaction {
                    super::lock(r).mask_source(&mut s);
                    s.redaction = Some(r.clone());
                }
                Some(Ok(s))
            }
            Err(error) if !explicit => {
                notice(Notice::Skipped { id: id.clone(), error });
                None
            }
            Err(e) => Some(Err(e)),
        }
    });
    let written = (format.write)(lib, &mut sources, dir, options, total)?;
    drop(sources);
    let report = match redaction.and_then(|r| std::sync::Arc::try_unwrap(r).ok()) {
        Some(r) => r.into_inner().unwrap_or_else(|p| p.into_inner()).report,
        None => Redaction::off(),
    };
    // Whatever the format: every file listed with its hash, the redaction said, the list signed.
    super::manifest::write(dir, format.name, exported, report.clone(), options.signer.as_deref())?;
    Ok(Summary { recordings, steps, written, redaction: report })
}

fn write_canonical(lib: &Library, sources: Sources<'_>, dir: &Path, options: &Options, chosen: usize) -> Result<String, ExportError> {
    // One bundle per recording; several go in sub-directories named by id.
    let (mut n, mut frames, mut bytes) = (0, 0, 0);
    for source in sources {
        let source = source?;
        let target = if chosen > 1 { dir.join(&source.recording.id) } else { dir.to_path_buf() };
        let s = canonical::export(lib, &source, &target, options.frames)?;
        (n, frames, bytes) = (n + 1, frames + s.frames, bytes + s.bytes);
    }
    Ok(format!("{n} bundles, {frames} frames, {bytes} bytes"))
}

fn write_agentnet(lib: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    Ok(format!("{} trajectories", agentnet::export(lib, sources, dir)?))
}

fn write_anthropic(lib: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    Ok(format!("{} transcripts", anthropic::export(lib, sources, dir, anthropic::TOOL_TYPES[0])?))
}

fn write_openai(lib: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    Ok(format!("{} transcripts", openai::export(lib, sources, dir)?))
}

fn write_atif(lib: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    Ok(format!("{} trajectories", atif::export(lib, sources, dir)?))
}

fn write_html(lib: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    Ok(format!("{} reports", html::export(lib, sources, dir)?))
}

fn write_webdataset(lib: &Library, sources: Sources<'_>, dir: &Path, options: &Options, _: usize) -> Result<String, ExportError> {
    let s = webdataset::export(lib, sources, dir, options.shard_bytes)?;
    Ok(format!("{} samples in {} shards", s.samples, s.shards.len()))
}

fn write_rewards(_: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    Ok(format!("{} trajectories", rewards::export(sources, dir)?))
}

fn write_preferences(_: &Library, sources: Sources<'_>, dir: &Path, _: &Options, _: usize) -> Result<String, ExportError> {
    let w = preferences::export(sources, dir)?;
    Ok(format!("{} preference pairs from {} comparisons", w.pairs, w.comparisons))
}

fn write_hf(lib: &Library, sources: Sources<'_>, dir: &Path, options: &Options, _: usize) -> Result<String, ExportError> {
    let s = hf::export(lib, sources, dir, options.shard_bytes)?;
    Ok(format!("{} rows ({} trajectories) in {} shards", s.rows, s.trajectories, s.shards.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_have_unique_names_and_unknown_ones_are_named_in_the_error() {
        let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        assert_eq!(names[0], "canonical", "the default comes first");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
        assert_eq!(find("hf").map(|f| f.name).ok(), Some("hf"));
        let err = find("csv").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(err, "unknown export format 'csv'; use one of: canonical, agentnet, anthropic, openai, webdataset, atif, html, hf, rewards, preferences");
    }

    #[test]
    fn an_empty_selection_is_an_error_and_a_filter_skips_what_cannot_export() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let out = dir.path().join("out");
        let nothing = run(&lib, find("agentnet").unwrap(), &Selection { all: true, ..Default::default() }, &out, &Options::default(), &mut |_| {});
        assert!(matches!(nothing, Err(ExportError::NothingSelected)), "{nothing:?}");
        // A recording with no input has no steps: --all skips it and says so; naming it fails.
        let finished = crate::model::Recording { status: RecordingStatus::Finished, ..crate::store::tests::sample_recording("empty") };
        lib.create_recording(&finished).unwrap();
        let mut notices = Vec::new();
        let summary = run(&lib, find("agentnet").unwrap(), &Selection { all: true, ..Default::default() }, &out, &Options::default(), &mut |n| notices.push(format!("{n:?}"))).unwrap();
        assert_eq!((summary.recordings, summary.steps, summary.written.as_str(), summary.redaction.redacted), (0, 0, "0 trajectories", true));
        assert!(notices.iter().any(|n| n.starts_with("Skipped { id: \"empty\"") && n.contains("NoSteps")), "{notices:?}");
        let named = run(&lib, find("agentnet").unwrap(), &Selection { ids: vec!["empty".into()], ..Default::default() }, &dir.path().join("out2"), &Options::default(), &mut |_| {});
        assert!(matches!(named, Err(ExportError::NoSteps(ref id)) if id == "empty"), "{named:?}");
    }
}
