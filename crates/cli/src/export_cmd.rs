//! `apprentice export`: picks recordings, loads them one at a time (an export of many never holds
//! more than one recording's streams), hands them to the format, and draws a progress bar on
//! stderr while frames render. Recordings named explicitly must all export; ones picked by
//! `--all` or a filter are skipped with a message when they cannot.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};

use super::ExportFormat;
use apprentice_core::export::{self, select::Selection, ExportError, ExportSource, Progress};
use apprentice_core::model::RecordingStatus;
use apprentice_core::store::Library;

pub struct ExportRequest {
    pub selection: Selection,
    pub format: ExportFormat,
    pub out: PathBuf,
    pub no_frames: bool,
    pub shard_bytes: u64,
}

/// Draws `[recording i/n] frames done/total` on stderr until dropped.
struct ProgressBar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    fn start(progress: Progress, current: Arc<AtomicUsize>, total: usize) -> ProgressBar {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let tty = std::io::stderr().is_terminal();
        let thread = std::thread::spawn(move || {
            let line = || {
                let c = progress.counts();
                let (done, all) = (c.frames_done.load(Relaxed), c.frames_total.load(Relaxed));
                let width = 30;
                let filled = (done * width / all.max(1)).min(width) as usize;
                format!("[{}/{}] frames {done}/{all} ▕{}{}▏ {:>3}%", current.load(Relaxed), total, "█".repeat(filled), " ".repeat(width as usize - filled), done * 100 / all.max(1))
            };
            let mut last = String::new();
            while !flag.load(Relaxed) {
                // On a terminal the bar redraws in place; in a log, a line every few seconds at most.
                let now = line();
                if tty {
                    eprint!("\r{now}");
                } else if now != last {
                    eprintln!("{now}");
                }
                last = now;
                for _ in 0..if tty { 1 } else { 20 } {
                    if flag.load(Relaxed) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(150));
                }
            }
            if tty {
                eprintln!("\r{}", line());
            } else if line() != last {
                eprintln!("{}", line());
            }
        });
        ProgressBar { stop, thread: Some(thread) }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn run(lib: &Library, req: ExportRequest, out: &mut impl Write) -> Result<()> {
    let chosen = export::select::select(lib, &req.selection)?;
    if chosen.is_empty() {
        bail!("no recording matches: name ids, or use --all and the filters");
    }
    let explicit = !req.selection.ids.is_empty();
    let progress = Progress::default();
    let current = Arc::new(AtomicUsize::new(0));
    let steps = Arc::new(AtomicUsize::new(0));
    let bar = ProgressBar::start(progress.clone(), current.clone(), chosen.len());
    let sources = chosen.iter().enumerate().filter_map(|(i, id)| {
        current.store(i + 1, Relaxed);
        match ExportSource::load(lib, id) {
            Ok(mut s) => {
                if s.recording.status == RecordingStatus::Interrupted {
                    eprintln!("\rnote: {id} was interrupted; it is exported with status \"interrupted\" and holds what reached disk");
                }
                steps.fetch_add(s.segmentation.steps.len(), Relaxed);
                s.progress = progress.clone();
                Some(Ok(s))
            }
            // Named explicitly: every one must export. Picked by a filter: skip what cannot, and say so.
            Err(e) if !explicit => {
                eprintln!("\rskipped {id}: {e}");
                None
            }
            Err(e) => Some(Err(e)),
        }
    });
    let path = &req.out;
    let summary = write(lib, req.format, sources, path, req.no_frames, req.shard_bytes, chosen.len());
    drop(bar);
    let summary = summary?;
    writeln!(out, "{summary}, {} steps → {}", steps.load(Relaxed), path.display())?;
    Ok(())
}

fn write(lib: &Library, format: ExportFormat, sources: impl Iterator<Item = Result<ExportSource, ExportError>>, path: &Path, no_frames: bool, shard_bytes: u64, chosen: usize) -> Result<String, ExportError> {
    Ok(match format {
        ExportFormat::Canonical => {
            // One bundle per recording; several go in sub-directories named by id.
            let (mut n, mut frames, mut bytes) = (0, 0, 0);
            for source in sources {
                let source = source?;
                let target = if chosen > 1 { path.join(&source.recording.id) } else { path.to_path_buf() };
                let s = export::canonical::export(lib, &source, &target, !no_frames)?;
                (n, frames, bytes) = (n + 1, frames + s.frames, bytes + s.bytes);
            }
            format!("{n} bundles, {frames} frames, {bytes} bytes")
        }
        ExportFormat::Agentnet => format!("{} trajectories", export::agentnet::export(lib, sources, path)?),
        ExportFormat::Anthropic => format!("{} transcripts", export::anthropic::export(lib, sources, path, export::anthropic::TOOL_TYPES[0])?),
        ExportFormat::Openai => format!("{} transcripts", export::openai::export(lib, sources, path)?),
        ExportFormat::Atif => format!("{} trajectories", export::atif::export(lib, sources, path)?),
        ExportFormat::Html => format!("{} reports", export::html::export(lib, sources, path)?),
        ExportFormat::Webdataset => {
            let s = export::webdataset::export(lib, sources, path, shard_bytes)?;
            format!("{} samples in {} shards", s.samples, s.shards.len())
        }
        ExportFormat::Hf => {
            let s = export::hf::export(lib, sources, path, shard_bytes)?;
            format!("{} rows ({} trajectories) in {} shards", s.rows, s.trajectories, s.shards.len())
        }
    })
}
