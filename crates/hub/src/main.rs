//! `apprentice-hub`: the server (`init`, `serve`) and the admin's client commands (`user …`,
//! `whoami`) over its HTTP API. Argument parsing and printing only.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::json;

use apprentice_core::model::Rubric;
use apprentice_hub::publish::{self, PublishOptions};
use apprentice_hub::server::{self, ServeOptions};
use apprentice_hub::storage::{S3Options, Store};
use apprentice_hub_api::client::HubClient;
use apprentice_hub_api::{
    AgreementReport, Assigned, CampaignSummary, ComparisonChoice, ComparisonLease, Created, GoldAccuracy, Lease, Me, QaReport, RecordingSummary, ReviewAudit, ReviewLabels, Revoked, Role, Station,
    TaskProgress, TasksEdited, TokenIssued, UserSummary,
};

#[derive(Parser)]
#[command(name = "apprentice-hub", version, about = "The Apprentice hub: accounts, campaigns, stations and recordings for a data vendor")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the hub is and who is asking (client commands).
#[derive(clap::Args)]
struct Remote {
    /// The hub's URL, e.g. http://hub.example:8420
    #[arg(long, env = "APPRENTICE_HUB")]
    hub: String,
    /// A token `apprentice-hub init` or `user add` printed.
    #[arg(long, env = "APPRENTICE_HUB_TOKEN", hide_env_values = true)]
    token: String,
    #[arg(long)]
    json: bool,
}

/// Where the hub's data is (server-side commands: `serve`, `publish`).
#[derive(clap::Args)]
struct HubData {
    #[arg(long, env = "APPRENTICE_HUB_DB")]
    db: String,
    /// Where recordings and media go: file:///path/to/dir, or s3://bucket/prefix (credentials
    /// from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "APPRENTICE_HUB_STORE")]
    store: String,
    /// An S3-compatible server's URL, e.g. http://127.0.0.1:9000 (default: AWS, or AWS_ENDPOINT_URL).
    #[arg(long, env = "APPRENTICE_HUB_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// The S3 region (default: AWS_REGION, else us-east-1).
    #[arg(long, env = "APPRENTICE_HUB_S3_REGION")]
    s3_region: Option<String>,
}

impl HubData {
    fn s3(&self) -> S3Options {
        S3Options { endpoint: self.s3_endpoint.clone(), region: self.s3_region.clone() }
    }
    fn store(&self) -> Result<Store> {
        Store::parse(&self.store, &self.s3())
    }
}

#[derive(Subcommand)]
enum Command {
    /// Create the hub's tables in the database and its first admin; prints the admin's token
    /// once (it is stored only hashed).
    Init {
        /// PostgreSQL URL, e.g. postgres://hub@localhost/hub or postgres:///hub?host=/run/postgresql
        #[arg(long, env = "APPRENTICE_HUB_DB")]
        db: String,
        #[arg(long, default_value = "admin")]
        admin: String,
        #[arg(long)]
        json: bool,
    },
    /// Serve the hub's HTTP API (migrating the database first) until SIGINT or SIGTERM.
    Serve {
        #[command(flatten)]
        at: HubData,
        /// Address to listen on (port 0: any free port; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:8420")]
        listen: SocketAddr,
        /// Local scratch space for files being received and checked (default: the system's temp dir).
        #[arg(long, env = "APPRENTICE_HUB_SCRATCH")]
        scratch: Option<std::path::PathBuf>,
        /// The largest file an upload may carry, in MB.
        #[arg(long, default_value_t = 4096)]
        max_file_mb: u64,
        /// The key that signs every review entry made through this hub (made on first use, mode
        /// 0600; default ~/.local/share/apprentice-hub/hub.key). Hub processes serving one
        /// database may share it or not: each entry names the key that signed it.
        #[arg(long, env = "APPRENTICE_HUB_KEY")]
        key: Option<std::path::PathBuf>,
    },
    /// Recordings the hub holds (all for admins; an expert's own), newest first.
    Recordings {
        #[arg(long)]
        campaign: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Users: add (prints a token once), list, another token, revoke every token.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Campaigns: create one from a task file (JSONL or CSV), list them, re-import its tasks.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Assign a campaign's tasks to an expert (every task, or those named with --task).
    Assign {
        campaign: String,
        #[arg(long)]
        expert: String,
        #[arg(long = "task", value_name = "ID")]
        tasks: Vec<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Each task of a campaign: target, experts assigned, recordings received.
    Progress {
        campaign: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Stations: every one for admins (owner, machine, version, key fingerprint, last seen, queue).
    Stations {
        #[command(flatten)]
        remote: Remote,
    },
    /// A reviewer's queue: `queue next --campaign C` leases the next recording to review.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Every review of a recording (admins): who, state, verdict, the keys that signed its log
    /// and whether the log verifies; exits non-zero when one does not.
    Reviews {
        recording: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// A reviewer's lease: submit labels (ending it), or skip it with a reason.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Side-by-side comparison: `compare next --campaign C` leases two recordings of one task by
    /// different experts, steps aligned; `compare submit ID --file F` says which is better.
    Compare {
        #[command(subcommand)]
        command: CompareCommand,
    },
    /// A campaign's QA dashboard (admins): totals and each chart's table; `--chart ID` prints
    /// one chart as CSV (progress, recorded, coverage, verdicts, agreement, throughput, pace,
    /// gold, experts). The browser shows it at /qa.
    Qa {
        campaign: String,
        #[arg(long)]
        chart: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Agreement between a campaign's reviewers: Krippendorff's alpha per label dimension with
    /// a bootstrap interval, and each pair of reviewers (admins).
    Agreement {
        campaign: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Publish a campaign's recordings as a dataset in any export format, to a directory or to
    /// object storage: only what is new since the last publish there, never a recording whose
    /// expert withdrew consent. Runs where the hub's database and store can be reached.
    Publish {
        campaign: String,
        /// An export format (apprentice export --help lists them), e.g. hf, canonical, agentnet.
        #[arg(long, default_value = "canonical")]
        format: String,
        /// A directory, or s3://bucket/prefix (the same --s3-endpoint and credentials as the store).
        #[arg(long)]
        to: String,
        /// Only recordings whose final (majority) verdict is this: approved, needs_edit, rejected.
        #[arg(long)]
        verdict: Option<String>,
        /// Only recordings whose reviewers agree at least this much (0–1, equal values over all
        /// pairs of reviewers and labels); recordings with one review are left out.
        #[arg(long)]
        min_agreement: Option<f64>,
        #[command(flatten)]
        at: HubData,
        /// Local space for the gathered recordings and the export (default: the system's temp dir).
        #[arg(long, env = "APPRENTICE_HUB_SCRATCH")]
        scratch: Option<std::path::PathBuf>,
        /// The key that signs the dataset's manifest (made on first use, mode 0600).
        #[arg(long, env = "APPRENTICE_HUB_PUBLISH_KEY")]
        key: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Gold recordings: mark one with reference labels (a labels file, as `review submit`
    /// takes), unmark it, or read each reviewer's accuracy on a campaign's gold (admins).
    Gold {
        #[command(subcommand)]
        command: GoldCommand,
    },
    /// Print the HTTP API's OpenAPI description (docs/hub-openapi.json).
    Openapi,
    /// Who the token is.
    Whoami {
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum CampaignCommand {
    Create {
        name: String,
        /// The task catalog: JSON lines or CSV with id, instruction and optionally app,
        /// category, difficulty, tags, target, time_limit, notes.
        #[arg(long)]
        tasks: std::path::PathBuf,
        /// A text file experts accept before recording the campaign's tasks.
        #[arg(long)]
        consent: Option<std::path::PathBuf>,
        /// Reviewers per recording.
        #[arg(long)]
        reviews: Option<u32>,
        /// How long a reviewer holds a recording before it goes back to the queue (default 1800).
        #[arg(long)]
        lease_seconds: Option<u32>,
        /// Reviewers who agree less than this (0–1) on a recording send it on (--on-disagreement).
        #[arg(long)]
        min_agreement: Option<f64>,
        /// adjudicate (an admin decides) or extra_review (one more reviewer first).
        #[arg(long, value_parser = ["adjudicate", "extra_review"])]
        on_disagreement: Option<String>,
        /// A window no station records while doing this campaign's tasks: class:GLOB,
        /// title:GLOB or GLOB (repeatable).
        #[arg(long = "exclude", value_name = "RULE")]
        exclusions: Vec<String>,
        /// What stations do with secrets found in the recordings' text: mask (at export, the
        /// default), flag (listed, left as recorded) or drop (never written, at capture).
        #[arg(long = "privacy", value_parser = ["mask", "flag", "drop"])]
        privacy_policy: Option<String>,
        /// The campaign's own review questions, a JSON file: {"questions": [{"id", "text",
        /// "scope": step|trajectory, "kind": yes_no|choice|scale|text, "options": [...]}]}.
        #[arg(long)]
        rubric: Option<std::path::PathBuf>,
        /// Reviewers who compare each pair of recordings of a task by different experts side
        /// by side (default 1; 0 for none).
        #[arg(long)]
        comparisons: Option<u32>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show a campaign's rubric, or replace it with --file (answers already given stay).
    Rubric {
        name: String,
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        #[command(flatten)]
        remote: Remote,
    },
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Re-import a campaign's task file: new tasks are added, changed ones get a new version
    /// (every version is kept), tasks left out stay as they are. All or nothing.
    Edit {
        name: String,
        #[arg(long)]
        tasks: std::path::PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum GoldCommand {
    Mark {
        recording: String,
        #[arg(long)]
        labels: std::path::PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    Unmark {
        recording: String,
        #[command(flatten)]
        remote: Remote,
    },
    Accuracy {
        campaign: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum QueueCommand {
    /// Lease the next recording of a campaign to review (the one you hold, if any); prints the
    /// lease with its steps, or nothing is left. An admin's queue holds the recordings waiting
    /// for adjudication, with what each reviewer said.
    Next {
        #[arg(long)]
        campaign: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Apply a labels file and submit the review, ending the lease. The file:
    /// {"steps": [{"step": N, "correctness": "correct|incorrect|redundant", "mistake": bool, …}],
    /// "scores": {"goal_completion": 1-5, …}, "verdict": "approved|needs_edit|rejected"}.
    Submit {
        lease: i64,
        #[arg(long)]
        labels: std::path::PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Give a lease back unreviewed; the recording is not offered to you again.
    Skip {
        lease: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum CompareCommand {
    /// Lease the next pair of recordings to compare (the one you hold, if any); prints both
    /// recordings' steps and their alignment, or that nothing is left.
    Next {
        #[arg(long)]
        campaign: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Submit a judgement, ending the lease. The file: {"overall": "a|b|tie", "criteria":
    /// {"goal_completion": "a", "efficiency": "b", "safety": "tie", …}, "rationale": "why",
    /// "steps": [{"a_step": N, "b_step": M, "prefer": "a|b|tie", "comment": "…"}]}.
    Submit {
        comparison: i64,
        #[arg(long)]
        file: std::path::PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Give a pair back uncompared; it is not offered to you again.
    Skip {
        comparison: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// A campaign's submitted comparisons (admins).
    List {
        campaign: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    Add {
        name: String,
        #[arg(long, value_parser = ["admin", "expert", "reviewer"])]
        role: String,
        #[command(flatten)]
        remote: Remote,
    },
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Another token for a user (the old ones stay valid until revoked).
    Token {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke every token of a user, at once.
    Revoke {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
}

/// argon2 allocates 19 MiB per token check. glibc raises its mmap threshold after freeing such
/// a block, so later ones come from per-thread heaps and are kept: with a few blocking threads
/// the hub sat at ~330 MB. A fixed threshold returns every large block when it is freed.
fn bound_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called once, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() {
    bound_malloc();
    tracing_subscriber::fmt().json().with_writer(std::io::stderr).with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into())).init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("apprentice-hub: {e:#}");
        std::process::exit(1);
    }
}

/// Prints `value` as JSON with `--json`, else as `text` words it.
fn show<T: serde::Serialize>(out: &mut impl Write, json: bool, value: &T, text: impl FnOnce(&mut dyn Write, &T) -> std::io::Result<()>) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    } else {
        text(out, value)?;
    }
    Ok(())
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
fn dirs_data() -> std::path::PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn print_created(c: &Created, json: bool, out: &mut impl Write) -> Result<()> {
    show(out, json, c, |out, c| {
        writeln!(out, "{} ({}, shown to others as {})", c.name, c.role.as_str(), c.pseudonym)?;
        writeln!(out, "token: {}", c.token)?;
        writeln!(out, "# shown once: the hub keeps only its hash")
    })
}

fn run(cli: Cli) -> Result<()> {
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Init { db, admin, json } => {
            let created = runtime()?.block_on(server::init(&db, &admin))?;
            print_created(&created, json, out)?;
        }
        Command::Serve { at, listen, scratch, max_file_mb, key } => {
            let key = key.unwrap_or_else(|| dirs_data().join("apprentice-hub").join("hub.key"));
            let options = ServeOptions { listen, scratch: scratch.unwrap_or_else(std::env::temp_dir), max_file_bytes: max_file_mb.saturating_mul(1_000_000), key };
            runtime()?.block_on(server::serve(&at.db, at.store()?, options))?;
        }
        Command::Recordings { campaign, remote } => {
            let path = match &campaign {
                Some(c) => format!("/api/recordings?campaign={}", apprentice_hub_api::client::encode(c)),
                None => "/api/recordings".to_string(),
            };
            let list: Vec<RecordingSummary> = HubClient::new(&remote.hub, &remote.token).get(&path, "recordings")?;
            show(out, remote.json, &list, |out, list| {
                for r in list {
                    writeln!(
                        out,
                        "{}  {:<16} {:<12} {:<16} {:>4} steps {:>7.1} s  {:<11} {:<8} {}",
                        r.id,
                        r.campaign,
                        r.task_id,
                        r.expert,
                        r.steps,
                        r.duration_us as f64 / 1e6,
                        r.sealed,
                        r.outcome,
                        r.received_at
                    )?;
                }
                Ok(())
            })?;
        }
        Command::Campaign { command } => match command {
            CampaignCommand::Create { name, tasks, consent, reviews, lease_seconds, min_agreement, on_disagreement, exclusions, privacy_policy, rubric, comparisons, remote } => {
                let rubric = rubric.map(|f| read_rubric(&f)).transpose()?;
                let bytes = std::fs::read(&tasks).with_context(|| format!("cannot read the task file {}", tasks.display()))?;
                let file_name = tasks.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let specs = apprentice_hub::tasks::parse(file_name, &bytes).with_context(|| format!("{}", tasks.display()))?;
                let consent = consent.map(|c| std::fs::read_to_string(&c).with_context(|| format!("cannot read the consent text {}", c.display()))).transpose()?;
                let body = json!({ "name": name, "tasks": specs, "consent": consent, "reviews": reviews, "lease_seconds": lease_seconds, "min_agreement": min_agreement, "on_disagreement": on_disagreement, "exclusions": exclusions, "privacy_policy": privacy_policy, "rubric": rubric, "comparisons": comparisons });
                let created: CampaignSummary = HubClient::new(&remote.hub, &remote.token).post("/api/campaigns", &body, "campaign create")?;
                show(out, remote.json, &created, |out, created| {
                    writeln!(
                        out,
                        "campaign {}: {} tasks, {} review(s) per recording{}",
                        created.name,
                        created.tasks,
                        created.reviews,
                        if created.consent_version > 0 { ", consent text v1" } else { "" }
                    )?;
                    Ok(())
                })?;
            }
            CampaignCommand::Edit { name, tasks, remote } => {
                let bytes = std::fs::read(&tasks).with_context(|| format!("cannot read the task file {}", tasks.display()))?;
                let file_name = tasks.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let specs = apprentice_hub::tasks::parse(file_name, &bytes).with_context(|| format!("{}", tasks.display()))?;
                let path = format!("/api/campaigns/{}/tasks", apprentice_hub_api::client::encode(&name));
                let edited: TasksEdited = HubClient::new(&remote.hub, &remote.token).put(&path, &json!({ "tasks": specs }), "campaign edit")?;
                show(out, remote.json, &edited, |out, e| writeln!(out, "campaign {}: {} added, {} changed (new version), {} unchanged", e.campaign, e.added, e.changed, e.unchanged))?;
            }
            CampaignCommand::Rubric { name, file, remote } => {
                let path = format!("/api/campaigns/{}/rubric", apprentice_hub_api::client::encode(&name));
                let hub = HubClient::new(&remote.hub, &remote.token);
                let rubric: Rubric = match file {
                    Some(f) => hub.put(&path, &serde_json::to_value(read_rubric(&f)?)?, "campaign rubric")?,
                    None => hub.get(&path, "campaign rubric")?,
                };
                show(out, remote.json, &rubric, |out, r| {
                    if r.questions.is_empty() {
                        writeln!(out, "campaign {name} asks no questions of its own")?;
                    }
                    for q in &r.questions {
                        let options = if q.options.is_empty() { String::new() } else { format!(" ({})", q.options.join(" / ")) };
                        writeln!(out, "{:<24} {:<10} {:<7}{options} {}", q.id, format!("{:?}", q.scope).to_lowercase(), format!("{:?}", q.kind).to_lowercase(), q.text)?;
                    }
                    Ok(())
                })?;
            }
            CampaignCommand::List { remote } => {
                let list: Vec<CampaignSummary> = HubClient::new(&remote.hub, &remote.token).get("/api/campaigns", "campaign list")?;
                show(out, remote.json, &list, |out, list| {
                    for c in list {
                        writeln!(out, "{:<32} {:>5} tasks  {} review(s)  created {}", c.name, c.tasks, c.reviews, c.created_at)?;
                    }
                    Ok(())
                })?;
            }
        },
        Command::Assign { campaign, expert, tasks, remote } => {
            let done: Assigned = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/campaigns/{campaign}/assign"), &json!({ "expert": expert, "tasks": tasks }), "assign")?;
            show(out, remote.json, &done, |out, done| {
                writeln!(out, "assigned {} task(s) of {} to {} ({} already were)", done.assigned, done.campaign, done.expert, done.already)?;
                Ok(())
            })?;
        }
        Command::Progress { campaign, remote } => {
            let rows: Vec<TaskProgress> = HubClient::new(&remote.hub, &remote.token).get(&format!("/api/campaigns/{campaign}/progress"), "progress")?;
            show(out, remote.json, &rows, |out, rows| {
                for r in rows {
                    writeln!(
                        out,
                        "{:<24} v{:<3} target {:>3}  assigned {:>3}  recorded {:>3}  reviewed {:>3}  approved {:>3}  {}",
                        r.id, r.version, r.target, r.assigned, r.recorded, r.reviewed, r.approved, r.instruction
                    )?;
                }
                Ok(())
            })?;
        }
        Command::Stations { remote } => {
            let list: Vec<Station> = HubClient::new(&remote.hub, &remote.token).get("/api/stations", "stations")?;
            show(out, remote.json, &list, |out, list| {
                for st in list {
                    writeln!(out, "{:<16} {:<20} {:<10} {}  joined {}  last seen {}  queue {}", st.user, st.name, st.version, st.fingerprint, st.joined_at, st.last_seen, st.queue_depth)?;
                }
                Ok(())
            })?;
        }
        Command::Queue { command: QueueCommand::Next { campaign, remote } } => {
            let path = format!("/api/campaigns/{}/queue/next", apprentice_hub_api::client::encode(&campaign));
            let lease: Option<Lease> = HubClient::new(&remote.hub, &remote.token).post(&path, &json!({}), "queue next")?;
            show(out, remote.json, &lease, |out, lease| match lease {
                Some(l) => {
                    writeln!(out, "{} lease {} until {}: recording {} ({} steps) by {}", l.kind, l.id, l.expires_at, l.recording, l.steps.len(), l.expert)?;
                    for o in &l.others {
                        writeln!(out, "  {} said: {}", o["reviewer"].as_str().unwrap_or_default(), o["review"])?;
                    }
                    writeln!(out, "task {}: {}", l.task_id, l.instruction)
                }
                None => writeln!(out, "nothing left to review in {campaign}"),
            })?;
        }
        Command::Reviews { recording, remote } => {
            let path = format!("/api/recordings/{}/reviews", apprentice_hub_api::client::encode(&recording));
            let list: Vec<ReviewAudit> = HubClient::new(&remote.hub, &remote.token).get(&path, "reviews")?;
            show(out, remote.json, &list, |out, list| {
                for r in list {
                    let verdict = r.verdict.as_deref().unwrap_or("—");
                    let holds = if r.problems.is_empty() { "signed log verifies".to_string() } else { format!("{} problem(s)", r.problems.len()) };
                    writeln!(
                        out,
                        "{} {} by {} ({}): {} · {verdict} · {} entries ({} undone) · signed by {} · {holds}",
                        r.kind,
                        r.id,
                        r.reviewer,
                        r.pseudonym,
                        r.state,
                        r.entries,
                        r.undone,
                        r.signers.join(", ")
                    )?;
                    for p in &r.problems {
                        writeln!(out, "  {p}")?;
                    }
                }
                Ok(())
            })?;
            if list.iter().any(|r| !r.problems.is_empty()) {
                anyhow::bail!("a review log of {recording} does not verify");
            }
        }
        Command::Review { command } => match command {
            ReviewCommand::Submit { lease, labels, remote } => {
                let text = std::fs::read_to_string(&labels).with_context(|| format!("cannot read the labels file {}", labels.display()))?;
                let body: ReviewLabels = serde_json::from_str(&text).with_context(|| format!("{} is not a labels file", labels.display()))?;
                let done: Lease = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/leases/{lease}/submit"), &serde_json::to_value(&body)?, "review submit")?;
                show(out, remote.json, &done, |out, l| writeln!(out, "lease {}: {} (recording {})", l.id, l.state, l.recording))?;
            }
            ReviewCommand::Skip { lease, reason, remote } => {
                let done: Lease = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/leases/{lease}/skip"), &json!({ "reason": reason }), "review skip")?;
                show(out, remote.json, &done, |out, l| writeln!(out, "lease {}: {} (recording {})", l.id, l.state, l.recording))?;
            }
        },
        Command::Gold { command } => match command {
            GoldCommand::Mark { recording, labels, remote } => {
                let text = std::fs::read_to_string(&labels).with_context(|| format!("cannot read the labels file {}", labels.display()))?;
                let body: ReviewLabels = serde_json::from_str(&text).with_context(|| format!("{} is not a labels file", labels.display()))?;
                let path = format!("/api/recordings/{}/gold", apprentice_hub_api::client::encode(&recording));
                let _: Option<serde_json::Value> = HubClient::new(&remote.hub, &remote.token).put(&path, &serde_json::to_value(&body)?, "gold mark")?;
                show(out, remote.json, &json!({ "recording": recording, "gold": true }), |out, _| writeln!(out, "{recording} is gold"))?;
            }
            GoldCommand::Unmark { recording, remote } => {
                let path = format!("/api/recordings/{}/gold", apprentice_hub_api::client::encode(&recording));
                let _: Option<serde_json::Value> = HubClient::new(&remote.hub, &remote.token).delete(&path, "gold unmark")?;
                show(out, remote.json, &json!({ "recording": recording, "gold": false }), |out, _| writeln!(out, "{recording} is no longer gold"))?;
            }
            GoldCommand::Accuracy { campaign, remote } => {
                let path = format!("/api/campaigns/{}/gold", apprentice_hub_api::client::encode(&campaign));
                let list: Vec<GoldAccuracy> = HubClient::new(&remote.hub, &remote.token).get(&path, "gold accuracy")?;
                show(out, remote.json, &list, |out, list| {
                    for a in list {
                        let acc = a.accuracy.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into());
                        writeln!(out, "{:<20} {:<18} {acc:>7}  {} of {} values on {} gold recording(s)", a.reviewer, a.pseudonym, a.matched, a.compared, a.recordings)?;
                    }
                    Ok(())
                })?;
            }
        },
        Command::Compare { command } => match command {
            CompareCommand::Next { campaign, remote } => {
                let path = format!("/api/campaigns/{}/comparisons/next", apprentice_hub_api::client::encode(&campaign));
                let lease: Option<ComparisonLease> = HubClient::new(&remote.hub, &remote.token).post(&path, &json!({}), "compare next")?;
                show(out, remote.json, &lease, |out, lease| match lease {
                    Some(l) => {
                        writeln!(out, "comparison {} until {}: task {}: {}", l.id, l.expires_at, l.task_id, l.instruction)?;
                        writeln!(out, "  A: recording {} by {} ({} steps, {})", l.a.recording, l.a.expert, l.a.steps.len(), l.a.outcome)?;
                        writeln!(out, "  B: recording {} by {} ({} steps, {})", l.b.recording, l.b.expert, l.b.steps.len(), l.b.outcome)?;
                        let cell = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
                        for r in &l.rows {
                            writeln!(out, "  A {:>3}  B {:>3}  {:.2}", cell(r.a), cell(r.b), r.similarity)?;
                        }
                        writeln!(out, "criteria: {}", l.criteria.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "))
                    }
                    None => writeln!(out, "nothing left to compare in {campaign}"),
                })?;
            }
            CompareCommand::Submit { comparison, file, remote } => {
                let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read the comparison file {}", file.display()))?;
                let body: ComparisonChoice = serde_json::from_str(&text).with_context(|| format!("{} is not a comparison file", file.display()))?;
                let done: ComparisonLease = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/comparisons/{comparison}/submit"), &serde_json::to_value(&body)?, "compare submit")?;
                show(out, remote.json, &done, |out, l| writeln!(out, "comparison {}: {} (A {}, B {})", l.id, l.state, l.a.recording, l.b.recording))?;
            }
            CompareCommand::Skip { comparison, reason, remote } => {
                let done: ComparisonLease = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/comparisons/{comparison}/skip"), &json!({ "reason": reason }), "compare skip")?;
                show(out, remote.json, &done, |out, l| writeln!(out, "comparison {}: {} (A {}, B {})", l.id, l.state, l.a.recording, l.b.recording))?;
            }
            CompareCommand::List { campaign, remote } => {
                let path = format!("/api/campaigns/{}/comparisons", apprentice_hub_api::client::encode(&campaign));
                let list: Vec<apprentice_core::model::Comparison> = HubClient::new(&remote.hub, &remote.token).get(&path, "compare list")?;
                show(out, remote.json, &list, |out, list| {
                    for c in list {
                        writeln!(out, "{}  {} vs {}  overall {}  by {}: {}", c.task_id, c.a, c.b, c.overall.as_str(), c.reviewer, c.rationale)?;
                    }
                    Ok(())
                })?;
            }
        },
        Command::Qa { campaign, chart, remote } => {
            let path = format!("/api/campaigns/{}/qa", apprentice_hub_api::client::encode(&campaign));
            let report: QaReport = HubClient::new(&remote.hub, &remote.token).get(&path, "qa")?;
            if let Some(id) = chart {
                let Some(c) = report.charts.iter().find(|c| c.id == id) else {
                    anyhow::bail!("no chart {id:?}; the dashboard has {}", report.charts.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "));
                };
                write!(out, "{}", apprentice_hub::qa::csv(c))?;
                return Ok(());
            }
            show(out, remote.json, &report, |out, r| {
                let t = &r.totals;
                let coverage = t.reasoning_coverage.map(|c| format!("{:.0}%", c * 100.0)).unwrap_or_else(|| "—".into());
                writeln!(
                    out,
                    "{}: {} recordings, {:.2} h, {} steps, reasoning on {coverage} of steps; {} reviewed, {} approved; {} reviews, {} comparisons",
                    r.campaign, t.recordings, t.hours, t.steps, t.reviewed, t.approved, t.reviews, t.comparisons
                )?;
                for c in &r.charts {
                    writeln!(out, "\n{} ({})\n{}", c.title, c.id, c.columns.join("\t"))?;
                    for row in &c.rows {
                        writeln!(out, "{}", row.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| if v.is_null() { "—".into() } else { v.to_string() })).collect::<Vec<_>>().join("\t"))?;
                    }
                }
                Ok(())
            })?;
        }
        Command::Agreement { campaign, remote } => {
            let path = format!("/api/campaigns/{}/agreement", apprentice_hub_api::client::encode(&campaign));
            let report: AgreementReport = HubClient::new(&remote.hub, &remote.token).get(&path, "agreement")?;
            show(out, remote.json, &report, |out, r| {
                writeln!(out, "{}: {} submitted review(s)", r.campaign, r.reviews)?;
                for d in &r.dimensions {
                    let alpha = d.alpha.map(|a| format!("{a:.3}")).unwrap_or_else(|| "—".into());
                    let interval = d.interval.map(|[lo, hi]| format!("[{lo:.3}, {hi:.3}]")).unwrap_or_default();
                    writeln!(out, "  {:<16} {:<8} alpha {alpha:>6} {interval:<18} {} units", d.name, d.level, d.units)?;
                }
                Ok(())
            })?;
        }
        Command::Publish { campaign, format, to, verdict, min_agreement, at, scratch, key, json } => {
            let verdict = verdict.map(|v| apprentice_core::model::Verdict::parse(&v).with_context(|| format!("--verdict {v}: use approved, needs_edit or rejected"))).transpose()?;
            let (s3, store, db) = (at.s3(), at.store()?, at.db.clone());
            let key = key.unwrap_or_else(|| dirs_data().join("apprentice-hub").join("publisher.key"));
            let opts = PublishOptions { campaign, format, to, s3, verdict, min_agreement, scratch: scratch.unwrap_or_else(std::env::temp_dir), key };
            let published = runtime()?.block_on(async {
                let pool = apprentice_hub::db::pool(&db)?;
                apprentice_hub::db::migrate(&pool).await?;
                publish::publish(&pool, store, &opts, &mut |line| eprintln!("{line}")).await
            })?;
            show(out, json, &published, |out, p| {
                for (id, why) in &p.withheld {
                    writeln!(out, "withheld {id}: {why}")?;
                }
                match &p.part {
                    Some(part) => {
                        writeln!(out, "published {} recording(s), {} steps, as {part} of {} ({} files, {} bytes; manifest signed by {})", p.recordings.len(), p.steps, p.to, p.files, p.bytes, p.signer)
                    }
                    None => writeln!(out, "nothing new to publish to {}", p.to),
                }
            })?;
        }
        Command::Openapi => {
            writeln!(out, "{}", <apprentice_hub::api::ApiDoc as utoipa::OpenApi>::openapi().to_pretty_json()?)?;
        }
        Command::Whoami { remote } => {
            let me: Me = HubClient::new(&remote.hub, &remote.token).get("/api/me", "whoami")?;
            show(out, remote.json, &me, |out, me| {
                writeln!(out, "{} ({}, {})", me.name, me.role.as_str(), me.pseudonym)?;
                Ok(())
            })?;
        }
        Command::User { command } => match command {
            UserCommand::Add { name, role, remote } => {
                let role = Role::parse(&role).context("role")?;
                let created: Created = HubClient::new(&remote.hub, &remote.token).post("/api/users", &json!({ "name": name, "role": role }), "user add")?;
                print_created(&created, remote.json, out)?;
            }
            UserCommand::List { remote } => {
                let users: Vec<UserSummary> = HubClient::new(&remote.hub, &remote.token).get("/api/users", "user list")?;
                show(out, remote.json, &users, |out, users| {
                    for u in users {
                        writeln!(out, "{:<24} {:<9} {:<16} {} active token(s)", u.name, u.role.as_str(), u.pseudonym, u.active_tokens)?;
                    }
                    Ok(())
                })?;
            }
            UserCommand::Token { name, remote } => {
                let issued: TokenIssued = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/users/{name}/tokens"), &json!({}), "user token")?;
                show(out, remote.json, &issued, |out, issued| {
                    writeln!(out, "token: {}", issued.token)?;
                    Ok(())
                })?;
            }
            UserCommand::Revoke { name, remote } => {
                let revoked: Revoked = HubClient::new(&remote.hub, &remote.token).post(&format!("/api/users/{name}/revoke"), &json!({}), "user revoke")?;
                show(out, remote.json, &revoked, |out, revoked| {
                    writeln!(out, "revoked {} token(s) of {name}", revoked.revoked)?;
                    Ok(())
                })?;
            }
        },
    }
    Ok(())
}

/// A rubric file, read and checked here so a mistake is told before anything is sent.
fn read_rubric(path: &std::path::Path) -> Result<Rubric> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the rubric {}", path.display()))?;
    let rubric: Rubric = serde_json::from_str(&text).with_context(|| format!("{}: not a rubric ({{\"questions\": [...]}})", path.display()))?;
    apprentice_core::review::rubric::check(&rubric).with_context(|| path.display().to_string())?;
    Ok(rubric)
}
