//! Who is asking: bearer tokens, their argon2 hashes, roles, and the [`Caller`] every API handler
//! takes. A token is `aph_<id>_<secret>`: the id finds its row, the secret is checked against
//! the stored argon2 hash (never stored itself). Every request reads the token's row, so a
//! revoked token is refused from the moment it is revoked, on every hub process; the only
//! thing kept in memory is which (id, secret digest) pairs already passed argon2, to spare the
//! CPU — never whether a token is valid. Not its job: what each role may do (the handlers
//! say, through [`Caller::require`]).

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::api::{ApiError, AppState};
pub use apprentice_hub_api::Role;

/// A new token: what to give the user once, and what to store.
pub struct NewToken {
    pub token: String,
    pub id: String,
    pub hash: String,
}

fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(b)
}

/// Makes a token and its argon2 hash.
pub fn new_token() -> Result<NewToken, ApiError> {
    let id: String = random::<6>()?.iter().map(|b| format!("{b:02x}")).collect();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?);
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    let hash = Argon2::default().hash_password(secret.as_bytes(), &salt).map_err(|e| ApiError::internal(format!("argon2: {e}")))?.to_string();
    Ok(NewToken { token: format!("aph_{id}_{secret}"), id, hash })
}

/// [`new_token`] off the async threads (argon2 takes tens of milliseconds of CPU by design).
pub async fn issue_token() -> Result<NewToken, ApiError> {
    tokio::task::spawn_blocking(new_token).await.map_err(|e| ApiError::internal(format!("token: {e}")))?
}

/// A short random pseudonym for an expert (`expert-3f9a2c`).
pub fn new_pseudonym(role: Role) -> Result<String, ApiError> {
    let tag: String = random::<3>()?.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{}-{tag}", role.as_str()))
}

/// The (id, secret) of a token string, if it has a token's shape.
fn split(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("aph_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty() && secret.len() <= 64).then_some((id, secret))
}

/// Pairs that already passed argon2 (bounded; a CPU cache, not a source of truth).
#[derive(Default)]
pub struct VerifiedCache(Mutex<HashMap<String, [u8; 32]>>);

impl VerifiedCache {
    fn knows(&self, id: &str, digest: &[u8; 32]) -> bool {
        self.0.lock().map(|m| m.get(id) == Some(digest)).unwrap_or(false)
    }
    fn remember(&self, id: &str, digest: [u8; 32]) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= 10_000 {
                m.clear();
            }
            m.insert(id.to_string(), digest);
        }
    }
}

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub pseudonym: String,
    pub token_id: String,
}

impl Caller {
    /// Refuses (403) unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], doing: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!("{doing} needs the role {}; {} is {}", allowed.join(" or "), self.name, self.role.as_str())))
        }
    }
}

/// Checks a bearer token against the database.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let (id, secret) = split(token).ok_or_else(|| ApiError::unauthorized("the token is malformed (tokens look like aph_<12 hex>_<secret>)"))?;
    let client = state.db.get().await.map_err(|e| ApiError::unavailable(format!("database: {e}")))?;
    let row = client
        .query_opt("SELECT t.hash, t.revoked_at IS NOT NULL, u.id, u.name, u.role, u.pseudonym FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1", &[&id])
        .await
        .map_err(ApiError::db)?
        .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
    let (hash, revoked): (String, bool) = (row.get(0), row.get(1));
    if revoked {
        return Err(ApiError::unauthorized("this token was revoked"));
    }
    let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    if !state.verified.knows(id, &digest) {
        let secret = secret.to_string();
        let checked = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| format!("stored token hash: {e}"))?;
            Ok::<bool, String>(Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| ApiError::internal(format!("token check: {e}")))?
        .map_err(ApiError::internal)?;
        if !checked {
            return Err(ApiError::unauthorized("wrong token"));
        }
        state.verified.remember(id, digest);
    }
    let role: String = row.get(4);
    Ok(Caller { user_id: row.get(2), name: row.get(3), role: Role::parse(&role).ok_or_else(|| ApiError::internal(format!("unknown role {role}")))?, pseudonym: row.get(5), token_id: id.to_string() })
}

/// The cookie a browser signed in with (`POST /api/session`) carries its token in: HttpOnly,
/// SameSite=Strict, so no script reads it and no other site's page sends it.
pub const SESSION_COOKIE: &str = "apprentice_session";
/// The header a browser's page sends with every change it asks for: another site's page cannot
/// send it without the hub's permission (CORS), so a cookie alone never changes anything.
pub const CSRF_HEADER: &str = "x-apprentice-request";

/// The session cookie's token, if the request carries one.
fn cookie_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get_all(axum::http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

impl axum::extract::FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            // A browser's page: its session cookie, with the page's own header on any change.
            let token = cookie_token(&parts.headers).ok_or_else(|| ApiError::unauthorized("no token: send Authorization: Bearer <token>, or sign in"))?;
            let reading = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD);
            if !reading && !parts.headers.contains_key(CSRF_HEADER) {
                return Err(ApiError::forbidden(format!("a change asked with a session cookie needs the {CSRF_HEADER} header")));
            }
            return authenticate(state, token.trim()).await;
        };
        let header = header.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))?;
        authenticate(state, token.trim()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_against_its_hash_and_nothing_else_does() {
        let t = new_token().unwrap();
        let (id, secret) = split(&t.token).unwrap();
        assert_eq!(id, t.id);
        assert!(!t.hash.contains(secret), "the secret is not in what is stored");
        let parsed = PasswordHash::new(&t.hash).unwrap();
        assert!(Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"guess", &parsed).is_err());
        let other = new_token().unwrap();
        assert_ne!(other.id, t.id);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(axum::http::header::COOKIE, "a=1; apprentice_session=aph_0123456789ab_s3cret; b=2".parse().unwrap());
        assert_eq!(cookie_token(&h), Some("aph_0123456789ab_s3cret"));
        h.insert(axum::http::header::COOKIE, "apprentice_sessionx=1".parse().unwrap());
        assert_eq!(cookie_token(&h), None);
    }

    #[test]
    fn only_token_shaped_strings_are_looked_up() {
        assert!(split("aph_0123456789ab_secret").is_some());
        for bad in ["", "aph_", "aph_0123_secret", "Bearer x", "aph_0123456789xz_secret", "aph_0123456789ab_"] {
            assert!(split(bad).is_none(), "{bad}");
        }
    }
}
