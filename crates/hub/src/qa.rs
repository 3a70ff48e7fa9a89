//! A campaign's QA dashboard: the figures a vendor shows a lab, each chart a table (first column
//! the x axis) that the dashboard page draws and `GET /api/campaigns/{name}/qa/{chart}` gives as
//! CSV, so a figure on screen and in a spreadsheet are the same numbers. Progress per task; hours
//! recorded per day; reasoning coverage and synthetic input per day; final verdicts; agreement
//! over time (Krippendorff's alpha of the reviews submitted up to each day); reviews per
//! reviewer per day and minutes per review; gold accuracy; per-expert quality (reasoning coverage, redundancy, steps
//! reviewers marked as mistakes, synthetic input). Not its job: the arithmetic of agreement
//! (agreement.rs and the core) or drawing (ui/src/qa/).

use std::collections::{BTreeMap, BTreeSet};

use apprentice_core::review::agreement as measure;
use apprentice_hub_api::{QaChart, QaReport, QaTotals};
use serde_json::{json, Value};

use crate::agreement::{self, Submitted};
use crate::api::ApiError;

/// Agreement dimensions drawn over time.
const OVER_TIME: [&str; 3] = ["correctness", "verdict", "goal_completion"];

fn chart(id: &str, title: &str, kind: &str, unit: &str, columns: &[&str], series: &[&str], rows: Vec<Vec<Value>>) -> QaChart {
    QaChart {
        id: id.into(),
        title: title.into(),
        kind: kind.into(),
        unit: unit.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        series: series.iter().map(|c| c.to_string()).collect(),
        rows,
    }
}

/// A share 0–1 as a percentage rounded to a tenth.
fn percent(x: f64) -> Value {
    json!((x * 1000.0).round() / 10.0)
}

fn round2(x: f64) -> Value {
    json!((x * 100.0).round() / 100.0)
}

/// The dashboard of `campaign`.
pub async fn report(client: &deadpool_postgres::Client, campaign: &str) -> Result<QaReport, ApiError> {
    let cid = crate::campaigns::campaign_id(client, campaign).await?;
    let reviews = agreement::submitted(client, campaign).await?;
    let mut charts = vec![];

    let progress = crate::campaigns::progress(client, campaign).await?;
    let rows = progress.iter().map(|t| vec![json!(t.id), json!(t.target), json!(t.recorded), json!(t.reviewed), json!(t.approved)]).collect();
    charts.push(chart("progress", "Progress per task", "bar", "recordings", &["task", "target", "recorded", "reviewed", "approved"], &["target", "recorded", "reviewed", "approved"], rows));

    let days = client
        .query(
            "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d, count(*), COALESCE(sum(duration_us), 0)::FLOAT8 / 3.6e9, COALESCE(sum(steps), 0)::BIGINT,
                    COALESCE(sum(steps * COALESCE((quality->>'reasoning_coverage')::FLOAT8, 0)), 0)::FLOAT8, COALESCE(sum(steps * synthetic_input_share), 0)::FLOAT8
             FROM recordings WHERE campaign_id = $1 GROUP BY d ORDER BY d",
            &[&cid],
        )
        .await
        .map_err(ApiError::db)?;
    let (mut hours_so_far, mut recorded, mut coverage) = (0.0, vec![], vec![]);
    for r in &days {
        let (day, n, hours, steps, thought, synthetic): (String, i64, f64, i64, f64, f64) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        hours_so_far += hours;
        recorded.push(vec![json!(day), json!(n), round2(hours), round2(hours_so_far), json!(steps)]);
        let share = |x: f64| if steps > 0 { percent(x / steps as f64) } else { Value::Null };
        coverage.push(vec![json!(day), share(thought), share(synthetic)]);
    }
    charts.push(chart("recorded", "Hours recorded", "line", "hours", &["day", "recordings", "hours", "hours_total", "steps"], &["hours", "hours_total"], recorded));
    charts.push(chart(
        "coverage",
        "Reasoning coverage and synthetic input",
        "line",
        "% of steps",
        &["day", "reasoning_coverage_percent", "synthetic_input_percent"],
        &["reasoning_coverage_percent", "synthetic_input_percent"],
        coverage,
    ));

    let verdicts = client
        .query(
            "SELECT COALESCE(o.verdict, CASE WHEN o.reviewed THEN 'undecided' ELSE 'awaiting_review' END) AS v, count(*) FROM review_outcomes o WHERE o.campaign_id = $1 GROUP BY v ORDER BY v",
            &[&cid],
        )
        .await
        .map_err(ApiError::db)?;
    let all: i64 = verdicts.iter().map(|r| r.get::<_, i64>(1)).sum();
    let rows = verdicts.iter().map(|r| vec![json!(r.get::<_, String>(0)), json!(r.get::<_, i64>(1)), percent(r.get::<_, i64>(1) as f64 / all.max(1) as f64)]).collect();
    charts.push(chart("verdicts", "Final verdicts", "bar", "recordings", &["verdict", "recordings", "percent"], &["recordings"], rows));

    let rubric = crate::campaigns::rubric(client, campaign).await?;
    charts.push(agreement_over_time(&reviews, &rubric));
    charts.push(throughput(&reviews));
    charts.push(reviewer_pace(&reviews));

    let gold = crate::gold::accuracy(client, campaign).await?;
    let rows = gold.iter().map(|g| vec![json!(g.reviewer), g.accuracy.map(percent).unwrap_or(Value::Null), json!(g.recordings), json!(g.compared), json!(g.matched)]).collect();
    charts.push(chart(
        "gold",
        "Gold accuracy per reviewer",
        "bar",
        "% of reference values",
        &["reviewer", "accuracy_percent", "gold_recordings", "values_compared", "values_matched"],
        &["accuracy_percent"],
        rows,
    ));

    charts.push(experts(client, cid, &reviews).await?);

    let t = client
        .query_one(
            "SELECT count(*), COALESCE(sum(duration_us), 0)::FLOAT8 / 3.6e9, COALESCE(sum(steps), 0)::BIGINT, sum(steps * COALESCE((quality->>'reasoning_coverage')::FLOAT8, 0))::FLOAT8 / NULLIF(sum(steps), 0),
                    (SELECT count(*) FROM review_outcomes o WHERE o.campaign_id = $1 AND o.reviewed), (SELECT count(*) FROM review_outcomes o WHERE o.campaign_id = $1 AND o.verdict = 'approved'),
                    (SELECT count(*) FROM comparisons k WHERE k.campaign_id = $1 AND k.state = 'submitted')
             FROM recordings WHERE campaign_id = $1",
            &[&cid],
        )
        .await
        .map_err(ApiError::db)?;
    let totals =
        QaTotals { recordings: t.get(0), hours: t.get(1), steps: t.get(2), reasoning_coverage: t.get(3), reviewed: t.get(4), approved: t.get(5), reviews: reviews.len() as i64, comparisons: t.get(6) };
    Ok(QaReport { campaign: campaign.to_string(), totals, charts })
}

/// Alpha of each drawn dimension over the reviews submitted up to the end of each day.
fn agreement_over_time(reviews: &[Submitted], rubric: &apprentice_core::model::Rubric) -> QaChart {
    let days: BTreeSet<&str> = reviews.iter().map(|r| r.day.as_str()).collect();
    let rows = days
        .iter()
        .map(|day| {
            let upto: Vec<Submitted> = reviews.iter().filter(|r| r.day.as_str() <= *day).cloned().collect();
            let dims = agreement::units(&agreement::triples(&upto), rubric);
            let mut row = vec![json!(day), json!(upto.len())];
            for name in OVER_TIME {
                let alpha = dims.iter().find(|(n, _, _)| n == name).and_then(|(_, level, units)| measure::alpha(units, *level));
                row.push(alpha.map(|a| json!((a * 1000.0).round() / 1000.0)).unwrap_or(Value::Null));
            }
            row
        })
        .collect();
    let mut columns = vec!["day", "reviews_so_far"];
    columns.extend(OVER_TIME);
    chart("agreement", "Agreement over time (Krippendorff's alpha)", "line", "alpha", &columns, &OVER_TIME, rows)
}

/// Reviews each reviewer submitted per day.
fn throughput(reviews: &[Submitted]) -> QaChart {
    let reviewers: BTreeSet<&str> = reviews.iter().map(|r| r.name.as_str()).collect();
    let mut by_day: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for r in reviews {
        *by_day.entry(&r.day).or_default().entry(&r.name).or_default() += 1;
    }
    let rows = by_day.iter().map(|(day, counts)| std::iter::once(json!(day)).chain(reviewers.iter().map(|n| json!(counts.get(n).copied().unwrap_or(0)))).collect()).collect();
    let mut columns = vec!["day"];
    columns.extend(reviewers.iter().copied());
    let series: Vec<&str> = reviewers.iter().copied().collect();
    chart("throughput", "Reviews submitted per reviewer per day", "bar", "reviews", &columns, &series, rows)
}

/// Per reviewer: reviews submitted and the median minutes from lease to submit.
fn reviewer_pace(reviews: &[Submitted]) -> QaChart {
    let reviewers: BTreeSet<&str> = reviews.iter().map(|r| r.name.as_str()).collect();
    let rows = reviewers
        .iter()
        .map(|n| {
            let mut m: Vec<f64> = reviews.iter().filter(|r| r.name == *n).map(|r| r.minutes).collect();
            m.sort_by(f64::total_cmp);
            vec![json!(n), json!(m.len()), m.get(m.len() / 2).map(|x| round2(*x)).unwrap_or(Value::Null)]
        })
        .collect();
    chart("pace", "Minutes per review (median)", "bar", "minutes", &["reviewer", "reviews", "median_minutes_per_review"], &["median_minutes_per_review"], rows)
}

/// Per expert: recordings, hours, steps, reasoning coverage, redundancy per 100 steps, the
/// share of reviewed steps marked a mistake, synthetic input.
async fn experts(client: &deadpool_postgres::Client, cid: i64, reviews: &[Submitted]) -> Result<QaChart, ApiError> {
    let rows = client
        .query(
            "SELECT u.name, count(*), COALESCE(sum(r.duration_us), 0)::FLOAT8 / 3.6e9, COALESCE(sum(r.steps), 0)::BIGINT,
                    COALESCE(sum(r.steps * COALESCE((r.quality->>'reasoning_coverage')::FLOAT8, 0)), 0)::FLOAT8, COALESCE(sum(COALESCE((r.quality->>'redundancy')::FLOAT8, 0)), 0)::FLOAT8,
                    COALESCE(sum(r.steps * r.synthetic_input_share), 0)::FLOAT8, array_agg(r.id)
             FROM recordings r JOIN users u ON u.id = r.user_id WHERE r.campaign_id = $1 GROUP BY u.name ORDER BY u.name",
            &[&cid],
        )
        .await
        .map_err(ApiError::db)?;
    let out = rows
        .iter()
        .map(|r| {
            let (name, n, hours, steps, thought, redundancy, synthetic, ids): (String, i64, f64, i64, f64, f64, f64, Vec<String>) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7));
            let labelled: Vec<&apprentice_core::model::StepLabel> = reviews.iter().filter(|v| ids.contains(&v.recording)).flat_map(|v| v.state.labels.values()).collect();
            let mistakes = labelled.iter().filter(|l| l.mistake).count();
            let per_step = |x: f64| if steps > 0 { percent(x / steps as f64) } else { Value::Null };
            vec![
                json!(name),
                json!(n),
                round2(hours),
                json!(steps),
                per_step(thought),
                per_step(redundancy),
                if labelled.is_empty() { Value::Null } else { percent(mistakes as f64 / labelled.len() as f64) },
                per_step(synthetic),
                json!(labelled.len()),
            ]
        })
        .collect();
    Ok(chart(
        "experts",
        "Quality per expert",
        "bar",
        "%",
        &["expert", "recordings", "hours", "steps", "reasoning_coverage_percent", "redundancy_per_100_steps", "mistake_percent_of_reviewed_steps", "synthetic_input_percent", "reviewed_step_labels"],
        &["reasoning_coverage_percent", "redundancy_per_100_steps", "mistake_percent_of_reviewed_steps", "synthetic_input_percent"],
        out,
    ))
}

/// `c` as CSV (RFC 4180: fields with a comma, quote or line break quoted, quotes doubled).
pub fn csv(c: &QaChart) -> String {
    let field = |v: &Value| -> String {
        let s = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = c.columns.iter().map(|h| field(&json!(h))).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for row in &c.rows {
        out.push_str(&row.iter().map(field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_becomes_csv_with_quoted_fields_and_empty_nulls() {
        let c = chart("t", "T", "bar", "x", &["name", "value"], &["value"], vec![vec![json!("a, \"b\""), json!(1.5)], vec![json!("c"), Value::Null]]);
        assert_eq!(csv(&c), "name,value\r\n\"a, \"\"b\"\"\",1.5\r\nc,\r\n");
    }
}
