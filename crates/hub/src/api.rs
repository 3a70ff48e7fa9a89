//! The HTTP API under `/api/` and `GET /health`: routes, the shared state, and errors as JSON
//! (`{"error": "…"}` with the status that says what went wrong). Every `/api/` handler takes a
//! [`Caller`], so no endpoint answers without a valid token, and checks the caller's role
//! itself. Not its job: the queries behind the handlers (accounts.rs) or serving (server.rs).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};

use crate::auth::{Caller, Role, VerifiedCache};
use crate::checkout::Checkouts;
use crate::review::{Change, Changed};
use crate::uploads::Uploads;
use crate::{accounts, agreement, campaigns, compare, qa, recordings, review, stations, uploads};
use apprentice_core::model::Rubric;
use apprentice_hub_api as wire;
use apprentice_hub_api::{ErrorBody, Health, Me, NewUser, Revoked, TokenIssued};

/// What every handler shares; all state lives in the database and the object store.
#[derive(Clone)]
pub struct AppState {
    pub db: deadpool_postgres::Pool,
    pub verified: Arc<VerifiedCache>,
    pub uploads: Uploads,
    pub checkouts: Checkouts,
    /// Signs every review entry made through this process.
    pub signer: Arc<apprentice_core::provenance::keys::StationKey>,
}

/// An error answered as `{"error": message}` with its status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, m)
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, m)
    }
    pub fn unavailable(m: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, m)
    }
    pub fn internal(m: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, m)
    }
    /// A database error: a lost connection is 503 (try again), anything else 500.
    pub fn db(e: tokio_postgres::Error) -> Self {
        if e.is_closed() {
            Self::unavailable(format!("database: {e}"))
        } else {
            Self::internal(format!("database: {e}"))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), message = %self.message, "request failed");
        }
        (self.status, Json(ErrorBody { error: self.message })).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A body that is not the JSON an endpoint takes, answered like every other error.
fn bad_json(rejection: JsonRejection) -> ApiError {
    ApiError::new(rejection.status(), format!("the request body is not what this endpoint takes: {}", rejection.body_text()))
}

/// The HTTP API's OpenAPI description (committed as docs/hub-openapi.json; a test keeps it current).
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Apprentice hub API", description = "Accounts, campaigns, stations and recordings of an Apprentice hub. Every /api/ endpoint needs `Authorization: Bearer <token>`."),
    paths(
        health, me, revoke_own_token, list_users, create_user, new_token, revoke_user, list_campaigns, create_campaign, assign, progress, my_tasks, join_station, list_stations, read_consent, decide_consent,
        edit_tasks, announce_upload, upload_status, upload_file, complete_upload, list_recordings, get_recording,
        queue_next, get_lease, lease_trajectory, lease_log, set_step_label, set_trajectory_review, edit_step, fix_transcript, undo_change, submit_review, skip_review, lease_frame,
        campaign_agreement, get_rubric, set_rubric, sign_in, sign_out, lease_audio, mark_gold, unmark_gold, gold_accuracy,
        comparison_next, get_comparison, submit_comparison, skip_comparison, comparison_frame, list_comparisons, qa_report, qa_chart_csv, recording_reviews
    ),
    components(schemas(
        ErrorBody, Health, Me, NewUser, Role, wire::Created, wire::UserSummary, TokenIssued, Revoked,
        wire::TaskSpec, wire::NewCampaign, wire::CampaignSummary, wire::Assignment, wire::Assigned, wire::AssignedTask, wire::TaskProgress,
        wire::Join, wire::Station, wire::Consent, wire::Decision,
        wire::TaskEdits, wire::TasksEdited, wire::UploadFile, wire::NewUpload, wire::UploadStatus, wire::RecordingSummary,
        wire::SignIn, wire::Lease, wire::StepLabels, wire::ReviewLabels, wire::Skip, wire::TranscriptFix, wire::AgreementReport, wire::DimensionAgreement, wire::ReviewerPair, wire::GoldAccuracy,
        wire::ComparisonLease, wire::ComparedRecording, wire::AlignedSteps, wire::Criterion, wire::ComparisonChoice, wire::StepChoice, ComparisonJson, wire::QaReport, wire::QaChart, wire::QaTotals, wire::ReviewAudit,
        TrajectoryJson, RubricJson, StepLabelJson, TrajectoryReviewJson, StepEditJson, AuditEntryJson
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("aph_<id>_<secret>").build()));
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/me", get(me))
        .route("/api/me/token", delete(revoke_own_token))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{name}/tokens", post(new_token))
        .route("/api/users/{name}/revoke", post(revoke_user))
        .route("/api/campaigns", get(list_campaigns).post(create_campaign))
        .route("/api/campaigns/{name}/assign", post(assign))
        .route("/api/campaigns/{name}/tasks", put(edit_tasks))
        .route("/api/campaigns/{name}/progress", get(progress))
        .route("/api/campaigns/{name}/rubric", get(get_rubric).put(set_rubric))
        .route("/api/tasks", get(my_tasks))
        .route("/api/stations", get(list_stations).post(join_station))
        .route("/api/campaigns/{name}/consent", get(read_consent).post(decide_consent))
        .route("/api/uploads", post(announce_upload))
        .route("/api/uploads/{id}", get(upload_status))
        .route("/api/uploads/{id}/files/{sha256}", put(upload_file))
        .route("/api/uploads/{id}/complete", post(complete_upload))
        .route("/api/recordings", get(list_recordings))
        .route("/api/recordings/{id}", get(get_recording))
        .route("/api/campaigns/{name}/queue/next", post(queue_next))
        .route("/api/campaigns/{name}/agreement", get(campaign_agreement))
        .route("/api/leases/{id}", get(get_lease))
        .route("/api/leases/{id}/trajectory", get(lease_trajectory))
        .route("/api/leases/{id}/log", get(lease_log))
        .route("/api/leases/{id}/steps/{t_start}/label", put(set_step_label))
        .route("/api/leases/{id}/review", put(set_trajectory_review))
        .route("/api/leases/{id}/edits", post(edit_step))
        .route("/api/leases/{id}/transcripts/{t0}", put(fix_transcript))
        .route("/api/leases/{id}/undo", post(undo_change))
        .route("/api/leases/{id}/submit", post(submit_review))
        .route("/api/leases/{id}/skip", post(skip_review))
        .route("/api/leases/{id}/frames/{seq}", get(lease_frame))
        .route("/api/session", post(sign_in).delete(sign_out))
        .route("/api/recordings/{id}/gold", put(mark_gold).delete(unmark_gold))
        .route("/api/campaigns/{name}/gold", get(gold_accuracy))
        .route("/api/leases/{id}/audio", get(lease_audio))
        .route("/api/campaigns/{name}/comparisons/next", post(comparison_next))
        .route("/api/campaigns/{name}/comparisons", get(list_comparisons))
        .route("/api/recordings/{id}/reviews", get(recording_reviews))
        .route("/api/campaigns/{name}/qa", get(qa_report))
        .route("/api/campaigns/{name}/qa/{chart}", get(qa_chart_csv))
        .route("/api/comparisons/{id}", get(get_comparison))
        .route("/api/comparisons/{id}/submit", post(submit_comparison))
        .route("/api/comparisons/{id}/skip", post(skip_comparison))
        .route("/api/comparisons/{id}/{side}/frames/{seq}", get(comparison_frame))
        .merge(crate::admin::routes())
        .merge(crate::review_page::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint (see docs/hub-openapi.json)") })
        .with_state(state)
}

/// The database client for a request, or 503.
async fn db(state: &AppState) -> ApiResult<deadpool_postgres::Client> {
    state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))
}

/// Creates a campaign with its tasks and consent text, all or nothing (admins only).
#[utoipa::path(post, path = "/api/campaigns", security(("bearer" = [])), request_body = wire::NewCampaign, responses((status = 201, body = wire::CampaignSummary), (status = 400, description = "a task or setting is not valid", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 409, description = "the name is taken", body = ErrorBody)))]
async fn create_campaign(State(state): State<AppState>, caller: Caller, body: Result<Json<wire::NewCampaign>, JsonRejection>) -> ApiResult<(StatusCode, Json<wire::CampaignSummary>)> {
    caller.require(&[Role::Admin], "creating a campaign")?;
    let Json(body) = body.map_err(bad_json)?;
    let created = campaigns::create(&mut db(&state).await?, &caller, body).await?;
    tracing::info!(by = %caller.name, name = %created.name, tasks = created.tasks, "campaign created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// The campaigns the caller may see: all for admins and reviewers, an expert's assigned ones.
#[utoipa::path(get, path = "/api/campaigns", security(("bearer" = [])), responses((status = 200, body = Vec<wire::CampaignSummary>), (status = 401, description = "no valid token", body = ErrorBody)))]
async fn list_campaigns(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<wire::CampaignSummary>>> {
    Ok(Json(campaigns::list(&db(&state).await?, &caller).await?))
}

/// Assigns tasks of a campaign to an expert (admins only); no tasks named: all of them.
#[utoipa::path(post, path = "/api/campaigns/{name}/assign", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), request_body = wire::Assignment, responses((status = 200, body = wire::Assigned), (status = 400, description = "a task or setting is not valid", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign, user or task", body = ErrorBody)))]
async fn assign(State(state): State<AppState>, caller: Caller, Path(name): Path<String>, body: Result<Json<wire::Assignment>, JsonRejection>) -> ApiResult<Json<wire::Assigned>> {
    caller.require(&[Role::Admin], "assigning tasks")?;
    let Json(body) = body.map_err(bad_json)?;
    Ok(Json(campaigns::assign(&mut db(&state).await?, &name, body).await?))
}

/// Re-imports a campaign's task catalog (admins only): new tasks added, changed ones versioned,
/// all or nothing.
#[utoipa::path(put, path = "/api/campaigns/{name}/tasks", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), request_body = wire::TaskEdits, responses((status = 200, body = wire::TasksEdited), (status = 400, description = "a task is not valid", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn edit_tasks(State(state): State<AppState>, caller: Caller, Path(name): Path<String>, body: Result<Json<wire::TaskEdits>, JsonRejection>) -> ApiResult<Json<wire::TasksEdited>> {
    caller.require(&[Role::Admin], "editing a campaign's tasks")?;
    let Json(body) = body.map_err(bad_json)?;
    let edited = campaigns::edit_tasks(&mut db(&state).await?, &caller, &name, body).await?;
    tracing::info!(by = %caller.name, campaign = %name, added = edited.added, changed = edited.changed, "tasks edited");
    Ok(Json(edited))
}

/// The campaign's own review questions (admins and reviewers).
#[utoipa::path(get, path = "/api/campaigns/{name}/rubric", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = RubricJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is neither an admin nor a reviewer", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn get_rubric(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<Rubric>> {
    caller.require(&[Role::Admin, Role::Reviewer], "reading a campaign's rubric")?;
    Ok(Json(campaigns::rubric(&db(&state).await?, &name).await?))
}

/// Replaces the campaign's own review questions (admins only); answers already given stay.
#[utoipa::path(put, path = "/api/campaigns/{name}/rubric", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), request_body = RubricJson, responses((status = 200, body = RubricJson), (status = 400, description = "the rubric is not valid, or not JSON", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn set_rubric(State(state): State<AppState>, caller: Caller, Path(name): Path<String>, body: Result<Json<Rubric>, JsonRejection>) -> ApiResult<Json<Rubric>> {
    caller.require(&[Role::Admin], "changing a campaign's rubric")?;
    let Json(rubric) = body.map_err(bad_json)?;
    let saved = campaigns::set_rubric(&db(&state).await?, &name, &rubric).await?;
    tracing::info!(by = %caller.name, campaign = %name, questions = saved.questions.len(), "rubric set");
    Ok(Json(saved))
}

/// Each task's target and assignments (admins only).
#[utoipa::path(get, path = "/api/campaigns/{name}/progress", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = Vec<wire::TaskProgress>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign, user or task", body = ErrorBody)))]
async fn progress(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<Vec<wire::TaskProgress>>> {
    caller.require(&[Role::Admin], "reading a campaign's progress")?;
    Ok(Json(campaigns::progress(&db(&state).await?, &name).await?))
}

/// The caller's own assigned tasks (experts).
#[utoipa::path(get, path = "/api/tasks", security(("bearer" = [])), responses((status = 200, body = Vec<wire::AssignedTask>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an expert", body = ErrorBody)))]
async fn my_tasks(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<wire::AssignedTask>>> {
    caller.require(&[Role::Expert], "listing one's tasks")?;
    Ok(Json(campaigns::assigned_to(&db(&state).await?, caller.user_id).await?))
}

/// Registers the caller's station (experts): its key, with a signature proving the station holds
/// it. Joining again with the same key updates its name and version.
#[utoipa::path(post, path = "/api/stations", security(("bearer" = [])), request_body = wire::Join, responses((status = 201, description = "joined", body = wire::Station), (status = 200, description = "joined before", body = wire::Station), (status = 400, description = "a field is not valid, or a signature does not hold", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an expert", body = ErrorBody), (status = 409, description = "the key is another account's", body = ErrorBody)))]
async fn join_station(State(state): State<AppState>, caller: Caller, body: Result<Json<wire::Join>, JsonRejection>) -> ApiResult<(StatusCode, Json<wire::Station>)> {
    caller.require(&[Role::Expert], "joining a station")?;
    let Json(body) = body.map_err(bad_json)?;
    let (new, station) = stations::join(&db(&state).await?, &caller, body).await?;
    if new {
        tracing::info!(user = %caller.name, station = %station.name, fingerprint = %station.fingerprint, "station joined");
    }
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(station)))
}

/// Stations: every one for admins, one's own for experts.
#[utoipa::path(get, path = "/api/stations", security(("bearer" = [])), responses((status = 200, body = Vec<wire::Station>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "reviewers have no stations", body = ErrorBody)))]
async fn list_stations(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<wire::Station>>> {
    caller.require(&[Role::Admin, Role::Expert], "listing stations")?;
    let user = (caller.role == Role::Expert).then_some(caller.user_id);
    Ok(Json(stations::list(&db(&state).await?, user).await?))
}

/// A campaign's consent text and the caller's decision on it (experts assigned to it).
#[utoipa::path(get, path = "/api/campaigns/{name}/consent", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = wire::Consent), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "not an expert of this campaign", body = ErrorBody), (status = 404, description = "no such campaign, or it asks for no consent", body = ErrorBody)))]
async fn read_consent(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<wire::Consent>> {
    caller.require(&[Role::Expert], "reading a consent text")?;
    Ok(Json(stations::consent(&db(&state).await?, &caller, &name).await?))
}

/// Accepts or withdraws a campaign's consent, signed by one of the caller's stations over the
/// current text's version and sha256.
#[utoipa::path(post, path = "/api/campaigns/{name}/consent", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), request_body = wire::Decision, responses((status = 201, body = wire::Consent), (status = 400, description = "a field is not valid, or a signature does not hold", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "not an expert of this campaign, or not their station", body = ErrorBody), (status = 404, description = "no such campaign, or it asks for no consent", body = ErrorBody), (status = 409, description = "the consent text changed", body = ErrorBody)))]
async fn decide_consent(State(state): State<AppState>, caller: Caller, Path(name): Path<String>, body: Result<Json<wire::Decision>, JsonRejection>) -> ApiResult<(StatusCode, Json<wire::Consent>)> {
    caller.require(&[Role::Expert], "deciding on consent")?;
    let Json(body) = body.map_err(bad_json)?;
    let consent = stations::decide(&db(&state).await?, &caller, &name, body).await?;
    tracing::info!(user = %caller.name, campaign = %name, decision = ?consent.decision, "consent decided");
    Ok((StatusCode::CREATED, Json(consent)))
}

fn upload_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::not_found(format!("no upload {id}")))
}

/// Announces a recording the caller's station will send (experts): which task of which campaign,
/// and its files by sha256. Answers which files the hub still needs. Announcing the same
/// recording and content again continues that upload.
#[utoipa::path(post, path = "/api/uploads", security(("bearer" = [])), request_body = wire::NewUpload, responses((status = 201, description = "a new upload", body = wire::UploadStatus), (status = 200, description = "the upload announced before", body = wire::UploadStatus), (status = 400, description = "a field is not valid", body = ErrorBody), (status = 413, description = "a file is larger than this hub takes", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "not an expert, a station that has not joined, a task not assigned, or consent not given", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody), (status = 409, description = "the recording came from another station", body = ErrorBody)))]
async fn announce_upload(State(state): State<AppState>, caller: Caller, body: Result<Json<wire::NewUpload>, JsonRejection>) -> ApiResult<(StatusCode, Json<wire::UploadStatus>)> {
    caller.require(&[Role::Expert], "uploading a recording")?;
    let Json(body) = body.map_err(bad_json)?;
    let (new, status) = uploads::announce(&db(&state).await?, &state.uploads, &caller, body).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(status)))
}

/// Where an upload stands: its state, the files still missing, why it was refused.
#[utoipa::path(get, path = "/api/uploads/{id}", security(("bearer" = [])), params(("id" = String, Path, description = "the upload")), responses((status = 200, body = wire::UploadStatus), (status = 401, description = "no valid token", body = ErrorBody), (status = 404, description = "no such upload of the caller's", body = ErrorBody)))]
async fn upload_status(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<wire::UploadStatus>> {
    Ok(Json(uploads::status(&db(&state).await?, &caller, upload_id(&id)?).await?))
}

/// Sends one file of an upload (the raw bytes; exactly the announced size and sha256).
#[utoipa::path(put, path = "/api/uploads/{id}/files/{sha256}", security(("bearer" = [])), params(("id" = String, Path, description = "the upload"), ("sha256" = String, Path, description = "the file's sha256")), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, body = wire::UploadStatus), (status = 400, description = "the body was cut off", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "not an expert", body = ErrorBody), (status = 404, description = "no such upload, or not a file of it", body = ErrorBody), (status = 409, description = "the upload is complete or refused", body = ErrorBody), (status = 413, description = "longer than announced", body = ErrorBody), (status = 422, description = "the content does not match its sha256", body = ErrorBody)))]
async fn upload_file(State(state): State<AppState>, caller: Caller, Path((id, sha256)): Path<(String, String)>, body: axum::body::Body) -> ApiResult<Json<wire::UploadStatus>> {
    caller.require(&[Role::Expert], "uploading a recording")?;
    Ok(Json(uploads::receive(&db(&state).await?, &state.uploads, &caller, upload_id(&id)?, &sha256, body).await?))
}

/// Completes an upload once every file is in: the hub verifies seal, chain and station key,
/// and the task and consent, then keeps and indexes the recording; otherwise refuses it and
/// keeps none of it.
#[utoipa::path(post, path = "/api/uploads/{id}/complete", security(("bearer" = [])), params(("id" = String, Path, description = "the upload")), responses((status = 200, body = wire::UploadStatus), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "not an expert, or the task or consent no longer hold", body = ErrorBody), (status = 404, description = "no such upload of the caller's", body = ErrorBody), (status = 409, description = "files are still missing", body = ErrorBody), (status = 422, description = "refused: the recording does not verify", body = ErrorBody)))]
async fn complete_upload(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<wire::UploadStatus>> {
    caller.require(&[Role::Expert], "uploading a recording")?;
    Ok(Json(uploads::complete(&mut db(&state).await?, &state.uploads, &caller, upload_id(&id)?).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct RecordingsQuery {
    /// Only this campaign's.
    campaign: Option<String>,
}

/// Recordings the caller may see: all for admins (reviewers see experts' pseudonyms), an
/// expert's own.
#[utoipa::path(get, path = "/api/recordings", security(("bearer" = [])), params(RecordingsQuery), responses((status = 200, body = Vec<wire::RecordingSummary>), (status = 400, description = "a bad query", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn list_recordings(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<RecordingsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<wire::RecordingSummary>>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(recordings::list(&db(&state).await?, &caller, q.campaign.as_deref()).await?))
}

/// One recording, if the caller may see it.
#[utoipa::path(get, path = "/api/recordings/{id}", security(("bearer" = [])), params(("id" = String, Path, description = "the recording")), responses((status = 200, body = wire::RecordingSummary), (status = 401, description = "no valid token", body = ErrorBody), (status = 404, description = "no such recording the caller may see", body = ErrorBody)))]
async fn get_recording(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<wire::RecordingSummary>> {
    Ok(Json(recordings::get(&db(&state).await?, &caller, &id).await?))
}

// Review: a reviewer's queue and leases. Bodies and answers that are the core's review types
// are described by these (documentation only).

/// The core's `Rubric`: `{"questions": [{"id", "text", "scope": "step" | "trajectory", "kind":
/// "yes_no" | "choice" | "scale" | "text", "options": [...]}]}`.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct RubricJson(serde_json::Value);
/// The core's `TrajectoryView`: the recording and its steps as this review has them.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct TrajectoryJson(serde_json::Value);
/// The core's `StepLabel`: correctness, mistake, recovery, unsafe, env_response, comment, reasoning.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct StepLabelJson(serde_json::Value);
/// The core's `TrajectoryReview`: scores (1–5), verdict, comment.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct TrajectoryReviewJson(serde_json::Value);
/// The core's `StepEdit`: `{"op": "delete"|"merge"|"split"|"fix_action", "step": t_start, …}`.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct StepEditJson(serde_json::Value);
/// The core's `AuditEntry`: one change, who made it, when, whether undone.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct AuditEntryJson(serde_json::Value);

fn lease_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::not_found(format!("no lease {id}")))
}

const REVIEWING: &str = "reviewing";
/// Reviewers work the review queue; admins adjudicate (their queue holds the recordings whose
/// reviewers disagreed). Either reaches only their own leases.
const REVIEWERS: &[Role] = &[Role::Reviewer, Role::Admin];

/// Leases the caller the next recording of the campaign that wants a reviewer (reviewers
/// only); the lease they hold already, if any. 204 when nothing is left for them.
#[utoipa::path(post, path = "/api/campaigns/{name}/queue/next", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = wire::Lease), (status = 204, description = "nothing left to review for the caller"), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn queue_next(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    caller.require(REVIEWERS, REVIEWING)?;
    Ok(match review::next(&mut db(&state).await?, &state.checkouts, &caller, &name).await? {
        Some(lease) => Json(lease).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// One of the caller's leases, with its steps as they have them.
#[utoipa::path(get, path = "/api/leases/{id}", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), responses((status = 200, body = wire::Lease), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody)))]
async fn get_lease(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<wire::Lease>> {
    caller.require(REVIEWERS, REVIEWING)?;
    Ok(Json(review::lease(&db(&state).await?, &state.checkouts, &caller, lease_id(&id)?).await?))
}

/// The leased recording as the caller's review has it (the review view's data).
#[utoipa::path(get, path = "/api/leases/{id}/trajectory", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), responses((status = 200, body = TrajectoryJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody)))]
async fn lease_trajectory(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<apprentice_core::review::TrajectoryView>> {
    caller.require(REVIEWERS, REVIEWING)?;
    Ok(Json(review::view(&db(&state).await?, &state.checkouts, &caller, lease_id(&id)?).await?))
}

/// The caller's audit log of their lease, oldest first.
#[utoipa::path(get, path = "/api/leases/{id}/log", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), responses((status = 200, body = Vec<AuditEntryJson>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody)))]
async fn lease_log(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Vec<apprentice_core::model::AuditEntry>>> {
    caller.require(REVIEWERS, REVIEWING)?;
    let client = db(&state).await?;
    let r = review::mine(&client, &caller, lease_id(&id)?, false).await?;
    Ok(Json(review::log(&client, r.id, &caller.pseudonym).await?))
}

async fn apply(state: &AppState, caller: &Caller, id: &str, change: Change) -> ApiResult<Changed> {
    caller.require(REVIEWERS, REVIEWING)?;
    review::change(&mut db(state).await?, &state.checkouts, &state.signer, caller, lease_id(id)?, vec![change]).await
}

fn view_of(changed: Changed) -> ApiResult<Json<apprentice_core::review::TrajectoryView>> {
    match changed {
        Changed::View(v) => Ok(Json(*v)),
        _ => Err(ApiError::internal("a step change answered without the trajectory")),
    }
}

/// Labels a step of the caller's live lease (an empty label removes it); `t_start` names the step.
#[utoipa::path(put, path = "/api/leases/{id}/steps/{t_start}/label", security(("bearer" = [])), params(("id" = String, Path, description = "the lease"), ("t_start" = u64, Path, description = "the step's start (µs)")), request_body = StepLabelJson, responses((status = 200, body = StepLabelJson), (status = 400, description = "not a step start", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "not a label, or no such step", body = ErrorBody)))]
async fn set_step_label(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, t_start)): Path<(String, String)>,
    body: Result<Json<apprentice_core::model::StepLabel>, JsonRejection>,
) -> ApiResult<Json<Option<apprentice_core::model::StepLabel>>> {
    let step: u64 = t_start.parse().map_err(|_| ApiError::bad_request(format!("{t_start} is not a step start (µs)")))?;
    let Json(label) = body.map_err(bad_json)?;
    match apply(&state, &caller, &id, Change::Label { step, label }).await? {
        Changed::Label(l) => Ok(Json(l)),
        _ => Err(ApiError::internal("a label change answered without the label")),
    }
}

/// Scores, verdict and comment of the caller's live lease.
#[utoipa::path(put, path = "/api/leases/{id}/review", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), request_body = TrajectoryReviewJson, responses((status = 200, body = TrajectoryReviewJson), (status = 400, description = "not JSON", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "not a review, or a score out of 1–5", body = ErrorBody)))]
async fn set_trajectory_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<apprentice_core::model::TrajectoryReview>, JsonRejection>,
) -> ApiResult<Json<apprentice_core::model::TrajectoryReview>> {
    let Json(review) = body.map_err(bad_json)?;
    match apply(&state, &caller, &id, Change::Trajectory(review)).await? {
        Changed::Trajectory(t) => Ok(Json(t)),
        _ => Err(ApiError::internal("a review change answered without the review")),
    }
}

/// Deletes, merges, splits a step or fixes its action, in the caller's live lease.
#[utoipa::path(post, path = "/api/leases/{id}/edits", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), request_body = StepEditJson, responses((status = 200, body = TrajectoryJson), (status = 400, description = "not JSON", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "not an edit, or it does not apply", body = ErrorBody)))]
async fn edit_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<apprentice_core::model::StepEdit>, JsonRejection>,
) -> ApiResult<Json<apprentice_core::review::TrajectoryView>> {
    let Json(edit) = body.map_err(bad_json)?;
    view_of(apply(&state, &caller, &id, Change::Edit(edit)).await?)
}

/// Corrects the transcript of the utterance starting at `t0` (null restores the model's).
#[utoipa::path(put, path = "/api/leases/{id}/transcripts/{t0}", security(("bearer" = [])), params(("id" = String, Path, description = "the lease"), ("t0" = u64, Path, description = "the utterance's start (µs)")), request_body = wire::TranscriptFix, responses((status = 200, body = TrajectoryJson), (status = 400, description = "not an utterance start", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "no such utterance", body = ErrorBody)))]
async fn fix_transcript(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, t0)): Path<(String, String)>,
    body: Result<Json<wire::TranscriptFix>, JsonRejection>,
) -> ApiResult<Json<apprentice_core::review::TrajectoryView>> {
    let t0: u64 = t0.parse().map_err(|_| ApiError::bad_request(format!("{t0} is not an utterance start (µs)")))?;
    let Json(fix) = body.map_err(bad_json)?;
    view_of(apply(&state, &caller, &id, Change::Transcript { t0, text: fix.text }).await?)
}

/// Undoes the caller's latest change still in force (it stays in the log, marked undone).
#[utoipa::path(post, path = "/api/leases/{id}/undo", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), responses((status = 200, body = TrajectoryJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody)))]
async fn undo_change(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<apprentice_core::review::TrajectoryView>> {
    view_of(apply(&state, &caller, &id, Change::Undo).await?)
}

/// Submits the caller's review (applying a labels file first, when given), ending the lease. A
/// review needs a verdict.
#[utoipa::path(post, path = "/api/leases/{id}/submit", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), request_body = wire::ReviewLabels, responses((status = 200, body = wire::Lease), (status = 400, description = "not JSON", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "no verdict, a score out of range, or no such step", body = ErrorBody)))]
async fn submit_review(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, body: Result<Json<wire::ReviewLabels>, JsonRejection>) -> ApiResult<Json<wire::Lease>> {
    caller.require(REVIEWERS, REVIEWING)?;
    let Json(labels) = body.map_err(bad_json)?;
    Ok(Json(review::submit(&mut db(&state).await?, &state.checkouts, &state.signer, &caller, lease_id(&id)?, Some(labels)).await?))
}

/// Gives the lease back unreviewed, with a reason.
#[utoipa::path(post, path = "/api/leases/{id}/skip", security(("bearer" = [])), params(("id" = String, Path, description = "the lease")), request_body = wire::Skip, responses((status = 200, body = wire::Lease), (status = 400, description = "no reason given", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody)))]
async fn skip_review(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, body: Result<Json<wire::Skip>, JsonRejection>) -> ApiResult<Json<wire::Lease>> {
    caller.require(REVIEWERS, REVIEWING)?;
    let Json(skip) = body.map_err(bad_json)?;
    Ok(Json(review::skip(&mut db(&state).await?, &state.checkouts, &caller, lease_id(&id)?, &skip.reason).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct FrameQuery {
    /// A filmstrip thumbnail instead of the full frame.
    #[serde(default)]
    thumb: bool,
}

/// A frame of the leased recording as PNG (immutable: cached by the browser).
#[utoipa::path(get, path = "/api/leases/{id}/frames/{seq}", security(("bearer" = [])), params(("id" = String, Path, description = "the lease"), ("seq" = u64, Path, description = "the frame"), FrameQuery), responses((status = 200, description = "the frame", content_type = "image/png", body = Vec<u8>), (status = 400, description = "not a frame number", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's, or no such frame", body = ErrorBody)))]
async fn lease_frame(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, seq)): Path<(String, String)>,
    query: Result<Query<FrameQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    caller.require(REVIEWERS, REVIEWING)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let seq: u64 = seq.parse().map_err(|_| ApiError::bad_request(format!("{seq} is not a frame number")))?;
    let client = db(&state).await?;
    let r = review::mine(&client, &caller, lease_id(&id)?, false).await?;
    frame_response(&state, &client, &r.recording_id, seq, q.thumb).await
}

/// A recording's frame as an immutable PNG answer.
async fn frame_response(state: &AppState, client: &deadpool_postgres::Client, recording: &str, seq: u64, thumb: bool) -> ApiResult<Response> {
    let png = state.checkouts.frame(client, recording, seq, thumb).await?;
    let headers = [(axum::http::header::CONTENT_TYPE, "image/png"), (axum::http::header::CACHE_CONTROL, "private, max-age=31536000, immutable")];
    Ok((headers, png.as_ref().clone()).into_response())
}

/// Agreement between the campaign's reviewers, per label dimension (admins only).
#[utoipa::path(get, path = "/api/campaigns/{name}/agreement", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = wire::AgreementReport), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn campaign_agreement(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<wire::AgreementReport>> {
    caller.require(&[Role::Admin], "reading a campaign's agreement")?;
    Ok(Json(agreement::report(&db(&state).await?, &name).await?))
}

/// The core's `Comparison`: `id`, `task_id`, `a`, `b`, `overall` and `criteria` (a | b | tie),
/// `rationale`, `steps` (`{a, b, prefer, comment}` by step start), `reviewer` (pseudonym), `at`.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct ComparisonJson(serde_json::Value);

fn comparison_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::not_found(format!("no comparison {id}")))
}

const COMPARING: &str = "comparing recordings";

/// Leases the caller the next pair of recordings of one task by two experts to compare side by
/// side (steps aligned; which is A is drawn at random); the pair they hold already, if any. 204
/// when nothing is left for them.
#[utoipa::path(post, path = "/api/campaigns/{name}/comparisons/next", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = wire::ComparisonLease), (status = 204, description = "nothing left to compare for the caller"), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn comparison_next(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    caller.require(REVIEWERS, COMPARING)?;
    Ok(match compare::next(&mut db(&state).await?, &state.checkouts, &caller, &name).await? {
        Some(lease) => Json(lease).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// One of the caller's comparisons, with both recordings' steps and their alignment.
#[utoipa::path(get, path = "/api/comparisons/{id}", security(("bearer" = [])), params(("id" = String, Path, description = "the comparison")), responses((status = 200, body = wire::ComparisonLease), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such comparison of the caller's", body = ErrorBody)))]
async fn get_comparison(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<wire::ComparisonLease>> {
    caller.require(REVIEWERS, COMPARING)?;
    Ok(Json(compare::lease(&db(&state).await?, &state.checkouts, &caller, comparison_id(&id)?).await?))
}

/// Submits the caller's judgement of the pair (overall, per criterion, rationale, step
/// preferences), ending the lease.
#[utoipa::path(post, path = "/api/comparisons/{id}/submit", security(("bearer" = [])), params(("id" = String, Path, description = "the comparison")), request_body = wire::ComparisonChoice, responses((status = 200, body = wire::ComparisonLease), (status = 400, description = "not JSON", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such comparison of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "no rationale, an unknown criterion, or no such step", body = ErrorBody)))]
async fn submit_comparison(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, body: Result<Json<wire::ComparisonChoice>, JsonRejection>) -> ApiResult<Json<wire::ComparisonLease>> {
    caller.require(REVIEWERS, COMPARING)?;
    let Json(choice) = body.map_err(bad_json)?;
    Ok(Json(compare::submit(&mut db(&state).await?, &state.checkouts, &caller, comparison_id(&id)?, choice).await?))
}

/// Gives the pair back uncompared, with a reason.
#[utoipa::path(post, path = "/api/comparisons/{id}/skip", security(("bearer" = [])), params(("id" = String, Path, description = "the comparison")), request_body = wire::Skip, responses((status = 200, body = wire::ComparisonLease), (status = 400, description = "no reason given", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such comparison of the caller's", body = ErrorBody), (status = 409, description = "the lease expired or ended", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody)))]
async fn skip_comparison(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, body: Result<Json<wire::Skip>, JsonRejection>) -> ApiResult<Json<wire::ComparisonLease>> {
    caller.require(REVIEWERS, COMPARING)?;
    let Json(skip) = body.map_err(bad_json)?;
    Ok(Json(compare::skip(&mut db(&state).await?, &state.checkouts, &caller, comparison_id(&id)?, &skip.reason).await?))
}

/// A frame of recording A or B of the caller's comparison as PNG (immutable: cached by the
/// browser).
#[utoipa::path(get, path = "/api/comparisons/{id}/{side}/frames/{seq}", security(("bearer" = [])), params(("id" = String, Path, description = "the comparison"), ("side" = String, Path, description = "a or b"), ("seq" = u64, Path, description = "the frame"), FrameQuery), responses((status = 200, description = "the frame", content_type = "image/png", body = Vec<u8>), (status = 400, description = "not a frame number", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such comparison of the caller's, no such side, or no such frame", body = ErrorBody)))]
async fn comparison_frame(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, side, seq)): Path<(String, String, String)>,
    query: Result<Query<FrameQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    caller.require(REVIEWERS, COMPARING)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let seq: u64 = seq.parse().map_err(|_| ApiError::bad_request(format!("{seq} is not a frame number")))?;
    let client = db(&state).await?;
    let recording = compare::recording_of(&client, &caller, comparison_id(&id)?, &side).await?;
    frame_response(&state, &client, &recording, seq, q.thumb).await
}

/// The campaign's submitted comparisons, oldest first (admins only).
#[utoipa::path(get, path = "/api/campaigns/{name}/comparisons", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = Vec<ComparisonJson>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn list_comparisons(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<Vec<apprentice_core::model::Comparison>>> {
    caller.require(&[Role::Admin], "reading a campaign's comparisons")?;
    Ok(Json(compare::submitted(&db(&state).await?, &name).await?))
}

/// Every review of a recording, with who made it and whether its signed log verifies (admins only).
#[utoipa::path(get, path = "/api/recordings/{id}/reviews", security(("bearer" = [])), params(("id" = String, Path, description = "the recording")), responses((status = 200, body = Vec<wire::ReviewAudit>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such recording", body = ErrorBody)))]
async fn recording_reviews(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Vec<wire::ReviewAudit>>> {
    caller.require(&[Role::Admin], "auditing a recording's reviews")?;
    Ok(Json(review::audit(&db(&state).await?, &id).await?))
}

/// The campaign's QA dashboard: totals and every chart as a table (admins only).
#[utoipa::path(get, path = "/api/campaigns/{name}/qa", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = wire::QaReport), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn qa_report(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<wire::QaReport>> {
    caller.require(&[Role::Admin], "reading a campaign's QA dashboard")?;
    Ok(Json(qa::report(&db(&state).await?, &name).await?))
}

/// One chart of the QA dashboard as CSV (`progress`, `recorded`, `coverage`, `verdicts`,
/// `agreement`, `throughput`, `pace`, `gold`, `experts`; `.csv` may follow), as a download.
#[utoipa::path(get, path = "/api/campaigns/{name}/qa/{chart}", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign"), ("chart" = String, Path, description = "the chart's id")), responses((status = 200, description = "the chart's table", content_type = "text/csv", body = String), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign or chart", body = ErrorBody)))]
async fn qa_chart_csv(State(state): State<AppState>, caller: Caller, Path((name, chart)): Path<(String, String)>) -> ApiResult<Response> {
    caller.require(&[Role::Admin], "reading a campaign's QA dashboard")?;
    let id = chart.strip_suffix(".csv").unwrap_or(&chart);
    let report = qa::report(&db(&state).await?, &name).await?;
    let Some(c) = report.charts.iter().find(|c| c.id == id) else {
        let known: Vec<&str> = report.charts.iter().map(|c| c.id.as_str()).collect();
        return Err(ApiError::not_found(format!("no chart {id:?}; the dashboard has {}", known.join(", "))));
    };
    let file: String = format!("{name}-{id}.csv").chars().map(|ch| if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') { ch } else { '_' }).collect();
    let headers = [
        (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
        (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
    ];
    Ok((headers, qa::csv(c)).into_response())
}

/// Signs a browser in: checks the token and answers with it in an HttpOnly, SameSite=Strict
/// session cookie, which later requests are authenticated by (changes also need the
/// `x-apprentice-request` header).
#[utoipa::path(post, path = "/api/session", request_body = wire::SignIn, responses((status = 200, body = Me, description = "signed in; the cookie is set"), (status = 400, description = "not JSON", body = ErrorBody), (status = 401, description = "not a valid token", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong", body = ErrorBody)))]
async fn sign_in(State(state): State<AppState>, headers: axum::http::HeaderMap, body: Result<Json<wire::SignIn>, JsonRejection>) -> ApiResult<Response> {
    let Json(body) = body.map_err(bad_json)?;
    let caller = crate::auth::authenticate(&state, body.token.trim()).await?;
    let secure = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let cookie = format!("{}={}; HttpOnly; SameSite=Strict; Path=/{}", crate::auth::SESSION_COOKIE, body.token.trim(), if secure { "; Secure" } else { "" });
    tracing::info!(user = %caller.name, "signed in (browser)");
    Ok(([(axum::http::header::SET_COOKIE, cookie)], Json(Me { name: caller.name, role: caller.role, pseudonym: caller.pseudonym })).into_response())
}

/// Signs a browser out: the session cookie is cleared (the token stays valid until revoked).
#[utoipa::path(delete, path = "/api/session", responses((status = 204, description = "signed out")))]
async fn sign_out() -> Response {
    let cookie = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", crate::auth::SESSION_COOKIE);
    (StatusCode::NO_CONTENT, [(axum::http::header::SET_COOKIE, cookie)]).into_response()
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct AudioQuery {
    /// Start of the span (µs).
    t0: u64,
    /// End of the span (µs); at most ten minutes after t0.
    t1: u64,
}

/// A span of the leased recording's audio as WAV (what the reviewer plays back).
#[utoipa::path(get, path = "/api/leases/{id}/audio", security(("bearer" = [])), params(("id" = String, Path, description = "the lease"), AudioQuery), responses((status = 200, description = "the audio", content_type = "audio/wav", body = Vec<u8>), (status = 400, description = "not a span of at most ten minutes", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not a reviewer", body = ErrorBody), (status = 404, description = "no such lease of the caller's", body = ErrorBody)))]
async fn lease_audio(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, query: Result<Query<AudioQuery>, axum::extract::rejection::QueryRejection>) -> ApiResult<Response> {
    caller.require(REVIEWERS, REVIEWING)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if q.t1 <= q.t0 || q.t1 - q.t0 > 600_000_000 {
        return Err(ApiError::bad_request("a span of audio ends after it starts, at most ten minutes later"));
    }
    let client = db(&state).await?;
    let r = review::mine(&client, &caller, lease_id(&id)?, false).await?;
    let wav = state.checkouts.audio(&client, &r.recording_id, q.t0, q.t1).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "audio/wav"), (axum::http::header::CACHE_CONTROL, "private, max-age=31536000, immutable")], wav).into_response())
}

/// Marks a recording gold with reference labels (admins only; again: a new reference). The
/// queue then offers it to every reviewer, unannounced.
#[utoipa::path(put, path = "/api/recordings/{id}/gold", security(("bearer" = [])), params(("id" = String, Path, description = "the recording")), request_body = wire::ReviewLabels, responses((status = 204, description = "marked"), (status = 400, description = "not JSON", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such recording", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "no labels, a score out of range, or no such step", body = ErrorBody)))]
async fn mark_gold(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, body: Result<Json<wire::ReviewLabels>, JsonRejection>) -> ApiResult<StatusCode> {
    caller.require(&[Role::Admin], "marking gold")?;
    let Json(labels) = body.map_err(bad_json)?;
    crate::gold::mark(&db(&state).await?, &state.checkouts, &caller, &id, &labels).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a recording's gold mark off (admins only).
#[utoipa::path(delete, path = "/api/recordings/{id}/gold", security(("bearer" = [])), params(("id" = String, Path, description = "the recording")), responses((status = 204, description = "no longer gold"), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "the recording is not gold", body = ErrorBody)))]
async fn unmark_gold(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    caller.require(&[Role::Admin], "unmarking gold")?;
    if crate::gold::unmark(&db(&state).await?, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("recording {id} is not gold")))
    }
}

/// Each reviewer's accuracy on the campaign's gold recordings (admins only).
#[utoipa::path(get, path = "/api/campaigns/{name}/gold", security(("bearer" = [])), params(("name" = String, Path, description = "the campaign")), responses((status = 200, body = Vec<wire::GoldAccuracy>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such campaign", body = ErrorBody)))]
async fn gold_accuracy(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<Vec<wire::GoldAccuracy>>> {
    caller.require(&[Role::Admin], "reading gold accuracy")?;
    Ok(Json(crate::gold::accuracy(&db(&state).await?, &name).await?))
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    /// docs/hub-openapi.json is generated from the handlers; `APPRENTICE_WRITE_OPENAPI=1 cargo
    /// test -p apprentice-hub openapi` rewrites it.
    #[test]
    fn the_committed_openapi_description_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/hub-openapi.json");
        let current = super::ApiDoc::openapi().to_pretty_json().unwrap() + "\n";
        if std::env::var_os("APPRENTICE_WRITE_OPENAPI").is_some() {
            std::fs::write(&path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == current, "{} is stale: run APPRENTICE_WRITE_OPENAPI=1 cargo test -p apprentice-hub openapi and commit it", path.display());
    }
}

/// The hub and its database; answers without a token.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health), (status = 503, description = "the database cannot be reached", body = Health)))]
async fn health(State(state): State<AppState>) -> Response {
    let db = match state.db.get().await {
        Ok(c) => c.query_one("SELECT 1", &[]).await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match db {
        Ok(()) => Json(Health { status: "ok".into(), database: "ok".into(), version: env!("CARGO_PKG_VERSION").into() }).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable".into(), database: e, version: env!("CARGO_PKG_VERSION").into() })).into_response(),
    }
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/me", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, description = "no valid token", body = ErrorBody)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me { name: caller.name, role: caller.role, pseudonym: caller.pseudonym })
}

/// Adds a user (admins only); the answer holds their first token, shown once.
#[utoipa::path(post, path = "/api/users", security(("bearer" = [])), request_body = NewUser, responses((status = 201, body = wire::Created), (status = 400, description = "not a user name, or not JSON", body = ErrorBody), (status = 415, description = "not application/json", body = ErrorBody), (status = 422, description = "a field is missing or wrong, e.g. an unknown role", body = ErrorBody), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 409, description = "the name is taken", body = ErrorBody)))]
async fn create_user(State(state): State<AppState>, caller: Caller, body: Result<Json<NewUser>, JsonRejection>) -> ApiResult<(StatusCode, Json<wire::Created>)> {
    caller.require(&[Role::Admin], "adding a user")?;
    let Json(body) = body.map_err(bad_json)?;
    let mut client = db(&state).await?;
    let created = accounts::create_user(&mut client, &body.name, body.role).await?;
    tracing::info!(by = %caller.name, name = %created.name, role = created.role.as_str(), "user added");
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every user (admins only).
#[utoipa::path(get, path = "/api/users", security(("bearer" = [])), responses((status = 200, body = Vec<wire::UserSummary>), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<wire::UserSummary>>> {
    caller.require(&[Role::Admin], "listing users")?;
    let client = db(&state).await?;
    Ok(Json(accounts::list_users(&client).await?))
}

/// Another token for a user (admins only), shown once.
#[utoipa::path(post, path = "/api/users/{name}/tokens", security(("bearer" = [])), params(("name" = String, Path, description = "the user")), responses((status = 201, body = TokenIssued), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such user", body = ErrorBody)))]
async fn new_token(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<(StatusCode, Json<TokenIssued>)> {
    caller.require(&[Role::Admin], "making a token")?;
    let client = db(&state).await?;
    let token = accounts::add_token(&client, &name).await?;
    Ok((StatusCode::CREATED, Json(TokenIssued { name, token })))
}

/// Revokes every token of a user (admins only), at once.
#[utoipa::path(post, path = "/api/users/{name}/revoke", security(("bearer" = [])), params(("name" = String, Path, description = "the user")), responses((status = 200, body = Revoked), (status = 401, description = "no valid token", body = ErrorBody), (status = 403, description = "the caller is not an admin", body = ErrorBody), (status = 404, description = "no such user", body = ErrorBody)))]
async fn revoke_user(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<Revoked>> {
    caller.require(&[Role::Admin], "revoking tokens")?;
    let client = db(&state).await?;
    let revoked = accounts::revoke_user(&client, &name).await?;
    tracing::info!(by = %caller.name, %name, revoked, "tokens revoked");
    Ok(Json(Revoked { name, revoked }))
}

/// Revokes the token the request was made with.
#[utoipa::path(delete, path = "/api/me/token", security(("bearer" = [])), responses((status = 204, description = "revoked"), (status = 401, description = "no valid token", body = ErrorBody)))]
async fn revoke_own_token(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let client = db(&state).await?;
    accounts::revoke_token(&client, &caller.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
