//! Steps: each action with what the expert saw *before* it (the last frame whose capture
//! completed before the action's first event — never a frame that may show its effect), the
//! screen *after* it (the last frame before the next action began: frames are only stored when
//! the screen changed, so this is the settled consequence; for a hover, the last frame before
//! the pointer left), the window it was aimed at, and the
//! reasoning and markers that belong to it:
//! - a note (typed or spoken) belongs to the first action that ends at or after it: a thought
//!   precedes the action it explains, and one spoken during an action stays with it; an
//!   utterance of think-aloud audio follows the same rule by its start, carrying its span and
//!   a reference to its audio (a long monologue is several utterances, so it spans steps);
//! - `mistake` and `subtask-end` markers close what came before: they go to the last action that
//!   started before them; `recovery`, `subtask-start` and `custom` go to the next action.

use crate::model::*;

use super::actions::HoverCandidate;

/// How far from a resting pointer a screen change may be and still count as its hover effect.
pub const HOVER_EFFECT_RADIUS: i32 = 300;

/// Hover candidates that changed the screen near the pointer become `move` actions.
pub fn hover_actions(hovers: &[HoverCandidate], frames: &[Frame]) -> Vec<Action> {
    hovers
        .iter()
        .filter(|h| {
            frames.iter().filter(|f| f.t > h.t && f.t <= h.until).any(|f| match &f.encoding {
                FrameEncoding::Key => true,
                FrameEncoding::Delta { rects, .. } => rects.iter().any(|r| {
                    let near = Rect { x: h.x - HOVER_EFFECT_RADIUS, y: h.y - HOVER_EFFECT_RADIUS, width: 2 * HOVER_EFFECT_RADIUS as u32, height: 2 * HOVER_EFFECT_RADIUS as u32 };
                    near.intersect(r).is_some()
                }),
            })
        })
        // The hover lasts until the pointer leaves: its consequence is what showed meanwhile.
        .map(|h| Action { x: Some(h.x), y: Some(h.y), ..super::actions::action(ActionKind::Move, h.t, h.until, (h.raw, h.raw)) })
        .collect()
}

/// The display an action happened on: the one under its point, else the focused window's, else the first.
fn display_of(action: &Action, window: Option<&WindowContext>, displays: &[DisplayInfo]) -> u32 {
    let point = action.x.zip(action.y).or_else(|| window.map(|w| (w.bounds.x + w.bounds.width as i32 / 2, w.bounds.y + w.bounds.height as i32 / 2)));
    point
        .and_then(|(x, y)| displays.iter().find(|d| Rect { x: d.x, y: d.y, width: d.width, height: d.height }.contains(x, y)))
        .or_else(|| displays.first())
        .map(|d| d.id)
        .unwrap_or(0)
}

fn last_frame_before(frames: &[Frame], display: u32, t: Micros) -> Option<Observation> {
    // Frames are sorted by time; the last one strictly before t.
    let end = frames.partition_point(|f| f.t < t);
    frames[..end].iter().rev().find(|f| f.display == display).map(|f| Observation { frame_seq: f.seq, t: f.t, display })
}

/// Steps from `actions` (sorted by start), with what `s` holds of the recording.
pub fn build_steps(actions: Vec<Action>, recording: &Recording, s: &super::Streams) -> Vec<Step> {
    let (displays, duration) = (&recording.environment.displays, recording.duration_us);
    let mut steps: Vec<Step> = Vec::with_capacity(actions.len());
    let starts: Vec<Micros> = actions.iter().map(|a| a.t_start).collect();
    for (i, action) in actions.into_iter().enumerate() {
        let wi = s.windows.partition_point(|w| w.t <= action.t_start);
        let window = wi.checked_sub(1).map(|i| &s.windows[i]).map(|w| WindowContext { app: w.app.clone(), title: w.title.clone(), window_id: w.window_id, bounds: w.bounds });
        let display = display_of(&action, window.as_ref(), displays);
        let before = last_frame_before(s.frames, display, action.t_start);
        let next_start = starts.get(i + 1).copied().unwrap_or(duration.max(action.t_end) + 1);
        // A hover's effect ends when the pointer leaves (moving away is not an action).
        let next_start = if action.kind == ActionKind::Move { next_start.min(action.t_end) } else { next_start };
        let after = last_frame_before(s.frames, display, next_start).filter(|o| before.as_ref().is_none_or(|b| o.t >= b.t));
        steps.push(Step { index: i as u32, t_start: action.t_start, t_end: action.t_end, action, before, after, window, reasoning: vec![], markers: vec![], subtask: None, label: None });
    }
    if steps.is_empty() {
        return steps;
    }
    for n in s.notes {
        let i = steps.iter().position(|st| st.t_end >= n.t).unwrap_or(steps.len() - 1);
        let source = match n.source {
            NoteSource::Typed => ReasoningSource::Typed,
            NoteSource::Spoken => ReasoningSource::Spoken,
        };
        steps[i].reasoning.push(Reasoning { source, text: n.text.clone(), t0: n.t, t1: n.t, audio: None, author: None });
    }
    for u in s.utterances {
        let i = steps.iter().position(|st| st.t_end >= u.t0).unwrap_or(steps.len() - 1);
        steps[i].reasoning.push(Reasoning { source: ReasoningSource::Spoken, text: u.text.clone(), t0: u.t0, t1: u.t1, audio: Some(u.audio_ref()), author: None });
    }
    for st in steps.iter_mut() {
        st.reasoning.sort_by_key(|r| r.t0);
    }
    for m in s.markers {
        let closes = matches!(m.kind, MarkerKind::Mistake | MarkerKind::SubtaskEnd);
        let i = if closes {
            steps.iter().rposition(|st| st.t_start < m.t).unwrap_or(0)
        } else {
            steps.iter().position(|st| st.t_start >= m.t).unwrap_or(steps.len() - 1)
        };
        steps[i].markers.push(m.clone());
    }
    // Sub-tasks: from the step a subtask-start lands on to the one a subtask-end lands on.
    let mut current: Option<Subtask> = None;
    let mut count = 0;
    for st in steps.iter_mut() {
        if let Some(m) = st.markers.iter().find(|m| m.kind == MarkerKind::SubtaskStart) {
            count += 1;
            current = Some(Subtask { index: count, label: m.label.clone() });
        }
        st.subtask = current.clone();
        if st.markers.iter().any(|m| m.kind == MarkerKind::SubtaskEnd) {
            current = None;
        }
    }
    steps
}
