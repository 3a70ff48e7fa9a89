//! `apprentice-hub`: the server (`init`, `serve`) and the admin's client commands (`user …`,
//! `whoami`) over its HTTP API. Argument parsing and printing only.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::json;

use apprentice_hub::server::{self, ServeOptions};
use apprentice_hub::storage::{S3Options, Store};
use apprentice_hub_api::client::HubClient;
use apprentice_hub_api::{Assigned, CampaignSummary, Created, Me, RecordingSummary, Revoked, Role, Station, TaskProgress, TasksEdited, TokenIssued, UserSummary};

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
        /// Address to listen on (port 0: any free port; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:8420")]
        listen: SocketAddr,
        /// Local scratch space for files being received and checked (default: the system's temp dir).
        #[arg(long, env = "APPRENTICE_HUB_SCRATCH")]
        scratch: Option<std::path::PathBuf>,
        /// The largest file an upload may carry, in MB.
        #[arg(long, default_value_t = 4096)]
        max_file_mb: u64,
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
        /// A window no station records while doing this campaign's tasks: class:GLOB,
        /// title:GLOB or GLOB (repeatable).
        #[arg(long = "exclude", value_name = "RULE")]
        exclusions: Vec<String>,
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
        Command::Serve { db, store, s3_endpoint, s3_region, listen, scratch, max_file_mb } => {
            let store = Store::parse(&store, &S3Options { endpoint: s3_endpoint, region: s3_region })?;
            let options = ServeOptions { listen, scratch: scratch.unwrap_or_else(std::env::temp_dir), max_file_bytes: max_file_mb.saturating_mul(1_000_000) };
            runtime()?.block_on(server::serve(&db, store, options))?;
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
            CampaignCommand::Create { name, tasks, consent, reviews, exclusions, remote } => {
                let bytes = std::fs::read(&tasks).with_context(|| format!("cannot read the task file {}", tasks.display()))?;
                let file_name = tasks.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let specs = apprentice_hub::tasks::parse(file_name, &bytes).with_context(|| format!("{}", tasks.display()))?;
                let consent = consent.map(|c| std::fs::read_to_string(&c).with_context(|| format!("cannot read the consent text {}", c.display()))).transpose()?;
                let body = json!({ "name": name, "tasks": specs, "consent": consent, "reviews": reviews, "exclusions": exclusions });
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
                    writeln!(out, "{:<24} v{:<3} target {:>3}  assigned {:>3}  recorded {:>3}  {}", r.id, r.version, r.target, r.assigned, r.recorded, r.instruction)?;
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
