//! Publishing a campaign: the recordings chosen (by final verdict, by reviewers' agreement; never
//! one whose expert withdrew consent; only those not yet published to that place in that
//! format) gathered from the object store into one local library with their final labels, exported
//! with the core's export registry (any format, its signed manifest included), and written to a
//! directory or object storage as the next `part-NNNN/` of the dataset. Final labels are the
//! majority of the submitted reviews (ties left unlabelled for an adjudicator); a recording with
//! one review also carries that reviewer's step edits and transcript fixes. Submitted side-by-side
//! comparisons go with the part that holds both their recordings. Who said what stays
//! in the hub's reviews. Not its job: the formats (the core's export modules) or reviewing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use apprentice_core::export::registry::{self, Notice, Options};
use apprentice_core::export::select::Selection;
use apprentice_core::model::*;
use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::{portable, Library};

use crate::checkout::Checkouts;
use crate::storage::{S3Options, Store};

/// What to publish, and where.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    pub campaign: String,
    pub format: String,
    /// A directory, `file:///DIR` or `s3://bucket/prefix`.
    pub to: String,
    pub s3: S3Options,
    /// Only recordings whose final (majority) verdict is this.
    pub verdict: Option<Verdict>,
    /// Only recordings whose reviewers agree at least this much (share of equal values over
    /// every pair of reviewers and every label they both gave; recordings with one review have
    /// nothing to measure and are left out, adjudicated ones are in).
    pub min_agreement: Option<f64>,
    /// Local space for the gathered library and the export before it is written out.
    pub scratch: PathBuf,
    /// The key that signs the export's manifest.
    pub key: PathBuf,
}

/// What a publish did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Published {
    pub campaign: String,
    pub format: String,
    pub to: String,
    /// The part written (none when nothing was new).
    pub part: Option<String>,
    pub recordings: Vec<String>,
    pub steps: usize,
    pub files: usize,
    pub bytes: u64,
    /// Recordings left out, with why (consent withdrawn, verdict, agreement); those published
    /// before are not listed.
    pub withheld: Vec<(String, String)>,
    /// The manifest's signer.
    pub signer: String,
}

/// Where a publish goes, as a store and the name the database keeps it under.
fn target(to: &str, s3: &S3Options) -> Result<(Store, String)> {
    if to.starts_with("s3://") || to.starts_with("file://") {
        return Ok((Store::parse(to, s3)?, to.trim_end_matches('/').to_string()));
    }
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {to}"))?;
    let dir = std::fs::canonicalize(to).with_context(|| format!("cannot resolve {to}"))?;
    let url = format!("file://{}", dir.display());
    Ok((Store::parse(&url, s3)?, url))
}

struct Candidate {
    id: String,
    verdict: Option<String>,
    consent_ok: bool,
}

/// Publishes per `opts`; `progress` hears each step, for a person to read.
pub async fn publish(pool: &deadpool_postgres::Pool, store: Store, opts: &PublishOptions, progress: &mut (dyn FnMut(String) + Send)) -> Result<Published> {
    let format = registry::find(&opts.format)?;
    let key = StationKey::load_or_create(&opts.key).with_context(|| format!("the publishing key {}", opts.key.display()))?;
    let (out_store, to) = target(&opts.to, &opts.s3)?;
    let client = pool.get().await.context("database")?;
    let Some(c) = client.query_opt("SELECT id, consent_text IS NOT NULL FROM campaigns WHERE name = $1", &[&opts.campaign]).await? else {
        bail!("no campaign named {}", opts.campaign);
    };
    let (cid, asks_consent): (i64, bool) = (c.get(0), c.get(1));
    let rows = client
        .query(
            "SELECT r.id, o.verdict,
                    (SELECT k.decision FROM consents k WHERE k.campaign_id = r.campaign_id AND k.user_id = r.user_id ORDER BY k.id DESC LIMIT 1)
             FROM recordings r JOIN review_outcomes o ON o.recording_id = r.id
             WHERE r.campaign_id = $1
               AND NOT EXISTS (SELECT 1 FROM published_recordings pr JOIN publications p ON p.id = pr.publication_id
                               WHERE pr.recording_id = r.id AND p.target = $2 AND p.format = $3)
             ORDER BY r.received_at, r.id",
            &[&cid, &to, &format.name],
        )
        .await?;
    let candidates: Vec<Candidate> =
        rows.iter().map(|r| Candidate { id: r.get(0), verdict: r.get(1), consent_ok: !asks_consent || r.get::<_, Option<String>>(2).as_deref() == Some("accept") }).collect();
    let rubric = crate::campaigns::rubric(&client, &opts.campaign).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let mut withheld = vec![];
    let mut chosen = vec![];
    for c in candidates {
        if !c.consent_ok {
            withheld.push((c.id, "the expert withdrew consent".to_string()));
            continue;
        }
        if let Some(v) = opts.verdict {
            if c.verdict.as_deref() != Some(v.as_str()) {
                withheld.push((c.id, format!("final verdict {} (not {})", c.verdict.as_deref().unwrap_or("none yet"), v.as_str())));
                continue;
            }
        }
        let (reviews, adjudicated) = reviews_of(&client, &c.id).await?;
        // An adjudicated recording is settled: its adjudicator's word stands.
        if let Some(min) = opts.min_agreement.filter(|_| !adjudicated) {
            match crate::agreement::of_recording(&reviews, &rubric) {
                Some(a) if a >= min => {}
                Some(a) => {
                    withheld.push((c.id, format!("reviewers agree on {:.0}% (below {:.0}%)", a * 100.0, min * 100.0)));
                    continue;
                }
                None => {
                    withheld.push((c.id, "fewer than two reviews: no agreement to measure".to_string()));
                    continue;
                }
            }
        }
        chosen.push((c.id, reviews));
    }
    let mut published = Published {
        campaign: opts.campaign.clone(),
        format: format.name.to_string(),
        to: to.clone(),
        part: None,
        recordings: vec![],
        steps: 0,
        files: 0,
        bytes: 0,
        withheld,
        signer: key.fingerprint(),
    };
    if chosen.is_empty() {
        progress("nothing new to publish".to_string());
        return Ok(published);
    }
    let part_no: i32 = client.query_one("SELECT COALESCE(max(part), 0) + 1 FROM publications WHERE campaign_id = $1 AND target = $2 AND format = $3", &[&cid, &to, &format.name]).await?.get(0);
    let part = format!("part-{part_no:04}");

    // Gather: every chosen recording into one local library, with its final labels.
    std::fs::create_dir_all(&opts.scratch).with_context(|| format!("scratch space {}", opts.scratch.display()))?;
    let work = tempfile::Builder::new().prefix("publish-").tempdir_in(&opts.scratch).context("scratch space")?;
    let checkouts = Checkouts::new(store, work.path().join("checkouts"));
    let lib_dir = work.path().join("library");
    let lib = Library::open_received(&lib_dir)?;
    // The exports carry the campaign's own questions beside their answers.
    lib.set_rubric(&opts.campaign, &rubric)?;
    for (i, (id, reviews)) in chosen.iter().enumerate() {
        progress(format!("gathering {}/{}: {id}", i + 1, chosen.len()));
        let dir = checkouts.complete_dir(&client, id).await.map_err(|e| anyhow::anyhow!(e.message))?;
        portable::import(&lib, &dir)?;
        apply_final_labels(&lib, id, reviews, &rubric)?;
    }
    // Comparisons travel with the recordings they compare, when both are in this part.
    let ids: std::collections::BTreeSet<&str> = chosen.iter().map(|(id, _)| id.as_str()).collect();
    let comparisons = crate::compare::submitted(&client, &opts.campaign).await.map_err(|e| anyhow::anyhow!(e.message))?;
    for c in comparisons.iter().filter(|c| ids.contains(c.a.as_str()) && ids.contains(c.b.as_str())) {
        lib.add_comparison(c)?;
    }
    let out = work.path().join("out");
    let selection = Selection { ids: chosen.iter().map(|(id, _)| id.clone()).collect(), ..Default::default() };
    let options = Options { signer: Some(std::sync::Arc::new(key)), ..Default::default() };
    let summary = {
        let (lib, out) = (lib, out.clone());
        let fmt = format;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let job = tokio::task::spawn_blocking(move || {
            registry::run(&lib, fmt, &selection, &out, &options, &mut |n| {
                if let Notice::Loading { index, total, id } = n {
                    let _ = tx.send(format!("exporting {index}/{total}: {id}"));
                }
            })
        });
        while let Some(line) = rx.recv().await {
            progress(line);
        }
        job.await.context("export")??
    };
    // Out: every file of the part, then the top-level card naming every part.
    let files = files_under(&out)?;
    for (i, (rel, path)) in files.iter().enumerate() {
        let key = object_store::path::Path::from(format!("{part}/{rel}"));
        out_store.put_file(&key, path).await?;
        published.bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if (i + 1) % 50 == 0 || i + 1 == files.len() {
            progress(format!("written {}/{} files of {part}", i + 1, files.len()));
        }
    }
    if format.name == "hf" {
        if let Ok(card) = std::fs::read_to_string(out.join("README.md")) {
            let root = out.join("README.root.md");
            std::fs::write(&root, card.replace("path: data/train-*", "path: part-*/data/train-*"))?;
            out_store.put_file(&object_store::path::Path::from("README.md"), &root).await?;
        }
    }
    // Recorded last: a publish that failed midway is not remembered, so the next one redoes it.
    let mut client = client;
    let tx = client.transaction().await?;
    let pid: i64 = tx
        .query_one(
            "INSERT INTO publications (campaign_id, target, format, part, recordings, steps) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&cid, &to, &format.name, &part_no, &(summary.recordings as i32), &(summary.steps as i32)],
        )
        .await
        .context("another publish to the same place ran at the same time; run this one again")?
        .get(0);
    for (id, _) in &chosen {
        tx.execute("INSERT INTO published_recordings (publication_id, recording_id) VALUES ($1, $2)", &[&pid, id]).await?;
    }
    tx.commit().await?;
    published.part = Some(part);
    published.recordings = chosen.into_iter().map(|(id, _)| id).collect();
    published.steps = summary.steps;
    published.files = files.len();
    Ok(published)
}

/// Every file under `dir`, by its path relative to it ('/'-separated), in name order.
fn files_under(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = e?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push((rel.to_string_lossy().replace('\\', "/"), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The reviews a recording's final labels come from: its adjudication alone where an admin
/// adjudicated it, else its submitted reviews.
async fn reviews_of(client: &deadpool_postgres::Client, id: &str) -> Result<(Vec<(String, ReviewState)>, bool)> {
    let adjudication = client
        .query_opt(
            "SELECT v.id, u.pseudonym FROM reviews v JOIN users u ON u.id = v.reviewer_id WHERE v.recording_id = $1 AND v.state = 'submitted' AND v.kind = 'adjudication' ORDER BY v.id DESC LIMIT 1",
            &[&id],
        )
        .await?;
    if let Some(r) = adjudication {
        let reviewer: String = r.get(1);
        let log = crate::review::log(client, r.get(0), &reviewer).await.map_err(|e| anyhow::anyhow!(e.message))?;
        return Ok((vec![(reviewer, ReviewState::from_log(log))], true));
    }
    Ok((crate::review::submitted_reviews(client, id).await.map_err(|e| anyhow::anyhow!(e.message))?, false))
}

/// The value most reviewers gave, if one has a strict majority of those who gave any.
fn majority<T: Ord + Clone>(values: impl IntoIterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    let mut n = 0;
    for v in values {
        *counts.entry(v).or_default() += 1;
        n += 1;
    }
    counts.into_iter().find(|(_, c)| 2 * c > n).map(|(v, _)| v)
}

fn order<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The final answer to each rubric question the reviewers answered: the majority (a scale's
/// median when there is none; nothing on a tie otherwise), free text joined with who wrote it.
/// Answers to questions the rubric no longer asks are left out.
fn final_answers(given: &[(&str, &Answers)], rubric: &Rubric) -> Answers {
    let mut out = Answers::new();
    for q in &rubric.questions {
        let answers: Vec<(&str, &Answer)> = given.iter().filter_map(|(r, a)| a.get(&q.id).map(|a| (*r, a))).collect();
        if answers.is_empty() {
            continue;
        }
        let answer = match q.kind {
            AnswerKind::Text => {
                let parts: Vec<String> = answers.iter().map(|(r, a)| if answers.len() > 1 { format!("{r}: {a}") } else { a.to_string() }).collect();
                Some(Answer::Text(parts.join("\n")))
            }
            AnswerKind::Scale => {
                let mut values: Vec<&Answer> = answers.iter().map(|(_, a)| *a).collect();
                values.sort();
                majority(values.iter().copied()).or_else(|| values.get(values.len().saturating_sub(1) / 2).copied()).cloned()
            }
            AnswerKind::YesNo | AnswerKind::Choice => majority(answers.iter().map(|(_, a)| *a)).cloned(),
        };
        if let Some(a) = answer {
            out.insert(q.id.clone(), a);
        }
    }
    out
}

/// Writes the final labels into the gathered library: per step and field the majority of the
/// reviewers who labelled it, the trajectory's verdict and each score likewise (a score's
/// median when no majority), rubric answers likewise (free text kept with who wrote it), comments
/// kept with who made them.
fn apply_final_labels(lib: &Library, id: &str, reviews: &[(String, ReviewState)], rubric: &Rubric) -> Result<()> {
    if reviews.is_empty() {
        return Ok(());
    }
    let names = reviews.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>().join(", ");
    if let [(reviewer, state)] = reviews {
        for edit in state.edits() {
            lib.append_step_edit(id, edit, reviewer)?;
        }
        for (t0, (text, by)) in &state.transcripts {
            lib.set_transcript(id, *t0, Some(text), by)?;
        }
    }
    let steps: std::collections::BTreeSet<Micros> = reviews.iter().flat_map(|(_, s)| s.labels.keys().copied()).collect();
    for t in steps {
        let labels: Vec<(&str, &StepLabel)> = reviews.iter().filter_map(|(r, s)| s.labels.get(&t).map(|l| (r.as_str(), l))).collect();
        let flag = |f: fn(&StepLabel) -> bool| 2 * labels.iter().filter(|(_, l)| f(l)).count() > labels.len();
        let joined = |f: fn(&StepLabel) -> Option<&String>| {
            let parts: Vec<String> = labels.iter().filter_map(|(r, l)| f(l).map(|c| if labels.len() > 1 { format!("{r}: {c}") } else { c.clone() })).collect();
            (!parts.is_empty()).then(|| parts.join("\n"))
        };
        let label = StepLabel {
            correctness: majority(labels.iter().filter_map(|(_, l)| l.correctness.map(|c| order(&c)))).and_then(|c| serde_json::from_str(&c).ok()),
            mistake: flag(|l| l.mistake),
            recovery: flag(|l| l.recovery),
            is_unsafe: flag(|l| l.is_unsafe),
            env_response: majority(labels.iter().filter_map(|(_, l)| l.env_response.map(|e| order(&e)))).and_then(|e| serde_json::from_str(&e).ok()),
            comment: joined(|l| l.comment.as_ref()),
            reasoning: joined(|l| l.reasoning.as_ref()),
            answers: final_answers(&labels.iter().map(|(r, l)| (*r, &l.answers)).collect::<Vec<_>>(), rubric),
            ..Default::default()
        };
        lib.set_step_label(id, t, label, &names)?;
    }
    let trajectories: Vec<(&str, &TrajectoryReview)> = reviews.iter().filter_map(|(r, s)| s.trajectory.as_ref().map(|t| (r.as_str(), t))).collect();
    if !trajectories.is_empty() {
        let score = |f: fn(&Scores) -> Option<u8>| {
            let mut given: Vec<u8> = trajectories.iter().filter_map(|(_, t)| f(&t.scores)).collect();
            given.sort_unstable();
            majority(given.iter().copied()).or_else(|| given.get(given.len().saturating_sub(1) / 2).copied())
        };
        let comments: Vec<String> = trajectories.iter().filter_map(|(r, t)| t.comment.as_ref().map(|c| if trajectories.len() > 1 { format!("{r}: {c}") } else { c.clone() })).collect();
        let review = TrajectoryReview {
            scores: Scores { goal_completion: score(|s| s.goal_completion), efficiency: score(|s| s.efficiency), error_handling: score(|s| s.error_handling), safety: score(|s| s.safety) },
            verdict: majority(trajectories.iter().filter_map(|(_, t)| t.verdict.map(|v| v.as_str()))).and_then(Verdict::parse),
            comment: (!comments.is_empty()).then(|| comments.join("\n")),
            answers: final_answers(&trajectories.iter().map(|(r, t)| (*r, &t.answers)).collect::<Vec<_>>(), rubric),
            ..Default::default()
        };
        lib.set_trajectory_review(id, review, &names)?;
    }
    Ok(())
}
