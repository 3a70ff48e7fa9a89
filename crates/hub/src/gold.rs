//! Gold: recordings an admin marks with reference labels (a labels file, as `review submit`
//! takes). The queue offers gold recordings to every reviewer, unannounced and beyond the
//! campaign's number of reviews (review.rs); here each reviewer's submitted reviews of them are
//! compared with the reference, value by value, as the agreement report compares reviewers. Not
//! its job: HTTP (api.rs).

use apprentice_core::model::ReviewState;
use apprentice_hub_api::{GoldAccuracy, ReviewLabels};

use crate::api::ApiError;
use crate::auth::Caller;
use crate::checkout::Checkouts;

/// Marks recording `id` gold with `labels` as its reference (again: replaces the reference).
pub async fn mark(client: &deadpool_postgres::Client, checkouts: &Checkouts, caller: &Caller, id: &str, labels: &ReviewLabels) -> Result<(), ApiError> {
    let state = crate::review::labels_state(client, checkouts, id, labels, &caller.pseudonym).await?;
    if state.labels.is_empty() && state.trajectory.is_none() {
        return Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "a gold reference needs at least one step label, score or verdict"));
    }
    let reference = serde_json::to_value(&state).map_err(|e| ApiError::internal(e.to_string()))?;
    client
        .execute(
            "INSERT INTO gold (recording_id, reference, marked_by) VALUES ($1, $2, $3) ON CONFLICT (recording_id) DO UPDATE SET reference = EXCLUDED.reference, marked_by = EXCLUDED.marked_by, marked_at = now()",
            &[&id, &reference, &caller.user_id],
        )
        .await
        .map_err(ApiError::db)?;
    tracing::info!(by = %caller.name, recording = id, steps = state.labels.len(), "recording marked gold");
    Ok(())
}

/// Takes the gold mark off recording `id`; false when it had none.
pub async fn unmark(client: &deadpool_postgres::Client, id: &str) -> Result<bool, ApiError> {
    Ok(client.execute("DELETE FROM gold WHERE recording_id = $1", &[&id]).await.map_err(ApiError::db)? > 0)
}

/// Each reviewer's accuracy on the gold recordings of `campaign`, best first.
pub async fn accuracy(client: &deadpool_postgres::Client, campaign: &str) -> Result<Vec<GoldAccuracy>, ApiError> {
    crate::campaigns::campaign_id(client, campaign).await?;
    let rows = client
        .query(
            "SELECT v.id, u.name, u.pseudonym, g.reference FROM reviews v JOIN gold g ON g.recording_id = v.recording_id JOIN recordings r ON r.id = v.recording_id
             JOIN campaigns c ON c.id = r.campaign_id JOIN users u ON u.id = v.reviewer_id
             WHERE c.name = $1 AND v.state = 'submitted' AND v.kind = 'review' ORDER BY u.name, v.id",
            &[&campaign],
        )
        .await
        .map_err(ApiError::db)?;
    let rubric = crate::campaigns::rubric(client, campaign).await?;
    let mut by: std::collections::BTreeMap<String, GoldAccuracy> = Default::default();
    for r in rows {
        let (name, pseudonym): (String, String) = (r.get(1), r.get(2));
        let reference: ReviewState = serde_json::from_value(r.get(3)).map_err(|e| ApiError::internal(format!("a stored gold reference: {e}")))?;
        let review = ReviewState::from_log(crate::review::log(client, r.get(0), &pseudonym).await?);
        let (compared, matched) = crate::agreement::against_reference(&reference, &review, &rubric);
        let a = by.entry(name.clone()).or_insert_with(|| GoldAccuracy { reviewer: name, pseudonym, recordings: 0, compared: 0, matched: 0, accuracy: None });
        a.recordings += 1;
        a.compared += compared;
        a.matched += matched;
    }
    let mut out: Vec<GoldAccuracy> = by.into_values().map(|a| GoldAccuracy { accuracy: (a.compared > 0).then(|| a.matched as f64 / a.compared as f64), ..a }).collect();
    out.sort_by(|a, b| b.accuracy.unwrap_or(-1.0).total_cmp(&a.accuracy.unwrap_or(-1.0)).then_with(|| a.reviewer.cmp(&b.reviewer)));
    Ok(out)
}
