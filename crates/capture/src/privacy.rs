//! The privacy gate: what is excluded, and when. The window watcher and the recorder record
//! state changes on a [`Timeline`]; capture and input hold every frame and event for
//! [`PRIVACY_HOLD`] and only then ask whether an excluded window had focus (or the recording was
//! paused) at any time from the item's capture to the end of the hold. A focus change reaches us
//! a few milliseconds after it happens, so the hold makes the decision safe: an item is dropped if
//! there is any doubt, never written and then regretted.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use apprentice_core::model::{Micros, Rect};

/// How long frames and input wait before the privacy decision.
pub const PRIVACY_HOLD: Duration = Duration::from_millis(150);
pub const PRIVACY_HOLD_US: Micros = 150_000;

const MAX_ENTRIES: usize = 4096;

/// A boolean state over time: `set(t, v)` from t onwards.
#[derive(Debug, Default)]
pub struct Timeline {
    inner: Mutex<TimelineState>,
}

#[derive(Debug, Default)]
struct TimelineState {
    initial: bool,
    changes: VecDeque<(Micros, bool)>,
}

impl Timeline {
    /// A timeline whose state before any change is `initial`.
    pub fn starting(initial: bool) -> Timeline {
        Timeline { inner: Mutex::new(TimelineState { initial, changes: VecDeque::new() }) }
    }

    pub fn set(&self, t: Micros, value: bool) {
        if let Ok(mut s) = self.inner.lock() {
            let current = s.changes.back().map(|c| c.1).unwrap_or(s.initial);
            if current == value {
                return;
            }
            s.changes.push_back((t, value));
            while s.changes.len() > MAX_ENTRIES {
                if let Some((_, v)) = s.changes.pop_front() {
                    s.initial = v;
                }
            }
        }
    }

    pub fn current(&self) -> bool {
        self.inner.lock().map(|s| s.changes.back().map(|c| c.1).unwrap_or(s.initial)).unwrap_or(true)
    }

    /// True if the state was true at any moment in `[a, b]`. A poisoned lock answers true:
    /// when unsure, exclude.
    pub fn any_in(&self, a: Micros, b: Micros) -> bool {
        let Ok(s) = self.inner.lock() else { return true };
        let mut state = s.initial;
        for &(t, v) in &s.changes {
            if t > b {
                break;
            }
            if t <= a {
                state = v;
            } else if v {
                return true;
            }
        }
        state
    }
}

/// What frames must hide right now: rects of visible excluded windows.
#[derive(Debug, Default)]
pub struct Masks {
    rects: Mutex<Vec<Rect>>,
}

impl Masks {
    pub fn set(&self, rects: Vec<Rect>) {
        if let Ok(mut r) = self.rects.lock() {
            *r = rects;
        }
    }
    pub fn get(&self) -> Vec<Rect> {
        self.rects.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Everything the gate consults.
#[derive(Debug, Default)]
pub struct PrivacyGate {
    /// An excluded window (or the recorder's own) has focus.
    pub excluded_focus: Timeline,
    pub paused: Timeline,
    /// Visible excluded windows (the window watcher's).
    pub masks: Masks,
    /// A password field has the keyboard focus (the accessibility watch's).
    pub secret_field: Timeline,
    /// The focused password field's rectangle (the accessibility watch's).
    pub field_masks: Masks,
}

impl PrivacyGate {
    /// May an item captured during `[t0, t1]` be kept?
    pub fn allows(&self, t0: Micros, t1: Micros) -> bool {
        !self.paused.any_in(t0, t1) && !self.excluded_focus.any_in(t0, t1 + PRIVACY_HOLD_US)
    }

    /// May a key event at `t` be kept? Not while a password field had focus around it.
    pub fn allows_key(&self, t: Micros) -> bool {
        self.allows(t, t) && !self.secret_field.any_in(t, t + PRIVACY_HOLD_US)
    }

    /// Every rectangle frames must hide now.
    pub fn all_masks(&self) -> Vec<Rect> {
        let mut m = self.masks.get();
        m.extend(self.field_masks.get());
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_in_sees_states_and_changes_inside_the_span() {
        let t = Timeline::default();
        t.set(100, true);
        t.set(200, false);
        assert!(!t.any_in(0, 99));
        assert!(t.any_in(0, 100));
        assert!(t.any_in(150, 160));
        assert!(!t.any_in(200, 300));
        assert!(t.any_in(50, 300));
    }

    #[test]
    fn an_item_just_before_a_switch_to_an_excluded_window_is_held_back() {
        let g = PrivacyGate::default();
        g.excluded_focus.set(1_000_000, true);
        // Typed 100 ms before the watcher noticed the switch: inside the hold, so dropped.
        assert!(!g.allows(900_000, 900_000));
        assert!(g.allows(500_000, 500_000));
        g.paused.set(2_000_000, true);
        g.excluded_focus.set(1_500_000, false);
        assert!(!g.allows(2_100_000, 2_100_000));
    }

    #[test]
    fn keys_are_dropped_while_a_password_field_has_focus_and_just_before() {
        let g = PrivacyGate::default();
        g.secret_field.set(1_000_000, true);
        g.secret_field.set(3_000_000, false);
        assert!(g.allows_key(500_000));
        assert!(!g.allows_key(900_000), "typed just before the focus event arrived");
        assert!(!g.allows_key(2_000_000));
        assert!(g.allows_key(3_000_001));
        assert!(g.allows(2_000_000, 2_000_000), "clicks and frames are not keys");
        g.field_masks.set(vec![Rect { x: 1, y: 2, width: 3, height: 4 }]);
        g.masks.set(vec![Rect { x: 5, y: 6, width: 7, height: 8 }]);
        assert_eq!(g.all_masks().len(), 2);
    }
}
