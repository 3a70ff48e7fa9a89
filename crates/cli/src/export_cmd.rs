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

/// Draws `[recording i/n] frames done/total` on stderr until dropped.
struct ProgressBar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    fn start(progress: Progress, current: Arc<AtomicUsize>, total: Arc<AtomicUsize>) -> ProgressBar {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let tty = std::io::stderr().is_terminal();
        let thread = std::thread::spawn(move || {
            let line = || {
                let c = progress.counts();
                let (done, all) = (c.frames_done.load(Relaxed), c.frames_total.load(Relaxed));
                let width = 30;
                let filled = (done * width / all.max(1)).min(width) as usize;
                format!("[{}/{}] frames {done}/{all} ▕{}{}▏ {:>3}%", current.load(Relaxed), total.load(Relaxed), "█".repeat(filled), " ".repeat(width as usize - filled), done * 100 / all.max(1))
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
    Ok(())
}
