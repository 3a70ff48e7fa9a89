//! The recordings the hub holds, as each role may see them: admins every one with the expert's
//! name, reviewers every one under the expert's pseudonym, an expert only their own. A recording
//! another expert made is "not found" to an expert, not "forbidden" (its existence is not theirs
//! to learn). Not its job: receiving them (uploads.rs).

use crate::api::ApiError;
use crate::auth::{Caller, Role};
use apprentice_core::provenance::keys;
use apprentice_hub_api::RecordingSummary;

const SELECT: &str = "SELECT r.id, c.name, r.task_id, r.instruction, u.name, u.pseudonym, s.public_key, r.sealed, r.started_at, r.duration_us, r.steps, r.input_events, r.frames,
            r.media_bytes, r.outcome, r.synthetic_input_share, to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), r.user_id
     FROM recordings r JOIN campaigns c ON c.id = r.campaign_id JOIN users u ON u.id = r.user_id JOIN stations s ON s.id = r.station_id";

fn summary(caller: &Caller, r: &tokio_postgres::Row) -> RecordingSummary {
    let owner: i64 = r.get(17);
    let expert: String = if caller.role == Role::Admin || owner == caller.user_id { r.get(4) } else { r.get(5) };
    let key: String = r.get(6);
    RecordingSummary {
        id: r.get(0),
        campaign: r.get(1),
        task_id: r.get(2),
        instruction: r.get(3),
        expert,
        station: keys::fingerprint(&key),
        sealed: r.get(7),
        started_at: r.get(8),
        duration_us: r.get::<_, i64>(9) as u64,
        steps: r.get::<_, i32>(10) as u32,
        input_events: r.get::<_, i64>(11) as u64,
        frames: r.get::<_, i64>(12) as u64,
        media_bytes: r.get::<_, i64>(13) as u64,
        outcome: r.get(14),
        synthetic_input_share: r.get(15),
        received_at: r.get(16),
    }
}

/// The user whose recordings alone `caller` may see, or None for all.
fn only(caller: &Caller) -> Option<i64> {
    (caller.role == Role::Expert).then_some(caller.user_id)
}

/// Recordings the caller may see, newest first; `campaign` narrows to one.
pub async fn list(client: &impl deadpool_postgres::GenericClient, caller: &Caller, campaign: Option<&str>) -> Result<Vec<RecordingSummary>, ApiError> {
    if let Some(name) = campaign {
        crate::campaigns::campaign_id(client, name).await?;
    }
    let sql = format!("{SELECT} WHERE ($1::BIGINT IS NULL OR r.user_id = $1) AND ($2::TEXT IS NULL OR c.name = $2) ORDER BY r.received_at DESC, r.id");
    let rows = client.query(&sql, &[&only(caller), &campaign]).await.map_err(ApiError::db)?;
    Ok(rows.iter().map(|r| summary(caller, r)).collect())
}

/// One recording, if the caller may see it.
pub async fn get(client: &impl deadpool_postgres::GenericClient, caller: &Caller, id: &str) -> Result<RecordingSummary, ApiError> {
    let sql = format!("{SELECT} WHERE r.id = $1 AND ($2::BIGINT IS NULL OR r.user_id = $2)");
    let row = client.query_opt(&sql, &[&id, &only(caller)]).await.map_err(ApiError::db)?;
    row.map(|r| summary(caller, &r)).ok_or_else(|| ApiError::not_found(format!("no recording {id} that {} may see", caller.name)))
}
