//! Review queues: a reviewer asks a campaign for the next recording and gets a lease on it; the
//! labels, scores, verdict, step edits and transcript fixes they make are entries of their own
//! audit log (the core's [`ReviewChange`]s, in PostgreSQL), replayed over the recording with the
//! core's review code ([`review::load_as`]) to show them their trajectory; submit (with a
//! verdict) or skip (with a reason) ends the lease. Blind: a reviewer reaches only their own
//! leases — another's is "not found" — and a view never carries another review. Each recording
//! gets the campaign's number of reviewers; a lease that expired gives its place back. Not its
//! job: HTTP (api.rs), fetching recordings (checkout.rs), agreement (agreement.rs).

use apprentice_core::model::*;
use apprentice_core::provenance::{self, keys::StationKey};
use apprentice_core::review::{self, rubric, Reviewed, TrajectoryView};
use apprentice_hub_api::{Lease, ReviewAudit, ReviewLabels};

use crate::api::ApiError;
use crate::auth::Caller;
use crate::checkout::{self, Checkouts};

/// A review row, as its reviewer may see it.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub recording_id: String,
    pub campaign: String,
    pub task_id: String,
    pub instruction: String,
    pub expert: String,
    pub state: String,
    pub expires_at: String,
    /// Leased and not expired: the reviewer may still change it.
    pub live: bool,
    /// review, or adjudication (an admin's final word on a recording its reviewers disagreed on).
    pub kind: String,
    /// The campaign's own questions.
    pub rubric: Rubric,
}

const ROW: &str = "SELECT v.id, v.recording_id, c.name, r.task_id, r.instruction, u.pseudonym,
        CASE WHEN v.state = 'leased' AND v.expires_at <= now() THEN 'expired' ELSE v.state END,
        to_char(v.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), v.state = 'leased' AND v.expires_at > now(), v.kind, c.rubric
     FROM reviews v JOIN recordings r ON r.id = v.recording_id JOIN campaigns c ON c.id = r.campaign_id JOIN users u ON u.id = r.user_id";

fn row_of(r: &tokio_postgres::Row) -> ReviewRow {
    ReviewRow {
        id: r.get(0),
        recording_id: r.get(1),
        campaign: r.get(2),
        task_id: r.get(3),
        instruction: r.get(4),
        expert: r.get(5),
        state: r.get(6),
        expires_at: r.get(7),
        live: r.get(8),
        kind: r.get(9),
        rubric: serde_json::from_value(r.get(10)).unwrap_or_else(|e| {
            tracing::warn!("campaign {}'s stored rubric is unreadable ({e}): reviewing without it", r.get::<_, String>(2));
            Rubric::default()
        }),
    }
}

/// The caller's review `id` (locked for the transaction when `lock`); anyone else's is not found.
pub async fn mine(client: &impl deadpool_postgres::GenericClient, caller: &Caller, id: i64, lock: bool) -> Result<ReviewRow, ApiError> {
    let sql = format!("{ROW} WHERE v.id = $1 AND v.reviewer_id = $2{}", if lock { " FOR UPDATE OF v" } else { "" });
    let row = client.query_opt(&sql, &[&id, &caller.user_id]).await.map_err(ApiError::db)?;
    row.map(|r| row_of(&r)).ok_or_else(|| ApiError::not_found(format!("no lease {id} of {}'s", caller.name)))
}

fn require_live(r: &ReviewRow) -> Result<(), ApiError> {
    match r.state.as_str() {
        _ if r.live => Ok(()),
        "expired" => Err(ApiError::conflict(format!("lease {} expired at {}: ask the queue for the next recording", r.id, r.expires_at))),
        state => Err(ApiError::conflict(format!("lease {} is {state}: it can no longer change", r.id))),
    }
}

/// The review's audit log, oldest first.
pub async fn log(client: &impl deadpool_postgres::GenericClient, review: i64, reviewer: &str) -> Result<Vec<AuditEntry>, ApiError> {
    let rows = client.query("SELECT entry_id, seq, at, change, undone FROM review_changes WHERE review_id = $1 ORDER BY seq", &[&review]).await.map_err(ApiError::db)?;
    rows.iter()
        .map(|r| {
            let change: ReviewChange = serde_json::from_value(r.get(3)).map_err(|e| ApiError::internal(format!("a stored review change: {e}")))?;
            Ok(AuditEntry { id: r.get(0), seq: r.get::<_, i32>(1) as i64, at: r.get(2), reviewer: reviewer.to_string(), change, undone: r.get(4) })
        })
        .collect()
}

/// The recording as the review has it: the reviewer's own state replayed with the core's code
/// (once per distinct log, [`Checkouts::replayed`]); its input events too when `with_input`.
async fn reviewed(client: &impl deadpool_postgres::GenericClient, checkouts: &Checkouts, r: &ReviewRow, reviewer: &str, with_input: bool) -> Result<(TrajectoryView, Vec<InputEvent>), ApiError> {
    let replayed = checkouts.replayed(client, &r.recording_id, log(client, r.id, reviewer).await?).await?;
    let mut recording = replayed.recording.clone();
    // Reviewers know the expert only by pseudonym.
    recording.expert_id = Some(r.expert.clone());
    let rubric = Some(r.rubric.clone()).filter(|r| !r.questions.is_empty());
    let input = if with_input {
        let (dir, id) = (checkouts.library_dir(client, &r.recording_id).await?, r.recording_id.clone());
        tokio::task::spawn_blocking(move || checkout::open(&dir).and_then(|lib| lib.input_events(&id)).map_err(|e| ApiError::internal(e.to_string())))
            .await
            .map_err(|e| ApiError::internal(format!("input events: {e}")))??
    } else {
        vec![]
    };
    Ok((TrajectoryView { recording, rubric, reviewed: replayed.reviewed.clone() }, input))
}

/// The caller's view of their lease.
pub async fn view(client: &impl deadpool_postgres::GenericClient, checkouts: &Checkouts, caller: &Caller, id: i64) -> Result<TrajectoryView, ApiError> {
    let r = mine(client, caller, id, false).await?;
    Ok(reviewed(client, checkouts, &r, &caller.pseudonym, false).await?.0)
}

fn lease_of(r: &ReviewRow, reviewed: &Reviewed, others: Vec<serde_json::Value>) -> Lease {
    let steps = reviewed
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serde_json::json!({
                "step": i + 1,
                "t_start": s.t_start,
                "action": s.action,
                "reasoning": s.reasoning.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
                "label": s.label,
            })
        })
        .collect();
    Lease {
        id: r.id,
        recording: r.recording_id.clone(),
        campaign: r.campaign.clone(),
        task_id: r.task_id.clone(),
        instruction: r.instruction.clone(),
        expert: r.expert.clone(),
        state: r.state.clone(),
        expires_at: r.expires_at.clone(),
        steps,
        kind: r.kind.clone(),
        others,
        rubric: Some(r.rubric.clone()).filter(|r| !r.questions.is_empty()),
    }
}

/// The submitted reviews of a recording (not adjudications): reviewer pseudonym and state.
pub async fn submitted_reviews(client: &impl deadpool_postgres::GenericClient, recording: &str) -> Result<Vec<(String, ReviewState)>, ApiError> {
    let rows = client
        .query("SELECT v.id, u.pseudonym FROM reviews v JOIN users u ON u.id = v.reviewer_id WHERE v.recording_id = $1 AND v.state = 'submitted' AND v.kind = 'review' ORDER BY v.id", &[&recording])
        .await
        .map_err(ApiError::db)?;
    let mut out = vec![];
    for r in rows {
        let reviewer: String = r.get(1);
        out.push((reviewer.clone(), ReviewState::from_log(log(client, r.get(0), &reviewer).await?)));
    }
    Ok(out)
}

/// What each reviewer said, for an adjudicator: labels by step, scores, verdict, comment.
fn who_said_what(reviews: &[(String, ReviewState)], reviewed: &Reviewed) -> Vec<serde_json::Value> {
    reviews
        .iter()
        .map(|(reviewer, state)| {
            let labels: Vec<serde_json::Value> =
                state.labels.iter().map(|(t, l)| serde_json::json!({ "step": reviewed.steps.iter().position(|s| s.t_start == *t).map(|i| i + 1), "t_start": t, "label": l })).collect();
            serde_json::json!({ "reviewer": reviewer, "labels": labels, "review": state.trajectory })
        })
        .collect()
}

/// The caller's lease with its steps.
pub async fn lease(client: &impl deadpool_postgres::GenericClient, checkouts: &Checkouts, caller: &Caller, id: i64) -> Result<Lease, ApiError> {
    let r = mine(client, caller, id, false).await?;
    let (view, _) = reviewed(client, checkouts, &r, &caller.pseudonym, false).await?;
    // An adjudicator sees who said what; a reviewer never does.
    let others = if r.kind == "adjudication" { who_said_what(&submitted_reviews(client, &r.recording_id).await?, &view.reviewed) } else { vec![] };
    Ok(lease_of(&r, &view.reviewed, others))
}

/// Leases the caller the next recording of `campaign` that still wants a reviewer and that they
/// have not reviewed or skipped; their live lease in the campaign, if they hold one, comes back
/// first. None when the queue is empty for them.
pub async fn next(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, caller: &Caller, campaign: &str) -> Result<Option<Lease>, ApiError> {
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let c = tx.query_opt("SELECT id, lease_seconds FROM campaigns WHERE name = $1", &[&campaign]).await.map_err(ApiError::db)?;
    let Some(c) = c else { return Err(ApiError::not_found(format!("no campaign named {campaign}"))) };
    let (cid, lease_seconds): (i64, i32) = (c.get(0), c.get(1));
    let held = tx
        .query_opt(
            "SELECT v.id FROM reviews v JOIN recordings r ON r.id = v.recording_id WHERE v.reviewer_id = $1 AND r.campaign_id = $2 AND v.state = 'leased' AND v.expires_at > now() ORDER BY v.id LIMIT 1",
            &[&caller.user_id, &cid],
        )
        .await
        .map_err(ApiError::db)?;
    let id: i64 = match held {
        Some(h) => h.get(0),
        None => {
            // Reviewers: a recording whose places (submitted reviews and other reviewers' live
            // leases) are not all taken, or a gold one they have not reviewed (gold comes
            // unannounced, beyond the places). Admins: a recording waiting for adjudication.
            // The caller's own expired lease first, then the oldest. The row lock (SKIP LOCKED)
            // keeps two reviewers from taking one last place at once.
            let kind = if caller.role == crate::auth::Role::Admin { "adjudication" } else { "review" };
            let wanted = if kind == "review" {
                "(EXISTS (SELECT 1 FROM gold g WHERE g.recording_id = r.id)
                  OR (NOT EXISTS (SELECT 1 FROM adjudications a WHERE a.recording_id = r.id)
                      AND (SELECT count(*) FROM reviews v WHERE v.recording_id = r.id AND v.kind = 'review' AND v.reviewer_id <> $1
                             AND (v.state = 'submitted' OR (v.state = 'leased' AND v.expires_at > now()))) < c.reviews + r.extra_reviews))"
            } else {
                "EXISTS (SELECT 1 FROM adjudications a WHERE a.recording_id = r.id)
                 AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.recording_id = r.id AND v.kind = 'adjudication' AND v.reviewer_id <> $1
                                   AND (v.state = 'submitted' OR (v.state = 'leased' AND v.expires_at > now())))"
            };
            let base = format!(
                "SELECT r.id, EXISTS (SELECT 1 FROM reviews v WHERE v.recording_id = r.id AND v.reviewer_id = $1 AND v.state = 'leased') AS mine
                 FROM recordings r JOIN campaigns c ON c.id = r.campaign_id
                 WHERE r.campaign_id = $2
                   AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.recording_id = r.id AND v.reviewer_id = $1 AND v.state IN ('submitted', 'skipped'))
                   AND {wanted}"
            );
            let candidates = format!("{base} AND r.id <> ALL($3) ORDER BY mine DESC, r.received_at, r.id LIMIT 1");
            let check = format!("{base} AND r.id = $3");
            let locking = format!("{candidates} FOR UPDATE OF r SKIP LOCKED");
            // A recording another reviewer is leasing right now is locked: wait for them rather
            // than answer "nothing left". Once locked, the places are counted again by a new
            // statement (which sees every lease committed meanwhile) before one is taken.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut passed: Vec<String> = vec![];
            let pick = loop {
                match tx.query_opt(&locking, &[&caller.user_id, &cid, &passed]).await.map_err(ApiError::db)? {
                    Some(row) => {
                        let id: String = row.get(0);
                        if tx.query_opt(&check, &[&caller.user_id, &cid, &id]).await.map_err(ApiError::db)?.is_some() {
                            break Some(row);
                        }
                        passed.push(id);
                    }
                    None if std::time::Instant::now() < deadline && tx.query_opt(&candidates, &[&caller.user_id, &cid, &passed]).await.map_err(ApiError::db)?.is_some() => {
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    None => break None,
                }
            };
            let Some(pick) = pick else {
                tx.commit().await.map_err(ApiError::db)?;
                return Ok(None);
            };
            let (recording, mine): (String, bool) = (pick.get(0), pick.get(1));
            // Leases other reviewers let expire on this recording give their place up for good.
            tx.execute(
                "UPDATE reviews SET state = 'expired', ended_at = expires_at WHERE recording_id = $1 AND reviewer_id <> $2 AND state = 'leased' AND expires_at <= now()",
                &[&recording, &caller.user_id],
            )
            .await
            .map_err(ApiError::db)?;
            let interval = format!("{lease_seconds} seconds");
            let row = if mine {
                // Picked up again: the reviewer's changes so far stand.
                tx.query_one(
                    "UPDATE reviews SET leased_at = now(), expires_at = now() + $3::TEXT::INTERVAL WHERE recording_id = $1 AND reviewer_id = $2 AND state = 'leased' RETURNING id",
                    &[&recording, &caller.user_id, &interval],
                )
                .await
            } else {
                tx.query_one(
                    "INSERT INTO reviews (recording_id, reviewer_id, expires_at, kind) VALUES ($1, $2, now() + $3::TEXT::INTERVAL, $4) RETURNING id",
                    &[&recording, &caller.user_id, &interval, &kind],
                )
                .await
            }
            .map_err(ApiError::db)?;
            tracing::info!(reviewer = %caller.name, recording = %recording, again = mine, kind, "recording leased");
            row.get(0)
        }
    };
    tx.commit().await.map_err(ApiError::db)?;
    Ok(Some(lease(&*client, checkouts, caller, id).await?))
}

/// One change a reviewer makes to their lease.
#[derive(Debug, Clone)]
pub enum Change {
    Label { step: Micros, label: StepLabel },
    Trajectory(TrajectoryReview),
    Edit(StepEdit),
    Transcript { t0: Micros, text: Option<String> },
    Undo,
}

/// What a change answers: the label or review as saved, or the whole view after an edit,
/// transcript fix or undo.
pub enum Changed {
    Label(Option<StepLabel>),
    Trajectory(TrajectoryReview),
    View(Box<TrajectoryView>),
}

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
}

/// Applies `changes` to the caller's live lease, all in one transaction (checked against the
/// trajectory as the review has it), and answers for the last.
pub async fn change(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, signer: &StationKey, caller: &Caller, id: i64, changes: Vec<Change>) -> Result<Changed, ApiError> {
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let r = mine(&tx, caller, id, true).await?;
    require_live(&r)?;
    let reviewer = caller.pseudonym.as_str();
    let mut answer = None;
    // The trajectory as the review has it, rebuilt only after a change to its steps.
    let mut current: Option<(TrajectoryView, Vec<InputEvent>, ReviewState)> = None;
    for ch in changes {
        if current.is_none() {
            let split = matches!(ch, Change::Edit(StepEdit::Split { .. }));
            let (view, input) = reviewed(&tx, checkouts, &r, reviewer, split).await?;
            current = Some((view, input, ReviewState::from_log(log(&tx, r.id, reviewer).await?)));
        }
        let Some((view, input, state)) = current.as_mut() else { continue };
        let entry = match &ch {
            Change::Label { step, label } => {
                if !view.reviewed.steps.iter().any(|s| s.t_start == *step) {
                    return Err(invalid(review::ReviewError::NoSuchStep(*step)));
                }
                rubric::check_answers(&r.rubric, RubricScope::Step, &label.answers).map_err(invalid)?;
                let after = (!label.is_empty()).then(|| StepLabel { reviewer: reviewer.to_string(), updated_at: now(), ..label.clone() });
                let before = match &after {
                    Some(a) => state.labels.insert(*step, a.clone()),
                    None => state.labels.remove(step),
                };
                answer = Some(Changed::Label(after.clone()));
                Some(ReviewChange::Label { step: *step, before, after })
            }
            Change::Trajectory(t) => {
                review::check_scores(&t.scores).map_err(invalid)?;
                rubric::check_answers(&r.rubric, RubricScope::Trajectory, &t.answers).map_err(invalid)?;
                let after = TrajectoryReview { reviewer: reviewer.to_string(), updated_at: now(), ..t.clone() };
                answer = Some(Changed::Trajectory(after.clone()));
                Some(ReviewChange::Trajectory { before: state.trajectory.replace(after.clone()), after })
            }
            Change::Edit(edit) => {
                review::check_edit(&view.reviewed, edit, input).map_err(invalid)?;
                Some(ReviewChange::Edit { edit: edit.clone() })
            }
            Change::Transcript { t0, text } => {
                let spoken = view.reviewed.steps.iter().flat_map(|s| &s.reasoning).any(|x| x.source == ReasoningSource::Spoken && x.t0 == *t0);
                if !spoken {
                    return Err(invalid(format!("recording {} has no utterance starting at {t0} µs", r.recording_id)));
                }
                Some(ReviewChange::Transcript { utterance: *t0, before: state.transcripts.get(t0).map(|(t, _)| t.clone()), after: text.clone() })
            }
            Change::Undo => {
                // The latest entry in force stops being in force; it stays in the log, its undo signed.
                let latest = tx.query_opt("SELECT seq, hash FROM review_changes WHERE review_id = $1 AND NOT undone ORDER BY seq DESC LIMIT 1", &[&r.id]).await.map_err(ApiError::db)?;
                if let Some(latest) = latest {
                    let undo = latest.get::<_, Option<String>>(1).map(|hash| provenance::review::sign_undo(signer, &hash, &now(), reviewer));
                    let undo = undo.map(|u| serde_json::to_value(u).map_err(|e| ApiError::internal(e.to_string()))).transpose()?;
                    tx.execute("UPDATE review_changes SET undone = true, undo = $3 WHERE review_id = $1 AND seq = $2", &[&r.id, &latest.get::<_, i32>(0), &undo]).await.map_err(ApiError::db)?;
                }
                None
            }
        };
        if let Some(entry) = entry {
            append_signed(&tx, signer, &r, reviewer, &entry).await?;
        }
        if matches!(ch, Change::Edit(_) | Change::Transcript { .. } | Change::Undo) {
            (answer, current) = (None, None);
        }
    }
    let answer = match answer {
        Some(a) => a,
        None => Changed::View(Box::new(reviewed(&tx, checkouts, &r, reviewer, false).await?.0)),
    };
    tx.commit().await.map_err(ApiError::db)?;
    Ok(answer)
}

fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The chain a review's entries are linked in (what the core's signed log calls the recording).
fn chain_id(recording: &str, review: i64) -> String {
    format!("{recording}/review/{review}")
}

/// Appends `entry` to review `r`'s log, chained to the entry before it and signed by `signer`.
async fn append_signed(tx: &deadpool_postgres::Transaction<'_>, signer: &StationKey, r: &ReviewRow, reviewer: &str, entry: &ReviewChange) -> Result<(), ApiError> {
    let text = serde_json::to_string(entry).map_err(|e| ApiError::internal(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| ApiError::internal(e.to_string()))?;
    let chain = chain_id(&r.recording_id, r.id);
    let last: Option<String> = tx.query_opt("SELECT hash FROM review_changes WHERE review_id = $1 ORDER BY seq DESC LIMIT 1", &[&r.id]).await.map_err(ApiError::db)?.and_then(|row| row.get(0));
    let prev = last.and_then(|h| provenance::unhex(&h)).and_then(|b| <[u8; 32]>::try_from(b).ok()).unwrap_or_else(|| provenance::review::genesis(&chain));
    let (entry_id, at) = (uuid_v7(), now());
    let (prev, hash, key, signature) = provenance::review::sign_entry(signer, &prev, &entry_id, &chain, &at, reviewer, &text);
    tx.execute(
        "INSERT INTO review_changes (review_id, seq, entry_id, at, change, change_text, prev, hash, signer, signature)
         VALUES ($1, (SELECT COALESCE(max(seq), 0) + 1 FROM review_changes WHERE review_id = $1), $2, $3, $4, $5, $6, $7, $8, $9)",
        &[&r.id, &entry_id, &at, &json, &text, &prev, &hash, &key, &signature],
    )
    .await
    .map_err(ApiError::db)?;
    Ok(())
}

/// Review `id`'s log as signed, oldest first, with what is wrong with it (nothing when every
/// entry is chained, unchanged since signed, and signed by the key it names).
pub async fn signed_log(
    client: &impl deadpool_postgres::GenericClient,
    id: i64,
    recording: &str,
    reviewer: &str,
) -> Result<(Vec<provenance::review::SignedEntry>, Vec<provenance::review::LogProblem>), ApiError> {
    let chain = chain_id(recording, id);
    let rows = client
        .query("SELECT entry_id, seq, at, COALESCE(change_text, change::TEXT), prev, hash, signer, signature, undone, undo FROM review_changes WHERE review_id = $1 ORDER BY seq", &[&id])
        .await
        .map_err(ApiError::db)?;
    let entries: Vec<provenance::review::SignedEntry> = rows
        .iter()
        .map(|r| provenance::review::SignedEntry {
            id: r.get(0),
            seq: r.get::<_, i32>(1) as i64,
            recording_id: chain.clone(),
            at: r.get(2),
            reviewer: reviewer.to_string(),
            change: r.get(3),
            prev: r.get(4),
            hash: r.get(5),
            signer: r.get(6),
            signature: r.get(7),
            undone: r.get(8),
            undo: r.get::<_, Option<serde_json::Value>>(9).and_then(|u| serde_json::from_value(u).ok()),
        })
        .collect();
    let problems = provenance::review::check_log(&chain, &entries);
    Ok((entries, problems))
}

/// The changes a labels file makes: each step's label (by number or start time) and the
/// trajectory's scores, verdict and comment.
fn label_changes(labels: &ReviewLabels, t_starts: &[Micros]) -> Result<Vec<Change>, ApiError> {
    let mut changes = vec![];
    for s in &labels.steps {
        let t_start = match (s.step, s.t_start) {
            (_, Some(t)) => t,
            (Some(n), None) => *t_starts.get((n as usize).wrapping_sub(1)).ok_or_else(|| invalid(format!("the recording has {} steps: there is no step {n}", t_starts.len())))?,
            (None, None) => return Err(invalid("each step's label names its step (\"step\": N, from 1) or its \"t_start\"")),
        };
        changes.push(Change::Label { step: t_start, label: s.label.clone() });
    }
    if labels.verdict.is_some() || labels.comment.is_some() || labels.scores != Scores::default() || !labels.answers.is_empty() {
        review::check_scores(&labels.scores).map_err(invalid)?;
        changes.push(Change::Trajectory(TrajectoryReview {
            scores: labels.scores.clone(),
            verdict: labels.verdict,
            comment: labels.comment.clone(),
            answers: labels.answers.clone(),
            ..Default::default()
        }));
    }
    Ok(changes)
}

/// The review state a labels file describes, over a recording's steps as segmented (a gold
/// reference); labels signed as `by`.
pub async fn labels_state(client: &impl deadpool_postgres::GenericClient, checkouts: &Checkouts, recording: &str, labels: &ReviewLabels, by: &str) -> Result<ReviewState, ApiError> {
    let steps: Vec<Micros> = checkouts.replayed(client, recording, vec![]).await?.reviewed.steps.iter().map(|s| s.t_start).collect();
    let mut state = ReviewState::default();
    for change in label_changes(labels, &steps)? {
        match change {
            Change::Label { step, label } if label.is_empty() => {
                state.labels.remove(&step);
            }
            Change::Label { step, label } => {
                if !steps.contains(&step) {
                    return Err(invalid(review::ReviewError::NoSuchStep(step)));
                }
                state.labels.insert(step, StepLabel { reviewer: by.to_string(), updated_at: now(), ..label });
            }
            Change::Trajectory(t) => state.trajectory = Some(TrajectoryReview { reviewer: by.to_string(), updated_at: now(), ..t }),
            _ => {}
        }
    }
    Ok(state)
}

/// Applies a labels file (if any) and submits the review, ending the lease. A review is
/// submitted only with a verdict.
pub async fn submit(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, signer: &StationKey, caller: &Caller, id: i64, labels: Option<ReviewLabels>) -> Result<Lease, ApiError> {
    // An ended lease says so first, whatever the labels.
    require_live(&mine(&*client, caller, id, false).await?)?;
    if let Some(labels) = labels {
        let current = lease(&*client, checkouts, caller, id).await?;
        if labels.verdict.is_none() && ReviewState::from_log(log(&*client, id, &caller.pseudonym).await?).trajectory.and_then(|t| t.verdict).is_none() {
            return Err(no_verdict(id));
        }
        let t_starts: Vec<Micros> = current.steps.iter().filter_map(|s| s["t_start"].as_u64()).collect();
        let changes = label_changes(&labels, &t_starts)?;
        if !changes.is_empty() {
            change(client, checkouts, signer, caller, id, changes).await?;
        }
    }
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let r = mine(&tx, caller, id, true).await?;
    require_live(&r)?;
    let state = ReviewState::from_log(log(&tx, r.id, &caller.pseudonym).await?);
    let Some(verdict) = state.trajectory.as_ref().and_then(|t| t.verdict) else { return Err(no_verdict(id)) };
    tx.execute("UPDATE reviews SET state = 'submitted', ended_at = now(), verdict = $2 WHERE id = $1", &[&id, &verdict.as_str()]).await.map_err(ApiError::db)?;
    if r.kind == "review" {
        check_disagreement(&tx, &r.recording_id).await?;
    }
    tx.commit().await.map_err(ApiError::db)?;
    tracing::info!(reviewer = %caller.name, recording = %r.recording_id, verdict = verdict.as_str(), "review submitted");
    lease(&*client, checkouts, caller, id).await
}

/// Once a recording has all its reviews: if its reviewers agree less than the campaign asks,
/// it gets one more reviewer (once, where the campaign says so) or goes to an adjudicator.
/// Gold recordings have their reference and never need one.
async fn check_disagreement(tx: &deadpool_postgres::Transaction<'_>, recording: &str) -> Result<(), ApiError> {
    let row = tx
        .query_one(
            "SELECT c.min_agreement, c.on_disagreement, c.reviews + r.extra_reviews, r.extra_reviews, EXISTS (SELECT 1 FROM gold g WHERE g.recording_id = r.id), c.name
             FROM recordings r JOIN campaigns c ON c.id = r.campaign_id WHERE r.id = $1",
            &[&recording],
        )
        .await
        .map_err(ApiError::db)?;
    let (min, mode, wanted, extra, gold): (Option<f64>, String, i32, i32, bool) = (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    let Some(min) = min.filter(|_| !gold) else { return Ok(()) };
    let reviews = submitted_reviews(tx, recording).await?;
    if (reviews.len() as i32) < wanted {
        return Ok(());
    }
    let rubric = crate::campaigns::rubric(tx, &row.get::<_, String>(5)).await?;
    let Some(agreement) = crate::agreement::of_recording(&reviews, &rubric).filter(|a| *a < min) else { return Ok(()) };
    if mode == "extra_review" && extra == 0 {
        tx.execute("UPDATE recordings SET extra_reviews = 1 WHERE id = $1", &[&recording]).await.map_err(ApiError::db)?;
        tracing::info!(recording, agreement, "reviewers disagree: one more review");
    } else {
        tx.execute("INSERT INTO adjudications (recording_id, agreement) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&recording, &agreement]).await.map_err(ApiError::db)?;
        tracing::info!(recording, agreement, "reviewers disagree: to adjudication");
    }
    Ok(())
}

fn no_verdict(id: i64) -> ApiError {
    invalid(format!("lease {id} has no verdict yet: give one (approved, needs_edit or rejected) before submitting"))
}

/// Gives the lease back unreviewed, with a reason; the recording is not offered to the caller
/// again.
pub async fn skip(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, caller: &Caller, id: i64, reason: &str) -> Result<Lease, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request("skipping takes a reason (what kept you from reviewing it)"));
    }
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let r = mine(&tx, caller, id, true).await?;
    require_live(&r)?;
    tx.execute("UPDATE reviews SET state = 'skipped', ended_at = now(), skip_reason = $2 WHERE id = $1", &[&id, &reason]).await.map_err(ApiError::db)?;
    tx.commit().await.map_err(ApiError::db)?;
    tracing::info!(reviewer = %caller.name, recording = %r.recording_id, reason, "recording skipped");
    lease(&*client, checkouts, caller, id).await
}

/// Every review of `recording` (admins): who, state, verdict, and whether its signed log holds.
pub async fn audit(client: &impl deadpool_postgres::GenericClient, recording: &str) -> Result<Vec<ReviewAudit>, ApiError> {
    if client.query_opt("SELECT 1 FROM recordings WHERE id = $1", &[&recording]).await.map_err(ApiError::db)?.is_none() {
        return Err(ApiError::not_found(format!("no recording {recording}")));
    }
    let rows = client
        .query("SELECT v.id, u.name, u.pseudonym, v.kind, v.state, v.verdict FROM reviews v JOIN users u ON u.id = v.reviewer_id WHERE v.recording_id = $1 ORDER BY v.id", &[&recording])
        .await
        .map_err(ApiError::db)?;
    let mut out = vec![];
    for r in rows {
        let (id, pseudonym): (i64, String) = (r.get(0), r.get(2));
        let (entries, problems) = signed_log(client, id, recording, &pseudonym).await?;
        let mut signers: Vec<String> = vec![];
        for key in entries.iter().filter_map(|e| e.signer.as_deref()) {
            let f = provenance::keys::fingerprint(key);
            if !signers.contains(&f) {
                signers.push(f);
            }
        }
        out.push(ReviewAudit {
            id,
            reviewer: r.get(1),
            pseudonym,
            kind: r.get(3),
            state: r.get(4),
            verdict: r.get(5),
            entries: entries.len(),
            undone: entries.iter().filter(|e| e.undone).count(),
            signers,
            problems: problems.into_iter().map(|(at, want, found)| format!("{at}: expected {want}, found {found}")).collect(),
        });
    }
    Ok(out)
}
