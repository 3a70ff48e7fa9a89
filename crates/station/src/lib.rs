//! A station's link to its hub: [`join`] registers this machine's key under the expert's
//! account and keeps the hub's address and token in the XDG config dir ([`config`]); [`tasks`]
//! lists the expert's assigned tasks (kept for when the hub is away); [`consent`] signs the
//! expert's decision on a campaign's consent text; [`push`] sends finished recordings through the
//! library's upload queue, and [`sync`] does so in the background. Not its job: HTTP ([`apprentice_hub_api::client`]), what the hub
//! checks (the hub), or printing (the shells).

pub mod config;
pub mod push;
pub mod sync;

use apprentice_core::model::{Rubric, Task};
use apprentice_core::provenance::hub::{consent_message, join_message, ConsentDecision};
use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::Library;
use apprentice_hub_api::client::{encode, HubClient, HubError};
use apprentice_hub_api::{AssignedTask, Consent, Me, Station};

pub use config::StationConfig;

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error("this station has not joined a hub: run `apprentice station join URL --token T`")]
    NotJoined,
    #[error("the station config {path}: {message}")]
    Config { path: String, message: String },
    #[error(transparent)]
    Store(#[from] apprentice_core::store::StoreError),
    #[error("no station key: {0}")]
    Key(String),
    #[error("{0}")]
    Task(String),
}

pub type Result<T> = std::result::Result<T, StationError>;

/// This user's station key (made on first use).
pub fn station_key() -> Result<StationKey> {
    StationKey::load_or_create_default().map_err(|e| StationError::Key(e.to_string()))
}

pub fn client(cfg: &StationConfig) -> HubClient {
    HubClient::new(&cfg.hub, &cfg.token)
}

/// Joins the hub at `url` as the token's expert: registers this station's key (with a signature
/// proving it is held here) and saves the hub and token in the config, mode 0600.
pub fn join(url: &str, token: &str, key: &StationKey, machine: &str) -> Result<(StationConfig, Station)> {
    let hub = HubClient::new(url, token);
    let me: Me = hub.get("/api/me", "who the token is")?;
    let public_key = key.public_hex();
    let body = serde_json::json!({
        "name": machine,
        "version": env!("CARGO_PKG_VERSION"),
        "public_key": public_key,
        "signature": key.sign(&join_message(&me.name, &public_key)),
    });
    let station: Station = hub.post("/api/stations", &body, "joining the hub")?;
    let cfg = StationConfig { hub: hub.base().to_string(), token: token.to_string(), user: me.name, station_id: station.id, fingerprint: station.fingerprint.clone() };
    config::save(&cfg)?;
    Ok((cfg, station))
}

/// The expert's assigned tasks, from the hub; kept, so [`find_task`] works while it is away.
pub fn tasks(cfg: &StationConfig) -> Result<Vec<AssignedTask>> {
    let tasks: Vec<AssignedTask> = client(cfg).get("/api/tasks", "listing your tasks")?;
    config::save_tasks(&tasks)?;
    Ok(tasks)
}

/// A hub task as a recording is made for it: the task, and the campaign's exclusion rules to add
/// to the station's own.
#[derive(Debug, Clone, Default)]
pub struct HubTask {
    pub task: Task,
    pub exclusions: Vec<String>,
    /// The campaign's privacy policy for the recording's text.
    pub privacy_policy: apprentice_core::model::PrivacyPolicy,
    /// The campaign's own review questions.
    pub rubric: Option<Rubric>,
}

impl HubTask {
    /// Keeps the campaign's rubric in `lib`, so reviewing the recording here asks its questions.
    pub fn keep_rubric(&self, lib: &Library) -> Result<()> {
        if let (Some(campaign), Some(rubric)) = (&self.task.campaign, &self.rubric) {
            lib.set_rubric(campaign, rubric)?;
        }
        Ok(())
    }
}

/// The assigned task `id` (of `campaign`, when ids repeat across campaigns) as a recording's
/// task: from the hub, or the list last fetched when the hub cannot be reached.
pub fn find_task(cfg: &StationConfig, id: &str, campaign: Option<&str>) -> Result<HubTask> {
    let list = match tasks(cfg) {
        Ok(t) => t,
        Err(StationError::Hub(e)) if e.is_transient() => {
            tracing::warn!(error = %e, "the hub is away: using the task list fetched last");
            config::load_tasks()?
        }
        Err(e) => return Err(e),
    };
    let found: Vec<&AssignedTask> = list.iter().filter(|t| t.task.id == id && campaign.is_none_or(|c| t.campaign == c)).collect();
    match found.as_slice() {
        [t] => Ok(HubTask {
            task: Task { id: Some(t.task.id.clone()), instruction: t.task.instruction.clone(), campaign: Some(t.campaign.clone()) },
            exclusions: t.exclusions.clone(),
            privacy_policy: apprentice_core::model::PrivacyPolicy::parse(&t.privacy_policy).unwrap_or_default(),
            rubric: t.rubric.clone(),
        }),
        [] => Err(StationError::Task(format!("no task {id} is assigned to {}{} (see `apprentice tasks`)", cfg.user, campaign.map(|c| format!(" in campaign {c}")).unwrap_or_default()))),
        _ => Err(StationError::Task(format!("task {id} is in several campaigns ({}): name one with --campaign", found.iter().map(|t| t.campaign.as_str()).collect::<Vec<_>>().join(", ")))),
    }
}

/// Reads a campaign's consent text and the expert's current decision.
pub fn read_consent(cfg: &StationConfig, campaign: &str) -> Result<Consent> {
    Ok(client(cfg).get(&format!("/api/campaigns/{}/consent", encode(campaign)), "reading the consent text")?)
}

/// Signs and sends the expert's decision on the consent text as read (`text` is what they saw).
pub fn consent(cfg: &StationConfig, key: &StationKey, text: &Consent, decision: ConsentDecision) -> Result<Consent> {
    let at = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let signature = key.sign(&consent_message(&text.campaign, text.version, &text.sha256, decision, &at, &cfg.user));
    let body = serde_json::json!({ "version": text.version, "sha256": text.sha256, "decision": decision, "at": at, "station_key": key.public_hex(), "signature": signature });
    Ok(client(cfg).post(&format!("/api/campaigns/{}/consent", encode(&text.campaign)), &body, "sending the consent decision")?)
}
