//! The command line: a thin shell over the library. `record` runs a recorder in the foreground;
//! `note`, `mark`, `pause`, `resume`, `stop` and `status` drive a running one over its control
//! socket; `list`, `info`, `events` and `frame` read the library; `review …` ([`review`]) labels,
//! scores and edits trajectories; `export` packages them; `station`, `tasks`, `consent`, `push`
//! and `sync` link the station to a hub ([`station_cmd`]). Errors become one line on stderr and a
//! non-zero exit code.

pub mod doctor;
mod export_cmd;
pub mod logging;
pub mod provenance_cmd;
pub mod review;
mod speech_cmd;
mod station_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use apprentice_capture::audio::AudioSettings;
use apprentice_capture::control::{self, ControlRequest};
use apprentice_capture::exclusion::ExclusionRule;
use apprentice_capture::frames::FrameSettings;
use apprentice_capture::recorder::RecorderConfig;
use apprentice_capture::screen::ScreenBackend;
use apprentice_capture::session::{RecordingSession, Stopped};
use apprentice_core::model::{AudioState, Outcome, PrivacyPolicy, RecordingStatus, Task, Verdict};
use apprentice_core::store::Library;
use apprentice_core::{export, segment};

#[derive(Debug, Parser)]
#[command(name = "apprentice", version, about = "Record how experts do real computer work; turn it into trajectories for computer-use agents.")]
pub struct Cli {
    /// Library directory (default: $APPRENTICE_LIBRARY, else ~/.local/share/apprentice).
    #[arg(long, global = true, value_name = "DIR")]
    pub library: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record $DISPLAY until Ctrl-C, SIGTERM or `apprentice stop`; prints the recording id.
    Record {
        /// The task instruction the expert is performing (a hub task's comes from the hub).
        #[arg(long, required_unless_present = "task_id")]
        task: Option<String>,
        /// The task's id: on a station that joined a hub, an assigned task (`apprentice tasks`),
        /// whose recording is queued for `apprentice push`; else an id in your own catalog.
        #[arg(long)]
        task_id: Option<String>,
        /// The hub campaign of --task-id, when the same id is in several.
        #[arg(long, requires = "task_id")]
        campaign: Option<String>,
        /// Pseudonymous id of the expert.
        #[arg(long)]
        expert: Option<String>,
        /// Never capture these windows: class:NAME, title:PATTERN or PATTERN (repeatable; `*` wildcards).
        #[arg(long = "exclude", value_name = "RULE")]
        exclude: Vec<ExclusionRule>,
        /// Secrets and personal data found in the text (typed, notes, titles, transcripts):
        /// mask (kept here, masked in every export: the default), flag (listed, exported as
        /// recorded) or drop (never written). A hub task's campaign sets it unless given.
        #[arg(long = "privacy", value_parser = parse_policy)]
        privacy_policy: Option<PrivacyPolicy>,
        /// Screen capture backend.
        #[arg(long, value_enum, default_value_t = ScreenBackend::Auto)]
        backend: ScreenBackend,
        /// Frames per second while idle.
        #[arg(long, default_value_t = 1.0)]
        idle_fps: f64,
        /// Frames per second while input is flowing.
        #[arg(long, default_value_t = 5.0)]
        active_fps: f64,
        /// Think aloud: record the microphone (no microphone: the recording goes on without).
        #[arg(long)]
        audio: bool,
        /// The microphone to use (see `apprentice mics`; default: the system's).
        #[arg(long, value_name = "NAME", requires = "audio")]
        mic: Option<String>,
        /// Keep audio only while push-to-talk is held (`apprentice talk on|off`, or the app's hotkey).
        #[arg(long, requires = "audio")]
        push_to_talk: bool,
        /// After stopping, transcribe the audio on this machine (see `apprentice transcribe`).
        #[arg(long, requires = "audio")]
        transcribe: bool,
    },
    #[command(flatten)]
    Speech(speech_cmd::SpeechCommand),
    #[command(flatten)]
    Hub(station_cmd::HubCommand),
    /// Push-to-talk for the running recording: on while talking, off after.
    Talk {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// List recordings.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The privacy check: secrets and personal data found in a recording's typed text,
    /// reasoning, window titles and markers (credentials, card numbers, IBANs, emails, phones,
    /// IP addresses, national ids, your own patterns and words), by step, masked.
    Privacy {
        id: String,
        #[command(flatten)]
        detectors: DetectorArgs,
        #[arg(long)]
        json: bool,
    },
    /// Status, duration and counts of one recording (an id prefix is enough).
    Info {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a recording's raw streams as JSON lines.
    Events {
        id: String,
        /// Which stream.
        #[arg(long, value_enum, default_value_t = Stream::Input)]
        stream: Stream,
    },
    /// Write one frame of a recording as PNG.
    Frame {
        id: String,
        /// Frame sequence number (see `events --stream frames`).
        #[arg(long, conflicts_with = "at_ms")]
        seq: Option<u64>,
        /// The last frame captured at or before this recording time.
        #[arg(long)]
        at_ms: Option<u64>,
        /// Display id.
        #[arg(long, default_value_t = 0)]
        display: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Set a recording's outcome.
    Outcome {
        id: String,
        #[arg(value_parser = parse_outcome)]
        outcome: Outcome,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Segment a recording into steps (again, after the rules improved); raw streams are untouched.
    Segment {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Review a trajectory: label steps, score, give a verdict, edit steps, undo.
    Review {
        /// Who is reviewing (default: $APPRENTICE_REVIEWER, else your login name).
        #[arg(long, global = true)]
        reviewer: Option<String>,
        #[command(subcommand)]
        command: review::ReviewCommand,
    },
    /// Delete a recording and the media only it uses.
    Delete {
        id: String,
        /// Confirm: deleting cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Print a recording's steps, as reviewed (edits applied, labels shown).
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Export a recording (segmenting it first if needed).
    Export {
        /// Recordings to export (id prefixes are enough).
        ids: Vec<String>,
        /// Every finished or interrupted recording (narrowed by the filters below).
        #[arg(long)]
        all: bool,
        /// Only recordings whose task instruction or task id contains this (case-insensitive).
        #[arg(long)]
        task: Option<String>,
        /// Only recordings with this outcome.
        #[arg(long, value_parser = parse_outcome)]
        outcome: Option<Outcome>,
        /// Only recordings with this review verdict (approved, needs-edit, rejected).
        #[arg(long, value_parser = parse_verdict)]
        verdict: Option<Verdict>,
        /// Only recordings with this status (finished, interrupted).
        #[arg(long, value_parser = parse_status)]
        status: Option<RecordingStatus>,
        /// Only recordings started on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Only recordings started on or before this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        until: Option<String>,
        /// The format (every one the core's export registry holds).
        #[arg(long, default_value = "canonical", value_parser = export_formats())]
        format: String,
        /// Output directory (created; must be empty).
        #[arg(long)]
        out: PathBuf,
        /// Canonical only: write trajectory and events without frame images.
        #[arg(long)]
        no_frames: bool,
        /// WebDataset and hf: the largest shard, in MB.
        #[arg(long, default_value_t = 1024)]
        shard_mb: u64,
        /// Make the export readable by every local user (folders 0755, files 0644); by default
        /// it is its owner's only, as the library is.
        #[arg(long)]
        world_readable: bool,
        /// Write texts and frames as recorded, without masking secrets and personal data: for
        /// the data's owner on their own machine. The manifest says the export is unredacted.
        #[arg(long)]
        no_redact: bool,
        #[command(flatten)]
        detectors: DetectorArgs,
    },
    /// Add a typed note (reasoning) to the running recording.
    Note { text: Vec<String> },
    /// Mark the current moment: mistake, recovery, subtask-start, subtask-end, custom.
    Mark {
        kind: String,
        #[arg(long)]
        label: Option<String>,
    },
    /// Pause the running recording (nothing is captured until resume).
    Pause,
    /// Resume a paused recording.
    Resume,
    /// Stop the running recording and wait until it is saved.
    Stop,
    /// Show the running recorder's state and health.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// This station's signing key.
    Keys {
        #[command(subcommand)]
        command: provenance_cmd::KeysCommand,
    },
    /// Check an export directory (every file against its signed manifest, each bundle's seal
    /// and chain) or a recording of the library (its capture chain recomputed from the stored
    /// rows, its seal, every frame's media file). Exits non-zero, naming every problem, when
    /// anything does not hold.
    Verify {
        /// An export directory, or a recording id (a prefix is enough).
        target: String,
        /// A file naming trusted public keys (`apprentice keys show` prints one; repeatable):
        /// the seal must be by one of them.
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// Refuse (exit non-zero) when more than this share (0–1) of a recording's input events
        /// were injected by software rather than made on a device, e.g. 0.05.
        #[arg(long, value_name = "SHARE")]
        max_synthetic: Option<f64>,
        #[arg(long)]
        json: bool,
    },
    /// Check this machine before recording: display, input, window manager, microphone, speech
    /// model, library and free disk, each with its fix. Exits non-zero when a check fails.
    Doctor {
        /// The Whisper model to check (default: as `transcribe` picks it).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Open the desktop app (the default without a command, in a build with it).
    Gui,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Stream {
    Input,
    Window,
    Notes,
    Markers,
    Frames,
    /// Focus changes and the element under each press (the accessibility bus).
    Accessibility,
}

fn parse_policy(s: &str) -> Result<PrivacyPolicy, String> {
    PrivacyPolicy::parse(s).ok_or_else(|| format!("{s:?} is not a privacy policy: mask, flag or drop"))
}

/// `--format`'s values and their help, from the export registry.
fn export_formats() -> clap::builder::PossibleValuesParser {
    export::FORMATS.iter().map(|f| clap::builder::PossibleValue::new(f.name).help(f.about)).collect::<Vec<_>>().into()
}

fn parse_status(s: &str) -> Result<RecordingStatus, String> {
    RecordingStatus::parse(s).ok_or_else(|| format!("'{s}': use finished or interrupted"))
}

pub(crate) fn parse_verdict(s: &str) -> Result<Verdict, String> {
    Verdict::parse(s).ok_or_else(|| format!("'{s}': use approved, needs-edit or rejected"))
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    Outcome::parse(s).ok_or_else(|| format!("'{s}': use success, failure, infeasible or unknown"))
}

pub fn library_dir(cli: &Cli) -> PathBuf {
    cli.library.clone().unwrap_or_else(Library::default_dir)
}

pub fn open_library(dir: &std::path::Path) -> Result<Library> {
    Library::open(dir).with_context(|| format!("cannot open the library at {}", dir.display()))
}

fn control_request(dir: &std::path::Path, req: ControlRequest) -> Result<control::ControlReply> {
    Ok(control::send(&dir.join("recorder.sock"), &req)?)
}

pub fn run(cli: Cli) -> Result<()> {
    let dir = library_dir(&cli);
    let Some(command) = cli.command else { bail!("no command given; see `apprentice --help`") };
    let mut out = std::io::stdout().lock();
    match command {
        Command::Record { task, task_id, campaign, expert, exclude, privacy_policy, backend, idle_fps, active_fps, audio, mic, push_to_talk, transcribe } => {
            if !(idle_fps > 0.0 && active_fps > 0.0) {
                bail!("--idle-fps and --active-fps must be positive");
            }
            let lib = open_library(&dir)?;
            // A hub's task (on a joined station) comes with its instruction and campaign.
            let hub_task = match &task_id {
                Some(t) => station_cmd::hub_task(t, campaign.as_deref())?,
                None => None,
            };
            let mut exclude = exclude;
            let mut policy = privacy_policy.unwrap_or_default();
            let (hub, task) = match (hub_task, task) {
                (Some((cfg, t)), _) => {
                    policy = privacy_policy.unwrap_or(t.privacy_policy);
                    // The campaign's exclusions join the expert's own.
                    for rule in &t.exclusions {
                        exclude.push(rule.parse().with_context(|| format!("the campaign's exclusion rule {rule:?}"))?);
                    }
                    t.keep_rubric(&lib)?;
                    (Some(cfg.hub), t.task)
                }
                (None, Some(instruction)) => (None, Task { id: task_id, instruction, campaign: None }),
                (None, None) => bail!("--task is needed: --task-id names a hub's task only on a station that joined one (`apprentice station join`)"),
            };
            let config = RecorderConfig {
                task: Some(task),
                expert_id: expert,
                exclusions: exclude,
                backend,
                frames: FrameSettings { idle_interval: Duration::from_secs_f64(1.0 / idle_fps), active_interval: Duration::from_secs_f64(1.0 / active_fps), ..Default::default() },
                audio: AudioSettings { enabled: audio, device: mic, push_to_talk },
                privacy_policy: policy,
            };
            let id = record(&lib, config)?;
            writeln!(out, "{id}")?;
            if let Some(hub) = hub {
                lib.queue_upload(&id, &hub)?;
                eprintln!("queued for {hub}: `apprentice push` sends it");
            }
            if transcribe {
                match speech_cmd::transcribe(&lib, &id, None, 0) {
                    Ok(s) => eprintln!("{} utterances transcribed", s.utterances),
                    Err(e) => eprintln!("apprentice: recorded, but not transcribed: {e:#} (run `apprentice transcribe {id}` later)"),
                }
            }
        }
        Command::Speech(cmd) => speech_cmd::run(&open_library(&dir)?, cmd, &mut out)?,
        Command::Hub(cmd) => station_cmd::run(&dir, cmd, &mut out)?,
        Command::Talk { state } => {
            control_request(&dir, ControlRequest::Talk { on: state == "on" })?;
        }
        Command::List { json } => {
            let list = open_library(&dir)?.list()?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                for r in list {
                    let steps = r.steps.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
                    let verdict = r.verdict.map(Verdict::as_str).unwrap_or("unreviewed");
                    writeln!(out, "{}  {:<11}  {:>8}  {:>5} steps  {:<10}  {}  {}", r.id, r.status.as_str(), fmt_duration(r.duration_us), steps, verdict, r.started_at, r.task)?;
                }
            }
        }
        Command::Privacy { id, detectors, json } => {
            let lib = open_library(&dir)?;
            let id = lib.recording(&id)?.id;
            let detectors = detectors.build()?;
            let flags = apprentice_core::privacy::check(&lib, &id, &detectors)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&flags)?)?;
            } else {
                writeln!(out, "{}", apprentice_core::privacy::summary(&flags))?;
                for f in &flags {
                    writeln!(out, "step {:>3}  {:<12} {:<13} {}", f.step, f.kind.as_str(), f.field, f.masked)?;
                }
            }
        }
        Command::Info { id, json } => {
            let lib = open_library(&dir)?;
            let info = lib.info(&id)?;
            if json {
                let mut v = serde_json::to_value(&info)?;
                v["quality"] = serde_json::to_value(lib.segmentation(&info.recording.id)?.map(|s| s.quality))?;
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                let r = &info.recording;
                let c = &info.counts;
                writeln!(out, "id:        {}", r.id)?;
                writeln!(out, "task:      {}{}", r.task.instruction, r.task.id.as_deref().map(|i| format!(" [{i}]")).unwrap_or_default())?;
                writeln!(out, "status:    {}{}", r.status.as_str(), r.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default())?;
                writeln!(out, "started:   {}", r.started_at)?;
                writeln!(out, "duration:  {}", fmt_duration(r.duration_us))?;
                writeln!(out, "outcome:   {}", if r.outcome == Outcome::Unknown { "unknown (outcome needed)" } else { r.outcome.as_str() })?;
                writeln!(out, "frames:    {} ({} key frames)", c.frames, c.key_frames)?;
                writeln!(out, "events:    {} input, {} window", c.input_events, c.window_events)?;
                writeln!(out, "notes:     {}   markers: {}   pauses: {}", c.notes, c.markers, c.pauses)?;
                if let Some(h) = &info.health {
                    writeln!(out, "drops:     {} frames, {} input events", h.frames_dropped, h.input_dropped)?;
                }
                writeln!(out, "on disk:   {} bytes of frames", info.media_bytes)?;
                let lib = open_library(&dir)?;
                let audio = lib.audio_stats(&r.id)?;
                if audio.chunks > 0 {
                    let transcribed = match lib.transcription(&r.id)? {
                        Some(t) => format!("transcribed by {} ({} utterances)", t.model, lib.utterances(&r.id)?.len()),
                        None => "not transcribed".into(),
                    };
                    writeln!(out, "audio:     {} ({} bytes), {transcribed}", fmt_duration(audio.audio_us), audio.bytes)?;
                }
                if let Some(m) = info.health.as_ref().and_then(|h| h.audio_message.as_deref()) {
                    writeln!(out, "audio:     {m}")?;
                }
                if let Some(seg) = open_library(&dir)?.segmentation(&r.id)? {
                    let q = &seg.quality;
                    writeln!(out, "steps:     {}   {:.1} actions/min   idle {}   paused {}", q.steps, q.actions_per_minute, fmt_duration(q.idle_us), fmt_duration(q.paused_us))?;
                    writeln!(out, "reasoning: {:.0}% of steps   markers: {}   redundant: {}", q.reasoning_coverage * 100.0, q.markers, q.redundancy)?;
                    writeln!(out, "input:     injected on {:.0}% of steps, origin unknown on {:.0}%", q.synthetic_input_share * 100.0, q.unknown_origin_share * 100.0)?;
                }
            }
        }
        Command::Events { id, stream } => {
            let lib = open_library(&dir)?;
            let lines: Vec<String> = match stream {
                Stream::Input => lib.input_events(&id)?.iter().map(serde_json::to_string).collect::<Result<_, _>>()?,
                Stream::Window => lib.window_events(&id)?.iter().map(serde_json::to_string).collect::<Result<_, _>>()?,
                Stream::Notes => lib.notes(&id)?.iter().map(serde_json::to_string).collect::<Result<_, _>>()?,
                Stream::Markers => lib.markers(&id)?.iter().map(serde_json::to_string).collect::<Result<_, _>>()?,
                Stream::Frames => lib.frames(&id)?.iter().map(serde_json::to_string).collect::<Result<_, _>>()?,
                Stream::Accessibility => lib.accessibility(&id)?.iter().map(serde_json::to_string).collect::<Result<_, _>>()?,
            };
            for l in lines {
                writeln!(out, "{l}")?;
            }
        }
        Command::Frame { id, seq, at_ms, display, out: path } => {
            let lib = open_library(&dir)?;
            let seq = match (seq, at_ms) {
                (Some(s), _) => s,
                (None, at) => {
                    let at_us = at.map(|ms| ms * 1000).unwrap_or(u64::MAX);
                    lib.frames(&id)?.iter().rfind(|f| f.display == display && f.t <= at_us).map(|f| f.seq).context("no frame of that display at or before that time")?
                }
            };
            let img = lib.frame_image(&id, seq)?;
            img.save_with_format(&path, image::ImageFormat::Png).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Command::Segment { id, json } => {
            let lib = open_library(&dir)?;
            let seg = segment::segment_recording(&lib, &id)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&seg.quality)?)?;
            } else {
                writeln!(out, "{} steps (rules v{})", seg.steps.len(), seg.rules_version)?;
            }
        }
        Command::Show { id, json } => {
            let lib = open_library(&dir)?;
            let reviewed = apprentice_core::review::load(&lib, &id)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&reviewed.steps)?)?;
            } else {
                for st in &reviewed.steps {
                    writeln!(out, "{:>4}  {:>9}  {}", st.index, fmt_duration(st.t_start), describe(&st.action))?;
                    for r in &st.reasoning {
                        writeln!(out, "                 “{}”", r.text)?;
                    }
                    for m in &st.markers {
                        writeln!(out, "                 [{}]", m.kind.as_str())?;
                    }
                    if let Some(l) = &st.label {
                        writeln!(out, "                 label: {}", serde_json::to_string(l)?)?;
                    }
                }
                if let Some(r) = &reviewed.review {
                    writeln!(out, "review: {}", serde_json::to_string(r)?)?;
                }
            }
        }
        Command::Review { reviewer, command } => {
            let lib = open_library(&dir)?;
            review::run(&lib, command, &apprentice_core::review::reviewer_name(reviewer), &mut out)?;
        }
        Command::Delete { id, yes } => {
            let lib = open_library(&dir)?;
            let rec = lib.recording(&id)?;
            if !yes {
                bail!("deleting {} (\"{}\") cannot be undone; add --yes to confirm", rec.id, rec.task.instruction);
            }
            lib.delete_recording(&rec.id)?;
            writeln!(out, "deleted {}", rec.id)?;
        }
        Command::Export { ids, all, task, outcome, verdict, status, since, until, format, out: path, no_frames, shard_mb, world_readable, no_redact, detectors } => {
            let lib = open_library(&dir)?;
            let selection = export::select::Selection { ids, all, task, outcome, verdict, status, since, until };
            // The manifest is signed by this station (without a key the library's log says so).
            let options = export::Options {
                frames: !no_frames,
                shard_bytes: shard_mb.max(1).saturating_mul(1 << 20),
                signer: lib.signer().cloned(),
                redact: !no_redact,
                detectors: std::sync::Arc::new(detectors.build()?),
                ..Default::default()
            };
            if no_redact {
                eprintln!("warning: --no-redact: secrets and personal data are written as recorded (the manifest says so)");
            }
            export_cmd::run(&lib, export_cmd::ExportRequest { selection, format, out: path.clone(), options }, &mut out)?;
            if world_readable {
                apprentice_core::store::private::share(&path).with_context(|| format!("cannot make {} readable by others", path.display()))?;
            }
        }
        Command::Outcome { id, outcome, comment } => {
            let lib = open_library(&dir)?;
            lib.set_outcome(&id, outcome, comment.as_deref())?;
            // A recording bound for a hub goes again, with the answer.
            if let Some(q) = lib.queued_upload(&id)? {
                lib.queue_upload(&id, &q.hub)?;
                eprintln!("queued again for {}: `apprentice push` sends the answer", q.hub);
            }
        }
        Command::Note { text } => {
            let text = text.join(" ");
            let reply = control_request(&dir, ControlRequest::Note { text })?;
            writeln!(out, "noted at {}", fmt_duration(reply.t_us.unwrap_or(0)))?;
        }
        Command::Mark { kind, label } => {
            let reply = control_request(&dir, ControlRequest::Mark { kind, label })?;
            writeln!(out, "marked at {}", fmt_duration(reply.t_us.unwrap_or(0)))?;
        }
        Command::Pause => drop(control_request(&dir, ControlRequest::Pause)?),
        Command::Resume => drop(control_request(&dir, ControlRequest::Resume)?),
        Command::Stop => {
            let reply = control_request(&dir, ControlRequest::Stop)?;
            let socket = dir.join("recorder.sock");
            for _ in 0..600 {
                if !socket.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Some(s) = reply.status {
                writeln!(out, "{}", s.id)?;
                ask_outcome(&s.id);
                privacy_reminder(&dir, &s.id);
            }
        }
        Command::Status { json } => {
            let reply = control_request(&dir, ControlRequest::Status)?;
            let s = reply.status.context("the recorder sent no status")?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
            } else {
                writeln!(
                    out,
                    "{}  {}  {}  frames {} stored {} dropped {}  input {}",
                    s.id,
                    s.state.as_str(),
                    fmt_duration(s.elapsed_us),
                    s.health.frames_captured,
                    s.health.frames_stored,
                    s.health.frames_dropped,
                    s.health.input_events
                )?;
                let h = &s.health;
                match h.audio {
                    AudioState::Off => {}
                    AudioState::Live => writeln!(out, "microphone: {} recorded, level {}", fmt_duration(h.audio_us), h.audio_level_db.map(|d| format!("{d:.0} dBFS")).unwrap_or_else(|| "—".into()))?,
                    _ => writeln!(out, "microphone: {}", h.audio_message.as_deref().unwrap_or("unavailable"))?,
                }
            }
        }
        Command::Keys { command } => provenance_cmd::keys(command, &mut out)?,
        Command::Verify { target, trust, max_synthetic, json } => provenance_cmd::verify(&dir, &target, &trust, max_synthetic, json, &mut out)?,
        Command::Doctor { model, json } => doctor::run(&dir, model.as_deref(), json, &mut out)?,
        Command::Gui => bail!("`gui` is the desktop app's, not the command line's: run the `apprentice` binary"),
    }
    Ok(())
}

/// Records in the foreground until a signal, a Stop over the control socket, or a fatal error.
fn record(lib: &Library, config: RecorderConfig) -> Result<String> {
    let config_ptt = config.audio.push_to_talk;
    let signalled = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(sig, signalled.clone()).context("cannot install signal handlers")?;
    }
    let session = RecordingSession::start(lib, config)?;
    eprintln!("recording {} — Ctrl-C or `apprentice stop` to finish", session.id());
    let control = session.control();
    let health = control.status().health;
    match health.audio {
        AudioState::Live => eprintln!("microphone: recording{}", if config_ptt { " while push-to-talk is on" } else { "" }),
        AudioState::NoMicrophone | AudioState::Lost => eprintln!("apprentice: {}", health.audio_message.unwrap_or_default()),
        AudioState::Off => {}
    }
    loop {
        if signalled.load(Ordering::Relaxed) || session.stop_requests().recv_timeout(Duration::from_millis(100)).is_ok() {
            break;
        }
        if let Some(reason) = control.fatal() {
            eprintln!("apprentice: {reason}");
            break;
        }
    }
    let lost_audio = control.status().health;
    let Stopped { id, segmentation } = session.stop()?;
    if lost_audio.audio == AudioState::Lost {
        eprintln!("apprentice: {}", lost_audio.audio_message.unwrap_or_default());
    }
    match segmentation {
        Ok(seg) => eprintln!("{} steps", seg.steps.len()),
        Err(e) => eprintln!("apprentice: recorded, but segmentation failed: {e} (run `apprentice segment {id}`)"),
    }
    ask_outcome(&id);
    privacy_reminder(lib.root(), &id);
    if let Some(reason) = control.fatal() {
        bail!("recording {id} ended early: {reason}");
    }
    Ok(id)
}

/// A stopped recording's outcome is the expert's answer, never assumed: until given it is
/// `unknown`, and every export says so.
fn ask_outcome(id: &str) {
    eprintln!("outcome needed: how did it end? `apprentice outcome {id} success|failure|infeasible [--comment TEXT]`");
}

/// The privacy check at stop: what it found, and where to look, before anything is uploaded.
fn privacy_reminder(dir: &std::path::Path, id: &str) {
    let found = open_library(dir).and_then(|lib| Ok(apprentice_core::privacy::check(&lib, id, &apprentice_core::privacy::detect::Detectors::builtin())?));
    match found {
        Ok(flags) if flags.is_empty() => {}
        Ok(flags) => eprintln!("privacy check: {} (`apprentice privacy {id}`)", apprentice_core::privacy::summary(&flags)),
        Err(e) => eprintln!("privacy check: could not run ({e:#}): `apprentice privacy {id}`"),
    }
}

/// What the privacy check and redaction look for besides the built-in detectors.
#[derive(clap::Args, Debug, Default)]
pub struct DetectorArgs {
    /// A pattern of your own, NAME=REGEX (repeatable).
    #[arg(long = "pattern", value_name = "NAME=REGEX")]
    patterns: Vec<String>,
    /// A file of words or phrases to find (customer names…), one per line.
    #[arg(long)]
    words: Option<PathBuf>,
}

impl DetectorArgs {
    /// The built-in detectors with the user's own patterns and word file.
    fn build(&self) -> Result<apprentice_core::privacy::detect::Detectors> {
        let mut d = apprentice_core::privacy::detect::Detectors::builtin();
        for p in &self.patterns {
            let (name, re) = p.split_once('=').with_context(|| format!("{p:?} is not NAME=REGEX"))?;
            d = d.with_pattern(name, re)?;
        }
        if let Some(path) = &self.words {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the word list {}", path.display()))?;
            let list: Vec<String> = text.lines().map(str::to_string).collect();
            d = d.with_words("words", &list)?;
        }
        Ok(d)
    }
}

/// One line for a human: what the action did.
fn describe(a: &apprentice_core::model::Action) -> String {
    use apprentice_core::model::ActionKind::*;
    let at = a.x.zip(a.y).map(|(x, y)| format!(" at ({x}, {y})")).unwrap_or_default();
    let mods = a.modifiers.names().join("+");
    let mods = if mods.is_empty() { String::new() } else { format!(" with {mods}") };
    match a.kind {
        Type => format!("type {:?}", a.text.as_deref().unwrap_or("")),
        Key | Hotkey => format!("{} {}", a.kind.as_str(), a.keys.join("+")),
        Scroll => format!("scroll dx={} dy={}{at}", a.scroll_dx, a.scroll_dy),
        Drag => {
            let end = a.path.last().map(|p| format!(" to ({}, {})", p.x, p.y)).unwrap_or_default();
            format!("drag{at}{end}{mods}")
        }
        _ => format!("{}{at}{mods}", a.kind.as_str()),
    }
}

fn fmt_duration(us: u64) -> String {
    let s = us / 1_000_000;
    format!("{}:{:02}:{:02}.{}", s / 3600, s / 60 % 60, s % 60, us / 100_000 % 10)
}

/// Logs go to stderr and to hourly, capped files under `<library>/logs/` (see [`logging`]).
pub fn init_logging(dir: &std::path::Path) {
    logging::init(dir)
}
