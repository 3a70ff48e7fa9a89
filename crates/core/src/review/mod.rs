//! Review: a recording's trajectory as its reviewers left it. The segmentation stays derived
//! from the raw streams; a reviewer's step edits (delete, merge, split, fix an action) are
//! replayed over its actions in the order they were made, steps are rebuilt from the result with
//! the segmenter's own rules (so before/after frames and reasoning stay consistent), and labels
//! are attached by step start time. Kept here: applying and checking edits. Not here: storing
//! them ([`crate::store`]) or showing them (the app).

pub mod agreement;
pub mod compare;
pub mod rubric;

use crate::model::*;
use crate::segment::{self, actions};
use crate::store::{Library, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no step starts at {0} µs (it may have been deleted, merged or re-segmented)")]
    NoSuchStep(Micros),
    #[error("the step at {0} µs is the last one: there is nothing after it to merge with")]
    NothingToMerge(Micros),
    #[error("a {0} and a {1} cannot be one action; delete one of them or fix its action instead")]
    CannotMerge(&'static str, &'static str),
    #[error("the step at {step} µs cannot be split at {at} µs: {reason}")]
    CannotSplit { step: Micros, at: Micros, reason: String },
    #[error("{0} must be between 1 and 5")]
    ScoreOutOfRange(&'static str),
    #[error(transparent)]
    Rubric(#[from] rubric::RubricError),
}

/// A trajectory with its review applied.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct Reviewed {
    pub steps: Vec<Step>,
    pub quality: Quality,
    pub review: Option<TrajectoryReview>,
    /// Edits that no longer apply (their step is gone, e.g. after re-segmenting with new rules).
    pub stale_edits: Vec<StepEdit>,
    /// Entries of the audit log, oldest first.
    pub log: Vec<AuditEntry>,
}

/// What a review view shows of one recording (the desktop app's and the hub's alike).
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct TrajectoryView {
    pub recording: Recording,
    /// The campaign's own questions, asked beside the built-in labels.
    pub rubric: Option<Rubric>,
    #[serde(flatten)]
    pub reviewed: Reviewed,
}

/// The review view of a recording as this library has it, with its campaign's rubric.
pub fn view(lib: &Library, id: &str) -> Result<TrajectoryView, ReviewError> {
    let reviewed = load(lib, id)?;
    let recording = lib.recording(id)?;
    Ok(TrajectoryView { rubric: lib.rubric_of(&recording)?, recording, reviewed })
}

/// Applies `state` to `seg`. Without edits the segmentation's steps are used as they are.
pub fn apply(recording: &Recording, seg: &Segmentation, state: &ReviewState, streams: &Streams) -> Reviewed {
    let mut stale_edits = vec![];
    let (mut steps, quality) = if state.edits().next().is_none() {
        (seg.steps.clone(), seg.quality.clone())
    } else {
        let mut acts: Vec<Action> = seg.steps.iter().map(|s| s.action.clone()).collect();
        for edit in state.edits() {
            if let Err(e) = apply_edit(&mut acts, edit, &streams.input) {
                tracing::warn!(recording = %recording.id, ?edit, "edit no longer applies: {e}");
                stale_edits.push(edit.clone());
            }
        }
        let steps = rebuild(recording, acts, streams);
        let quality = segment::quality::measure(&steps, recording.duration_us, &recording.pauses);
        (steps, quality)
    };
    for st in &mut steps {
        for r in st.reasoning.iter_mut().filter(|r| r.source == ReasoningSource::Spoken) {
            if let Some((text, reviewer)) = state.transcripts.get(&r.t0) {
                (r.text, r.author) = (text.clone(), Some(reviewer.clone()));
            }
        }
        st.label = state.labels.get(&st.t_start).cloned();
        if let Some(text) = st.label.as_ref().and_then(|l| l.reasoning.clone()) {
            let author = st.label.as_ref().map(|l| l.reviewer.clone()).filter(|r| !r.is_empty());
            st.reasoning.push(Reasoning { source: ReasoningSource::Review, text, t0: st.t_start, t1: st.t_start, audio: None, author });
        }
    }
    Reviewed { steps, quality, review: state.trajectory.clone(), stale_edits, log: state.log.clone() }
}

fn rebuild(recording: &Recording, actions: Vec<Action>, s: &Streams) -> Vec<Step> {
    segment::steps::build_steps(actions, recording, s)
}

/// Applies one edit to a list of actions (sorted by start).
pub fn apply_edit(acts: &mut Vec<Action>, edit: &StepEdit, input: &[InputEvent]) -> Result<(), ReviewError> {
    let i = acts.iter().position(|a| a.t_start == edit.step()).ok_or(ReviewError::NoSuchStep(edit.step()))?;
    match edit {
        StepEdit::Delete { .. } => {
            acts.remove(i);
        }
        StepEdit::Merge { step } => {
            let next = acts.get(i + 1).ok_or(ReviewError::NothingToMerge(*step))?.clone();
            acts[i] = merge(&acts[i], &next)?;
            acts.remove(i + 1);
        }
        StepEdit::Split { step, at } => {
            let parts = split(&acts[i], *at, input).map_err(|reason| ReviewError::CannotSplit { step: *step, at: *at, reason })?;
            acts.splice(i..=i, parts);
        }
        StepEdit::FixAction { fix, .. } => {
            let a = &mut acts[i];
            if let Some(kind) = fix.kind {
                a.kind = kind;
            }
            a.x = fix.x.or(a.x);
            a.y = fix.y.or(a.y);
            if let Some(text) = &fix.text {
                a.text = Some(text.clone());
            }
            if let Some(keys) = &fix.keys {
                a.keys = keys.clone();
            }
            a.scroll_dx = fix.scroll_dx.unwrap_or(a.scroll_dx);
            a.scroll_dy = fix.scroll_dy.unwrap_or(a.scroll_dy);
        }
    }
    Ok(())
}

/// One action from two consecutive ones, where their kinds make one: typing continued, a scroll
/// resumed, a drag picked up again, a hover moved on.
fn merge(a: &Action, b: &Action) -> Result<Action, ReviewError> {
    let mut m = a.clone();
    m.t_end = b.t_end;
    m.raw = (a.raw.0, b.raw.1);
    match (a.kind, b.kind) {
        (ActionKind::Type, ActionKind::Type) => {
            m.text = Some(format!("{}{}", a.text.as_deref().unwrap_or(""), b.text.as_deref().unwrap_or("")));
            m.backspaces = a.backspaces + b.backspaces;
        }
        (ActionKind::Scroll, ActionKind::Scroll) => {
            m.scroll_dx = a.scroll_dx + b.scroll_dx;
            m.scroll_dy = a.scroll_dy + b.scroll_dy;
        }
        (ActionKind::Drag, ActionKind::Drag) => {
            m.path.extend(b.path.iter().cloned());
        }
        (ActionKind::Move, ActionKind::Move) => {
            (m.x, m.y) = (b.x, b.y);
        }
        (ka, kb) => return Err(ReviewError::CannotMerge(ka.as_str(), kb.as_str())),
    }
    Ok(m)
}

/// Re-reduces the action's own input events with a barrier at `at`, so each side is reduced by
/// the same rules as any other action.
fn split(a: &Action, at: Micros, input: &[InputEvent]) -> Result<Vec<Action>, String> {
    if at <= a.t_start || at > a.t_end {
        return Err(format!("the split point must fall inside the step ({}–{} µs]", a.t_start, a.t_end));
    }
    let events = input.get(a.raw.0..=a.raw.1).ok_or("its input events are missing")?;
    let (mut parts, _) = actions::reduce(events, &[at]);
    for p in &mut parts {
        p.raw = (p.raw.0 + a.raw.0, p.raw.1 + a.raw.0);
    }
    if parts.len() < 2 {
        return Err("both sides must hold a whole action (a click cannot be cut in half)".into());
    }
    Ok(parts)
}

/// Loads a recording's trajectory as reviewed (segmenting it first if it never was).
pub fn load(lib: &Library, id: &str) -> Result<Reviewed, ReviewError> {
    let state = lib.review_state(&lib.finished_recording(id)?.id)?;
    load_as(lib, id, &state)
}

/// Loads a recording's trajectory with a review kept elsewhere (`state`, e.g. one hub
/// reviewer's, replayed with [`ReviewState::from_log`]) instead of the library's own.
pub fn load_as(lib: &Library, id: &str, state: &ReviewState) -> Result<Reviewed, ReviewError> {
    let recording = lib.finished_recording(id)?;
    let seg = segment::stored_or_new(lib, &recording.id)?;
    // Without edits the stored steps stand as they are: no need to read the raw streams.
    let streams = if state.edits().next().is_none() { Streams::default() } else { lib.streams(&recording.id)? };
    Ok(apply(&recording, &seg, state, &streams))
}

/// Checks that `edit` applies to the trajectory as it is now, then records it.
pub fn edit(lib: &Library, id: &str, edit: &StepEdit, reviewer: &str) -> Result<Reviewed, ReviewError> {
    let current = load(lib, id)?;
    let input = if matches!(edit, StepEdit::Split { .. }) { lib.input_events(id)? } else { vec![] };
    check_edit(&current, edit, &input)?;
    lib.append_step_edit(id, edit, reviewer)?;
    load(lib, id)
}

/// Checks scores are in range and rubric answers fit the campaign's questions, then records the
/// trajectory review.
pub fn set_trajectory_review(lib: &Library, id: &str, review: TrajectoryReview, reviewer: &str) -> Result<TrajectoryReview, ReviewError> {
    check_scores(&review.scores)?;
    rubric::check_answers(&rubric_for(lib, id)?, RubricScope::Trajectory, &review.answers)?;
    Ok(lib.set_trajectory_review(id, review, reviewer)?)
}

/// Checks rubric answers fit the campaign's step questions, then sets (or, empty, clears) the
/// label of the step starting at `step`.
pub fn set_step_label(lib: &Library, id: &str, step: Micros, label: StepLabel, reviewer: &str) -> Result<Option<StepLabel>, ReviewError> {
    rubric::check_answers(&rubric_for(lib, id)?, RubricScope::Step, &label.answers)?;
    Ok(lib.set_step_label(id, step, label, reviewer)?)
}

/// The rubric recording `id` is reviewed with (an empty one when its campaign has none).
fn rubric_for(lib: &Library, id: &str) -> Result<Rubric, ReviewError> {
    Ok(lib.rubric_of(&lib.recording(id)?)?.unwrap_or_default())
}

/// Every score given is between [`Scores::MIN`] and [`Scores::MAX`].
pub fn check_scores(scores: &Scores) -> Result<(), ReviewError> {
    match scores.all().into_iter().find(|(_, s)| s.is_some_and(|s| !(Scores::MIN..=Scores::MAX).contains(&s))) {
        Some((name, _)) => Err(ReviewError::ScoreOutOfRange(name)),
        None => Ok(()),
    }
}

/// Checks that `edit` applies to `current` (a trajectory as reviewed so far); `input` is the
/// recording's input events, needed to split.
pub fn check_edit(current: &Reviewed, edit: &StepEdit, input: &[InputEvent]) -> Result<(), ReviewError> {
    let mut acts: Vec<Action> = current.steps.iter().map(|s| s.action.clone()).collect();
    apply_edit(&mut acts, edit, input)
}

/// Who is reviewing: the name given (`--reviewer`), else `$APPRENTICE_REVIEWER`, else the login
/// name.
pub fn reviewer_name(given: Option<String>) -> String {
    given.or_else(|| std::env::var("APPRENTICE_REVIEWER").ok()).or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "reviewer".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t_ms: u64, kind: InputKind, k: &str, text: Option<&str>) -> InputEvent {
        InputEvent { t: t_ms * 1000, kind, x: 0, y: 0, button: None, key: Some(k.into()), code: None, text: text.map(Into::into), dx: 0, dy: 0, modifiers: Modifiers(0), origin: Default::default() }
    }

    fn typing(word: &str, t0_ms: u64) -> Vec<InputEvent> {
        word.chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let t = t0_ms + i as u64 * 100;
                let k = c.to_string();
                [key(t, InputKind::KeyPress, &k, Some(&k)), key(t + 40, InputKind::KeyRelease, &k, None)]
            })
            .collect()
    }

    fn typed(text: &str, t_ms: u64) -> Action {
        Action { text: Some(text.into()), ..actions::action(ActionKind::Type, t_ms * 1000, t_ms * 1000 + 1, (0, 0)) }
    }

    #[test]
    fn split_rereduces_the_events_on_each_side() {
        let input = typing("abcd", 0);
        let (acts, _) = actions::reduce(&input, &[]);
        assert_eq!(acts.len(), 1, "one typing action to start with");
        let mut acts = acts;
        apply_edit(&mut acts, &StepEdit::Split { step: 0, at: 200_000 }, &input).unwrap();
        let texts: Vec<_> = acts.iter().map(|a| a.text.clone().unwrap_or_default()).collect();
        assert_eq!(texts, ["ab", "cd"]);
        assert_eq!(acts[1].raw, (4, 6), "raw ranges (first to last key press) index the recording's events, not the slice");
        assert!(matches!(apply_edit(&mut acts, &StepEdit::Split { step: 0, at: 150_000 }, &input), Err(ReviewError::CannotSplit { .. })));
    }

    #[test]
    fn merge_joins_what_can_be_one_action_and_refuses_the_rest() {
        let mut acts = vec![typed("hel", 0), typed("lo", 1), actions::action(ActionKind::Click, 2000, 2001, (0, 0))];
        apply_edit(&mut acts, &StepEdit::Merge { step: 0 }, &[]).unwrap();
        assert_eq!(acts.len(), 2);
        assert_eq!(acts[0].text.as_deref(), Some("hello"));
        assert_eq!(acts[0].t_end, 1001);
        let err = apply_edit(&mut acts, &StepEdit::Merge { step: 0 }, &[]).unwrap_err();
        assert!(err.to_string().contains("a type and a click cannot be one action"), "{err}");
        assert!(matches!(apply_edit(&mut acts, &StepEdit::Merge { step: 2000 }, &[]), Err(ReviewError::NothingToMerge(2000))));
    }

    #[test]
    fn delete_and_fix_name_steps_by_start_time() {
        let mut acts = vec![typed("a", 0), typed("b", 5), typed("c", 9)];
        apply_edit(&mut acts, &StepEdit::Delete { step: 5000 }, &[]).unwrap();
        apply_edit(&mut acts, &StepEdit::FixAction { step: 9000, fix: ActionFix { text: Some("see".into()), ..Default::default() } }, &[]).unwrap();
        assert_eq!(acts.iter().map(|a| a.text.clone().unwrap_or_default()).collect::<Vec<_>>(), ["a", "see"]);
        assert!(matches!(apply_edit(&mut acts, &StepEdit::Delete { step: 5000 }, &[]), Err(ReviewError::NoSuchStep(5000))));
    }
}
