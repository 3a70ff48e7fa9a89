//! Stations and consent in the database. A station joins with its public key and a signature
//! over `provenance::hub::join_message` (so only the key's holder can register it, and only for
//! their own account); a key belongs to one user. An expert's consent decision is kept only
//! when it is signed by one of their stations over the campaign's current consent text
//! (version and sha256); decisions are appended, the latest counts. Not its job: who may call
//! what (the API handlers).

use apprentice_core::provenance::hub::{consent_message, join_message};
use apprentice_core::provenance::keys;

use crate::api::ApiError;
use crate::auth::Caller;
use apprentice_hub_api::{Consent, Decision, Join, Station};

const TS: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

pub async fn join(client: &deadpool_postgres::Client, caller: &Caller, j: Join) -> Result<(bool, Station), ApiError> {
    let key = j.public_key.to_ascii_lowercase();
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request("public_key must be an Ed25519 public key as 64 hex digits"));
    }
    if j.name.is_empty() || j.name.len() > 128 || j.version.is_empty() || j.version.len() > 64 {
        return Err(ApiError::bad_request("name (1–128 characters) and version (1–64) are needed"));
    }
    keys::verify(&key, &join_message(&caller.name, &key), &j.signature).map_err(|e| ApiError::bad_request(format!("the join signature does not hold for this key and account: {e}")))?;
    let owner = client.query_opt("SELECT user_id FROM stations WHERE public_key = $1", &[&key]).await.map_err(ApiError::db)?;
    let new = match owner.map(|r| r.get::<_, i64>(0)) {
        Some(uid) if uid != caller.user_id => return Err(ApiError::conflict("this station key is registered to another account")),
        Some(_) => {
            client.execute("UPDATE stations SET name = $2, version = $3, last_seen = now() WHERE public_key = $1", &[&key, &j.name, &j.version]).await.map_err(ApiError::db)?;
            false
        }
        None => {
            // A concurrent join of the same key: the unique key decides; re-read below.
            client
                .execute("INSERT INTO stations (user_id, public_key, name, version) VALUES ($1, $2, $3, $4) ON CONFLICT (public_key) DO NOTHING", &[&caller.user_id, &key, &j.name, &j.version])
                .await
                .map_err(ApiError::db)?
                == 1
        }
    };
    let station = list(client, Some(caller.user_id)).await?.into_iter().find(|s| s.public_key == key).ok_or_else(|| ApiError::conflict("this station key is registered to another account"))?;
    Ok((new, station))
}

/// Stations, all or one user's.
pub async fn list(client: &deadpool_postgres::Client, user: Option<i64>) -> Result<Vec<Station>, ApiError> {
    let sql = format!(
        "SELECT s.id, u.name, s.name, s.version, s.public_key, to_char(s.joined_at AT TIME ZONE 'UTC', {TS}), to_char(s.last_seen AT TIME ZONE 'UTC', {TS}), s.queue_depth FROM stations s JOIN users u ON u.id = s.user_id WHERE $1::BIGINT IS NULL OR s.user_id = $1 ORDER BY s.id"
    );
    let rows = client.query(&sql, &[&user]).await.map_err(ApiError::db)?;
    Ok(rows
        .iter()
        .map(|r| {
            let key: String = r.get(4);
            Station {
                id: r.get(0),
                user: r.get(1),
                name: r.get(2),
                version: r.get(3),
                fingerprint: keys::fingerprint(&key),
                public_key: key,
                joined_at: r.get(5),
                last_seen: r.get(6),
                queue_depth: r.get(7),
            }
        })
        .collect())
}

/// The campaign's id and consent text, if the caller is assigned to it.
async fn campaign_for(client: &deadpool_postgres::Client, caller: &Caller, campaign: &str) -> Result<(i64, Option<(String, i32, String)>), ApiError> {
    let row = client
        .query_opt(
            "SELECT c.id, c.consent_text, c.consent_version, c.consent_sha256, EXISTS (SELECT 1 FROM assignments a WHERE a.campaign_id = c.id AND a.expert_id = $2) FROM campaigns c WHERE c.name = $1",
            &[&campaign, &caller.user_id],
        )
        .await
        .map_err(ApiError::db)?
        .ok_or_else(|| ApiError::not_found(format!("no campaign named {campaign}")))?;
    if !row.get::<_, bool>(4) {
        return Err(ApiError::forbidden(format!("{} has no task of campaign {campaign}", caller.name)));
    }
    let text: Option<String> = row.get(1);
    Ok((row.get(0), text.map(|t| (t, row.get(2), row.get::<_, Option<String>>(3).unwrap_or_default()))))
}

/// The caller's latest decision on `campaign_id`'s consent text `version`.
pub async fn decision_of(client: &impl deadpool_postgres::GenericClient, campaign_id: i64, user_id: i64, version: i32) -> Result<Option<String>, ApiError> {
    let row = client
        .query_opt("SELECT decision FROM consents WHERE campaign_id = $1 AND user_id = $2 AND version = $3 ORDER BY id DESC LIMIT 1", &[&campaign_id, &user_id, &version])
        .await
        .map_err(ApiError::db)?;
    Ok(row.map(|r| r.get(0)))
}

pub async fn consent(client: &deadpool_postgres::Client, caller: &Caller, campaign: &str) -> Result<Consent, ApiError> {
    let (id, text) = campaign_for(client, caller, campaign).await?;
    let Some((text, version, sha256)) = text else { return Err(ApiError::not_found(format!("campaign {campaign} asks for no consent"))) };
    Ok(Consent { campaign: campaign.to_string(), decision: decision_of(client, id, caller.user_id, version).await?, version, sha256, text })
}

/// Keeps a signed decision; refuses one over an old text, by a key not the caller's, or
/// whose signature does not hold.
pub async fn decide(client: &deadpool_postgres::Client, caller: &Caller, campaign: &str, d: Decision) -> Result<Consent, ApiError> {
    let (id, text) = campaign_for(client, caller, campaign).await?;
    let Some((text, version, sha256)) = text else { return Err(ApiError::not_found(format!("campaign {campaign} asks for no consent"))) };
    if d.version != version || !d.sha256.eq_ignore_ascii_case(&sha256) {
        return Err(ApiError::conflict(format!("the consent text of {campaign} is now version {version} (sha256 {sha256}): read it again before deciding")));
    }
    if time::OffsetDateTime::parse(&d.at, &time::format_description::well_known::Rfc3339).is_err() {
        return Err(ApiError::bad_request(format!("`at` must be an RFC 3339 time, not {:?}", d.at)));
    }
    let key = d.station_key.to_ascii_lowercase();
    let mine = client.query_opt("SELECT 1 FROM stations WHERE public_key = $1 AND user_id = $2", &[&key, &caller.user_id]).await.map_err(ApiError::db)?;
    if mine.is_none() {
        return Err(ApiError::forbidden(format!("the key {} is not a station of {}: join first (apprentice station join)", keys::fingerprint(&key), caller.name)));
    }
    keys::verify(&key, &consent_message(campaign, version, &sha256, d.decision, &d.at, &caller.name), &d.signature)
        .map_err(|e| ApiError::bad_request(format!("the consent signature does not hold: {e}")))?;
    client
        .execute(
            "INSERT INTO consents (campaign_id, user_id, version, sha256, decision, signed_at, station_key, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&id, &caller.user_id, &version, &sha256, &d.decision.as_str(), &d.at, &key, &d.signature],
        )
        .await
        .map_err(ApiError::db)?;
    Ok(Consent { campaign: campaign.to_string(), version, sha256, text, decision: Some(d.decision.as_str().to_string()) })
}
