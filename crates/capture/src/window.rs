//! Window context on X11: which window has focus (its application class, title, id and bounds),
//! recorded as an event whenever any of that changes, plus the rects of visible excluded windows
//! for masking. Event-driven (PropertyNotify on the root for `_NET_ACTIVE_WINDOW`, on the focused
//! window for its title) with a slow re-check, on its own connection and thread. Titles come from
//! `_NET_WM_NAME` (UTF-8), else `WM_NAME` (which xterm and other old apps set as STRING).

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{Atom, AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, MapState, Window};
use x11rb::rust_connection::RustConnection;

use super::exclusion::{is_excluded, ExclusionRule};
use super::privacy::PrivacyGate;
use super::x11::{connect_display, x11_err};
use super::CaptureError;
use apprentice_core::clock::RecordingClock;
use apprentice_core::model::{Rect, WindowEvent};

const RECHECK: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq)]
pub struct WindowInfo {
    pub id: u32,
    /// WM_CLASS: instance then class.
    pub classes: Vec<String>,
    pub title: String,
    pub bounds: Rect,
}

impl WindowInfo {
    pub fn app(&self) -> &str {
        self.classes.last().map(String::as_str).unwrap_or("")
    }
}

struct Atoms {
    active: Atom,
    net_wm_name: Atom,
    utf8: Atom,
    client_list_stacking: Atom,
    client_list: Atom,
}

/// X11 queries about windows.
pub struct WindowContext {
    conn: RustConnection,
    root: Window,
    atoms: Atoms,
}

impl WindowContext {
    pub fn connect() -> Result<Self, CaptureError> {
        let (conn, screen) = connect_display()?;
        let root = conn.setup().roots[screen].root;
        let intern = |name: &[u8]| -> Result<Atom, CaptureError> { Ok(conn.intern_atom(false, name).map_err(x11_err)?.reply().map_err(x11_err)?.atom) };
        let atoms = Atoms {
            active: intern(b"_NET_ACTIVE_WINDOW")?,
            net_wm_name: intern(b"_NET_WM_NAME")?,
            utf8: intern(b"UTF8_STRING")?,
            client_list_stacking: intern(b"_NET_CLIENT_LIST_STACKING")?,
            client_list: intern(b"_NET_CLIENT_LIST")?,
        };
        Ok(WindowContext { conn, root, atoms })
    }

    fn windows_prop(&self, window: Window, prop: Atom) -> Vec<Window> {
        self.conn.get_property(false, window, prop, AtomEnum::WINDOW, 0, 4096).ok().and_then(|c| c.reply().ok()).and_then(|r| r.value32().map(|v| v.collect())).unwrap_or_default()
    }

    /// The focused top-level window: `_NET_ACTIVE_WINDOW`, else the input focus.
    pub fn active_window(&self) -> Option<Window> {
        if let Some(&w) = self.windows_prop(self.root, self.atoms.active).first() {
            if w != 0 {
                return Some(w);
            }
        }
        let focus = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        (focus > 1 && focus != self.root).then_some(focus)
    }

    /// Managed windows, bottom to top.
    pub fn client_windows(&self) -> Vec<Window> {
        let stacked = self.windows_prop(self.root, self.atoms.client_list_stacking);
        if stacked.is_empty() {
            self.windows_prop(self.root, self.atoms.client_list)
        } else {
            stacked
        }
    }

    pub fn title(&self, w: Window) -> String {
        let read = |prop: Atom, ty: Atom| {
            self.conn.get_property(false, w, prop, ty, 0, 1024).ok().and_then(|c| c.reply().ok()).filter(|r| !r.value.is_empty()).map(|r| String::from_utf8_lossy(&r.value).into_owned())
        };
        read(self.atoms.net_wm_name, self.atoms.utf8).or_else(|| read(AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())).unwrap_or_default()
    }

    pub fn classes(&self, w: Window) -> Vec<String> {
        self.conn
            .get_property(false, w, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 256)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|r| r.value.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect())
            .unwrap_or_default()
    }

    /// Bounds in root coordinates.
    pub fn bounds(&self, w: Window) -> Option<Rect> {
        let geo = self.conn.get_geometry(w).ok()?.reply().ok()?;
        let pos = self.conn.translate_coordinates(w, self.root, 0, 0).ok()?.reply().ok()?;
        Some(Rect { x: pos.dst_x as i32, y: pos.dst_y as i32, width: geo.width as u32, height: geo.height as u32 })
    }

    /// Bounds of the window with its window-manager frame (title bar and borders), which can
    /// show the title too: what a mask must cover.
    pub fn framed_bounds(&self, w: Window) -> Option<Rect> {
        let mut top = w;
        for _ in 0..16 {
            let tree = self.conn.query_tree(top).ok()?.reply().ok()?;
            if tree.parent == self.root || tree.parent == 0 {
                break;
            }
            top = tree.parent;
        }
        self.bounds(top)
    }

    fn is_viewable(&self, w: Window) -> bool {
        self.conn.get_window_attributes(w).ok().and_then(|c| c.reply().ok()).map(|a| a.map_state == MapState::VIEWABLE).unwrap_or(false)
    }

    pub fn info(&self, w: Window) -> Option<WindowInfo> {
        Some(WindowInfo { id: w, classes: self.classes(w), title: self.title(w), bounds: self.bounds(w)? })
    }

    fn listen(&self, w: Window, mask: EventMask) {
        let _ = self.conn.change_window_attributes(w, &ChangeWindowAttributesAux::new().event_mask(mask));
        let _ = self.conn.flush();
    }
}

/// Runs the watcher until `stop` is set. Focus changes go to `events` (already redacted for
/// excluded windows) and to the privacy gate; `on_focus` is poked so capture can take a frame.
pub fn watch(ctx: WindowContext, rules: Vec<ExclusionRule>, clock: RecordingClock, gate: Arc<PrivacyGate>, events: Sender<WindowEvent>, on_focus: impl Fn(), stop: Arc<AtomicBool>) {
    ctx.listen(ctx.root, EventMask::PROPERTY_CHANGE | EventMask::SUBSTRUCTURE_NOTIFY);
    let fd = ctx.conn.stream().as_raw_fd();
    let mut last: Option<WindowEvent> = None;
    let mut listened: Option<Window> = None;
    let mut next_check = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let mut changed = false;
        while let Ok(Some(_event)) = ctx.conn.poll_for_event() {
            changed = true;
        }
        if changed || Instant::now() >= next_check {
            next_check = Instant::now() + RECHECK;
            let now = clock.now();
            let focused = ctx.active_window().and_then(|w| ctx.info(w));
            let excluded_focus = focused.as_ref().map(|f| excluded(&rules, f)).unwrap_or(false);
            gate.excluded_focus.set(now, excluded_focus);
            let masks = ctx
                .client_windows()
                .into_iter()
                .filter(|&w| ctx.is_viewable(w))
                .filter_map(|w| ctx.info(w))
                .filter(|info| excluded(&rules, info))
                .filter_map(|info| ctx.framed_bounds(info.id))
                .collect();
            gate.masks.set(masks);
            if let Some(f) = &focused {
                if listened != Some(f.id) {
                    ctx.listen(f.id, EventMask::PROPERTY_CHANGE | EventMask::STRUCTURE_NOTIFY);
                    listened = Some(f.id);
                }
            }
            let event = focused.map(|f| redact(now, &f, excluded_focus));
            let differs = match (&last, &event) {
                (Some(a), Some(b)) => (a.window_id, &a.app, &a.title, a.bounds) != (b.window_id, &b.app, &b.title, b.bounds),
                (None, Some(_)) => true,
                _ => false,
            };
            if differs {
                if let Some(e) = &event {
                    if last.as_ref().map(|l| l.window_id) != Some(e.window_id) {
                        on_focus();
                    }
                    let _ = events.send(e.clone());
                }
                last = event;
            }
        }
        let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the connection's socket.
        unsafe { libc::poll(&mut pfd, 1, 100) };
    }
}

fn excluded(rules: &[ExclusionRule], info: &WindowInfo) -> bool {
    let classes: Vec<&str> = info.classes.iter().map(String::as_str).collect();
    is_excluded(rules, &classes, &info.title)
}

fn redact(t: u64, info: &WindowInfo, excluded: bool) -> WindowEvent {
    if excluded {
        WindowEvent { t, window_id: info.id, app: "[excluded]".into(), title: String::new(), bounds: info.bounds, excluded: true }
    } else {
        WindowEvent { t, window_id: info.id, app: info.app().to_string(), title: info.title.clone(), bounds: info.bounds, excluded: false }
    }
}
