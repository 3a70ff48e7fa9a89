//! Campaigns in the database: creating one with its task catalog and consent text (all or
//! nothing), listing what a caller may see, assigning tasks to experts, an expert's own tasks,
//! and progress per task. Not its job: parsing task files (tasks.rs) or who may call what
//! (the API handlers).

use sha2::{Digest, Sha256};

use crate::api::ApiError;
use crate::auth::{Caller, Role};
use apprentice_core::model::Rubric;
use apprentice_core::review;
use apprentice_hub_api::{check_task, Assigned, AssignedTask, Assignment, CampaignSummary, NewCampaign, TaskEdits, TaskProgress, TaskSpec, TasksEdited};

const CREATED_AT: &str = "to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn create(client: &mut deadpool_postgres::Client, by: &Caller, new: NewCampaign) -> Result<CampaignSummary, ApiError> {
    crate::accounts::check_name(&new.name).map_err(|_| ApiError::bad_request(format!("{:?} is not a campaign name: 1 to 64 letters, digits, '.', '_', '-' or '@'", new.name)))?;
    if new.tasks.is_empty() {
        return Err(ApiError::bad_request("a campaign needs at least one task"));
    }
    check_tasks(&new.tasks)?;
    let reviews = new.reviews.unwrap_or(1);
    if !(1..=20).contains(&reviews) {
        return Err(ApiError::bad_request(format!("reviews per recording must be 1 to 20, not {reviews}")));
    }
    let lease_seconds = new.lease_seconds.unwrap_or(1800);
    if !(1..=86_400).contains(&lease_seconds) {
        return Err(ApiError::bad_request(format!("a review lease lasts 1 to 86400 seconds, not {lease_seconds}")));
    }
    if let Some(m) = new.min_agreement.filter(|m| !(0.0..=1.0).contains(m)) {
        return Err(ApiError::bad_request(format!("min_agreement is a share from 0 to 1, not {m}")));
    }
    let comparisons = new.comparisons.unwrap_or(1);
    if comparisons > 20 {
        return Err(ApiError::bad_request(format!("comparisons per pair of recordings must be 0 to 20, not {comparisons}")));
    }
    let on_disagreement = new.on_disagreement.clone().unwrap_or_else(|| "adjudicate".into());
    if !["adjudicate", "extra_review"].contains(&on_disagreement.as_str()) {
        return Err(ApiError::bad_request(format!("on_disagreement is adjudicate or extra_review, not {on_disagreement}")));
    }
    if new.exclusions.len() > 200 || new.exclusions.iter().any(|r| r.trim().is_empty() || r.len() > 256) {
        return Err(ApiError::bad_request("exclusions: at most 200 rules, each 1 to 256 characters (class:GLOB, title:GLOB or GLOB)"));
    }
    let exclusions = serde_json::to_value(&new.exclusions).map_err(|e| ApiError::internal(e.to_string()))?;
    let privacy_policy = new.privacy_policy.clone().unwrap_or_else(|| "mask".into());
    if apprentice_core::model::PrivacyPolicy::parse(&privacy_policy).is_none() {
        return Err(ApiError::bad_request(format!("privacy_policy is mask, flag or drop, not {privacy_policy}")));
    }
    let rubric = rubric_json(&new.rubric.clone().unwrap_or_default())?;
    let consent = new.consent.filter(|c| !c.trim().is_empty());
    let consent_sha = consent.as_ref().map(|c| hex(&Sha256::digest(c.as_bytes())));
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let row = tx
        .query_opt(
            "INSERT INTO campaigns (name, reviews, consent_text, consent_version, consent_sha256, created_by, exclusions, lease_seconds, min_agreement, on_disagreement, rubric, comparisons, privacy_policy)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (name) DO NOTHING RETURNING id",
            &[
                &new.name,
                &(reviews as i32),
                &consent,
                &(consent.is_some() as i32),
                &consent_sha,
                &by.user_id,
                &exclusions,
                &(lease_seconds as i32),
                &new.min_agreement,
                &on_disagreement,
                &rubric,
                &(comparisons as i32),
                &privacy_policy,
            ],
        )
        .await
        .map_err(ApiError::db)?;
    let Some(row) = row else { return Err(ApiError::conflict(format!("a campaign named {} exists already", new.name))) };
    let id: i64 = row.get(0);
    let insert_task = tx.prepare("INSERT INTO tasks (campaign_id, id, version, spec) VALUES ($1, $2, 1, $3)").await.map_err(ApiError::db)?;
    let insert_version = tx.prepare("INSERT INTO task_versions (campaign_id, id, version, spec, edited_by) VALUES ($1, $2, 1, $3, $4)").await.map_err(ApiError::db)?;
    for t in &new.tasks {
        let spec = serde_json::to_value(t).map_err(|e| ApiError::internal(e.to_string()))?;
        tx.execute(&insert_task, &[&id, &t.id, &spec]).await.map_err(ApiError::db)?;
        tx.execute(&insert_version, &[&id, &t.id, &spec, &by.user_id]).await.map_err(ApiError::db)?;
    }
    tx.commit().await.map_err(ApiError::db)?;
    summary(client, &new.name).await
}

async fn summary(client: &deadpool_postgres::Client, name: &str) -> Result<CampaignSummary, ApiError> {
    let rows = query_summaries(client, "WHERE c.name = $1", &[&name]).await?;
    rows.into_iter().next().ok_or_else(|| ApiError::not_found(format!("no campaign named {name}")))
}

async fn query_summaries(client: &deadpool_postgres::Client, filter: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Result<Vec<CampaignSummary>, ApiError> {
    let sql =
        format!("SELECT c.name, (SELECT count(*) FROM tasks t WHERE t.campaign_id = c.id), c.reviews, c.consent_version, c.consent_sha256, {CREATED_AT}, c.lease_seconds, c.min_agreement, c.on_disagreement, c.comparisons FROM campaigns c {filter} ORDER BY c.name");
    let rows = client.query(&sql, params).await.map_err(ApiError::db)?;
    Ok(rows
        .iter()
        .map(|r| CampaignSummary {
            name: r.get(0),
            tasks: r.get(1),
            reviews: r.get(2),
            consent_version: r.get(3),
            consent_sha256: r.get(4),
            created_at: r.get(5),
            lease_seconds: r.get(6),
            min_agreement: r.get(7),
            on_disagreement: r.get(8),
            comparisons: r.get(9),
        })
        .collect())
}

/// The campaigns `caller` may see: all for admins and reviewers, an expert's own (assigned) ones.
pub async fn list(client: &deadpool_postgres::Client, caller: &Caller) -> Result<Vec<CampaignSummary>, ApiError> {
    match caller.role {
        Role::Admin | Role::Reviewer => query_summaries(client, "", &[]).await,
        Role::Expert => query_summaries(client, "WHERE EXISTS (SELECT 1 FROM assignments a WHERE a.campaign_id = c.id AND a.expert_id = $1)", &[&caller.user_id]).await,
    }
}

/// Campaign `name`'s id; an unknown name is not found (404).
pub async fn campaign_id(client: &impl deadpool_postgres::GenericClient, name: &str) -> Result<i64, ApiError> {
    let row = client.query_opt("SELECT id FROM campaigns WHERE name = $1", &[&name]).await.map_err(ApiError::db)?;
    row.map(|r| r.get(0)).ok_or_else(|| ApiError::not_found(format!("no campaign named {name}")))
}

/// Every task valid, and no id twice.
fn check_tasks(tasks: &[TaskSpec]) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        check_task(t).map_err(ApiError::bad_request)?;
        if !seen.insert(t.id.as_str()) {
            return Err(ApiError::bad_request(format!("the task id {} is used twice", t.id)));
        }
    }
    Ok(())
}

/// Re-imports `campaign`'s catalog, all or nothing: new tasks are added at version 1, a task
/// whose spec changed gets the next version (the old one stays in `task_versions`), others are
/// left as they are.
pub async fn edit_tasks(client: &mut deadpool_postgres::Client, by: &Caller, campaign: &str, edits: TaskEdits) -> Result<TasksEdited, ApiError> {
    if edits.tasks.is_empty() {
        return Err(ApiError::bad_request("no tasks given"));
    }
    check_tasks(&edits.tasks)?;
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let cid = campaign_id(&tx, campaign).await?;
    let (mut added, mut changed, mut unchanged) = (0u64, 0u64, 0u64);
    for t in &edits.tasks {
        let spec = serde_json::to_value(t).map_err(|e| ApiError::internal(e.to_string()))?;
        let current = tx.query_opt("SELECT version, spec FROM tasks WHERE campaign_id = $1 AND id = $2 FOR UPDATE", &[&cid, &t.id]).await.map_err(ApiError::db)?;
        let version = match current {
            None => {
                tx.execute("INSERT INTO tasks (campaign_id, id, version, spec) VALUES ($1, $2, 1, $3)", &[&cid, &t.id, &spec]).await.map_err(ApiError::db)?;
                added += 1;
                1
            }
            Some(row) if row.get::<_, serde_json::Value>(1) == spec => {
                unchanged += 1;
                continue;
            }
            Some(row) => {
                let next = row.get::<_, i32>(0) + 1;
                tx.execute("UPDATE tasks SET version = $3, spec = $4 WHERE campaign_id = $1 AND id = $2", &[&cid, &t.id, &next, &spec]).await.map_err(ApiError::db)?;
                changed += 1;
                next
            }
        };
        tx.execute("INSERT INTO task_versions (campaign_id, id, version, spec, edited_by) VALUES ($1, $2, $3, $4, $5)", &[&cid, &t.id, &version, &spec, &by.user_id]).await.map_err(ApiError::db)?;
    }
    tx.commit().await.map_err(ApiError::db)?;
    Ok(TasksEdited { campaign: campaign.to_string(), added, changed, unchanged })
}

/// Assigns tasks of `campaign` to an expert, all or nothing.
pub async fn assign(client: &mut deadpool_postgres::Client, campaign: &str, a: Assignment) -> Result<Assigned, ApiError> {
    let tx = client.transaction().await.map_err(ApiError::db)?;
    let cid = campaign_id(&tx, campaign).await?;
    let expert = tx.query_opt("SELECT id, role FROM users WHERE name = $1", &[&a.expert]).await.map_err(ApiError::db)?.ok_or_else(|| ApiError::not_found(format!("no user named {}", a.expert)))?;
    let (expert_id, role): (i64, String) = (expert.get(0), expert.get(1));
    if role != "expert" {
        return Err(ApiError::bad_request(format!("{} is a {role}, not an expert: only experts record tasks", a.expert)));
    }
    let ids: Vec<String> = if a.tasks.is_empty() {
        tx.query("SELECT id FROM tasks WHERE campaign_id = $1 ORDER BY id", &[&cid]).await.map_err(ApiError::db)?.iter().map(|r| r.get(0)).collect()
    } else {
        let known: std::collections::HashSet<String> =
            tx.query("SELECT id FROM tasks WHERE campaign_id = $1 AND id = ANY($2)", &[&cid, &a.tasks]).await.map_err(ApiError::db)?.iter().map(|r| r.get(0)).collect();
        if let Some(missing) = a.tasks.iter().find(|t| !known.contains(*t)) {
            return Err(ApiError::not_found(format!("campaign {campaign} has no task {missing}")));
        }
        a.tasks.clone()
    };
    let mut assigned = 0;
    for id in &ids {
        assigned += tx.execute("INSERT INTO assignments (campaign_id, task_id, expert_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&cid, id, &expert_id]).await.map_err(ApiError::db)?;
    }
    tx.commit().await.map_err(ApiError::db)?;
    Ok(Assigned { campaign: campaign.to_string(), expert: a.expert, assigned, already: ids.len() as u64 - assigned })
}

/// A rubric checked by the core and ready to store.
fn rubric_json(rubric: &Rubric) -> Result<serde_json::Value, ApiError> {
    review::rubric::check(rubric).map_err(|e| ApiError::bad_request(e.to_string()))?;
    serde_json::to_value(rubric).map_err(|e| ApiError::internal(e.to_string()))
}

fn stored_rubric(json: serde_json::Value) -> Result<Option<Rubric>, ApiError> {
    serde_json::from_value(json).map(Some).map_err(|e| ApiError::internal(format!("a stored rubric: {e}")))
}

/// The rubric of campaign `name` (empty when it asks nothing of its own).
pub async fn rubric(client: &impl deadpool_postgres::GenericClient, name: &str) -> Result<Rubric, ApiError> {
    let row = client.query_opt("SELECT rubric FROM campaigns WHERE name = $1", &[&name]).await.map_err(ApiError::db)?;
    let row = row.ok_or_else(|| ApiError::not_found(format!("no campaign named {name}")))?;
    Ok(stored_rubric(row.get(0))?.unwrap_or_default())
}

/// Replaces campaign `name`'s rubric. Answers already given stay in their reviews; a question
/// taken out is no longer asked, measured or exported.
pub async fn set_rubric(client: &impl deadpool_postgres::GenericClient, name: &str, rubric: &Rubric) -> Result<Rubric, ApiError> {
    let json = rubric_json(rubric)?;
    let n = client.execute("UPDATE campaigns SET rubric = $2 WHERE name = $1", &[&name, &json]).await.map_err(ApiError::db)?;
    if n == 0 {
        return Err(ApiError::not_found(format!("no campaign named {name}")));
    }
    Ok(rubric.clone())
}

/// The tasks assigned to an expert, by campaign and task id.
pub async fn assigned_to(client: &deadpool_postgres::Client, expert_id: i64) -> Result<Vec<AssignedTask>, ApiError> {
    let rows = client
        .query(
            "SELECT c.name, t.version, t.spec, c.exclusions, c.rubric, c.privacy_policy FROM assignments a JOIN tasks t ON t.campaign_id = a.campaign_id AND t.id = a.task_id JOIN campaigns c ON c.id = a.campaign_id WHERE a.expert_id = $1 ORDER BY c.name, t.id",
            &[&expert_id],
        )
        .await
        .map_err(ApiError::db)?;
    rows.iter()
        .map(|r| {
            let spec: serde_json::Value = r.get(2);
            let exclusions: serde_json::Value = r.get(3);
            Ok(AssignedTask {
                campaign: r.get(0),
                version: r.get(1),
                task: serde_json::from_value(spec).map_err(|e| ApiError::internal(format!("a stored task: {e}")))?,
                exclusions: serde_json::from_value(exclusions).unwrap_or_default(),
                rubric: stored_rubric(r.get(4))?.filter(|r| !r.questions.is_empty()),
                privacy_policy: r.get(5),
            })
        })
        .collect()
}

/// Each task's target, how many experts are assigned to it, and its recordings received,
/// reviewed and approved.
pub async fn progress(client: &deadpool_postgres::Client, campaign: &str) -> Result<Vec<TaskProgress>, ApiError> {
    let cid = campaign_id(client, campaign).await?;
    let rows = client
        .query(
            "SELECT t.version, t.spec, (SELECT count(*) FROM assignments a WHERE a.campaign_id = t.campaign_id AND a.task_id = t.id),
                    (SELECT count(*) FROM recordings r WHERE r.campaign_id = t.campaign_id AND r.task_id = t.id),
                    (SELECT count(*) FROM recordings r JOIN review_outcomes o ON o.recording_id = r.id WHERE r.campaign_id = t.campaign_id AND r.task_id = t.id AND o.reviewed),
                    (SELECT count(*) FROM recordings r JOIN review_outcomes o ON o.recording_id = r.id WHERE r.campaign_id = t.campaign_id AND r.task_id = t.id AND o.verdict = 'approved')
             FROM tasks t WHERE t.campaign_id = $1 ORDER BY t.id",
            &[&cid],
        )
        .await
        .map_err(ApiError::db)?;
    rows.iter()
        .map(|r| {
            let spec: TaskSpec = serde_json::from_value(r.get(1)).map_err(|e| ApiError::internal(format!("a stored task: {e}")))?;
            Ok(TaskProgress { id: spec.id, instruction: spec.instruction, version: r.get(0), target: spec.target, assigned: r.get(2), recorded: r.get(3), reviewed: r.get(4), approved: r.get(5) })
        })
        .collect()
}
