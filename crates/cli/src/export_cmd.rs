//! `apprentice export`: runs the core's export ([`export::run`], which picks and loads the
//! recordings and hands them to the format), draws a progress bar on stderr while frames render,
//! and says which recordings were skipped or interrupted.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use apprentice_core::export::{self, select::Selection, Notice, Options, Progress};
use apprentice_core::store::Library;

pub struct ExportRequest {
    pub selection: Selection,
    pub format: String,
    pub out: PathBuf,
    pub options: Options,
}

/// The export's progress on stderr until dropped: an indicatif bar on a terminal, and in a log
/// (not a terminal) one line per recording and one at the end, `[i/n] frames done/total`.
struct ProgressBar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    fn start(progress: Progress, current: Arc<AtomicUsize>, total: Arc<AtomicUsize>) -> ProgressBar {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(indicatif::ProgressStyle::with_template("{prefix} frames {pos}/{len} {wide_bar} {percent:>3}% {eta}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
            let tty = std::io::stderr().is_terminal();
            let mut shown_recording = 0;
            let line = |bar: &indicatif::ProgressBar| format!("{} frames {}/{}", bar.prefix(), bar.position(), bar.length().unwrap_or(0));
            loop {
                let stopping = flag.load(Relaxed);
                let c = progress.counts();
                let (recording, of) = (current.load(Relaxed), total.load(Relaxed));
                if !tty && recording != shown_recording && shown_recording != 0 {
                    eprintln!("{}", line(&bar));
                }
                shown_recording = recording;
                bar.set_prefix(format!("[{recording}/{of}]"));
                bar.set_length(c.frames_total.load(Relaxed));
                bar.set_position(c.frames_done.load(Relaxed));
                if stopping {
                    break;
                }
                std::thread::sleep(Duration::from_millis(150));
            }
            if tty {
                bar.finish();
            } else {
                eprintln!("{}", line(&bar));
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
    let format = export::find_format(&req.format)?;
    let current = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    // The bar appears once there is something to export.
    let mut bar = None;
    let summary = export::run(lib, format, &req.selection, &req.out, &req.options, &mut |notice| match notice {
        Notice::Loading { index, total: n, .. } => {
            current.store(index, Relaxed);
            total.store(n, Relaxed);
            bar.get_or_insert_with(|| ProgressBar::start(req.options.progress.clone(), current.clone(), total.clone()));
        }
        Notice::Interrupted { id } => eprintln!("\rnote: {id} was interrupted; it is exported with status \"interrupted\" and holds what reached disk"),
        Notice::Skipped { id, error } => eprintln!("\rskipped {id}: {error}"),
    });
    drop(bar);
    let summary = summary?;
    writeln!(out, "{}, {} steps → {}", summary.written, summary.steps, req.out.display())?;
    writeln!(out, "redaction: {}", summary.redaction.summary())?;
    Ok(())
}
