//! Where input came from: a person's device, or software that injected it. On X11 the input
//! extension's raw events (XInput 2.2), selected on the root window for the master devices,
//! name the slave device that produced each event (`sourceid`); the X server's XTEST devices
//! (the "XTEST Device" property; names "… XTEST pointer/keyboard") are where xdotool, pyautogui
//! and agents inject. One process-wide watcher thread keeps the last seconds of these
//! sightings; the input router asks, once an event's privacy hold has passed (both streams have
//! arrived by then), which sighting the event was — same kind and key or button, nearest in time.
//!
//! Not its job: the input events themselves (input.rs, through RECORD), or what the origin
//! means downstream (model::InputOrigin, segmentation, quality figures).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use x11rb::connection::{Connection as _, RequestConnection as _};
use x11rb::protocol::xinput::{self, ConnectionExt as _};
use x11rb::protocol::xproto::ConnectionExt as _;
use x11rb::protocol::Event;

use super::x11::connect_display;
use apprentice_core::clock::RecordingClock;
use apprentice_core::model::{InputEvent, InputKind, InputOrigin, Micros};

/// How far apart an event and its sighting may be (both are read within milliseconds of the X
/// server sending them; a loaded machine can delay one reader).
pub const MATCH_WINDOW: Micros = 400_000;
/// Sightings older than this are forgotten.
const KEEP: Duration = Duration::from_secs(5);
/// At most this many sightings are kept (a 1000 Hz mouse for 5 s, and then some).
const MAX_SIGHTINGS: usize = 8192;

/// A slave input device as the X server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: u16,
    pub name: String,
    /// The device carries the server's "XTEST Device" property.
    pub xtest: bool,
}

/// A device's origin: XTEST's virtual devices inject; any other slave device is hardware (or a
/// driver standing for it: evdev, libinput, a tablet, a remote desktop's virtual device).
pub fn classify(device: &DeviceInfo) -> InputOrigin {
    let name = device.name.to_ascii_lowercase();
    if device.xtest || name.contains("xtest") {
        InputOrigin::Injected
    } else {
        InputOrigin::Device
    }
}

/// What kind of raw event a sighting was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawClass {
    KeyPress,
    KeyRelease,
    ButtonPress,
    ButtonRelease,
    Motion,
}

#[derive(Debug, Clone, Copy)]
struct Sighting {
    at: Instant,
    class: RawClass,
    detail: u32,
    origin: InputOrigin,
    used: bool,
}

/// The recent sightings, shared by the watcher thread and the routers.
#[derive(Debug, Default)]
pub struct OriginWatch {
    sightings: Mutex<VecDeque<Sighting>>,
    failed: Mutex<Option<String>>,
}

impl OriginWatch {
    /// Why origins cannot be told on this display, if they cannot.
    pub fn unavailable(&self) -> Option<String> {
        self.failed.lock().ok().and_then(|f| f.clone())
    }

    fn fail(&self, why: String) {
        tracing::warn!(%why, "input origin unknown");
        if let Ok(mut f) = self.failed.lock() {
            *f = Some(why);
        }
    }

    /// Notes that a device of `origin` produced a raw event of `class` with `detail` (keycode or
    /// button) at `at`.
    pub fn saw(&self, at: Instant, class: RawClass, detail: u32, origin: InputOrigin) {
        let Ok(mut s) = self.sightings.lock() else { return };
        while s.front().is_some_and(|f| at.saturating_duration_since(f.at) > KEEP) || s.len() >= MAX_SIGHTINGS {
            s.pop_front();
        }
        s.push_back(Sighting { at, class, detail, origin, used: false });
    }

    /// The origin of `ev` (stamped on `clock`; events are asked about in time order): the earliest
    /// unused sighting of the same class and
    /// detail within [`MATCH_WINDOW`], else of the same class, else (moves, wheel notches, which
    /// devices may send as motion) the nearest sighting of any class; unknown when none is near.
    pub fn origin_of(&self, ev: &InputEvent, clock: &RecordingClock) -> InputOrigin {
        let (class, detail) = match ev.kind {
            InputKind::KeyPress => (Some(RawClass::KeyPress), ev.code),
            InputKind::KeyRelease => (Some(RawClass::KeyRelease), ev.code),
            InputKind::ButtonPress => (Some(RawClass::ButtonPress), ev.button.as_deref().and_then(button_number)),
            InputKind::ButtonRelease => (Some(RawClass::ButtonRelease), ev.button.as_deref().and_then(button_number)),
            InputKind::Move | InputKind::Wheel => (None, None),
        };
        let Ok(mut s) = self.sightings.lock() else { return InputOrigin::Unknown };
        // Events are asked about in time order: a sighting too old for this one is too old for
        // every later one, so the scans below cover only the last window, not 5 s of motion.
        while s.front().is_some_and(|x| clock.at(x.at) + MATCH_WINDOW < ev.t) {
            s.pop_front();
        }
        let near = |x: &Sighting| clock.at(x.at).abs_diff(ev.t) <= MATCH_WINDOW;
        if let Some(class) = class {
            let pick = s.iter().position(|x| !x.used && x.class == class && detail.is_some_and(|d| d == x.detail) && near(x)).or_else(|| s.iter().position(|x| !x.used && x.class == class && near(x)));
            if let Some(i) = pick {
                s[i].used = true;
                return s[i].origin;
            }
        }
        s.iter().filter(|x| near(x)).min_by_key(|x| clock.at(x.at).abs_diff(ev.t)).map(|x| x.origin).unwrap_or(InputOrigin::Unknown)
    }
}

/// X button number of a button name (`left`, `middle`, `right`, `buttonN`).
fn button_number(name: &str) -> Option<u32> {
    match name {
        "left" => Some(1),
        "middle" => Some(2),
        "right" => Some(3),
        other => other.strip_prefix("button").and_then(|n| n.parse().ok()),
    }
}

static WATCH: OnceLock<Arc<OriginWatch>> = OnceLock::new();

/// The process-wide watcher, started on first use. When the display has no XInput 2.2 it keeps
/// running without sightings and says why ([`OriginWatch::unavailable`]).
pub fn watch() -> Arc<OriginWatch> {
    WATCH
        .get_or_init(|| {
            let watch = Arc::new(OriginWatch::default());
            let w = watch.clone();
            let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
            let spawned = std::thread::Builder::new().name("apprentice-input-origin".into()).spawn(move || {
                if let Err(why) = run(&w, ready_tx) {
                    w.fail(why);
                }
            });
            match spawned {
                // The selection must be in place before the first event we are to classify.
                Ok(_) => {
                    let _ = ready_rx.recv_timeout(Duration::from_secs(5));
                }
                Err(e) => watch.fail(format!("cannot start the input-origin thread: {e}")),
            }
            watch
        })
        .clone()
}

fn run(watch: &OriginWatch, ready: crossbeam_channel::Sender<()>) -> Result<(), String> {
    let (conn, screen) = connect_display().map_err(|e| e.to_string())?;
    let root = conn.setup().roots[screen].root;
    let xi = |e: &dyn std::fmt::Display| format!("XInput2: {e}");
    if conn.extension_information(xinput::X11_EXTENSION_NAME).map_err(|e| xi(&e))?.is_none() {
        let _ = ready.send(());
        return Err("the X server has no XInputExtension, so input cannot be told human or injected".into());
    }
    let version = conn.xinput_xi_query_version(2, 2).map_err(|e| xi(&e))?.reply().map_err(|e| xi(&e))?;
    if (version.major_version, version.minor_version) < (2, 1) {
        let _ = ready.send(());
        return Err(format!("the X server has XInput {}.{}; raw events need 2.1", version.major_version, version.minor_version));
    }
    let raw =
        xinput::XIEventMask::RAW_KEY_PRESS | xinput::XIEventMask::RAW_KEY_RELEASE | xinput::XIEventMask::RAW_BUTTON_PRESS | xinput::XIEventMask::RAW_BUTTON_RELEASE | xinput::XIEventMask::RAW_MOTION;
    // Raw events through the master devices (each once, with its source); device changes can
    // only be selected for all devices.
    let masks = [
        xinput::EventMask { deviceid: u16::from(bool::from(xinput::Device::ALL_MASTER)), mask: vec![raw] },
        xinput::EventMask { deviceid: u16::from(bool::from(xinput::Device::ALL)), mask: vec![xinput::XIEventMask::HIERARCHY] },
    ];
    conn.xinput_xi_select_events(root, &masks).map_err(|e| xi(&e))?.check().map_err(|e| xi(&e))?;
    let mut devices = device_origins(&conn)?;
    let _ = ready.send(());
    loop {
        let event = conn.wait_for_event().map_err(|e| xi(&e))?;
        let at = Instant::now();
        let (class, detail, source) = match event {
            Event::XinputRawKeyPress(e) => (RawClass::KeyPress, e.detail, e.sourceid),
            Event::XinputRawKeyRelease(e) => (RawClass::KeyRelease, e.detail, e.sourceid),
            Event::XinputRawButtonPress(e) => (RawClass::ButtonPress, e.detail, e.sourceid),
            Event::XinputRawButtonRelease(e) => (RawClass::ButtonRelease, e.detail, e.sourceid),
            Event::XinputRawMotion(e) => (RawClass::Motion, 0, e.sourceid),
            Event::XinputHierarchy(_) => {
                devices = device_origins(&conn)?;
                continue;
            }
            _ => continue,
        };
        if !devices.contains_key(&source) {
            devices = device_origins(&conn)?;
        }
        watch.saw(at, class, detail, devices.get(&source).copied().unwrap_or(InputOrigin::Unknown));
    }
}

/// Every slave device's origin, by device id.
fn device_origins(conn: &impl x11rb::connection::Connection) -> Result<HashMap<u16, InputOrigin>, String> {
    let xi = |e: &dyn std::fmt::Display| format!("XInput2 devices: {e}");
    let xtest_atom = conn.intern_atom(true, b"XTEST Device").map_err(|e| xi(&e))?.reply().map_err(|e| xi(&e))?.atom;
    let reply = conn.xinput_xi_query_device(u16::from(bool::from(xinput::Device::ALL))).map_err(|e| xi(&e))?.reply().map_err(|e| xi(&e))?;
    let mut out = HashMap::new();
    for d in reply.infos {
        let slave = matches!(d.type_, xinput::DeviceType::SLAVE_POINTER | xinput::DeviceType::SLAVE_KEYBOARD | xinput::DeviceType::FLOATING_SLAVE);
        if !slave {
            continue;
        }
        let xtest = xtest_atom != 0 && conn.xinput_xi_get_property(d.deviceid, false, xtest_atom, 0u32, 0, 1).ok().and_then(|c| c.reply().ok()).is_some_and(|r| r.type_ != 0);
        let info = DeviceInfo { id: d.deviceid, name: String::from_utf8_lossy(&d.name).into_owned(), xtest };
        tracing::debug!(id = info.id, name = %info.name, origin = classify(&info).as_str(), "input device");
        out.insert(info.id, classify(&info));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use apprentice_core::model::Modifiers;

    #[test]
    fn xtest_devices_inject_and_other_slave_devices_are_hardware() {
        let dev = |id, name: &str, xtest| DeviceInfo { id, name: name.into(), xtest };
        assert_eq!(classify(&dev(4, "Virtual core XTEST pointer", true)), InputOrigin::Injected);
        assert_eq!(classify(&dev(5, "Virtual core XTEST keyboard", false)), InputOrigin::Injected, "named so even without the property");
        assert_eq!(classify(&dev(9, "Logitech USB Optical Mouse", false)), InputOrigin::Device);
        assert_eq!(classify(&dev(12, "AT Translated Set 2 keyboard", false)), InputOrigin::Device);
        assert_eq!(classify(&dev(13, "SynPS/2 Synaptics TouchPad", false)), InputOrigin::Device);
    }

    fn key(t: Micros, code: u32) -> InputEvent {
        InputEvent { t, kind: InputKind::KeyPress, x: 0, y: 0, button: None, key: Some("a".into()), code: Some(code), text: None, dx: 0, dy: 0, modifiers: Modifiers(0), origin: InputOrigin::Unknown }
    }

    #[test]
    fn events_match_their_own_sighting_once_in_order() {
        let clock = RecordingClock::start();
        let w = OriginWatch::default();
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        w.saw(at(10), RawClass::KeyPress, 38, InputOrigin::Device);
        w.saw(at(11), RawClass::KeyPress, 38, InputOrigin::Injected);
        w.saw(at(12), RawClass::KeyPress, 40, InputOrigin::Device);
        let t = |ms| clock.at(at(ms));
        // The key 40 press takes its own sighting even though a key 38 one is nearer.
        assert_eq!(w.origin_of(&key(t(11), 40), &clock), InputOrigin::Device);
        assert_eq!(w.origin_of(&key(t(10), 38), &clock), InputOrigin::Device);
        assert_eq!(w.origin_of(&key(t(11), 38), &clock), InputOrigin::Injected, "the first sighting is used up");
        assert_eq!(w.origin_of(&key(t(2000), 38), &clock), InputOrigin::Unknown, "nothing near");
    }

    #[test]
    fn moves_take_the_nearest_sighting_and_buttons_their_number() {
        let clock = RecordingClock::start();
        let w = OriginWatch::default();
        let t0 = Instant::now();
        w.saw(t0, RawClass::Motion, 0, InputOrigin::Device);
        w.saw(t0 + Duration::from_millis(100), RawClass::ButtonPress, 3, InputOrigin::Injected);
        w.saw(t0 + Duration::from_millis(101), RawClass::ButtonPress, 1, InputOrigin::Device);
        let mv = InputEvent { kind: InputKind::Move, code: None, key: None, ..key(clock.at(t0 + Duration::from_millis(5)), 0) };
        assert_eq!(w.origin_of(&mv, &clock), InputOrigin::Device);
        let right = InputEvent { kind: InputKind::ButtonPress, button: Some("right".into()), ..mv.clone() };
        assert_eq!(w.origin_of(&right, &clock), InputOrigin::Injected);
    }

    #[test]
    fn old_sightings_are_forgotten() {
        let w = OriginWatch::default();
        let t0 = Instant::now();
        for i in 0..(MAX_SIGHTINGS as u64 + 10) {
            w.saw(t0 + Duration::from_micros(i), RawClass::Motion, 0, InputOrigin::Device);
        }
        w.saw(t0 + KEEP + Duration::from_secs(1), RawClass::Motion, 0, InputOrigin::Device);
        assert_eq!(w.sightings.lock().unwrap().len(), 1);
    }
}
