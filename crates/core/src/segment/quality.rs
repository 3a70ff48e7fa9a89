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
    Quality {
        steps: steps.len() as u32,
        duration_us: duration,
        paused_us: paused,
        idle_us: idle,
        actions_per_minute: if active_minutes > 0.0 { steps.len() as f64 / active_minutes } else { 0.0 },
        reasoning_coverage: if steps.is_empty() { 0.0 } else { steps.iter().filter(|s| !s.reasoning.is_empty()).count() as f64 / steps.len() as f64 },
        markers: steps.iter().map(|s| s.markers.len() as u32).sum(),
        redundancy,
        actions_by_kind: by_kind,
    }
}
