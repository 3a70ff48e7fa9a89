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
        .map(|h| Action { x: Some(h.x), y: Some(h.y), origin: h.origin, ..super::actions::action(ActionKind::Move, h.t, h.until, (h.raw, h.raw)) })
        .collect()
}

/// The display an action happened on: the one under its point, else the focused window's, else the first.
fn display_of(action: &Action, window: Option<&WindowContext>, displays: &[DisplayInfo]) -> u32 {
    let point = action.x.zip(action.y).or_else(|| window.map(|w| (w.bounds.x + w.bounds.width as i32 / 2, w.bounds.y + w.bounds.height as i32 / 2)));
    point.and_then(|(x, y)| displays.iter().find(|d| Rect { x: d.x, y: d.y, width: d.width, height: d.height }.contains(x, y))).or_else(|| displays.first()).map(|d| d.id).unwrap_or(0)
}

fn last_frame_before(frames: &[Frame], display: u32, t: Micros) -> Option<Observation> {
    // Frames are sorted by time; the last one strictly before t.
    let end = frames.partition_point(|f| f.t < t);
    frames[..end].iter().rev().find(|f| f.display == display).map(|f| Observation { frame_seq: f.seq, t: f.t, display })
}

/// The element under the action's press, for actions that start with one: the accessibility
/// stream's target event at the press's time.
fn target_of(action: &Action, s: &Streams) -> Option<Element> {
    let press = s.input.get(action.raw.0).filter(|e| e.kind == InputKind::ButtonPress)?;
    s.accessibility.iter().find(|a| a.kind == A11yKind::Target && a.t == press.t).map(|a| a.element.clone())
}

/// Steps from `actions` (sorted by start), with what `s` holds of the recording.
pub fn build_steps(actions: Vec<Action>, recording: &Recording, s: &Streams) -> Vec<Step> {
    let (displays, duration) = (&recording.environment.displays, recording.duration_us);
    let mut steps: Vec<Step> = Vec::with_capacity(actions.len());
    let starts: Vec<Micros> = actions.iter().map(|a| a.t_start).collect();
    for (i, mut action) in actions.into_iter().enumerate() {
        action.target = target_of(&action, s);
        let wi = s.windows.partition_point(|w| w.t <= action.t_start);
        let window = wi.checked_sub(1).map(|i| &s.windows[i]).map(|w| WindowContext { app: w.app.clone(), title: w.title.clone(), window_id: w.window_id, bounds: w.bounds });
        let display = display_of(&action, window.as_ref(), displays);
        let before = last_frame_before(&s.frames, display, action.t_start);
        let next_start = starts.get(i + 1).copied().unwrap_or(duration.max(action.t_end) + 1);
        // A hover's effect ends when the pointer leaves (moving away is not an action).
        let next_start = if action.kind == ActionKind::Move { next_start.min(action.t_end) } else { next_start };
        let after = last_frame_before(&s.frames, display, next_start).filter(|o| before.as_ref().is_none_or(|b| o.t >= b.t));
        steps.push(Step { index: i as u32, t_start: action.t_start, t_end: action.t_end, action, before, after, window, reasoning: vec![], markers: vec![], subtask: None, label: None });
    }
    if steps.is_empty() {
        return steps;
    }
    for n in &s.notes {
        let i = steps.iter().position(|st| st.t_end >= n.t).unwrap_or(steps.len() - 1);
        let source = match n.source {
            NoteSource::Typed => ReasoningSource::Typed,
            NoteSource::Spoken => ReasoningSource::Spoken,
        };
        steps[i].reasoning.push(Reasoning { source, text: n.text.clone(), t0: n.t, t1: n.t, audio: None, author: None });
    }
    for u in &s.utterances {
        let i = steps.iter().position(|st| st.t_end >= u.t0).unwrap_or(steps.len() - 1);
        steps[i].reasoning.push(Reasoning { source: ReasoningSource::Spoken, text: u.text.clone(), t0: u.t0, t1: u.t1, audio: Some(u.audio_ref()), author: None });
    }
    for st in steps.iter_mut() {
        st.reasoning.sort_by_key(|r| r.t0);
    }
    for m in &s.markers {
        let closes = matches!(m.kind, MarkerKind::Mistake | MarkerKind::SubtaskEnd);
        let i = if closes { steps.iter().rposition(|st| st.t_start < m.t).unwrap_or(0) } else { steps.iter().position(|st| st.t_start >= m.t).unwrap_or(steps.len() - 1) };
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

#[cfg(test)]
pub(crate) mod tests {
    use super::super::actions::action;
    use super::*;

    pub(crate) fn frame(seq: u64, t: Micros, display: u32) -> Frame {
        Frame { seq, t, display, width: 100, height: 100, reason: FrameReason::Periodic, encoding: FrameEncoding::Key, sha256: format!("{seq:064}"), bytes: 1 }
    }

    pub(crate) fn click(t: Micros, x: i32) -> Action {
        Action { x: Some(x), y: Some(10), ..action(ActionKind::Click, t, t + 80_000, (0, 0)) }
    }

    /// Two 100×100 displays side by side, 10 s long.
    pub(crate) fn two_displays() -> Recording {
        let display = |id: u32, x: i32| DisplayInfo { id, name: format!("D{id}"), x, y: 0, width: 100, height: 100, scale: 1.0, primary: id == 0 };
        let mut rec = crate::store::tests::sample_recording("fixture");
        rec.environment.displays = vec![display(0, 0), display(1, 100)];
        rec.duration_us = 10_000_000;
        rec
    }

    #[test]
    fn before_is_the_last_frame_strictly_before_the_action_and_after_the_last_before_the_next() {
        // Frames on display 0 at 0.5 s, 1 s (exactly when the first click starts), 1.5 s and
        // 3 s; one on display 1 at 2.9 s, which a click on display 0 must never use.
        let frames = vec![frame(0, 500_000, 0), frame(1, 1_000_000, 0), frame(2, 1_500_000, 0), frame(3, 2_900_000, 1), frame(4, 3_000_000, 0)];
        let streams = Streams { frames, ..Default::default() };
        let steps = build_steps(vec![click(1_000_000, 10), click(3_000_000, 20), click(4_000_000, 150)], &two_displays(), &streams);
        let seq = |o: &Option<Observation>| o.as_ref().map(|o| o.frame_seq);
        // A frame taken at the very moment the action starts may already show its effect: not "before".
        assert_eq!((seq(&steps[0].before), seq(&steps[0].after)), (Some(0), Some(2)));
        // After = the last frame before the next action started (t=3 s exactly is not before it).
        assert_eq!((seq(&steps[1].before), seq(&steps[1].after)), (Some(2), Some(4)));
        // The third click is on display 1: its frames are display 1's.
        assert_eq!((seq(&steps[2].before), seq(&steps[2].after), steps[2].before.as_ref().map(|o| o.display)), (Some(3), Some(3), Some(1)));
    }

    #[test]
    fn notes_go_to_the_action_they_precede_and_markers_close_or_open_by_kind() {
        let note = |t: Micros, text: &str| Note { t, text: text.into(), source: NoteSource::Typed };
        let marker = |t: Micros, kind: MarkerKind| Marker { t, kind, label: None };
        let streams = Streams {
            frames: vec![frame(0, 100_000, 0)],
            notes: vec![note(500_000, "open the form"), note(1_040_000, "while clicking"), note(9_000_000, "done")],
            markers: vec![marker(1_500_000, MarkerKind::Mistake), marker(1_600_000, MarkerKind::Recovery), marker(1_700_000, MarkerKind::SubtaskStart), marker(2_500_000, MarkerKind::SubtaskEnd)],
            ..Default::default()
        };
        let steps = build_steps(vec![click(1_000_000, 10), click(2_000_000, 20), click(3_000_000, 30)], &two_displays(), &streams);
        let texts = |i: usize| steps[i].reasoning.iter().map(|r| r.text.as_str()).collect::<Vec<_>>();
        assert_eq!(texts(0), vec!["open the form", "while clicking"], "a thought before or during an action explains it");
        assert_eq!(texts(2), vec!["done"], "after the last action: the last step");
        let kinds = |i: usize| steps[i].markers.iter().map(|m| m.kind).collect::<Vec<_>>();
        assert_eq!(kinds(0), vec![MarkerKind::Mistake], "a mistake closes what came before");
        assert_eq!(kinds(1), vec![MarkerKind::Recovery, MarkerKind::SubtaskStart, MarkerKind::SubtaskEnd]);
        assert_eq!(steps.iter().map(|s| s.subtask.as_ref().map(|t| t.index)).collect::<Vec<_>>(), vec![None, Some(1), None]);
    }
}
