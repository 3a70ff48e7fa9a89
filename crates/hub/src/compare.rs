//! Side-by-side comparison queues: a reviewer asks a campaign for the next pair of recordings of
//! one task by different experts and gets a lease on it (A and B drawn at random), with both
//! recordings' steps aligned by the core's [`compare::align`]; they submit which is better
//! overall and per criterion, why, and which of aligned steps is better (the core's
//! [`Comparison`], checked by [`compare::check`]), or skip with a reason. Blind: a reviewer
//! reaches only their own comparisons. Each pair gets the campaign's number of comparisons; a
//! lease that expired gives its place back. Not its job: HTTP (api.rs), fetching recordings
//! (checkout.rs), exporting preference pairs (the core's `preferences` format, via publish.rs).

use apprentice_core::model::*;
use apprentice_core::review::compare;
use apprentice_hub_api::{AlignedSteps, ComparedRecording, ComparisonChoice, ComparisonLease, Criterion};

use crate::api::ApiError;
use crate::auth::Caller;
use crate::checkout::{self, Checkouts};

/// A comparison row, as its reviewer may see it.
struct Row {
    id: i64,
    campaign: String,
    task_id: String,
    instruction: String,
    a: (String, String),
    b: (String, String),
    state: String,
    expires_at: String,
    live: bool,
    alignment: Option<serde_json::Value>,
    result: Option<serde_json::Value>,
    rubric: serde_json::Value,
}

const ROW: &str = "SELECT k.id, c.name, ra.task_id, ra.instruction, k.a_id, ua.pseudonym, k.b_id, ub.pseudonym,
        CASE WHEN k.state = 'leased' AND k.expires_at <= now() THEN 'expired' ELSE k.state END,
        to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), k.state = 'leased' AND k.expires_at > now(),
        k.alignment, k.result, c.rubric
     FROM comparisons k JOIN campaigns c ON c.id = k.campaign_id
       JOIN recordings ra ON ra.id = k.a_id JOIN users ua ON ua.id = ra.user_id
       JOIN recordings rb ON rb.id = k.b_id JOIN users ub ON ub.id = rb.user_id";

fn row_of(r: &tokio_postgres::Row) -> Row {
    Row {
        id: r.get(0),
        campaign: r.get(1),
        task_id: r.get(2),
        instruction: r.get(3),
        a: (r.get(4), r.get(5)),
        b: (r.get(6), r.get(7)),
        state: r.get(8),
        expires_at: r.get(9),
        live: r.get(10),
        alignment: r.get(11),
        result: r.get(12),
        rubric: r.get(13),
    }
}

impl Row {
    fn rubric(&self) -> Option<Rubric> {
        serde_json::from_value::<Rubric>(self.rubric.clone()).ok().filter(|r| !r.questions.is_empty())
    }
}

/// The caller's comparison `id` (locked for the transaction when `lock`); anyone else's is not
/// found.
async fn mine(client: &impl deadpool_postgres::GenericClient, caller: &Caller, id: i64, lock: bool) -> Result<Row, ApiError> {
    let sql = format!("{ROW} WHERE k.id = $1 AND k.reviewer_id = $2{}", if lock { " FOR UPDATE OF k" } else { "" });
    let row = client.query_opt(&sql, &[&id, &caller.user_id]).await.map_err(ApiError::db)?;
    row.map(|r| row_of(&r)).ok_or_else(|| ApiError::not_found(format!("no comparison {id} of {}'s", caller.name)))
}

fn require_live(r: &Row) -> Result<(), ApiError> {
    match r.state.as_str() {
        _ if r.live => Ok(()),
        "expired" => Err(ApiError::conflict(format!("comparison {} expired at {}: ask the queue for the next pair", r.id, r.expires_at))),
        state => Err(ApiError::conflict(format!("comparison {} is {state}: it can no longer change", r.id))),
    }
}

/// One side as segmented: what the reviewer sees, the steps' starts, and (when asked) what the
/// alignment compares.
struct Side {
    shown: ComparedRecording,
    t_starts: Vec<Micros>,
    signatures: Option<Vec<compare::StepSignature>>,
}

async fn side(client: &impl deadpool_postgres::GenericClient, checkouts: &Checkouts, (id, expert): &(String, String), signatures: bool) -> Result<Side, ApiError> {
    let replayed = checkouts.replayed(client, id, vec![]).await?;
    let steps = &replayed.reviewed.steps;
    let signatures = if signatures {
        let (dir, id, replayed) = (checkouts.complete_dir(client, id).await?, id.clone(), replayed.clone());
        let sigs = tokio::task::spawn_blocking(move || -> Result<Vec<compare::StepSignature>, ApiError> {
            let lib = checkout::open(&dir).map_err(|e| ApiError::internal(format!("recording {id}: {e}")))?;
            compare::signatures(&lib, &id, &replayed.reviewed.steps).map_err(|e| ApiError::internal(format!("recording {id}: {e}")))
        })
        .await
        .map_err(|e| ApiError::internal(format!("comparison: {e}")))??;
        Some(sigs)
    } else {
        None
    };
    let shown = steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serde_json::json!({
                "step": i + 1,
                "t_start": s.t_start,
                "action": s.action,
                "reasoning": s.reasoning.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
                "frame": s.before.as_ref().map(|o| o.frame_seq),
                "app": s.window.as_ref().map(|w| w.app.clone()),
            })
        })
        .collect();
    Ok(Side {
        shown: ComparedRecording {
            recording: id.clone(),
            expert: expert.clone(),
            outcome: replayed.recording.outcome.as_str().to_string(),
            duration_us: replayed.reviewed.quality.duration_us,
            steps: shown,
        },
        t_starts: steps.iter().map(|s| s.t_start).collect(),
        signatures,
    })
}

/// The caller's comparison with both recordings and their alignment (computed on first sight
/// and kept).
pub async fn lease(client: &impl deadpool_postgres::GenericClient, checkouts: &Checkouts, caller: &Caller, id: i64) -> Result<ComparisonLease, ApiError> {
    let r = mine(client, caller, id, false).await?;
    let stored: Option<Vec<AlignedSteps>> = r.alignment.clone().and_then(|a| serde_json::from_value(a).ok());
    let (a, b) = (side(client, checkouts, &r.a, stored.is_none()).await?, side(client, checkouts, &r.b, stored.is_none()).await?);
    let rows = match stored {
        Some(rows) => rows,
        None => {
            let (sa, sb) = (a.signatures.as_deref().unwrap_or_default(), b.signatures.as_deref().unwrap_or_default());
            let number = |i: Option<usize>| i.map(|i| i as u32 + 1);
            let rows: Vec<AlignedSteps> = compare::align(sa, sb).into_iter().map(|x| AlignedSteps { a: number(x.a), b: number(x.b), similarity: (x.similarity * 1000.0).round() / 1000.0 }).collect();
            let json = serde_json::to_value(&rows).map_err(|e| ApiError::internal(e.to_string()))?;
            client.execute("UPDATE comparisons SET alignment = $2 WHERE id = $1 AND alignment IS NULL", &[&r.id, &json]).await.map_err(ApiError::db)?;
            rows
        }
    };
    let rubric = r.rubric();
    Ok(ComparisonLease {
        id: r.id,
        campaign: r.campaign,
        task_id: r.task_id,
        instruction: r.instruction,
        state: r.state,
        expires_at: r.expires_at,
        a: a.shown,
        b: b.shown,
        rows,
        criteria: compare::criteria(rubric.as_ref()).into_iter().map(|(id, text)| Criterion { id, text }).collect(),
        result: r.result.and_then(|v| serde_json::from_value(v).ok()),
    })
}

/// The recording on `side` (a or b) of the caller's comparison `id`.
pub async fn recording_of(client: &impl deadpool_postgres::GenericClient, caller: &Caller, id: i64, side: &str) -> Result<String, ApiError> {
    let r = mine(client, caller, id, false).await?;
    match side {
        "a" => Ok(r.a.0),
        "b" => Ok(r.b.0),
        other => Err(ApiError::not_found(format!("a comparison has sides a and b, not {other:?}"))),
    }
}

/// Leases the caller the next pair of recordings of `campaign` (one task, two experts) that still
/// wants a comparison and that they have not compared or skipped; their live comparison in the
/// campaign, if they hold one, comes back first. None when nothing is left for them.
pub async fn next(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, caller: &Caller, campaign: &str) -> Result<Option<ComparisonLease>, ApiError> {
    let tx = client.transaction().await.map_err(ApiError::db)?;
    // The campaign's row lock makes one reviewer at a time take a place in its comparisons.
    let c = tx.query_opt("SELECT id, lease_seconds FROM campaigns WHERE name = $1 FOR UPDATE", &[&campaign]).await.map_err(ApiError::db)?;
    let Some(c) = c else { return Err(ApiError::not_found(format!("no campaign named {campaign}"))) };
    let (cid, lease_seconds): (i64, i32) = (c.get(0), c.get(1));
    let held = tx
        .query_opt("SELECT id FROM comparisons WHERE reviewer_id = $1 AND campaign_id = $2 AND state = 'leased' AND expires_at > now() ORDER BY id LIMIT 1", &[&caller.user_id, &cid])
        .await
        .map_err(ApiError::db)?;
    let id: i64 = match held {
        Some(h) => h.get(0),
        None => {
            // Pairs of one task by two experts whose places (submitted comparisons and others'
            // live leases) are not all taken; the caller's own expired lease first, then the
            // pair whose later recording came first.
            let pick = tx
                .query_opt(
                    "WITH pairs AS (
                       SELECT r1.id AS x, r2.id AS y, GREATEST(r1.received_at, r2.received_at) AS at
                       FROM recordings r1 JOIN recordings r2 ON r2.campaign_id = r1.campaign_id AND r2.task_id = r1.task_id AND r2.user_id <> r1.user_id AND r1.id < r2.id
                       WHERE r1.campaign_id = $2)
                     SELECT p.x, p.y, EXISTS (SELECT 1 FROM comparisons k WHERE LEAST(k.a_id, k.b_id) = p.x AND GREATEST(k.a_id, k.b_id) = p.y AND k.reviewer_id = $1 AND k.state = 'leased') AS mine
                     FROM pairs p JOIN campaigns c ON c.id = $2
                     WHERE NOT EXISTS (SELECT 1 FROM comparisons k WHERE LEAST(k.a_id, k.b_id) = p.x AND GREATEST(k.a_id, k.b_id) = p.y AND k.reviewer_id = $1 AND k.state IN ('submitted', 'skipped'))
                       AND (SELECT count(*) FROM comparisons k WHERE LEAST(k.a_id, k.b_id) = p.x AND GREATEST(k.a_id, k.b_id) = p.y AND k.reviewer_id <> $1
                              AND (k.state = 'submitted' OR (k.state = 'leased' AND k.expires_at > now()))) < c.comparisons
                     ORDER BY mine DESC, p.at, p.x, p.y LIMIT 1",
                    &[&caller.user_id, &cid],
                )
                .await
                .map_err(ApiError::db)?;
            let Some(pick) = pick else {
                tx.commit().await.map_err(ApiError::db)?;
                return Ok(None);
            };
            let (x, y, mine): (String, String, bool) = (pick.get(0), pick.get(1), pick.get(2));
            // Leases others let expire on this pair give their place up for good.
            tx.execute(
                "UPDATE comparisons SET state = 'expired', ended_at = expires_at WHERE LEAST(a_id, b_id) = $1 AND GREATEST(a_id, b_id) = $2 AND reviewer_id <> $3 AND state = 'leased' AND expires_at <= now()",
                &[&x, &y, &caller.user_id],
            )
            .await
            .map_err(ApiError::db)?;
            let interval = format!("{lease_seconds} seconds");
            let row = if mine {
                tx.query_one(
                    "UPDATE comparisons SET leased_at = now(), expires_at = now() + $4::TEXT::INTERVAL WHERE LEAST(a_id, b_id) = $1 AND GREATEST(a_id, b_id) = $2 AND reviewer_id = $3 AND state = 'leased' RETURNING id",
                    &[&x, &y, &caller.user_id, &interval],
                )
                .await
            } else {
                // Which is shown as A is drawn at random, so position says nothing.
                let mut coin = [0u8; 1];
                getrandom::fill(&mut coin).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
                let (a, b) = if coin[0] & 1 == 0 { (&x, &y) } else { (&y, &x) };
                tx.query_one(
                    "INSERT INTO comparisons (campaign_id, a_id, b_id, reviewer_id, expires_at) VALUES ($1, $2, $3, $4, now() + $5::TEXT::INTERVAL) RETURNING id",
                    &[&cid, a, b, &caller.user_id, &interval],
                )
                .await
            }
            .map_err(ApiError::db)?;
            tracing::info!(reviewer = %caller.name, a = %x, b = %y, again = mine, "pair leased for comparison");
            row.get(0)
        }
    };
    tx.commit().await.map_err(ApiError::db)?;
    Ok(Some(lease(&*client, checkouts, caller, id).await?))
}

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
}

/// A step of one side named by its start or its number.
fn step_start(side: &'static str, t: Option<u64>, n: Option<u32>, t_starts: &[Micros]) -> Result<Micros, ApiError> {
    match (t, n) {
        (Some(t), _) => Ok(t),
        (None, Some(n)) => t_starts.get((n as usize).wrapping_sub(1)).copied().ok_or_else(|| invalid(format!("recording {side} has {} steps: there is no step {n}", t_starts.len()))),
        (None, None) => Err(invalid(format!("each step preference names its step of {side} (\"{}\": t_start or \"{}_step\": N)", side.to_lowercase(), side.to_lowercase()))),
    }
}

/// Checks and stores the caller's judgement, ending the lease.
pub async fn submit(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, caller: &Caller, id: i64, choice: ComparisonChoice) -> Result<ComparisonLease, ApiError> {
    let r = mine(&*client, caller, id, false).await?;
    require_live(&r)?;
    let (a, b) = (side(&*client, checkouts, &r.a, false).await?, side(&*client, checkouts, &r.b, false).await?);
    let mut steps = vec![];
    for s in &choice.steps {
        steps.push(StepPreference {
            a: step_start("A", s.a, s.a_step, &a.t_starts)?,
            b: step_start("B", s.b, s.b_step, &b.t_starts)?,
            prefer: s.prefer,
            comment: s.comment.clone().filter(|c| !c.trim().is_empty()),
        });
    }
    let comparison = Comparison {
        id: uuid::Uuid::now_v7().to_string(),
        task_id: r.task_id.clone(),
        instruction: r.instruction.clone(),
        a: r.a.0.clone(),
        b: r.b.0.clone(),
        overall: choice.overall,
        criteria: choice.criteria,
        rationale: choice.rationale.trim().to_string(),
        steps,
        reviewer: caller.pseudonym.clone(),
        at: time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    };
    compare::check(&comparison, &compare::criteria(r.rubric().as_ref()), &a.t_starts, &b.t_starts).map_err(invalid)?;
    let json = serde_json::to_value(&comparison).map_err(|e| ApiError::internal(e.to_string()))?;
    let tx = client.transaction().await.map_err(ApiError::db)?;
    require_live(&mine(&tx, caller, id, true).await?)?;
    tx.execute("UPDATE comparisons SET state = 'submitted', ended_at = now(), result = $2 WHERE id = $1", &[&id, &json]).await.map_err(ApiError::db)?;
    tx.commit().await.map_err(ApiError::db)?;
    tracing::info!(reviewer = %caller.name, a = %r.a.0, b = %r.b.0, overall = comparison.overall.as_str(), "comparison submitted");
    lease(&*client, checkouts, caller, id).await
}

/// Gives the pair back uncompared, with a reason; it is not offered to the caller again.
pub async fn skip(client: &mut deadpool_postgres::Client, checkouts: &Checkouts, caller: &Caller, id: i64, reason: &str) -> Result<ComparisonLease, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request("skipping takes a reason (what kept you from comparing them)"));
    }
    let tx = client.transaction().await.map_err(ApiError::db)?;
    require_live(&mine(&tx, caller, id, true).await?)?;
    tx.execute("UPDATE comparisons SET state = 'skipped', ended_at = now(), skip_reason = $2 WHERE id = $1", &[&id, &reason]).await.map_err(ApiError::db)?;
    tx.commit().await.map_err(ApiError::db)?;
    tracing::info!(reviewer = %caller.name, comparison = id, reason, "comparison skipped");
    lease(&*client, checkouts, caller, id).await
}

/// The submitted comparisons of `campaign`, oldest first (admins read them; publishing
/// exports them).
pub async fn submitted(client: &impl deadpool_postgres::GenericClient, campaign: &str) -> Result<Vec<Comparison>, ApiError> {
    crate::campaigns::campaign_id(client, campaign).await?;
    let rows = client
        .query("SELECT k.result FROM comparisons k JOIN campaigns c ON c.id = k.campaign_id WHERE c.name = $1 AND k.state = 'submitted' ORDER BY k.ended_at, k.id", &[&campaign])
        .await
        .map_err(ApiError::db)?;
    rows.iter().map(|r| serde_json::from_value(r.get(0)).map_err(|e| ApiError::internal(format!("a stored comparison: {e}")))).collect()
}
