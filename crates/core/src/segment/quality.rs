//! Quality figures of a trajectory: how long, how busy, how idle, how much of it is explained,
//! and how much was redundant — the numbers a vendor checks a recording by.

use std::collections::BTreeMap;

use crate::model::*;

/// Gaps between actions longer than this count as idle (beyond the threshold itself).
pub const IDLE_THRESHOLD: Micros = 5_000_000;
/// Identical actions repeated within this window count as redundant.
pub const REPEAT_WINDOW: Micros = 2_000_000;
/// Typing where backspaces exceed this share of the characters kept is backspace-heavy.
pub const BACKSPACE_HEAVY: f64 = 0.3;

pub fn measure(steps: &[Step], duration: Micros, pauses: &[Pause]) -> Quality {
    let paused: Micros = pauses.iter().map(|p| p.t1.unwrap_or(duration).saturating_sub(p.t0)).sum();
    let in_pause = |a: Micros, b: Micros| -> Micros { pauses.iter().map(|p| b.min(p.t1.unwrap_or(duration)).saturating_sub(a.max(p.t0))).sum() };
    let mut idle = 0;
    for w in steps.windows(2) {
        let gap = w[1].t_start.saturating_sub(w[0].t_end).saturating_sub(in_pause(w[0].t_end, w[1].t_start));
        idle += gap.saturating_sub(IDLE_THRESHOLD);
    }
    let mut redundancy = 0u32;
    for (i, st) in steps.iter().enumerate() {
        let a = &st.action;
        if a.kind == ActionKind::Hotkey && (a.keys == ["ctrl", "z"] || a.keys == ["ctrl", "shift", "z"]) {
            redundancy += 1;
        }
        if a.kind == ActionKind::Type {
            let kept = a.text.as_deref().map(|t| t.chars().count()).unwrap_or(0).max(1);
            if a.backspaces as f64 > BACKSPACE_HEAVY * kept as f64 {
                redundancy += 1;
            }
        }
        if let Some(prev) = i.checked_sub(1).map(|j| &steps[j].action) {
            let same = prev.kind == a.kind && prev.keys == a.keys && prev.text == a.text && prev.x == a.x && prev.y == a.y && prev.kind != ActionKind::Scroll && prev.kind != ActionKind::Type;
            if same && a.t_start.saturating_sub(prev.t_end) <= REPEAT_WINDOW {
                redundancy += 1;
            }
        }
    }
    let active_minutes = (duration.saturating_sub(paused).saturating_sub(idle)) as f64 / 60e6;
    let mut by_kind = BTreeMap::new();
    for st in steps {
        *by_kind.entry(st.action.kind.as_str().to_string()).or_insert(0) += 1;
    }
    let share = |f: &dyn Fn(&Step) -> bool| if steps.is_empty() { 0.0 } else { steps.iter().filter(|s| f(s)).count() as f64 / steps.len() as f64 };
    Quality {
        steps: steps.len() as u32,
        duration_us: duration,
        paused_us: paused,
        idle_us: idle,
        actions_per_minute: if active_minutes > 0.0 { steps.len() as f64 / active_minutes } else { 0.0 },
        reasoning_coverage: share(&|s| !s.reasoning.is_empty()),
        markers: steps.iter().map(|s| s.markers.len() as u32).sum(),
        redundancy,
        actions_by_kind: by_kind,
        synthetic_input_share: share(&|s| s.action.origin.is_synthetic()),
        unknown_origin_share: share(&|s| s.action.origin.is_unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::steps::build_steps;
    use crate::segment::steps::tests::{click, two_displays};

    fn hotkey(t: Micros, keys: &[&str]) -> Action {
        Action { keys: keys.iter().map(|k| k.to_string()).collect(), ..crate::segment::actions::action(ActionKind::Hotkey, t, t + 50_000, (0, 0)) }
    }

    #[test]
    fn idle_time_redundancy_and_pace_follow_their_definitions() {
        // Clicks at 1 s and 1.5 s (the same spot: a repeat), an undo at 2 s, then 12 s of
        // nothing (5 s of it paused), a click at 14 s; 20 s in all.
        let actions = vec![click(1_000_000, 10), click(1_500_000, 10), hotkey(2_000_000, &["ctrl", "z"]), click(14_000_000, 40)];
        let mut rec = two_displays();
        rec.duration_us = 20_000_000;
        let steps = build_steps(actions, &rec, &Streams::default());
        let pauses = [Pause { t0: 4_000_000, t1: Some(9_000_000) }];
        let q = measure(&steps, rec.duration_us, &pauses);
        assert_eq!(q.paused_us, 5_000_000);
        // The gap 2.05 s → 14 s is 11.95 s, 5 s of it paused: 6.95 s, of which 1.95 s beyond the threshold.
        assert_eq!(q.idle_us, 1_950_000);
        assert_eq!(q.redundancy, 2, "the repeated click and the undo");
        let active_minutes = (20_000_000 - 5_000_000 - 1_950_000) as f64 / 60e6;
        assert!((q.actions_per_minute - 4.0 / active_minutes).abs() < 1e-9, "{}", q.actions_per_minute);
        assert_eq!(q.actions_by_kind.get("click"), Some(&3));
        assert_eq!(q.reasoning_coverage, 0.0);
    }

    #[test]
    fn synthetic_share_counts_steps_made_wholly_or_partly_of_injected_input() {
        let with = |t, origin| Action { origin, ..click(t, 10 + t as i32 / 1000) };
        let actions = vec![with(1_000_000, InputOrigin::Device), with(2_000_000, InputOrigin::Injected), with(3_000_000, InputOrigin::Mixed), with(4_000_000, InputOrigin::Unknown)];
        let mut rec = two_displays();
        rec.duration_us = 5_000_000;
        let steps = build_steps(actions, &rec, &Streams::default());
        let q = measure(&steps, rec.duration_us, &[]);
        assert_eq!(q.synthetic_input_share, 0.5);
        assert_eq!(q.unknown_origin_share, 0.25);
    }
}
