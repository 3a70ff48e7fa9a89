//! What crosses the network between the hub and its clients — a station, an admin's command
//! line — and the blocking client that sends it: the API's request and answer types (with their
//! OpenAPI schemas) and [`client::HubClient`]. The hub's server and every client use these
//! same types. Not its job: serving (the `apprentice-hub` crate) or what a station does with the
//! answers (the CLI).

pub mod client;

use serde::{Deserialize, Serialize};

// Accounts.

/// What an account may do: admins run the hub, experts record, reviewers review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Expert,
    Reviewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Expert => "expert",
            Role::Reviewer => "reviewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Admin, Role::Expert, Role::Reviewer].into_iter().find(|r| r.as_str() == s)
    }
}

/// A user just added, with the token to hand over (shown once, stored only hashed).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Created {
    pub name: String,
    pub role: Role,
    pub pseudonym: String,
    pub token: String,
}

/// A user as admins see them: name, role, pseudonym, how many tokens are live.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub name: String,
    pub role: Role,
    pub pseudonym: String,
    pub active_tokens: i64,
}

/// Every error's body.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub error: String,
}

/// The hub's state: `ok`, or `unavailable` with the database's error.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub version: String,
}

/// Who a token belongs to.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct Me {
    pub name: String,
    pub role: Role,
    pub pseudonym: String,
}

/// A user to add.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
}

/// A token just made (shown once).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenIssued {
    pub name: String,
    pub token: String,
}

/// How many live tokens were revoked.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Revoked {
    pub name: String,
    pub revoked: u64,
}

// Campaigns and tasks.

/// One task of a campaign's catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskSpec {
    pub id: String,
    pub instruction: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Recordings wanted of this task.
    #[serde(default = "one")]
    pub target: u32,
    /// Seconds the expert should need at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

fn one() -> u32 {
    1
}

/// What every task must be, whatever its file's format: checked by the client and by the server.
pub fn check_task(task: &TaskSpec) -> Result<(), String> {
    let id_ok = !task.id.is_empty() && task.id.len() <= 128 && task.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'));
    if !id_ok {
        return Err(format!("{:?} is not a task id: 1 to 128 letters, digits, '.', '_', '-', ':' or '/'", task.id));
    }
    if task.instruction.trim().is_empty() {
        return Err(format!("task {}: the instruction is empty", task.id));
    }
    if task.target == 0 || task.target > 10_000 {
        return Err(format!("task {}: target must be 1 to 10000 recordings, not {}", task.id, task.target));
    }
    Ok(())
}

/// A campaign to create.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewCampaign {
    pub name: String,
    pub tasks: Vec<TaskSpec>,
    /// The text experts accept before recording its tasks.
    #[serde(default)]
    pub consent: Option<String>,
    /// Reviewers per recording (default 1).
    #[serde(default)]
    pub reviews: Option<u32>,
    /// How long a reviewer holds a lease before the recording goes back to the queue, in
    /// seconds (default 1800).
    #[serde(default)]
    pub lease_seconds: Option<u32>,
    /// Reviewers of a recording who agree less than this (0–1, the share of equal values) send
    /// it on, as `on_disagreement` says.
    #[serde(default)]
    pub min_agreement: Option<f64>,
    /// `adjudicate` (an admin decides; the default) or `extra_review` (one more reviewer, then
    /// an admin if they still disagree).
    #[serde(default)]
    pub on_disagreement: Option<String>,
    /// Reviewers who compare each pair of recordings of a task by different experts side by
    /// side (default 1; 0 turns comparison off).
    #[serde(default)]
    pub comparisons: Option<u32>,
    /// Windows no station records while doing the campaign's tasks (`class:GLOB`,
    /// `title:GLOB` or `GLOB`), on top of each station's own.
    #[serde(default)]
    pub exclusions: Vec<String>,
    /// What stations do with secrets found in the recordings' text: `mask` at export (the
    /// default), `flag` only, or `drop` at capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_policy: Option<String>,
    /// The campaign's own review questions (`{"questions": [{"id", "text", "scope": step |
    /// trajectory, "kind": yes_no | choice | scale | text, "options"}]}`), asked beside the
    /// built-in labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rubric: Option<apprentice_core::model::Rubric>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct CampaignSummary {
    pub name: String,
    pub tasks: i64,
    pub reviews: i32,
    pub consent_version: i32,
    /// sha256 of the consent text, when there is one.
    pub consent_sha256: Option<String>,
    pub created_at: String,
    /// How long a review lease lasts.
    #[serde(default)]
    pub lease_seconds: i32,
    #[serde(default)]
    pub min_agreement: Option<f64>,
    #[serde(default)]
    pub on_disagreement: String,
    /// Reviewers per pair of recordings to compare.
    #[serde(default)]
    pub comparisons: i32,
}

/// A campaign's task catalog re-imported: tasks not there before are added, changed ones get a
/// new version (every version is kept), tasks left out stay as they are.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskEdits {
    pub tasks: Vec<TaskSpec>,
}

/// What a re-import changed.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TasksEdited {
    pub campaign: String,
    pub added: u64,
    /// Tasks with a new version.
    pub changed: u64,
    pub unchanged: u64,
}

/// Tasks assigned: how many new, how many were already.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assigned {
    pub campaign: String,
    pub expert: String,
    pub assigned: u64,
    pub already: u64,
}

/// What to assign: to whom, and which tasks (none: every task of the campaign).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    pub expert: String,
    #[serde(default)]
    pub tasks: Vec<String>,
}

/// A task as its assigned expert sees it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssignedTask {
    pub campaign: String,
    pub version: i32,
    pub task: TaskSpec,
    /// The campaign's exclusion rules, which the station adds to its own when recording it.
    #[serde(default)]
    pub exclusions: Vec<String>,
    /// The campaign's privacy policy for the recording's text: `mask`, `flag` or `drop`.
    #[serde(default = "mask")]
    pub privacy_policy: String,
    /// The campaign's own review questions, kept with the recording so the station's review
    /// asks them too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rubric: Option<apprentice_core::model::Rubric>,
}

fn mask() -> String {
    "mask".into()
}

/// One task's progress.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskProgress {
    pub id: String,
    pub instruction: String,
    pub version: i32,
    /// Recordings wanted.
    pub target: u32,
    /// Experts assigned.
    pub assigned: i64,
    /// Recordings the hub holds, verified.
    pub recorded: i64,
    /// Of those, recordings with every review the campaign asks for submitted.
    #[serde(default)]
    pub reviewed: i64,
    /// Of the reviewed, those whose final verdict is approved.
    #[serde(default)]
    pub approved: i64,
}

// Stations and consent.

/// A station asking to join.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Join {
    /// The machine's name (hostname).
    pub name: String,
    /// The recorder's version.
    pub version: String,
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// The station's signature over the join message (apprentice_core::provenance::hub).
    pub signature: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Station {
    pub id: i64,
    /// The owner: their name for admins, their own name for themselves.
    pub user: String,
    pub name: String,
    pub version: String,
    pub fingerprint: String,
    pub public_key: String,
    pub joined_at: String,
    pub last_seen: String,
    /// Recordings waiting in its upload queue when it last announced one.
    pub queue_depth: i32,
}

/// A campaign's consent text as an expert reads it, with their current decision.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    pub campaign: String,
    pub version: i32,
    pub sha256: String,
    pub text: String,
    /// The caller's latest decision on this text version: accept, withdraw, or none.
    pub decision: Option<String>,
}

/// An expert's signed decision.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub version: i32,
    pub sha256: String,
    /// accept or withdraw
    #[schema(value_type = String)]
    pub decision: apprentice_core::provenance::hub::ConsentDecision,
    /// When it was signed (RFC 3339).
    pub at: String,
    pub station_key: String,
    pub signature: String,
}

// Uploads and recordings.

/// A file an upload carries, named by its content: the recording's one-recording library
/// database, or a media file its frames use.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadFile {
    /// 64 hex digits.
    pub sha256: String,
    pub bytes: u64,
    /// A media file's extension (`webp`); none for the library.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext: Option<String>,
}

/// A station announcing a recording it will send. Announcing the same recording with the same
/// content again (after a crash, against another hub process) continues the same upload.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewUpload {
    pub recording_id: String,
    /// The station's public key (hex): it must have joined, as the caller's.
    pub station_key: String,
    pub campaign: String,
    pub task_id: String,
    pub library: UploadFile,
    #[serde(default)]
    pub media: Vec<UploadFile>,
    /// Recordings waiting in the station's queue, this one included (shown to admins).
    #[serde(default)]
    pub queue: u32,
}

/// Where an upload stands.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadStatus {
    pub id: i64,
    pub recording_id: String,
    /// open (waiting for files), complete, or refused.
    pub state: String,
    /// Files (sha256) the hub still needs; media it already holds are never asked for.
    pub missing: Vec<String>,
    /// Files in the upload, and bytes of those still missing.
    pub files: u64,
    pub missing_bytes: u64,
    /// Why it was refused.
    #[serde(default)]
    pub problems: Vec<String>,
    /// The recording, once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingSummary>,
}

/// A recording the hub holds: verified on arrival and segmented by the core.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordingSummary {
    pub id: String,
    pub campaign: String,
    pub task_id: String,
    pub instruction: String,
    /// The expert: their name for admins and themselves, their pseudonym for reviewers.
    pub expert: String,
    /// The recording station's key fingerprint.
    pub station: String,
    /// finished or interrupted (as sealed).
    pub sealed: String,
    pub started_at: String,
    pub duration_us: u64,
    pub steps: u32,
    pub input_events: u64,
    pub frames: u64,
    pub media_bytes: u64,
    /// The expert's answer: success, failure, infeasible or unknown.
    pub outcome: String,
    /// Share of steps made of injected input (0–1).
    pub synthetic_input_share: f64,
    pub received_at: String,
}

// Review.

/// A browser signing in with a token (it comes back as an HttpOnly session cookie).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignIn {
    pub token: String,
}

/// A recording leased to a reviewer: theirs to label until `expires_at`, then back in the
/// queue. Reviewers see experts only by pseudonym, and no other reviewer's labels.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct Lease {
    pub id: i64,
    pub recording: String,
    pub campaign: String,
    pub task_id: String,
    pub instruction: String,
    /// The expert's pseudonym.
    pub expert: String,
    /// leased, submitted, skipped or expired.
    pub state: String,
    /// RFC 3339.
    pub expires_at: String,
    /// The steps as this reviewer has them (their edits applied): `step` (1-based), `t_start`
    /// (µs, what labels are keyed by), `action`, `reasoning` (texts) and their own `label`.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<serde_json::Value>,
    /// review, or adjudication (an admin settling a recording its reviewers disagreed on).
    #[serde(default)]
    pub kind: String,
    /// For an adjudication only: what each reviewer said (`reviewer` pseudonym, `labels` by
    /// step, `review` with scores and verdict).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub others: Vec<serde_json::Value>,
    /// The campaign's own questions, answered in each step label's `answers` (step questions)
    /// and the labels file's `answers` (trajectory questions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rubric: Option<apprentice_core::model::Rubric>,
}

/// One step's label in a labels file: the step by number (1-based, as `queue next` lists them)
/// or by start time, and the label's fields (`correctness`, `mistake`, `recovery`, `unsafe`,
/// `env_response`, `comment`, `reasoning`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepLabels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_start: Option<u64>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub label: apprentice_core::model::StepLabel,
}

/// What `apprentice-hub review submit LEASE --labels FILE` sends: step labels, trajectory
/// scores (1–5) and the verdict (`approved`, `needs_edit`, `rejected`), in the vocabulary of
/// `apprentice review label`. Submitting applies them as the reviewer's changes, then ends the
/// lease; a review ends only with a verdict.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewLabels {
    #[serde(default)]
    pub steps: Vec<StepLabels>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub scores: apprentice_core::model::Scores,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub verdict: Option<apprentice_core::model::Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Answers to the campaign rubric's trajectory questions, by question id (step questions
    /// are answered in each step's `answers`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub answers: apprentice_core::model::Answers,
}

/// Why a reviewer gives a recording back without reviewing it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Skip {
    pub reason: String,
}

/// A corrected transcript (null restores the model's).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TranscriptFix {
    pub text: Option<String>,
}

/// Agreement between a campaign's reviewers on one label dimension.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DimensionAgreement {
    /// correctness, mistake, recovery, unsafe, env_response, goal_completion, efficiency,
    /// error_handling, safety, verdict.
    pub name: String,
    /// nominal (categories) or ordinal (1–5 scores).
    pub level: String,
    /// Krippendorff's alpha; null where it is undefined (no pairable values, or no variation).
    pub alpha: Option<f64>,
    /// A 95% bootstrap interval over units.
    pub interval: Option<[f64; 2]>,
    /// Units (steps or recordings) with values from two or more reviewers.
    pub units: usize,
    /// Values given in those units.
    pub values: usize,
    /// Percent agreement of each pair of reviewers (pseudonyms) on the units both labelled.
    pub pairs: Vec<ReviewerPair>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewerPair {
    pub a: String,
    pub b: String,
    pub units: usize,
    pub agreement: Option<f64>,
}

/// `apprentice-hub agreement CAMPAIGN`: every dimension over the submitted reviews.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgreementReport {
    pub campaign: String,
    /// Submitted reviews counted.
    pub reviews: usize,
    pub dimensions: Vec<DimensionAgreement>,
}

/// A reviewer's accuracy on a campaign's gold recordings.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GoldAccuracy {
    pub reviewer: String,
    pub pseudonym: String,
    /// Gold recordings they reviewed.
    pub recordings: usize,
    /// Values of the reference they gave too, and how many of those equal it.
    pub compared: usize,
    pub matched: usize,
    pub accuracy: Option<f64>,
}

// Side-by-side comparison.

/// One recording of a comparison, as its reviewer sees it: the expert by pseudonym, the steps
/// as segmented: `step` (1-based), `t_start` (µs, what step preferences name), `action`,
/// `reasoning` (texts) and `frame` (the before screen's frame, or null).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct ComparedRecording {
    pub recording: String,
    pub expert: String,
    /// success, failure, infeasible or unknown: what the expert said.
    pub outcome: String,
    pub duration_us: u64,
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<serde_json::Value>,
}

/// One row of the step alignment: a step of A and the step of B like it (1-based numbers), or
/// a step only one of them took.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct AlignedSteps {
    pub a: Option<u32>,
    pub b: Option<u32>,
    /// How alike the pair is, 0–1 (by action and before screen); 0 for a step left unpaired.
    pub similarity: f32,
}

/// What a comparison may judge beside overall.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct Criterion {
    pub id: String,
    pub text: String,
}

/// Two recordings of one task by different experts, leased to a reviewer to compare: theirs
/// until `expires_at`. Which is A and which is B is drawn at random; the experts are shown by
/// pseudonym, and no other reviewer's comparison.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct ComparisonLease {
    pub id: i64,
    pub campaign: String,
    pub task_id: String,
    pub instruction: String,
    /// leased, submitted, skipped or expired.
    pub state: String,
    /// RFC 3339.
    pub expires_at: String,
    pub a: ComparedRecording,
    pub b: ComparedRecording,
    /// The steps of both, aligned, in order.
    pub rows: Vec<AlignedSteps>,
    /// goal_completion, efficiency, safety and the campaign rubric's trajectory questions.
    pub criteria: Vec<Criterion>,
    /// The caller's judgement, once submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<apprentice_core::model::Comparison>,
}

/// What `apprentice-hub compare submit ID --file FILE` sends: which is better overall (`a`, `b`
/// or `tie`), per criterion, why, and optionally which of aligned steps is better (`{"a":
/// t_start, "b": t_start, "prefer": …, "comment": …}`, or the steps by number: `"a_step": N,
/// "b_step": M`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct ComparisonChoice {
    #[schema(value_type = String)]
    pub overall: apprentice_core::model::Preference,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub criteria: std::collections::BTreeMap<String, apprentice_core::model::Preference>,
    pub rationale: String,
    #[serde(default)]
    pub steps: Vec<StepChoice>,
}

/// One step preference of a [`ComparisonChoice`]: each side's step by start time or number.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct StepChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_step: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b_step: Option<u32>,
    #[schema(value_type = String)]
    pub prefer: apprentice_core::model::Preference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

// The QA dashboard.

/// One chart of the QA dashboard, as a table: the first column is the x axis (a day, a task, a
/// reviewer, an expert), `series` name the columns drawn; every column goes into its CSV.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct QaChart {
    /// progress, recorded, coverage, verdicts, agreement, throughput, gold, experts.
    pub id: String,
    pub title: String,
    /// bar or line.
    pub kind: String,
    /// What the drawn values are in (recordings, hours, %, alpha…).
    pub unit: String,
    pub columns: Vec<String>,
    pub series: Vec<String>,
    /// Values by column; null where there is none (an agreement not yet measurable).
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// A campaign's figures at a glance.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct QaTotals {
    pub recordings: i64,
    pub hours: f64,
    pub steps: i64,
    /// Share of steps with at least one thought (0–1).
    pub reasoning_coverage: Option<f64>,
    pub reviewed: i64,
    pub approved: i64,
    pub reviews: i64,
    pub comparisons: i64,
}

/// `GET /api/campaigns/{name}/qa`: the campaign's QA dashboard (admins).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, specta::Type)]
pub struct QaReport {
    pub campaign: String,
    pub totals: QaTotals,
    pub charts: Vec<QaChart>,
}

/// One review of a recording as an admin audits it: who (account and pseudonym), its state and
/// verdict, its log's length, the keys that signed it and whether the log verifies.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewAudit {
    pub id: i64,
    pub reviewer: String,
    pub pseudonym: String,
    /// review or adjudication.
    pub kind: String,
    /// leased, submitted, skipped or expired.
    pub state: String,
    pub verdict: Option<String>,
    pub entries: usize,
    pub undone: usize,
    /// Fingerprints of the keys that signed its entries (the hub processes that took them).
    pub signers: Vec<String>,
    /// What is wrong with its log as signed (an entry changed, dropped or reordered, a bad
    /// signature); empty when it verifies.
    pub problems: Vec<String>,
}
