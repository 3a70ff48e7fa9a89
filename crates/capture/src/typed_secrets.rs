//! The `drop` privacy policy for typed text: a run of typing (printable keys, with the shift and
//! caps-lock keys between them) is held until it ends — at a click, a key that is not text
//! (Enter, Tab, a shortcut), or a second without typing — and the keys that typed a value the
//! detectors find (an email, a card number, a key…) are then left out, press and release; the
//! rest of the run is written as typed. Runs only after the privacy gate. Not its job: the gate
//! (`privacy`), or secrets in what the recorder writes itself (notes, titles: the recorder masks
//! those).

use std::sync::Arc;

use apprentice_core::model::{InputEvent, InputKind, Micros};
use apprentice_core::privacy::detect::Detectors;

/// A run of typing ends after this long without a key.
pub const RUN_IDLE_US: Micros = 1_000_000;

pub struct TypedRuns {
    detectors: Arc<Detectors>,
    held: Vec<InputEvent>,
    last_key: Micros,
    /// Key events left out so far.
    pub dropped: u64,
}

fn is_text_key(e: &InputEvent) -> bool {
    match e.kind {
        InputKind::KeyPress => e.text.is_some() || matches!(e.key.as_deref(), Some("shift" | "shiftright" | "capslock")),
        InputKind::KeyRelease => e.key.as_deref().is_some_and(|k| k.chars().count() == 1 || matches!(k, "space" | "shift" | "shiftright" | "capslock")),
        _ => false,
    }
}

impl TypedRuns {
    pub fn new(detectors: Arc<Detectors>) -> TypedRuns {
        TypedRuns { detectors, held: vec![], last_key: 0, dropped: 0 }
    }

    /// Takes the next event the gate kept; what may now be written goes to `out`, in order.
    pub fn push(&mut self, ev: InputEvent, out: &mut Vec<InputEvent>) {
        if is_text_key(&ev) {
            self.last_key = ev.t;
            self.held.push(ev);
            return;
        }
        if self.held.is_empty() {
            out.push(ev);
            return;
        }
        if ev.kind == InputKind::Move {
            // Pointer moves while typing wait with the run, so order is kept.
            self.held.push(ev);
            return;
        }
        self.decide(out);
        out.push(ev);
    }

    /// Ends a run that has been idle long enough (`now` on the recording clock).
    pub fn tick(&mut self, now: Micros, out: &mut Vec<InputEvent>) {
        if !self.held.is_empty() && now.saturating_sub(self.last_key) >= RUN_IDLE_US {
            self.decide(out);
        }
    }

    /// Ends the run now (the recording stops).
    pub fn flush(&mut self, out: &mut Vec<InputEvent>) {
        self.decide(out);
    }

    fn decide(&mut self, out: &mut Vec<InputEvent>) {
        let run = std::mem::take(&mut self.held);
        // The run's text, and which press typed each byte of it.
        let mut text = String::new();
        let mut typed_by: Vec<usize> = vec![];
        for (i, e) in run.iter().enumerate() {
            if let (InputKind::KeyPress, Some(t)) = (e.kind, &e.text) {
                text.push_str(t);
                typed_by.extend(std::iter::repeat_n(i, t.len()));
            }
        }
        let mut drop = vec![false; run.len()];
        for f in self.detectors.find(&text) {
            for &press in &typed_by[f.start..f.end.min(typed_by.len())] {
                drop[press] = true;
                // Its release: the next release of the same key.
                if let Some(r) = (press + 1..run.len()).find(|&j| run[j].kind == InputKind::KeyRelease && run[j].code == run[press].code && !drop[j]) {
                    drop[r] = true;
                }
            }
        }
        for (e, d) in run.into_iter().zip(drop) {
            if d {
                self.dropped += 1;
            } else {
                out.push(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apprentice_core::model::{InputOrigin, Modifiers};

    fn key(t: Micros, kind: InputKind, c: &str, code: u32) -> InputEvent {
        let text = (kind == InputKind::KeyPress && c.chars().count() == 1).then(|| c.to_string());
        InputEvent { t, kind, x: 0, y: 0, button: None, key: Some(c.to_lowercase()), code: Some(code), text, dx: 0, dy: 0, modifiers: Modifiers::default(), origin: InputOrigin::Device }
    }

    fn typed(s: &str, t0: Micros) -> Vec<InputEvent> {
        s.chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let t = t0 + i as Micros * 50_000;
                let code = c as u32;
                [key(t, InputKind::KeyPress, &c.to_string(), code), key(t + 20_000, InputKind::KeyRelease, &c.to_string(), code)]
            })
            .collect()
    }

    fn text_of(events: &[InputEvent]) -> String {
        events.iter().filter(|e| e.kind == InputKind::KeyPress).filter_map(|e| e.text.clone()).collect()
    }

    #[test]
    fn the_keys_of_a_secret_are_left_out_and_the_rest_of_the_run_is_kept() {
        let mut runs = TypedRuns::new(Arc::new(Detectors::builtin()));
        let mut out = vec![];
        for e in typed("mail ann@example.com now", 0) {
            runs.push(e, &mut out);
        }
        assert!(out.is_empty(), "held while the run goes on");
        runs.tick(500_000 + 24 * 50_000, &mut out);
        assert!(out.is_empty(), "not idle long enough yet");
        runs.tick(24 * 50_000 + RUN_IDLE_US, &mut out);
        assert_eq!(text_of(&out), "mail  now");
        assert_eq!(runs.dropped, 2 * "ann@example.com".len() as u64, "presses and their releases");
        assert_eq!(out.iter().filter(|e| e.kind == InputKind::KeyRelease).count(), "mail  now".len());
    }

    #[test]
    fn a_click_or_enter_ends_a_run_and_runs_without_secrets_pass_whole() {
        let mut runs = TypedRuns::new(Arc::new(Detectors::builtin()));
        let mut out = vec![];
        for e in typed("hello", 0) {
            runs.push(e, &mut out);
        }
        let mut enter = key(400_000, InputKind::KeyPress, "enter", 36);
        enter.text = None;
        runs.push(enter, &mut out);
        assert_eq!(text_of(&out), "hello");
        assert_eq!(out.last().and_then(|e| e.key.as_deref()), Some("enter"), "the boundary comes after the run");
        for e in typed("4111 1111 1111 1111", 1_000_000) {
            runs.push(e, &mut out);
        }
        runs.flush(&mut out);
        assert_eq!(text_of(&out), "hello", "the card typed next is left out");
    }
}
