//! The HTTP API under `/api/` and `GET /health`: routes, the shared state, and errors as JSON
//! (`{"error": "…"}` with the status that says what went wrong). Every `/api/` handler takes a
//! [`Caller`], so no endpoint answers without a valid token, and checks the caller's role
//! itself. Not its job: the queries behind the handlers (accounts.rs) or serving (server.rs).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts;
use crate::auth::{Caller, Role, VerifiedCache};

/// What every handler shares; all state lives in the database (and, later, object storage).
#[derive(Clone)]
pub struct AppState {
    pub db: deadpool_postgres::Pool,
    pub verified: Arc<VerifiedCache>,
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
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/me", get(me))
        .route("/api/me/token", delete(revoke_own_token))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{name}/tokens", post(new_token))
        .route("/api/users/{name}/revoke", post(revoke_user))
        .fallback(|| async { ApiError::not_found("no such endpoint (see docs/hub-openapi.json)") })
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Response {
    let db = match state.db.get().await {
        Ok(c) => c.query_one("SELECT 1", &[]).await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match db {
        Ok(()) => Json(json!({ "status": "ok", "database": "ok", "version": env!("CARGO_PKG_VERSION") })).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": e, "version": env!("CARGO_PKG_VERSION") }))).into_response(),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub role: Role,
    pub pseudonym: String,
}

async fn me(caller: Caller) -> Json<Me> {
    Json(Me { name: caller.name, role: caller.role, pseudonym: caller.pseudonym })
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
}

async fn create_user(State(state): State<AppState>, caller: Caller, Json(body): Json<NewUser>) -> ApiResult<(StatusCode, Json<accounts::Created>)> {
    caller.require(&[Role::Admin], "adding a user")?;
    let mut client = state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    let created = accounts::create_user(&mut client, &body.name, body.role).await?;
    tracing::info!(by = %caller.name, name = %created.name, role = created.role.as_str(), "user added");
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<accounts::UserSummary>>> {
    caller.require(&[Role::Admin], "listing users")?;
    let client = state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    Ok(Json(accounts::list_users(&client).await?))
}

async fn new_token(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require(&[Role::Admin], "making a token")?;
    let client = state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    let token = accounts::add_token(&client, &name).await?;
    Ok((StatusCode::CREATED, Json(json!({ "name": name, "token": token }))))
}

async fn revoke_user(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    caller.require(&[Role::Admin], "revoking tokens")?;
    let client = state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    let revoked = accounts::revoke_user(&client, &name).await?;
    tracing::info!(by = %caller.name, %name, revoked, "tokens revoked");
    Ok(Json(json!({ "name": name, "revoked": revoked })))
}

async fn revoke_own_token(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let client = state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    accounts::revoke_token(&client, &caller.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
