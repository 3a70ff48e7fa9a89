//! A campaign's agreement report: every submitted review replayed to its labels, gathered into
//! units per label dimension — a step (by recording and start time) for correctness, the
//! mistake / recovery / unsafe flags, the environment's response and each of the campaign rubric's
//! step questions; a recording for each score, the verdict and each rubric trajectory question
//! (named `rubric.<id>`; free-text answers are not measured) — and measured with the core's Krippendorff's alpha (nominal for categories,
//! ordinal for 1–5 scores) with its bootstrap interval and reviewer × reviewer agreement. Not its
//! job: the arithmetic (`apprentice_core::review::agreement`) or HTTP (api.rs).

use std::collections::BTreeMap;

use apprentice_core::model::*;
use apprentice_core::review::agreement::{self, Level, Unit};
use apprentice_core::review::rubric;
use apprentice_hub_api::{AgreementReport, DimensionAgreement, ReviewerPair};

use crate::api::ApiError;

/// Bootstrap rounds for each interval, and the fixed seed that makes a report repeatable.
const ROUNDS: usize = 1000;
const SEED: u64 = 0x5EED_A11A;

/// A submitted review as agreement and the QA dashboard read it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub recording: String,
    /// The reviewer's pseudonym (what agreement is keyed by) and account name.
    pub reviewer: String,
    pub name: String,
    /// The UTC day it was submitted (YYYY-MM-DD) and the minutes from lease to submit.
    pub day: String,
    pub minutes: f64,
    pub state: ReviewState,
}

/// Each submitted review of `campaign` (not adjudications), by recording.
pub async fn submitted(client: &impl deadpool_postgres::GenericClient, campaign: &str) -> Result<Vec<Submitted>, ApiError> {
    crate::campaigns::campaign_id(client, campaign).await?;
    let rows = client
        .query(
            "SELECT v.id, v.recording_id, u.pseudonym, u.name, to_char(v.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), EXTRACT(EPOCH FROM (v.ended_at - v.leased_at))::FLOAT8 / 60
             FROM reviews v JOIN recordings r ON r.id = v.recording_id JOIN campaigns c ON c.id = r.campaign_id JOIN users u ON u.id = v.reviewer_id
             WHERE c.name = $1 AND v.state = 'submitted' AND v.kind = 'review' ORDER BY v.recording_id, v.id",
            &[&campaign],
        )
        .await
        .map_err(ApiError::db)?;
    let mut out = vec![];
    for r in rows {
        let reviewer: String = r.get(2);
        let state = ReviewState::from_log(crate::review::log(client, r.get(0), &reviewer).await?);
        out.push(Submitted { recording: r.get(1), reviewer, name: r.get(3), day: r.get::<_, Option<String>>(4).unwrap_or_default(), minutes: r.get::<_, Option<f64>>(5).unwrap_or(0.0), state });
    }
    Ok(out)
}

/// The (recording, reviewer, state) triples [`units`] measures.
pub fn triples(reviews: &[Submitted]) -> Vec<(String, String, ReviewState)> {
    reviews.iter().map(|r| (r.recording.clone(), r.reviewer.clone(), r.state.clone())).collect()
}

fn correctness(c: Correctness) -> i64 {
    match c {
        Correctness::Correct => 0,
        Correctness::Incorrect => 1,
        Correctness::Redundant => 2,
    }
}

fn env(e: EnvResponse) -> i64 {
    match e {
        EnvResponse::Success => 0,
        EnvResponse::Partial => 1,
        EnvResponse::Failure => 2,
    }
}

fn verdict(v: Verdict) -> i64 {
    match v {
        Verdict::Approved => 0,
        Verdict::NeedsEdit => 1,
        Verdict::Rejected => 2,
    }
}

type StepValue = fn(&StepLabel) -> Option<i64>;
type TrajectoryValue = fn(&TrajectoryReview) -> Option<i64>;

/// The step dimensions; a flag counts on every step the reviewer labelled.
const STEP_DIMENSIONS: &[(&str, StepValue)] = &[
    ("correctness", |l| l.correctness.map(correctness)),
    ("mistake", |l| Some(i64::from(l.mistake))),
    ("recovery", |l| Some(i64::from(l.recovery))),
    ("unsafe", |l| Some(i64::from(l.is_unsafe))),
    ("env_response", |l| l.env_response.map(env)),
];

const TRAJECTORY_DIMENSIONS: &[(&str, Level, TrajectoryValue)] = &[
    ("goal_completion", Level::Ordinal, |t| t.scores.goal_completion.map(i64::from)),
    ("efficiency", Level::Ordinal, |t| t.scores.efficiency.map(i64::from)),
    ("error_handling", Level::Ordinal, |t| t.scores.error_handling.map(i64::from)),
    ("safety", Level::Ordinal, |t| t.scores.safety.map(i64::from)),
    ("verdict", Level::Nominal, |t| t.verdict.map(verdict)),
];

/// Units of every dimension, by dimension name, from the submitted reviews.
pub fn units(reviews: &[(String, String, ReviewState)], rubric: &Rubric) -> Vec<(String, Level, Vec<Unit>)> {
    let mut out = vec![];
    for (name, value) in STEP_DIMENSIONS {
        let mut by_step: BTreeMap<(&str, Micros), Unit> = BTreeMap::new();
        for (recording, reviewer, state) in reviews {
            for (t, label) in &state.labels {
                if let Some(v) = value(label) {
                    by_step.entry((recording, *t)).or_default().insert(reviewer.clone(), v);
                }
            }
        }
        out.push((name.to_string(), Level::Nominal, by_step.into_values().collect()));
    }
    for (name, level, value) in TRAJECTORY_DIMENSIONS {
        let mut by_recording: BTreeMap<&str, Unit> = BTreeMap::new();
        for (recording, reviewer, state) in reviews {
            if let Some(v) = state.trajectory.as_ref().and_then(value) {
                by_recording.entry(recording).or_default().insert(reviewer.clone(), v);
            }
        }
        out.push((name.to_string(), *level, by_recording.into_values().collect()));
    }
    for q in &rubric.questions {
        let Some(level) = rubric::level(q) else { continue };
        let mut by_unit: BTreeMap<(&str, Option<Micros>), Unit> = BTreeMap::new();
        for (recording, reviewer, state) in reviews {
            let answers: Vec<(Option<Micros>, &Answers)> = match q.scope {
                RubricScope::Step => state.labels.iter().map(|(t, l)| (Some(*t), &l.answers)).collect(),
                RubricScope::Trajectory => state.trajectory.iter().map(|t| (None, &t.answers)).collect(),
            };
            for (t, answers) in answers {
                if let Some(v) = answers.get(&q.id).and_then(|a| rubric::value(q, a)) {
                    by_unit.entry((recording, t)).or_default().insert(reviewer.clone(), v);
                }
            }
        }
        out.push((format!("rubric.{}", q.id), level, by_unit.into_values().collect()));
    }
    out
}

/// How much one recording's reviewers agree: the share of equal values over every pair of
/// reviewers and every label both gave, all dimensions together. None with fewer than two
/// reviews or nothing both labelled.
pub fn of_recording(reviews: &[(String, ReviewState)], rubric: &Rubric) -> Option<f64> {
    if reviews.len() < 2 {
        return None;
    }
    let tagged: Vec<(String, String, ReviewState)> = reviews.iter().map(|(r, s)| (String::new(), r.clone(), s.clone())).collect();
    let (compared, matched) = pooled(&tagged, rubric);
    (compared > 0).then(|| matched as f64 / compared as f64)
}

/// (values compared, values equal) over every pair of reviewers in every dimension.
fn pooled(reviews: &[(String, String, ReviewState)], rubric: &Rubric) -> (usize, usize) {
    let (mut compared, mut matched) = (0, 0);
    for (_, _, dimension) in units(reviews, rubric) {
        for p in agreement::pairs(&dimension) {
            compared += p.units;
            matched += (p.agreement.unwrap_or(0.0) * p.units as f64).round() as usize;
        }
    }
    (compared, matched)
}

/// How a review compares with a gold reference: (values the reference gives that the review
/// also gives, of those the equal ones).
pub fn against_reference(reference: &ReviewState, review: &ReviewState, rubric: &Rubric) -> (usize, usize) {
    // Only the reference's labels count: a step it leaves unlabelled is no question.
    let mut asked = review.clone();
    asked.labels.retain(|t, _| reference.labels.contains_key(t));
    if reference.trajectory.is_none() {
        asked.trajectory = None;
    }
    pooled(&[(String::new(), "\u{0}reference".into(), reference.clone()), (String::new(), "review".into(), asked)], rubric)
}

/// The agreement report of `campaign`.
pub async fn report(client: &impl deadpool_postgres::GenericClient, campaign: &str) -> Result<AgreementReport, ApiError> {
    let reviews = triples(&submitted(client, campaign).await?);
    let rubric = crate::campaigns::rubric(client, campaign).await?;
    let dimensions = units(&reviews, &rubric)
        .into_iter()
        .map(|(name, level, units)| {
            let pairable: Vec<&Unit> = units.iter().filter(|u| u.len() >= 2).collect();
            DimensionAgreement {
                name,
                level: match level {
                    Level::Nominal => "nominal",
                    Level::Ordinal => "ordinal",
                }
                .to_string(),
                alpha: agreement::alpha(&units, level),
                interval: agreement::bootstrap(&units, level, ROUNDS, SEED).map(|(lo, hi)| [lo, hi]),
                units: pairable.len(),
                values: pairable.iter().map(|u| u.len()).sum(),
                pairs: agreement::pairs(&units).into_iter().map(|p| ReviewerPair { a: p.a, b: p.b, units: p.units, agreement: p.agreement }).collect(),
            }
        })
        .collect();
    Ok(AgreementReport { campaign: campaign.to_string(), reviews: reviews.len(), dimensions })
}
