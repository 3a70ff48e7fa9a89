//! Input capture: mouse moves (thinned), button presses and releases, wheel notches and key
//! presses and releases with keycode, name, produced text and modifier state. rdev listens
//! through the X RECORD extension on one process-wide thread (it cannot be stopped, so it is
//! started once and shared); its callback only stamps the event and enqueues it. A router
//! thread per recording turns events into [`InputEvent`]s, holds them for the privacy gate and
//! hands the survivors to the writer, each marked with its origin (a person's device or
//! injected; see input_origin.rs).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use rdev::{Button, EventType};
use x11rb::connection::RequestConnection as _;

use super::input_origin::OriginWatch;
use super::keys;
use super::privacy::{PrivacyGate, PRIVACY_HOLD};
use super::typed_secrets::TypedRuns;
use super::x11::connect_display;
use super::CaptureError;
use apprentice_core::clock::RecordingClock;
use apprentice_core::model::{InputEvent, InputKind, InputOrigin, Micros, Modifiers};

/// Moves closer together than this are thinned to the last one (≈ 30 per second).
pub const MOVE_THIN: Micros = 33_000;

pub struct Stamped {
    pub at: Instant,
    pub event: rdev::Event,
}

struct InputHub {
    subscriber: Mutex<Option<Sender<Stamped>>>,
    dropped: AtomicU64,
    failed: Mutex<Option<String>>,
}

static HUB: OnceLock<Arc<InputHub>> = OnceLock::new();

/// A subscription to the process-wide listener; events stop flowing when it is dropped.
pub struct InputSubscription {
    pub events: Receiver<Stamped>,
    /// Where each event came from, as the input extension tells.
    pub origins: Arc<OriginWatch>,
    hub: Arc<InputHub>,
}

impl InputSubscription {
    /// Events the callback could not enqueue (queue full).
    pub fn dropped(&self) -> u64 {
        self.hub.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for InputSubscription {
    fn drop(&mut self) {
        if let Ok(mut s) = self.hub.subscriber.lock() {
            *s = None;
        }
    }
}

/// Checks that input can be captured on this display and subscribes to it.
pub fn subscribe() -> Result<InputSubscription, CaptureError> {
    let (conn, _) = connect_display()?;
    let has_record = conn.extension_information(x11rb::protocol::record::X11_EXTENSION_NAME).map_err(super::x11::x11_err)?.is_some();
    if !has_record {
        return Err(CaptureError::MissingExtension(
            "the X server has no RECORD extension, so input cannot be captured (Xvfb: do not pass `-extension RECORD`; Xorg: enable the \"record\" module)".into(),
        ));
    }
    drop(conn);
    let hub = HUB
        .get_or_init(|| {
            let hub = Arc::new(InputHub { subscriber: Mutex::new(None), dropped: AtomicU64::new(0), failed: Mutex::new(None) });
            let h = hub.clone();
            let spawned = std::thread::Builder::new().name("apprentice-input".into()).spawn(move || {
                let cb_hub = h.clone();
                let result = rdev::listen(move |event| {
                    let at = Instant::now();
                    if let Ok(sub) = cb_hub.subscriber.lock() {
                        if let Some(tx) = sub.as_ref() {
                            if let Err(TrySendError::Full(_)) = tx.try_send(Stamped { at, event }) {
                                cb_hub.dropped.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
                if let Err(e) = result {
                    if let Ok(mut f) = h.failed.lock() {
                        *f = Some(format!("input listener failed: {e:?}"));
                    }
                }
            });
            if let Err(e) = spawned {
                if let Ok(mut f) = hub.failed.lock() {
                    *f = Some(format!("cannot start the input thread: {e}"));
                }
            }
            hub
        })
        .clone();
    // rdev reports a failure to set up RECORD straight away; give it a moment to do so.
    std::thread::sleep(Duration::from_millis(50));
    if let Some(err) = hub.failed.lock().ok().and_then(|f| f.clone()) {
        return Err(CaptureError::MissingExtension(err));
    }
    let (tx, rx) = bounded(65_536);
    if let Ok(mut s) = hub.subscriber.lock() {
        *s = Some(tx);
    }
    Ok(InputSubscription { events: rx, origins: super::input_origin::watch(), hub })
}

/// Turns rdev events into [`InputEvent`]s: tracks pointer position and modifiers, thins moves.
#[derive(Default)]
pub struct InputDecoder {
    x: i32,
    y: i32,
    modifiers: u8,
    last_kept_move: Option<Micros>,
    pending_move: Option<InputEvent>,
}

impl InputDecoder {
    /// Decodes one event stamped at `t`; pushes zero, one or two events to `out`.
    pub fn push(&mut self, t: Micros, event: rdev::Event, out: &mut Vec<InputEvent>) {
        let base = |kind, x, y, modifiers| InputEvent { t, kind, x, y, button: None, key: None, code: None, text: None, dx: 0, dy: 0, modifiers: Modifiers(modifiers), origin: Default::default() };
        let ev = match event.event_type {
            EventType::MouseMove { x, y } => {
                self.x = x.round() as i32;
                self.y = y.round() as i32;
                let ev = base(InputKind::Move, self.x, self.y, self.modifiers);
                match self.last_kept_move {
                    Some(last) if t.saturating_sub(last) < MOVE_THIN => self.pending_move = Some(ev),
                    _ => {
                        self.pending_move = None;
                        self.last_kept_move = Some(t);
                        out.push(ev);
                    }
                }
                return;
            }
            EventType::ButtonPress(b) | EventType::ButtonRelease(b) => {
                let kind = if matches!(event.event_type, EventType::ButtonPress(_)) { InputKind::ButtonPress } else { InputKind::ButtonRelease };
                InputEvent { button: Some(button_name(b)), ..base(kind, self.x, self.y, self.modifiers) }
            }
            EventType::Wheel { delta_x, delta_y } => InputEvent { dx: delta_x as i32, dy: delta_y as i32, ..base(InputKind::Wheel, self.x, self.y, self.modifiers) },
            EventType::KeyPress(k) | EventType::KeyRelease(k) => {
                let press = matches!(event.event_type, EventType::KeyPress(_));
                let held = self.modifiers;
                if let Some(bit) = keys::modifier_bit(k) {
                    if press {
                        self.modifiers |= bit;
                    } else {
                        self.modifiers &= !bit;
                    }
                } else if press && k == rdev::Key::CapsLock {
                    self.modifiers ^= Modifiers::CAPSLOCK;
                }
                let (code, name) = keys::identify(k);
                let text = if press { keys::printable(event.name) } else { None };
                let kind = if press { InputKind::KeyPress } else { InputKind::KeyRelease };
                InputEvent { key: Some(name), code: Some(code), text, ..base(kind, self.x, self.y, held) }
            }
        };
        // The exact position the pointer rested at before a click matters: keep it.
        if let Some(m) = self.pending_move.take() {
            self.last_kept_move = Some(m.t);
            out.push(m);
        }
        out.push(ev);
    }

    pub fn flush(&mut self, out: &mut Vec<InputEvent>) {
        if let Some(m) = self.pending_move.take() {
            out.push(m);
        }
    }
}

fn button_name(b: Button) -> String {
    match b {
        Button::Left => "left".into(),
        Button::Right => "right".into(),
        Button::Middle => "middle".into(),
        Button::Unknown(n) => format!("button{n}"),
    }
}

/// The recorder's own global hotkeys: Ctrl+Alt+key (see the desktop app). The input hook sees
/// them like any key, but they are the recorder's controls, never part of the demonstration, so
/// the router drops them (the lone Ctrl and Alt presses around them make no action).
pub const RECORDER_HOTKEYS: &[(&str, &str)] = &[
    ("r", "start or stop recording"),
    ("p", "pause or resume"),
    ("n", "open the note box"),
    ("m", "mark a mistake"),
    ("v", "mark a recovery"),
    ("s", "mark a sub-task start"),
    ("e", "mark a sub-task end"),
    ("k", "push-to-talk (hold; T would be the desktop's terminal)"),
];

/// True for a press or release of one of [`RECORDER_HOTKEYS`].
pub fn is_recorder_hotkey(ev: &InputEvent) -> bool {
    let chord = Modifiers::CTRL | Modifiers::ALT;
    matches!(ev.kind, InputKind::KeyPress | InputKind::KeyRelease)
        && ev.modifiers.0 & chord == chord
        && ev.key.as_deref().is_some_and(|k| RECORDER_HOTKEYS.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)))
}

/// Counters the router keeps.
#[derive(Debug, Default)]
pub struct InputCounters {
    pub kept: AtomicU64,
    pub excluded: AtomicU64,
    /// Kept events that were injected rather than made on a device.
    pub injected: AtomicU64,
}

/// The per-recording router loop: decode, hold for the privacy gate, emit. Calls `activity` for
/// every event as it arrives (so capture can take a frame) and `emit` for each event kept.
///
/// With `typed` (the `drop` privacy policy) kept events pass through it, which leaves out the
/// keys of secrets typed.
#[allow(clippy::too_many_arguments)]
pub fn route(
    sub: &InputSubscription,
    clock: RecordingClock,
    gate: &PrivacyGate,
    counters: &InputCounters,
    stop: &AtomicBool,
    mut typed: Option<TypedRuns>,
    activity: impl Fn(&InputEvent),
    mut emit: impl FnMut(InputEvent),
) {
    let mut ready: Vec<InputEvent> = vec![];
    let mut pass = |ev: Option<InputEvent>, now: Option<Micros>, typed: &mut Option<TypedRuns>| {
        match (typed.as_mut(), ev) {
            (Some(t), Some(ev)) => t.push(ev, &mut ready),
            (Some(t), None) => match now {
                Some(now) => t.tick(now, &mut ready),
                None => t.flush(&mut ready),
            },
            (None, Some(ev)) => ready.push(ev),
            (None, None) => {}
        }
        for e in ready.drain(..) {
            emit(e);
        }
    };
    let mut decoder = InputDecoder::default();
    let mut held: VecDeque<InputEvent> = VecDeque::new();
    let mut decoded = Vec::new();
    let release = |held: &mut VecDeque<InputEvent>, all: bool, kept: &mut Vec<InputEvent>| {
        let now = clock.now();
        while let Some(front) = held.front() {
            if !all && front.t + PRIVACY_HOLD.as_micros() as Micros > now {
                break;
            }
            let Some(mut ev) = held.pop_front() else { break };
            let is_key = matches!(ev.kind, InputKind::KeyPress | InputKind::KeyRelease);
            if if is_key { gate.allows_key(ev.t) } else { gate.allows(ev.t, ev.t) } {
                ev.origin = sub.origins.origin_of(&ev, &clock);
                counters.kept.fetch_add(1, Ordering::Relaxed);
                if ev.origin == InputOrigin::Injected {
                    counters.injected.fetch_add(1, Ordering::Relaxed);
                }
                kept.push(ev);
            } else {
                counters.excluded.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    loop {
        match sub.events.recv_timeout(Duration::from_millis(20)) {
            Ok(s) => {
                decoder.push(clock.at(s.at), s.event, &mut decoded);
                for ev in decoded.drain(..) {
                    if is_recorder_hotkey(&ev) {
                        counters.excluded.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    activity(&ev);
                    held.push_back(ev);
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
        let mut kept = vec![];
        release(&mut held, false, &mut kept);
        for ev in kept {
            pass(Some(ev), None, &mut typed);
        }
        pass(None, Some(clock.now()), &mut typed);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    decoder.flush(&mut decoded);
    held.extend(decoded.drain(..));
    // Wait out the hold so the last events get a safe decision too.
    std::thread::sleep(PRIVACY_HOLD);
    let mut kept = vec![];
    release(&mut held, true, &mut kept);
    for ev in kept {
        pass(Some(ev), None, &mut typed);
    }
    pass(None, None, &mut typed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn only_ctrl_alt_chords_of_the_recorders_keys_are_its_hotkeys() {
        let key = |k: &str, m: u8| InputEvent {
            t: 0,
            kind: InputKind::KeyPress,
            x: 0,
            y: 0,
            button: None,
            key: Some(k.into()),
            code: None,
            text: None,
            dx: 0,
            dy: 0,
            modifiers: Modifiers(m),
            origin: Default::default(),
        };
        let ca = Modifiers::CTRL | Modifiers::ALT;
        assert!(is_recorder_hotkey(&key("m", ca)));
        assert!(is_recorder_hotkey(&key("r", ca | Modifiers::SHIFT)));
        assert!(!is_recorder_hotkey(&key("m", Modifiers::CTRL)), "ctrl+m is the expert's own");
        assert!(!is_recorder_hotkey(&key("t", ca)), "ctrl+alt+t opens a terminal: an action");
    }

    fn ev(event_type: EventType, name: Option<&str>) -> rdev::Event {
        rdev::Event { time: SystemTime::now(), name: name.map(String::from), event_type }
    }

    #[test]
    fn moves_are_thinned_but_the_last_position_before_a_click_is_kept() {
        let mut d = InputDecoder::default();
        let mut out = Vec::new();
        for i in 0..10u64 {
            d.push(i * 5_000, ev(EventType::MouseMove { x: i as f64, y: 0.0 }, None), &mut out);
        }
        d.push(50_000, ev(EventType::ButtonPress(Button::Left), None), &mut out);
        let kinds: Vec<_> = out.iter().map(|e| (e.kind, e.x)).collect();
        assert_eq!(kinds, vec![(InputKind::Move, 0), (InputKind::Move, 7), (InputKind::Move, 9), (InputKind::ButtonPress, 9)]);
        assert_eq!(out[3].button.as_deref(), Some("left"));
    }

    #[test]
    fn keys_carry_code_name_text_and_held_modifiers() {
        let mut d = InputDecoder::default();
        let mut out = Vec::new();
        d.push(0, ev(EventType::KeyPress(rdev::Key::ControlLeft), None), &mut out);
        d.push(1, ev(EventType::KeyPress(rdev::Key::KeyS), Some("s")), &mut out);
        d.push(2, ev(EventType::KeyRelease(rdev::Key::KeyS), None), &mut out);
        d.push(3, ev(EventType::KeyRelease(rdev::Key::ControlLeft), None), &mut out);
        d.push(4, ev(EventType::KeyPress(rdev::Key::Return), Some("\r")), &mut out);
        assert_eq!(out[0].modifiers, Modifiers(0));
        assert_eq!((out[1].key.as_deref(), out[1].code, out[1].text.as_deref()), (Some("s"), Some(39), Some("s")));
        assert_eq!(out[1].modifiers, Modifiers(Modifiers::CTRL));
        assert_eq!(out[4].modifiers, Modifiers(0));
        assert_eq!((out[4].key.as_deref(), out[4].text.as_deref()), (Some("enter"), None));
    }

    #[test]
    fn wheel_notches_keep_their_sign() {
        let mut d = InputDecoder::default();
        let mut out = Vec::new();
        d.push(0, ev(EventType::Wheel { delta_x: 0, delta_y: -1 }, None), &mut out);
        assert_eq!((out[0].kind, out[0].dy), (InputKind::Wheel, -1));
    }
}
