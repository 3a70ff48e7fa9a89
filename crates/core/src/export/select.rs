//! Which recordings an export takes: named ids, or all of them, narrowed by filters.

use crate::model::{Outcome, RecordingStatus, Verdict};
use crate::store::{Library, StoreError};

#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Ids (or unique prefixes) named explicitly; each must be exportable.
    pub ids: Vec<String>,
    /// Every finished or interrupted recording that passes the filters.
    pub all: bool,
    /// Case-insensitive substring of the task instruction or task id.
    pub task: Option<String>,
    pub outcome: Option<Outcome>,
    /// The review verdict (unreviewed recordings have none and never match).
    pub verdict: Option<Verdict>,
    pub status: Option<RecordingStatus>,
    /// Inclusive bounds on the start date, `YYYY-MM-DD` (UTC) or a full RFC 3339 time.
    pub since: Option<String>,
    pub until: Option<String>,
}

/// Resolves a selection to full ids, oldest first. Live recordings are left out of `--all`.
pub fn select(lib: &Library, sel: &Selection) -> Result<Vec<String>, StoreError> {
    let mut ids: Vec<String> = sel.ids.iter().map(|id| lib.resolve_id(id)).collect::<Result<_, _>>()?;
    if sel.all || (sel.ids.is_empty() && (sel.task.is_some() || sel.outcome.is_some() || sel.verdict.is_some() || sel.status.is_some() || sel.since.is_some() || sel.until.is_some())) {
        let mut list = lib.list()?;
        list.reverse();
        for r in list {
            let task = sel.task.as_ref().map(|t| t.to_lowercase());
            let keep = !r.status.is_live()
                && task.as_ref().is_none_or(|t| r.task.to_lowercase().contains(t) || r.task_id.as_deref().is_some_and(|id| id.to_lowercase().contains(t)))
                && sel.outcome.is_none_or(|o| r.outcome == o)
                && sel.verdict.is_none_or(|v| r.verdict == Some(v))
                && sel.status.is_none_or(|s| r.status == s)
                && sel.since.as_ref().is_none_or(|d| r.started_at.as_str() >= d.as_str())
                && sel.until.as_ref().is_none_or(|d| r.started_at.get(..d.len()).is_some_and(|p| p <= d.as_str()));
            if keep && !ids.contains(&r.id) {
                ids.push(r.id);
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::sample_recording;

    #[test]
    fn filters_narrow_all_and_live_recordings_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        for (id, task, day, status) in [
            ("a", "Rename the file", "2026-11-01", RecordingStatus::Finished),
            ("b", "File the expense report", "2026-11-10", RecordingStatus::Interrupted),
            ("c", "Rename again", "2026-11-20", RecordingStatus::Finished),
            ("d", "Rename live", "2026-11-21", RecordingStatus::Recording),
        ] {
            let mut r = sample_recording(id);
            r.task.instruction = task.into();
            r.started_at = format!("{day}T10:00:00Z");
            r.status = status;
            lib.create_recording(&r).unwrap();
        }
        // d is live: its (simulated) recorder holds the lock, so opening does not recover it.
        let _held = crate::store::RecorderLock::try_acquire(&lib.lock_path("d")).unwrap().unwrap();
        let pick = |s: Selection| select(&lib, &s).unwrap();
        assert_eq!(pick(Selection { all: true, ..Default::default() }), vec!["a", "b", "c"]);
        assert_eq!(pick(Selection { task: Some("rename".into()), ..Default::default() }), vec!["a", "c"]);
        assert_eq!(pick(Selection { all: true, status: Some(RecordingStatus::Interrupted), ..Default::default() }), vec!["b"]);
        assert_eq!(pick(Selection { all: true, since: Some("2026-11-05".into()), until: Some("2026-11-20".into()), ..Default::default() }), vec!["b", "c"]);
        assert_eq!(pick(Selection { ids: vec!["c".into()], ..Default::default() }), vec!["c"]);
        lib.set_trajectory_review("c", crate::model::TrajectoryReview { verdict: Some(Verdict::Approved), ..Default::default() }, "ann").unwrap();
        assert_eq!(pick(Selection { verdict: Some(Verdict::Approved), ..Default::default() }), vec!["c"]);
        assert_eq!(pick(Selection { verdict: Some(Verdict::Rejected), ..Default::default() }), Vec::<String>::new());
    }
}
