//! Users and their tokens in the database: adding a user (with a pseudonym and a first token),
//! listing, more tokens, revoking. Not its job: checking who may do this (the API handlers) or
//! what a token looks like (auth.rs).

use crate::api::ApiError;
use crate::auth::{self, Role};
use apprentice_hub_api::{Created, UserSummary};

/// A user name: 1–64 letters, digits, `.`, `_`, `-`, `@`.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("{name:?} is not a user name: 1 to 64 letters, digits, '.', '_', '-' or '@'")))
    }
}

pub async fn create_user(client: &mut deadpool_postgres::Client, name: &str, role: Role) -> Result<Created, ApiError> {
    check_name(name)?;
    let token = auth::issue_token().await?;
    let pseudonym = auth::new_pseudonym(role)?;
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let inserted =
        tx.query_opt("INSERT INTO users (name, role, pseudonym) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id", &[&name, &role.as_str(), &pseudonym]).await.map_err(ApiError::db)?;
    let Some(row) = inserted else { return Err(ApiError::conflict(format!("a user named {name} exists already"))) };
    let user_id: i64 = row.get(0);
    tx.execute("INSERT INTO tokens (id, user_id, hash) VALUES ($1, $2, $3)", &[&token.id, &user_id, &token.hash]).await.map_err(ApiError::db)?;
    tx.commit().await.map_err(ApiError::db)?;
    Ok(Created { name: name.to_string(), role, pseudonym, token: token.token })
}

pub async fn list_users(client: &deadpool_postgres::Client) -> Result<Vec<UserSummary>, ApiError> {
    let rows = client
        .query("SELECT u.name, u.role, u.pseudonym, COUNT(t.id) FILTER (WHERE t.revoked_at IS NULL) FROM users u LEFT JOIN tokens t ON t.user_id = u.id GROUP BY u.id ORDER BY u.name", &[])
        .await
        .map_err(ApiError::db)?;
    rows.iter()
        .map(|r| {
            let role: String = r.get(1);
            Ok(UserSummary { name: r.get(0), role: Role::parse(&role).ok_or_else(|| ApiError::internal(format!("unknown role {role}")))?, pseudonym: r.get(2), active_tokens: r.get(3) })
        })
        .collect()
}

async fn user_id(client: &deadpool_postgres::Client, name: &str) -> Result<i64, ApiError> {
    let row = client.query_opt("SELECT id FROM users WHERE name = $1", &[&name]).await.map_err(ApiError::db)?;
    row.map(|r| r.get(0)).ok_or_else(|| ApiError::not_found(format!("no user named {name}")))
}

/// Another token for `name`; returns it (shown once).
pub async fn add_token(client: &deadpool_postgres::Client, name: &str) -> Result<String, ApiError> {
    let id = user_id(client, name).await?;
    let token = auth::issue_token().await?;
    client.execute("INSERT INTO tokens (id, user_id, hash) VALUES ($1, $2, $3)", &[&token.id, &id, &token.hash]).await.map_err(ApiError::db)?;
    Ok(token.token)
}

/// Revokes every token of `name`; returns how many were live.
pub async fn revoke_user(client: &deadpool_postgres::Client, name: &str) -> Result<u64, ApiError> {
    let id = user_id(client, name).await?;
    client.execute("UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", &[&id]).await.map_err(ApiError::db)
}

pub async fn revoke_token(client: &deadpool_postgres::Client, token_id: &str) -> Result<(), ApiError> {
    client.execute("UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", &[&token_id]).await.map_err(ApiError::db)?;
    Ok(())
}

/// True when the hub has an admin already (`init` runs once).
pub async fn has_admin(client: &deadpool_postgres::Client) -> Result<bool, ApiError> {
    Ok(client.query_one("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')", &[]).await.map_err(ApiError::db)?.get(0))
}
