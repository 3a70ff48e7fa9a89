//! `apprentice station join | show`, `tasks`, `consent`, `push`, `sync status`: this station's
//! link to a hub from the command line. Argument parsing and printing over the station crate.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use apprentice_core::provenance::hub::ConsentDecision;
use apprentice_station::push::{self, Progress, PushOptions};
use apprentice_station::{config, StationConfig};

#[derive(Debug, Subcommand)]
pub enum HubCommand {
    /// This station's hub: join one, or show which.
    Station {
        #[command(subcommand)]
        command: StationCommand,
    },
    /// The tasks the hub assigned you (a task's id goes to `record --task-id`).
    Tasks {
        #[arg(long)]
        json: bool,
    },
    /// Read a campaign's consent text, and accept or withdraw it (signed by this station).
    Consent {
        campaign: String,
        #[arg(long, conflicts_with = "withdraw")]
        accept: bool,
        /// Withdraw: your recordings are kept out of every later publish.
        #[arg(long)]
        withdraw: bool,
        #[arg(long)]
        json: bool,
    },
    /// Send finished recordings to the hub (a recording, or every queued one); resumes where an
    /// earlier push stopped, retrying while the hub is away.
    Push {
        id: Option<String>,
        /// Every queued recording (the default without an id).
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// At most this many KB per second.
        #[arg(long, value_name = "KBPS")]
        bwlimit: Option<u64>,
        /// Keep retrying this many seconds while the hub is away or failing.
        #[arg(long, default_value_t = 600, value_name = "SECONDS")]
        retry_for: u64,
        #[arg(long)]
        json: bool,
    },
    /// The upload queue.
    Sync {
        #[command(subcommand)]
        command: SyncCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum StationCommand {
    /// Join the hub at URL with the token your admin gave you: registers this station's key.
    Join {
        url: String,
        #[arg(long, env = "APPRENTICE_HUB_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long)]
        json: bool,
    },
    /// Which hub this station joined, as whom.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Each queued recording: queued, sent or refused, attempts and the last error.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Send queued recordings in the foreground, as the desktop app does in the background: at
    /// once, then every 30 s, until stopped (a headless station's uploader; an upload cut off
    /// by Ctrl-C continues next time).
    Run,
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| "station".into())
}

pub fn run(library: &Path, cmd: HubCommand, out: &mut impl Write) -> Result<()> {
    match cmd {
        HubCommand::Station { command: StationCommand::Join { url, token, json } } => {
            let key = apprentice_station::station_key()?;
            let (cfg, station) = apprentice_station::join(&url, &token, &key, &hostname())?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&station)?)?;
            } else {
                writeln!(out, "joined {} as {} (station {}, key {})", cfg.hub, cfg.user, station.name, station.fingerprint)?;
                writeln!(out, "# saved in {}", config::path().display())?;
            }
        }
        HubCommand::Station { command: StationCommand::Show { json } } => {
            let cfg = config::required()?;
            if json {
                writeln!(out, "{}", serde_json::json!({ "hub": cfg.hub, "user": cfg.user, "station_id": cfg.station_id, "fingerprint": cfg.fingerprint }))?;
            } else {
                writeln!(out, "{} as {} (station key {})", cfg.hub, cfg.user, cfg.fingerprint)?;
            }
        }
        HubCommand::Tasks { json } => {
            let tasks = apprentice_station::tasks(&config::required()?)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&tasks)?)?;
            } else if tasks.is_empty() {
                writeln!(out, "no tasks are assigned to you")?;
            } else {
                for t in tasks {
                    writeln!(out, "{:<16} {:<16} {}", t.campaign, t.task.id, t.task.instruction)?;
                }
            }
        }
        HubCommand::Consent { campaign, accept, withdraw, json } => {
            let cfg = config::required()?;
            let text = apprentice_station::read_consent(&cfg, &campaign)?;
            let result = if accept || withdraw {
                let key = apprentice_station::station_key()?;
                apprentice_station::consent(&cfg, &key, &text, if accept { ConsentDecision::Accept } else { ConsentDecision::Withdraw })?
            } else {
                text
            };
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
            } else {
                if !(accept || withdraw) {
                    writeln!(out, "{}\n", result.text.trim_end())?;
                }
                let decision = result.decision.as_deref().unwrap_or("none yet (--accept or --withdraw)");
                writeln!(out, "consent of {} (version {}, sha256 {}): {decision}", result.campaign, result.version, &result.sha256[..result.sha256.len().min(12)])?;
            }
        }
        HubCommand::Push { id, all, bwlimit, retry_for, json } => {
            let _ = all; // the default without an id
            let cfg = config::required()?;
            let key = apprentice_station::station_key()?;
            let lib = crate::open_library(library)?;
            let options = PushOptions { bytes_per_second: bwlimit.map(|k| k * 1000), retry_for: Duration::from_secs(retry_for) };
            let ids: Vec<String> = id.into_iter().collect();
            let reports = push::push(&lib, &cfg, &key, &ids, &options, &mut |p| report_progress(&p))?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&reports)?)?;
            } else if reports.is_empty() {
                writeln!(out, "nothing queued")?;
            }
            for r in &reports {
                if !json {
                    match &r.error {
                        None => writeln!(out, "{}  sent ({} of {} files, {} bytes; the rest the hub had)", r.recording_id, r.files_sent, r.files, r.bytes_sent)?,
                        Some(e) => writeln!(out, "{}  {}: {e}", r.recording_id, r.state.as_str())?,
                    }
                }
            }
            if let Some(failed) = reports.iter().find(|r| r.error.is_some()) {
                bail!("{} of {} recording(s) not sent (first: {})", reports.iter().filter(|r| r.error.is_some()).count(), reports.len(), failed.recording_id);
            }
        }
        HubCommand::Sync { command: SyncCommand::Run } => {
            config::required()?;
            let (_wake, rx) = std::sync::mpsc::channel();
            eprintln!("sending queued recordings every {} s; Ctrl-C stops", apprentice_station::sync::INTERVAL.as_secs());
            apprentice_station::sync::run(library.to_path_buf(), rx, Default::default());
        }
        HubCommand::Sync { command: SyncCommand::Status { json } } => {
            let lib = crate::open_library(library)?;
            let queue = lib.upload_queue()?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&queue)?)?;
            } else if queue.is_empty() {
                writeln!(out, "nothing queued")?;
            } else {
                for q in queue {
                    let error = q.last_error.map(|e| format!("  last error: {e}")).unwrap_or_default();
                    writeln!(out, "{}  {:<8} {} attempt(s)  {}{error}", q.recording_id, q.state.as_str(), q.attempts, q.hub)?;
                }
            }
        }
    }
    Ok(())
}

fn report_progress(p: &Progress) {
    match p {
        Progress::Announced { recording, upload, missing, files } => eprintln!("{recording}: upload {upload}, sending {missing} of {files} files"),
        Progress::Sent { .. } => {}
        Progress::Retrying { recording, error, wait } => eprintln!("{recording}: {error}; retrying in {:.1} s", wait.as_secs_f64()),
    }
}

/// The recording's task from the hub, for `record --task-id` on a joined station; None when
/// this station has joined no hub.
pub fn hub_task(task_id: &str, campaign: Option<&str>) -> Result<Option<(StationConfig, apprentice_station::HubTask)>> {
    if config::load()?.is_none() {
        return Ok(None);
    }
    let cfg = config::required()?;
    let task = apprentice_station::find_task(&cfg, task_id, campaign).context("the task")?;
    Ok(Some((cfg, task)))
}
