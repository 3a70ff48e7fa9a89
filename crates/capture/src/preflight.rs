//! The machine's preflight checks, before a recording: the display and the extensions capture
//! needs (RECORD for input, MIT-SHM for cheap frames, RandR for the monitors), a window manager
//! that says which window has focus (window context and exclusions depend on it), and a
//! microphone for think aloud. Each failure says its fix. Not its job: the library and disk
//! (`apprentice_core::store::preflight`) or the speech model; `apprentice doctor` and the
//! desktop app put them together.

use apprentice_core::model::Check;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};

use crate::x11::{connect_display, monitors};

pub fn checks() -> Vec<Check> {
    let mut out = display_checks();
    out.push(microphone_check());
    out
}

fn display_checks() -> Vec<Check> {
    let (conn, screen) = match connect_display() {
        Ok(c) => c,
        Err(e) => return vec![Check::fail("display", e.to_string(), "log in to an X11 session (on Wayland, pick the \"on Xorg\" session at the login screen) or run under Xvfb, with $DISPLAY set")],
    };
    let root = &conn.setup().roots[screen];
    let displays = monitors(&conn, root.root, root.width_in_pixels, root.height_in_pixels);
    let list: Vec<String> = displays.iter().map(|d| format!("{}x{}+{}+{}", d.width, d.height, d.x, d.y)).collect();
    let name = std::env::var("DISPLAY").unwrap_or_default();
    let mut out = vec![Check::ok("display", format!("X11 display {name}: {} monitor{} ({})", displays.len(), if displays.len() == 1 { "" } else { "s" }, list.join(", ")))];
    let has = |ext: &'static str| conn.extension_information(ext).ok().flatten().is_some();
    out.push(if has(x11rb::protocol::record::X11_EXTENSION_NAME) {
        Check::ok("input", "RECORD extension: clicks, keys and scrolls can be captured")
    } else {
        Check::fail(
            "input",
            "the X server has no RECORD extension: input cannot be captured",
            "Xorg: enable the \"record\" module; Xvfb: start it with +extension RECORD (or without -extension RECORD)",
        )
    });
    out.push(if has(x11rb::protocol::shm::X11_EXTENSION_NAME) {
        Check::ok("shared_memory", "MIT-SHM extension: frames are grabbed through shared memory")
    } else {
        Check::warn("shared_memory", "no MIT-SHM extension: frames are grabbed over the X socket, at more CPU", "record on the machine itself (a remote display, ssh -X, has no shared memory)")
    });
    out.push(window_manager_check(&conn, root.root));
    out
}

/// An EWMH window manager announces itself on the root window and keeps `_NET_ACTIVE_WINDOW`.
fn window_manager_check(conn: &impl Connection, root: u32) -> Check {
    let atom = |name: &[u8]| conn.intern_atom(false, name).ok().and_then(|c| c.reply().ok()).map(|r| r.atom);
    let window_prop = |w: u32, prop: Option<u32>| -> Option<u32> {
        let reply = conn.get_property(false, w, prop?, AtomEnum::WINDOW, 0, 1).ok()?.reply().ok()?;
        reply.value32().and_then(|mut v| v.next())
    };
    let check = window_prop(root, atom(b"_NET_SUPPORTING_WM_CHECK")).filter(|&w| w != 0);
    let name = check.and_then(|w| {
        let reply = conn.get_property(false, w, atom(b"_NET_WM_NAME")?, atom(b"UTF8_STRING")?, 0, 256).ok()?.reply().ok()?;
        Some(String::from_utf8_lossy(&reply.value).into_owned()).filter(|n| !n.is_empty())
    });
    match check {
        Some(_) => Check::ok("window_manager", format!("window manager {}: the focused window is known, so window context and exclusions work", name.as_deref().unwrap_or("(unnamed)"))),
        None => Check::fail(
            "window_manager",
            "no EWMH window manager: which window has focus is unknown, so window context and exclusion rules cannot work",
            "run a window manager (GNOME, KDE, Xfce, openbox… any EWMH one)",
        ),
    }
}

/// The microphone a recording would open, opened and listened to (up to 3 s for the first sound).
fn microphone_check() -> Check {
    let fix = "plug in or enable a microphone (`apprentice mics` lists them; `pactl list sources short` on PulseAudio); typed notes work without";
    match crate::audio::probe_microphone(None, std::time::Duration::from_secs(3)) {
        Ok((name, Some(db))) => Check::ok("microphone", format!("{name}: live, peak {db:.0} dBFS")),
        Ok((name, None)) => Check::warn("microphone", format!("{name} opens but gave no sound in 3 s"), fix),
        Err(e) => Check::warn("microphone", format!("{}: think aloud would record nothing", e.to_string().trim_end_matches('.')), fix),
    }
}
