//! Action reduction: raw input events → actions. One pass over the events in time order with a
//! small state machine: a press and its release become a click or, if the pointer travelled,
//! a drag; quick repeated clicks at one place become double and triple clicks; wheel notches at
//! one place merge into one scroll; printable keys merge into one `type` action with the text as
//! it ended up; other keys become `key`, and keys pressed with ctrl/alt/win (or shift with a
//! non-printing key) become `hotkey`. A pointer that rests on a spot long enough and changes the
//! screen becomes a `move` (hover). Actions never span a barrier (a pause, a focus change).

use crate::model::*;

/// Max time between the presses of a double (or triple) click.
pub const MULTI_CLICK_INTERVAL: Micros = 500_000;
/// Max distance in pixels between the presses of a double (or triple) click.
pub const MULTI_CLICK_DISTANCE: i32 = 5;
/// A press travels further than this before its release: a drag, not a click.
pub const DRAG_THRESHOLD: i32 = 5;
/// Wheel notches closer than this in time, and within [`SCROLL_MERGE_DISTANCE`], are one scroll.
pub const SCROLL_MERGE_GAP: Micros = 600_000;
pub const SCROLL_MERGE_DISTANCE: i32 = 20;
/// Typing pauses longer than this start a new `type` action.
pub const TYPING_BREAK: Micros = 3_000_000;
/// A pointer resting this long without a click is a candidate hover.
pub const HOVER_DWELL: Micros = 800_000;
/// …if it came from at least this far away.
pub const HOVER_MIN_TRAVEL: i32 = 20;

const MODIFIER_KEYS: [&str; 10] = ["shift", "shiftright", "ctrl", "ctrlright", "alt", "altright", "win", "winright", "capslock", "numlock"];

fn is_modifier(key: &str) -> bool {
    MODIFIER_KEYS.contains(&key)
}

fn dist(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs().max((a.1 - b.1).abs())
}

/// A candidate hover: the pointer came to rest at (x, y) at `t` and stayed until `until`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoverCandidate {
    pub x: i32,
    pub y: i32,
    pub t: Micros,
    pub until: Micros,
    pub raw: usize,
    pub origin: InputOrigin,
}

struct PendingPress {
    button: String,
    x: i32,
    y: i32,
    t: Micros,
    raw: usize,
    modifiers: Modifiers,
    path: Vec<PathPoint>,
    travelled: i32,
}

struct Typing {
    text: String,
    t_start: Micros,
    t_end: Micros,
    first: usize,
    last: usize,
    backspaces: u32,
}

#[derive(Default)]
struct Reducer {
    out: Vec<Action>,
    press: Option<PendingPress>,
    typing: Option<Typing>,
    /// Index in `out` of the last click, for double/triple upgrades.
    last_click: Option<usize>,
    /// Non-modifier keys pressed since a modifier went down (for a lone `win`).
    keys_since_modifier: u32,
    /// When (and at which event) the modifiers held now started to be held: a hotkey's, or
    /// shifted typing's, first raw event is that press.
    held_since: Option<(Micros, usize)>,
    hovers: Vec<HoverCandidate>,
}

impl Reducer {
    fn push(&mut self, action: Action) {
        self.out.push(action);
    }

    fn flush_typing(&mut self) {
        if let Some(t) = self.typing.take() {
            if !t.text.is_empty() || t.backspaces > 0 {
                self.push(Action { kind: ActionKind::Type, t_start: t.t_start, t_end: t.t_end, text: Some(t.text), backspaces: t.backspaces, raw: (t.first, t.last), ..blank() });
            }
        }
    }

    fn flush_press(&mut self, end: Option<(i32, i32, Micros, usize)>) {
        let Some(p) = self.press.take() else { return };
        let (ex, ey, et, eraw) = end.unwrap_or_else(|| p.path.last().map(|l| (l.x, l.y, l.t, p.raw)).unwrap_or((p.x, p.y, p.t, p.raw)));
        let travelled = p.travelled.max(dist((p.x, p.y), (ex, ey)));
        if travelled > DRAG_THRESHOLD {
            let mut path = p.path;
            if path.last().map(|l| (l.x, l.y)) != Some((ex, ey)) {
                path.push(PathPoint { x: ex, y: ey, t: et });
            }
            self.push(Action { kind: ActionKind::Drag, t_start: p.t, t_end: et, x: Some(p.x), y: Some(p.y), button: Some(p.button), modifiers: p.modifiers, path, raw: (p.raw, eraw), ..blank() });
            self.last_click = None;
            return;
        }
        let kind = match p.button.as_str() {
            "right" => ActionKind::RightClick,
            "middle" => ActionKind::MiddleClick,
            _ => ActionKind::Click,
        };
        // A quick second (third) left click at the same place upgrades the previous click.
        if kind == ActionKind::Click {
            if let Some(i) = self.last_click.filter(|&i| i + 1 == self.out.len()) {
                let prev = &self.out[i];
                let close = prev.x.zip(prev.y).is_some_and(|pp| dist(pp, (p.x, p.y)) <= MULTI_CLICK_DISTANCE);
                let upgraded = match prev.kind {
                    ActionKind::Click => Some(ActionKind::DoubleClick),
                    ActionKind::DoubleClick => Some(ActionKind::TripleClick),
                    _ => None,
                };
                if let (true, true, Some(kind)) = (close, p.t.saturating_sub(prev.t_start) <= MULTI_CLICK_INTERVAL * 2 && p.t.saturating_sub(prev.t_end) <= MULTI_CLICK_INTERVAL, upgraded) {
                    let prev = &mut self.out[i];
                    prev.kind = kind;
                    prev.t_end = et;
                    prev.raw.1 = eraw;
                    if kind == ActionKind::TripleClick {
                        self.last_click = None;
                    }
                    return;
                }
            }
        }
        self.push(Action { kind, t_start: p.t, t_end: et, x: Some(p.x), y: Some(p.y), button: Some(p.button), modifiers: p.modifiers, raw: (p.raw, eraw), ..blank() });
        self.last_click = (kind == ActionKind::Click).then_some(self.out.len() - 1);
    }

    /// Ends everything in progress (a barrier, or the end of the recording).
    fn flush_all(&mut self) {
        self.flush_typing();
        self.flush_press(None);
        self.last_click = None;
    }

    fn event(&mut self, i: usize, e: &InputEvent) {
        match e.kind {
            InputKind::Move => {
                if let Some(p) = self.press.as_mut() {
                    p.travelled = p.travelled.max(dist((p.x, p.y), (e.x, e.y)));
                    p.path.push(PathPoint { x: e.x, y: e.y, t: e.t });
                }
            }
            InputKind::ButtonPress => {
                let button = e.button.clone().unwrap_or_else(|| "left".into());
                self.flush_typing();
                self.flush_press(None);
                self.press = Some(PendingPress { button, x: e.x, y: e.y, t: e.t, raw: i, modifiers: e.modifiers, path: vec![PathPoint { x: e.x, y: e.y, t: e.t }], travelled: 0 });
            }
            InputKind::ButtonRelease => {
                if self.press.as_ref().is_some_and(|p| Some(&p.button) == e.button.as_ref()) {
                    self.flush_press(Some((e.x, e.y, e.t, i)));
                }
            }
            InputKind::Wheel => {
                self.flush_typing();
                self.flush_press(None);
                self.last_click = None;
                if let Some(prev) = self.out.last_mut() {
                    let same_place = prev.x.zip(prev.y).is_some_and(|pp| dist(pp, (e.x, e.y)) <= SCROLL_MERGE_DISTANCE);
                    if prev.kind == ActionKind::Scroll && same_place && e.t.saturating_sub(prev.t_end) <= SCROLL_MERGE_GAP && prev.modifiers == e.modifiers {
                        prev.scroll_dx += e.dx;
                        prev.scroll_dy += e.dy;
                        prev.t_end = e.t;
                        prev.raw.1 = i;
                        return;
                    }
                }
                self.push(Action { kind: ActionKind::Scroll, t_start: e.t, t_end: e.t, x: Some(e.x), y: Some(e.y), modifiers: e.modifiers, scroll_dx: e.dx, scroll_dy: e.dy, raw: (i, i), ..blank() });
            }
            InputKind::KeyPress => self.key_press(i, e),
            InputKind::KeyRelease => {
                let key = e.key.as_deref().unwrap_or("");
                if is_modifier(key) {
                    let bit = match key {
                        "shift" | "shiftright" => Modifiers::SHIFT,
                        "ctrl" | "ctrlright" => Modifiers::CTRL,
                        "alt" => Modifiers::ALT,
                        "altright" => Modifiers::ALTGR,
                        "win" | "winright" => Modifiers::WIN,
                        _ => 0,
                    };
                    if e.modifiers.0 & !Modifiers::CAPSLOCK & !bit == 0 {
                        self.held_since = None;
                    }
                }
                // A lone press and release of the windows key opens the launcher: an action.
                if (key == "win" || key == "winright") && self.keys_since_modifier == 0 && e.modifiers.0 & !Modifiers::WIN & !Modifiers::CAPSLOCK == 0 {
                    self.flush_typing();
                    self.push(Action { kind: ActionKind::Key, t_start: e.t, t_end: e.t, keys: vec!["win".into()], raw: (i, i), ..blank() });
                }
            }
        }
    }

    fn key_press(&mut self, i: usize, e: &InputEvent) {
        let key = e.key.clone().unwrap_or_default();
        if is_modifier(&key) {
            self.keys_since_modifier = 0;
            if e.modifiers.0 & !Modifiers::CAPSLOCK == 0 || self.held_since.is_none() {
                self.held_since = Some((e.t, i));
            }
            return;
        }
        // Where this key's chord began: the earliest press of the modifiers still held.
        let (t0, raw0) = if e.modifiers.0 & !Modifiers::CAPSLOCK != 0 { self.held_since.unwrap_or((e.t, i)) } else { (e.t, i) };
        self.keys_since_modifier += 1;
        self.last_click = None;
        let m = e.modifiers.0;
        let chord = m & (Modifiers::CTRL | Modifiers::ALT | Modifiers::WIN) != 0;
        if !chord {
            if let Some(text) = e.text.as_ref() {
                let continues = self.typing.as_ref().is_some_and(|t| e.t.saturating_sub(t.t_end) <= TYPING_BREAK);
                if !continues {
                    self.flush_typing();
                    self.flush_press(None);
                    self.typing = Some(Typing { text: String::new(), t_start: t0, t_end: e.t, first: raw0, last: i, backspaces: 0 });
                }
                if let Some(t) = self.typing.as_mut() {
                    t.text.push_str(text);
                    t.t_end = e.t;
                    t.last = i;
                }
                return;
            }
            if key == "backspace" {
                if let Some(t) = self.typing.as_mut().filter(|t| e.t.saturating_sub(t.t_end) <= TYPING_BREAK) {
                    t.text.pop();
                    t.backspaces += 1;
                    t.t_end = e.t;
                    t.last = i;
                    return;
                }
            }
        }
        self.flush_typing();
        self.flush_press(None);
        let mut keys: Vec<String> =
            [(Modifiers::CTRL, "ctrl"), (Modifiers::SHIFT, "shift"), (Modifiers::ALT, "alt"), (Modifiers::WIN, "win")].iter().filter(|(bit, _)| m & bit != 0).map(|(_, n)| n.to_string()).collect();
        let kind = if keys.is_empty() { ActionKind::Key } else { ActionKind::Hotkey };
        keys.push(key);
        self.push(Action { kind, t_start: t0, t_end: e.t, keys, raw: (raw0, i), ..blank() });
    }
}

fn blank() -> Action {
    action(ActionKind::Click, 0, 0, (0, 0))
}

/// An action of `kind` with nothing but its times and raw range set.
pub fn action(kind: ActionKind, t_start: Micros, t_end: Micros, raw: (usize, usize)) -> Action {
    Action {
        kind,
        t_start,
        t_end,
        x: None,
        y: None,
        button: None,
        modifiers: Modifiers(0),
        keys: vec![],
        text: None,
        path: vec![],
        scroll_dx: 0,
        scroll_dy: 0,
        backspaces: 0,
        raw,
        target: None,
        origin: InputOrigin::Unknown,
    }
}

/// Reduces `events` (in time order) to actions. `barriers` (sorted times: pause starts and ends,
/// focus changes) end whatever is in progress.
pub fn reduce(events: &[InputEvent], barriers: &[Micros]) -> (Vec<Action>, Vec<HoverCandidate>) {
    let mut r = Reducer::default();
    let mut b = 0;
    let mut rest: Option<(i32, i32, Micros, usize)> = None; // where the pointer came to rest
    let mut origin: (i32, i32) = (i32::MIN / 2, i32::MIN / 2); // where it was before moving there
    for (i, e) in events.iter().enumerate() {
        while b < barriers.len() && barriers[b] <= e.t {
            r.flush_all();
            rest = None;
            b += 1;
        }
        // Hover candidates: a move that ends a journey and is followed by a quiet dwell.
        if e.kind == InputKind::Move {
            if let Some((x, y, t, raw)) = rest {
                if e.t.saturating_sub(t) >= HOVER_DWELL && dist(origin, (x, y)) >= HOVER_MIN_TRAVEL && r.press.is_none() {
                    r.hovers.push(HoverCandidate { x, y, t, until: e.t, raw, origin: events[raw].origin });
                }
                origin = (x, y);
            }
            rest = Some((e.x, e.y, e.t, i));
        } else {
            rest = None;
        }
        r.event(i, e);
    }
    r.flush_all();
    let mut actions = r.out;
    actions.sort_by_key(|a| a.t_start);
    for a in &mut actions {
        a.origin = origin_of(events.get(a.raw.0..=a.raw.1).unwrap_or_default());
    }
    (actions, r.hovers)
}

/// The origin of input made of `events`: theirs if they agree, else mixed.
pub fn origin_of(events: &[InputEvent]) -> InputOrigin {
    events.iter().fold(InputOrigin::Unknown, |o, e| o.combine(e.origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_ms: u64, kind: InputKind, x: i32, y: i32) -> InputEvent {
        InputEvent { t: t_ms * 1000, kind, x, y, button: None, key: None, code: None, text: None, dx: 0, dy: 0, modifiers: Modifiers(0), origin: Default::default() }
    }
    fn press(t: u64, b: &str, x: i32, y: i32) -> InputEvent {
        InputEvent { button: Some(b.into()), ..ev(t, InputKind::ButtonPress, x, y) }
    }
    fn release(t: u64, b: &str, x: i32, y: i32) -> InputEvent {
        InputEvent { button: Some(b.into()), ..ev(t, InputKind::ButtonRelease, x, y) }
    }
    fn key(t: u64, name: &str, text: Option<&str>, mods: u8) -> Vec<InputEvent> {
        let down = InputEvent { key: Some(name.into()), text: text.map(String::from), modifiers: Modifiers(mods), ..ev(t, InputKind::KeyPress, 0, 0) };
        let up = InputEvent { t: down.t + 20_000, kind: InputKind::KeyRelease, text: None, ..down.clone() };
        vec![down, up]
    }
    fn typed(t0: u64, s: &str) -> Vec<InputEvent> {
        s.chars().enumerate().flat_map(|(i, c)| key(t0 + i as u64 * 100, &c.to_lowercase().to_string(), Some(&c.to_string()), 0)).collect()
    }
    fn kinds(a: &[Action]) -> Vec<ActionKind> {
        a.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn clicks_of_each_kind_and_multi_clicks() {
        let events = vec![
            press(0, "left", 10, 10),
            release(50, "left", 10, 10),
            press(1000, "right", 50, 50),
            release(1050, "right", 50, 50),
            press(2000, "middle", 60, 60),
            release(2050, "middle", 60, 60),
            press(3000, "left", 100, 100),
            release(3050, "left", 100, 100),
            press(3200, "left", 101, 100),
            release(3250, "left", 101, 100),
            press(5000, "left", 200, 200),
            release(5040, "left", 200, 200),
            press(5150, "left", 200, 200),
            release(5190, "left", 200, 200),
            press(5300, "left", 200, 201),
            release(5340, "left", 200, 201),
            // Too slow for a double click: two clicks.
            press(7000, "left", 300, 300),
            release(7050, "left", 300, 300),
            press(8000, "left", 300, 300),
            release(8050, "left", 300, 300),
        ];
        let (a, _) = reduce(&events, &[]);
        use ActionKind::*;
        assert_eq!(kinds(&a), vec![Click, RightClick, MiddleClick, DoubleClick, TripleClick, Click, Click]);
        assert_eq!((a[3].x, a[3].y, a[3].raw), (Some(100), Some(100), (6, 9)));
        assert_eq!(a[4].raw, (10, 15));
    }

    #[test]
    fn drag_keeps_its_path_and_a_zero_length_drag_is_a_click() {
        let events = vec![
            press(0, "left", 10, 10),
            ev(50, InputKind::Move, 40, 20),
            ev(100, InputKind::Move, 90, 60),
            release(150, "left", 90, 60),
            press(1000, "left", 200, 200),
            ev(1050, InputKind::Move, 202, 201),
            release(1100, "left", 202, 201),
        ];
        let (a, _) = reduce(&events, &[]);
        assert_eq!(kinds(&a), vec![ActionKind::Drag, ActionKind::Click]);
        let path: Vec<(i32, i32)> = a[0].path.iter().map(|p| (p.x, p.y)).collect();
        assert_eq!(path, vec![(10, 10), (40, 20), (90, 60)]);
        assert_eq!((a[0].t_start, a[0].t_end), (0, 150_000));
    }

    #[test]
    fn a_press_with_no_release_at_stop_is_still_an_action() {
        let (a, _) = reduce(&[press(0, "left", 5, 5), ev(100, InputKind::Move, 100, 5)], &[]);
        assert_eq!(kinds(&a), vec![ActionKind::Drag]);
        let (a, _) = reduce(&[press(0, "left", 5, 5)], &[]);
        assert_eq!(kinds(&a), vec![ActionKind::Click]);
    }

    #[test]
    fn scroll_notches_merge_by_place_and_time_with_sign() {
        let w = |t, x, dy| InputEvent { dy, ..ev(t, InputKind::Wheel, x, 100) };
        let events = vec![w(0, 100, 1), w(100, 100, 1), w(200, 105, 1), w(2000, 100, -1), w(2100, 100, -1), w(2200, 400, -1)];
        let (a, _) = reduce(&events, &[]);
        assert_eq!(a.iter().map(|a| (a.kind, a.scroll_dy)).collect::<Vec<_>>(), vec![(ActionKind::Scroll, 3), (ActionKind::Scroll, -2), (ActionKind::Scroll, -1)]);
    }

    #[test]
    fn typing_applies_shift_and_backspace_and_keeps_non_ascii() {
        let mut events = key(0, "shift", None, 0);
        events.extend(key(10, "h", Some("H"), Modifiers::SHIFT));
        events.extend(typed(100, "ellp"));
        events.extend(key(600, "backspace", None, 0));
        events.extend(typed(700, "o é"));
        events.extend(key(1100, "enter", None, 0));
        let (a, _) = reduce(&events, &[]);
        assert_eq!(kinds(&a), vec![ActionKind::Type, ActionKind::Key]);
        assert_eq!(a[0].text.as_deref(), Some("Hello é"));
        assert_eq!(a[0].backspaces, 1);
        assert_eq!(a[1].keys, vec!["enter"]);
    }

    #[test]
    fn hotkeys_special_keys_and_a_click_during_typing() {
        let mut events = typed(0, "ab");
        events.push(press(250, "left", 10, 10));
        events.push(release(300, "left", 10, 10));
        events.extend(typed(400, "c"));
        events.extend(key(1000, "ctrl", None, 0));
        events.extend(key(1010, "s", Some("s"), Modifiers::CTRL));
        events.extend(key(1500, "t", Some("T"), Modifiers::CTRL | Modifiers::SHIFT));
        events.extend(key(2000, "tab", None, Modifiers::ALT));
        events.extend(key(2500, "tab", None, Modifiers::SHIFT));
        events.extend(key(3000, "esc", None, 0));
        events.extend(key(3500, "f5", None, 0));
        events.extend(key(4000, "backspace", None, 0));
        let (a, _) = reduce(&events, &[]);
        let got: Vec<(ActionKind, Vec<String>, Option<String>)> = a.iter().map(|a| (a.kind, a.keys.clone(), a.text.clone())).collect();
        use ActionKind::*;
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                (Type, vec![], Some("ab".into())),
                (Click, vec![], None),
                (Type, vec![], Some("c".into())),
                (Hotkey, k(&["ctrl", "s"]), None),
                (Hotkey, k(&["ctrl", "shift", "t"]), None),
                (Hotkey, k(&["alt", "tab"]), None),
                (Hotkey, k(&["shift", "tab"]), None),
                (Key, k(&["esc"]), None),
                (Key, k(&["f5"]), None),
                (Key, k(&["backspace"]), None),
            ]
        );
    }

    #[test]
    fn a_hotkey_starts_at_its_first_modifier_press() {
        let mut events = key(1000, "ctrl", None, 0);
        events.truncate(1); // ctrl stays down
        events.extend(key(1010, "shift", None, Modifiers::CTRL).into_iter().take(1));
        events.extend(key(1100, "t", Some("T"), Modifiers::CTRL | Modifiers::SHIFT));
        let (a, _) = reduce(&events, &[]);
        assert_eq!((a[0].kind, a[0].t_start, a[0].raw), (ActionKind::Hotkey, 1_000_000, (0, 2)));
    }

    #[test]
    fn barriers_split_actions_and_keys_held_across_a_pause_do_not_leak() {
        // "ab", pause (the recorder kept nothing inside it), then "cd": two type actions.
        let mut events = typed(0, "ab");
        // shift went down before the pause; its release arrives after it.
        events.extend(key(250, "shift", None, 0).into_iter().take(1));
        events.push(InputEvent { key: Some("shift".into()), modifiers: Modifiers(Modifiers::SHIFT), ..ev(5000, InputKind::KeyRelease, 0, 0) });
        events.extend(typed(5100, "cd"));
        let (a, _) = reduce(&events, &[1_000_000, 4_000_000]);
        assert_eq!(a.iter().map(|a| a.text.clone().unwrap_or_default()).collect::<Vec<_>>(), vec!["ab", "cd"]);
    }

    #[test]
    fn a_resting_pointer_is_a_hover_candidate() {
        let events = vec![ev(0, InputKind::Move, 0, 0), ev(100, InputKind::Move, 200, 200), ev(1500, InputKind::Move, 202, 201), press(3000, "left", 400, 400), release(3050, "left", 400, 400)];
        let (_, hovers) = reduce(&events, &[]);
        assert_eq!(hovers.len(), 1);
        assert_eq!((hovers[0].x, hovers[0].y, hovers[0].t, hovers[0].until), (200, 200, 100_000, 1_500_000));
    }

    #[test]
    fn an_action_takes_the_origin_of_its_events_and_mixed_when_they_disagree() {
        let from = |e: InputEvent, origin| InputEvent { origin, ..e };
        let (a, _) = reduce(&[from(press(0, "left", 5, 5), InputOrigin::Device), from(release(50, "left", 5, 5), InputOrigin::Device)], &[]);
        assert_eq!(a[0].origin, InputOrigin::Device);
        let (a, _) = reduce(&[from(press(0, "left", 5, 5), InputOrigin::Injected), from(release(50, "left", 5, 5), InputOrigin::Unknown)], &[]);
        assert_eq!(a[0].origin, InputOrigin::Injected, "unknown says nothing against injected");
        let (a, _) = reduce(&[from(press(0, "left", 5, 5), InputOrigin::Device), from(release(50, "left", 5, 5), InputOrigin::Injected)], &[]);
        assert_eq!(a[0].origin, InputOrigin::Mixed);
        assert!(a[0].origin.is_synthetic());
    }
}
