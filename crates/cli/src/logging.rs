//! Where the binary's logs go: stderr (level from `$APPRENTICE_LOG`, warn by default) and, at
//! info, hourly files under `<library>/logs/` (tracing-appender's rolling appender; the last day
//! kept). Each hour's file is capped, so a component that logs in a loop costs a bounded amount
//! of disk during a 12-hour shift: at most [`MAX_FILES`] × [`MAX_BYTES_PER_HOUR`].

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// Hourly files kept.
pub const MAX_FILES: usize = 24;
/// What one hour's file may hold; past it, lines are dropped until the next hour (one line says so).
pub const MAX_BYTES_PER_HOUR: u64 = 2 << 20;

/// A writer that passes at most `cap` bytes per period on to `inner`.
pub struct Capped<W> {
    inner: W,
    cap: u64,
    period: fn() -> u64,
    current: u64,
    written: u64,
    noted: bool,
}

fn this_hour() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 3600).unwrap_or(0)
}

impl<W: Write> Capped<W> {
    pub fn new(inner: W, cap: u64, period: fn() -> u64) -> Self {
        Capped { inner, cap, period, current: period(), written: 0, noted: false }
    }
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let now = (self.period)();
        if now != self.current {
            (self.current, self.written, self.noted) = (now, 0, false);
        }
        if self.written + buf.len() as u64 > self.cap {
            if !self.noted {
                self.noted = true;
                self.inner.write_all(b"(log cap reached: lines dropped until the next file)\n")?;
            }
            return Ok(buf.len());
        }
        self.written += buf.len() as u64;
        self.inner.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Sets up logging for a library at `dir`. Without a writable log directory, logs go to stderr only.
pub fn init(dir: &Path) {
    use tracing_subscriber::{fmt, prelude::*, EnvFilter};
    let logs = dir.join("logs");
    // Made here: the appender prunes old files before it would create the directory.
    let files = std::fs::create_dir_all(&logs)
        .ok()
        .and_then(|_| RollingFileAppender::builder().rotation(Rotation::HOURLY).filename_prefix("apprentice").filename_suffix("log").max_log_files(MAX_FILES).build(&logs).ok());
    let file_layer = files.map(|f| fmt::layer().with_ansi(false).with_writer(Mutex::new(Capped::new(f, MAX_BYTES_PER_HOUR, this_hour))).with_filter(EnvFilter::new("info")));
    let stderr_filter = EnvFilter::try_from_env("APPRENTICE_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::registry().with(fmt::layer().with_writer(std::io::stderr).with_filter(stderr_filter)).with(file_layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    static PERIOD: AtomicU64 = AtomicU64::new(0);
    fn period() -> u64 {
        PERIOD.load(Relaxed)
    }

    #[test]
    fn past_the_cap_lines_are_dropped_with_one_note_until_the_next_period() {
        let mut log = Capped::new(Vec::new(), 10, period);
        log.write_all(b"12345\n").unwrap();
        log.write_all(b"67890\n").unwrap();
        log.write_all(b"more\n").unwrap();
        let first = String::from_utf8(log.inner.clone()).unwrap();
        assert_eq!(first, "12345\n(log cap reached: lines dropped until the next file)\n");
        PERIOD.store(1, Relaxed);
        log.write_all(b"next\n").unwrap();
        assert!(String::from_utf8(log.inner.clone()).unwrap().ends_with("next\n"), "a new period writes again");
    }
}
