//! Accessibility context, a capture source: the AT-SPI bus (over D-Bus, the `atspi` crate) says
//! which element has the keyboard focus and which element is under each press. Focus changes and
//! press targets become rows of the accessibility stream (role, name, states, bounds; a target's
//! ancestors too), written once the privacy hold has passed and only where the gate allows (an
//! excluded window's element names never reach disk). While a password field has focus the gate's
//! `secret_field` timeline is on — the input router then drops keys as for an excluded window —
//! and the field's rectangle is a mask of every frame. No bus, or an application that stops
//! answering, costs the context and nothing else: the recorder goes on without it and says why in
//! its health. Not its job: what a step does with a target (`core::segment`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atspi::connection::AccessibilityConnection;
use atspi::events::object::StateChangedEvent;
use atspi::proxy::accessible::{AccessibleProxy, ObjectRefExt};
use atspi::proxy::proxy_ext::ProxyExt;
use atspi::zbus;
use atspi::{CoordType, Event, ObjectEvents, ObjectRefOwned, State};
use crossbeam_channel::{Receiver, Sender};
use futures_lite::StreamExt;

use apprentice_core::clock::RecordingClock;
use apprentice_core::model::*;
use apprentice_core::store::writer::{WriteOp, WriterHandle};

use super::privacy::{PrivacyGate, PRIVACY_HOLD, PRIVACY_HOLD_US};

/// How long one question to an application may take before it counts as not answering.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// Ancestors kept for a target (enough to reach its window in any toolkit seen).
const MAX_ANCESTORS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum A11yError {
    #[error("no accessibility bus ({0}); elements under clicks and password fields will not be known (start at-spi-bus-launcher, or a desktop session that runs it)")]
    NoBus(String),
}

/// The press the input router saw: when, where.
#[derive(Debug, Clone, Copy)]
pub struct Press {
    pub t: Micros,
    pub x: i32,
    pub y: i32,
}

/// A running accessibility watch: its two threads end when `stop` is set.
pub struct A11yWatch {
    pub presses: Sender<Press>,
    pub threads: Vec<std::thread::JoinHandle<()>>,
}

/// Connects to the accessibility bus (a clear error when there is none).
pub fn connect() -> Result<AccessibilityConnection, A11yError> {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok().filter(|a| !a.is_empty());
    let said = |why: String| match &bus {
        Some(a) => A11yError::NoBus(format!("the session bus at {a}: {why}")),
        None => A11yError::NoBus(format!("no session bus: $DBUS_SESSION_BUS_ADDRESS is not set ({why})")),
    };
    let conn = block_on_within(AccessibilityConnection::new(), Duration::from_secs(5)).ok_or_else(|| said("no answer within 5 s".into()))?;
    conn.map_err(|e| {
        let text = e.to_string();
        said(if text.contains("No such file") {
            "nothing listens there".into()
        } else if text.contains("Connection refused") {
            "connection refused".into()
        } else {
            text
        })
    })
}

/// Starts watching focus and answering presses.
pub fn start(conn: AccessibilityConnection, clock: RecordingClock, gate: Arc<PrivacyGate>, writer: WriterHandle, stop: Arc<AtomicBool>) -> std::io::Result<A11yWatch> {
    let (presses, rx) = crossbeam_channel::bounded::<Press>(256);
    let focus = {
        let (conn, gate, writer, stop) = (conn.clone(), gate.clone(), writer.clone(), stop.clone());
        std::thread::Builder::new().name("a11y-focus".into()).spawn(move || futures_lite::future::block_on(watch_focus(conn, clock, gate, writer, stop)))?
    };
    let targets = std::thread::Builder::new().name("a11y-targets".into()).spawn(move || answer_presses(conn, rx, clock, gate, writer, stop))?;
    Ok(A11yWatch { presses, threads: vec![focus, targets] })
}

/// Rows waiting for their privacy decision.
struct Pending(VecDeque<A11yEvent>);

impl Pending {
    /// Writes (or drops) every row whose hold is over.
    fn release(&mut self, now: Micros, gate: &PrivacyGate, writer: &WriterHandle, all: bool) {
        while let Some(front) = self.0.front() {
            if !all && front.t + PRIVACY_HOLD_US > now {
                break;
            }
            let Some(row) = self.0.pop_front() else { break };
            if gate.allows(row.t, row.t) {
                writer.send(WriteOp::Accessibility(row));
            }
        }
    }
}

async fn watch_focus(conn: AccessibilityConnection, clock: RecordingClock, gate: Arc<PrivacyGate>, writer: WriterHandle, stop: Arc<AtomicBool>) {
    if let Err(e) = conn.register_event::<StateChangedEvent>().await {
        tracing::warn!("accessibility: cannot listen to focus changes: {e}");
        return;
    }
    let mut events = conn.event_stream();
    let mut pending = Pending(VecDeque::new());
    // The focused password field, while one is.
    let mut secret: Option<ObjectRefOwned> = None;
    let mut last_focus: Option<Element> = None;
    while !stop.load(Ordering::Relaxed) {
        let next = futures_lite::future::or(async { Some(events.next().await) }, async {
            async_io::Timer::after(Duration::from_millis(50)).await;
            None
        })
        .await;
        pending.release(clock.now(), &gate, &writer, false);
        let Some(Some(Ok(Event::Object(ObjectEvents::StateChanged(ev))))) = next else { continue };
        if ev.state != State::Focused {
            continue;
        }
        let t = clock.now();
        if !ev.enabled {
            if secret.as_ref() == Some(&ev.item) {
                gate.secret_field.set(t, false);
                gate.field_masks.set(vec![]);
                secret = None;
            }
            last_focus = None;
            continue;
        }
        let element = match within(describe(conn.connection(), &ev.item, false)).await {
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                tracing::debug!("accessibility: the focused element did not say what it is: {e}");
                continue;
            }
            None => {
                tracing::info!("accessibility: an application did not answer within {ANSWER_WITHIN:?}");
                continue;
            }
        };
        // Toolkits often say a focus change twice: one row for it.
        let same = |a: &Element| a.role == element.role && a.name == element.name && a.bounds == element.bounds;
        if last_focus.as_ref().is_some_and(same) {
            continue;
        }
        last_focus = Some(element.clone());
        let is_secret = element.is_secret_field();
        gate.secret_field.set(t, is_secret);
        gate.field_masks.set(if is_secret { vec![element.bounds] } else { vec![] });
        secret = is_secret.then(|| ev.item.clone());
        pending.0.push_back(A11yEvent { t, kind: A11yKind::Focus, element });
    }
    std::thread::sleep(PRIVACY_HOLD);
    pending.release(clock.now(), &gate, &writer, true);
}

fn answer_presses(conn: AccessibilityConnection, presses: Receiver<Press>, clock: RecordingClock, gate: Arc<PrivacyGate>, writer: WriterHandle, stop: Arc<AtomicBool>) {
    let mut pending = Pending(VecDeque::new());
    loop {
        match presses.recv_timeout(Duration::from_millis(50)) {
            Ok(p) => match block_on_within(element_at(&conn, p.x, p.y), ANSWER_WITHIN) {
                Some(Ok(Some(element))) => pending.0.push_back(A11yEvent { t: p.t, kind: A11yKind::Target, element }),
                Some(Ok(None)) => {}
                Some(Err(e)) => tracing::debug!("accessibility: no element under the press at ({}, {}): {e}", p.x, p.y),
                None => tracing::info!("accessibility: no answer within {ANSWER_WITHIN:?} for the press at ({}, {})", p.x, p.y),
            },
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
        pending.release(clock.now(), &gate, &writer, false);
        if stop.load(Ordering::Relaxed) && presses.is_empty() {
            break;
        }
    }
    std::thread::sleep(PRIVACY_HOLD);
    pending.release(clock.now(), &gate, &writer, true);
}

/// Runs `f` to its end on this thread, for at most `limit`.
fn block_on_within<T>(f: impl std::future::Future<Output = T>, limit: Duration) -> Option<T> {
    futures_lite::future::block_on(within_limit(f, limit))
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
    within_limit(f, ANSWER_WITHIN).await
}

async fn within_limit<T>(f: impl std::future::Future<Output = T>, limit: Duration) -> Option<T> {
    futures_lite::future::or(async { Some(f.await) }, async {
        async_io::Timer::after(limit).await;
        None
    })
    .await
}

type AtspiResult<T> = Result<T, atspi::AtspiError>;

/// The element `object` is: role, name, states, bounds, and its ancestors when asked.
async fn describe(conn: &zbus::Connection, object: &ObjectRefOwned, ancestors: bool) -> AtspiResult<Element> {
    let acc = object.as_accessible_proxy(conn).await?;
    let mut element = element_of(&acc).await?;
    if ancestors {
        let mut parent = acc.parent().await?;
        while !parent.is_null() && element.ancestors.len() < MAX_ANCESTORS {
            let p = parent.as_accessible_proxy(conn).await?;
            let role = p.get_role_name().await?;
            if role == "application" {
                break;
            }
            element.ancestors.push(ElementRef { role, name: p.name().await? });
            parent = p.parent().await?;
        }
    }
    Ok(element)
}

async fn element_of(acc: &AccessibleProxy<'_>) -> AtspiResult<Element> {
    let states = acc.get_state().await?;
    let bounds = match acc.proxies().await?.component().await {
        Ok(c) => {
            let (x, y, w, h) = c.get_extents(CoordType::Screen).await?;
            Rect { x, y, width: w.max(0) as u32, height: h.max(0) as u32 }
        }
        Err(_) => Rect::default(),
    };
    Ok(Element { role: acc.get_role_name().await?, name: acc.name().await?, states: states.iter().map(|s| s.to_string()).collect(), bounds, ancestors: vec![] })
}

/// The deepest element under screen point (x, y): the showing window that contains it (the
/// active one first), then each child at the point in turn.
async fn element_at(conn: &AccessibilityConnection, x: i32, y: i32) -> AtspiResult<Option<Element>> {
    let bus = conn.connection();
    let root = conn.root_accessible_on_registry().await?;
    let mut windows: Vec<(bool, ObjectRefOwned)> = vec![];
    for app in root.get_children().await? {
        // An application that has gone (or crashed) is skipped, not an error of the lookup.
        let Ok(app) = app.as_accessible_proxy(bus).await else { continue };
        let Ok(children) = app.get_children().await else { continue };
        for win in children {
            let Ok(w) = win.as_accessible_proxy(bus).await else { continue };
            let Ok(states) = w.get_state().await else { continue };
            if !states.contains(State::Showing) {
                continue;
            }
            let Ok(proxies) = w.proxies().await else { continue };
            let Ok(component) = proxies.component().await else { continue };
            if component.contains(x, y, CoordType::Screen).await.unwrap_or(false) {
                windows.push((states.contains(State::Active), win.clone()));
            }
        }
    }
    windows.sort_by_key(|(active, _)| !active);
    let Some((_, mut current)) = windows.into_iter().next() else { return Ok(None) };
    for _ in 0..64 {
        let acc = current.as_accessible_proxy(bus).await?;
        let Ok(component) = acc.proxies().await?.component().await else { break };
        let child = component.get_accessible_at_point(x, y, CoordType::Screen).await?;
        if child.is_null() || child == current {
            break;
        }
        current = child;
    }
    Ok(Some(describe(bus, &current, true).await?))
}
