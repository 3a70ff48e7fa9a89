//! Actions as pyautogui code, the action language of AgentNet/OpenCUA: coordinates normalised to
//! [0, 1] of the action's display with 4 decimals, scroll in wheel clicks (positive = up),
//! keys in pyautogui's names. Triple click is OpenCUA's `computer.triple_click`; the end of a
//! trajectory is `computer.terminate(status=…)`. Modifiers held during a click, drag or scroll
//! are pressed around it with keyDown/keyUp.

use crate::model::*;

/// A normalised point: (x, y) in [0, 1] of `display`.
pub fn normalise(x: i32, y: i32, display: &DisplayInfo) -> (f64, f64) {
    let nx = (x - display.x) as f64 / display.width.max(1) as f64;
    let ny = (y - display.y) as f64 / display.height.max(1) as f64;
    (round4(nx.clamp(0.0, 1.0)), round4(ny.clamp(0.0, 1.0)))
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// A Python string literal.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn point(a: &Action, display: &DisplayInfo) -> String {
    let (x, y) = normalise(a.x.unwrap_or(0), a.y.unwrap_or(0), display);
    // Debug keeps the decimal point (0.0, not 0): coordinates stay floats in Python.
    format!("x={x:?}, y={y:?}")
}

/// The pyautogui code for one action.
pub fn code(a: &Action, display: &DisplayInfo) -> String {
    let body = match a.kind {
        ActionKind::Click => format!("pyautogui.click({})", point(a, display)),
        ActionKind::DoubleClick => format!("pyautogui.doubleClick({})", point(a, display)),
        ActionKind::TripleClick => format!("computer.triple_click({})", point(a, display)),
        ActionKind::RightClick => format!("pyautogui.rightClick({})", point(a, display)),
        ActionKind::MiddleClick => format!("pyautogui.middleClick({})", point(a, display)),
        ActionKind::Move => format!("pyautogui.moveTo({})", point(a, display)),
        ActionKind::Drag => {
            let end = a.path.last().map(|p| (p.x, p.y)).unwrap_or((a.x.unwrap_or(0), a.y.unwrap_or(0)));
            let (ex, ey) = normalise(end.0, end.1, display);
            let button = a.button.as_deref().unwrap_or("left");
            format!("pyautogui.moveTo({})\npyautogui.dragTo(x={ex:?}, y={ey:?}, button={})", point(a, display), py_str(button))
        }
        ActionKind::Scroll => {
            let mut lines = vec![];
            if a.scroll_dy != 0 {
                lines.push(format!("pyautogui.scroll({}, {})", a.scroll_dy, point(a, display)));
            }
            if a.scroll_dx != 0 {
                lines.push(format!("pyautogui.hscroll({}, {})", a.scroll_dx, point(a, display)));
            }
            lines.join("\n")
        }
        ActionKind::Type => format!("pyautogui.write({})", py_str(a.text.as_deref().unwrap_or(""))),
        ActionKind::Key => format!("pyautogui.press({})", py_str(a.keys.last().map(String::as_str).unwrap_or(""))),
        ActionKind::Hotkey => format!("pyautogui.hotkey({})", a.keys.iter().map(|k| py_str(k)).collect::<Vec<_>>().join(", ")),
    };
    let held = match a.kind {
        ActionKind::Click | ActionKind::DoubleClick | ActionKind::TripleClick | ActionKind::RightClick | ActionKind::MiddleClick | ActionKind::Drag | ActionKind::Scroll => a.modifiers.names(),
        _ => vec![],
    };
    let held: Vec<&str> = held.into_iter().filter(|m| *m != "capslock").collect();
    if held.is_empty() {
        return body;
    }
    let down: Vec<String> = held.iter().map(|m| format!("pyautogui.keyDown({})", py_str(m))).collect();
    let up: Vec<String> = held.iter().rev().map(|m| format!("pyautogui.keyUp({})", py_str(m))).collect();
    [down.join("\n"), body, up.join("\n")].join("\n")
}

/// The last step of an AgentNet trajectory, when the expert said how it ended: `terminate`'s
/// status claims success or failure, so an unanswered outcome has none.
pub fn terminate(outcome: Outcome) -> Option<String> {
    let status = match outcome {
        Outcome::Success => "success",
        Outcome::Failure | Outcome::Infeasible => "failure",
        Outcome::Unknown => return None,
    };
    Some(format!("computer.terminate(status={})", py_str(status)))
}

/// A plain description of an action (what was done, not why: reasoning is the expert's alone).
pub fn describe(a: &Action, display: &DisplayInfo) -> String {
    let at = a.x.zip(a.y).map(|(x, y)| {
        let (nx, ny) = normalise(x, y, display);
        format!(" at ({nx:?}, {ny:?})")
    });
    let at = at.unwrap_or_default();
    let mods = a.modifiers.names().into_iter().filter(|m| *m != "capslock").collect::<Vec<_>>();
    let with = if mods.is_empty() { String::new() } else { format!(" while holding {}", mods.join("+")) };
    match a.kind {
        ActionKind::Click => format!("Click{at}{with}."),
        ActionKind::DoubleClick => format!("Double-click{at}{with}."),
        ActionKind::TripleClick => format!("Triple-click{at}{with}."),
        ActionKind::RightClick => format!("Right-click{at}{with}."),
        ActionKind::MiddleClick => format!("Middle-click{at}{with}."),
        ActionKind::Move => format!("Move the pointer{at} and wait."),
        ActionKind::Drag => format!("Drag from{}{with}.", at.trim_start_matches(" at")),
        ActionKind::Scroll => {
            let (n, dir) = if a.scroll_dy != 0 { (a.scroll_dy.abs(), if a.scroll_dy > 0 { "up" } else { "down" }) } else { (a.scroll_dx.abs(), if a.scroll_dx > 0 { "right" } else { "left" }) };
            format!("Scroll {dir} {n} notch{}{at}{with}.", if n == 1 { "" } else { "es" })
        }
        ActionKind::Type => format!("Type {:?}.", a.text.as_deref().unwrap_or("")),
        ActionKind::Key => format!("Press {}.", a.keys.join("+")),
        ActionKind::Hotkey => format!("Press {}.", a.keys.join("+")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::actions::action;

    use crate::export::screen::testing::{at, hd as display};

    #[test]
    fn every_action_kind_maps_to_pyautogui() {
        let d = display();
        let drag = Action { path: vec![PathPoint { x: 960, y: 540, t: 0 }, PathPoint { x: 1919, y: 1079, t: 1 }], button: Some("left".into()), ..at(ActionKind::Drag, 960, 540) };
        let cases = vec![
            (at(ActionKind::Click, 960, 540), "pyautogui.click(x=0.5, y=0.5)"),
            (at(ActionKind::DoubleClick, 192, 108), "pyautogui.doubleClick(x=0.1, y=0.1)"),
            (at(ActionKind::TripleClick, 1, 1), "computer.triple_click(x=0.0005, y=0.0009)"),
            (at(ActionKind::RightClick, 960, 0), "pyautogui.rightClick(x=0.5, y=0.0)"),
            (at(ActionKind::MiddleClick, 960, 540), "pyautogui.middleClick(x=0.5, y=0.5)"),
            (at(ActionKind::Move, 480, 270), "pyautogui.moveTo(x=0.25, y=0.25)"),
            (drag, "pyautogui.moveTo(x=0.5, y=0.5)\npyautogui.dragTo(x=0.9995, y=0.9991, button='left')"),
            (Action { scroll_dy: -3, ..at(ActionKind::Scroll, 960, 540) }, "pyautogui.scroll(-3, x=0.5, y=0.5)"),
            (Action { scroll_dx: 2, ..at(ActionKind::Scroll, 960, 540) }, "pyautogui.hscroll(2, x=0.5, y=0.5)"),
            (Action { text: Some("it's a \"test\"\n".into()), ..action(ActionKind::Type, 0, 0, (0, 0)) }, "pyautogui.write('it\\'s a \"test\"\\n')"),
            (Action { keys: vec!["enter".into()], ..action(ActionKind::Key, 0, 0, (0, 0)) }, "pyautogui.press('enter')"),
            (Action { keys: vec!["ctrl".into(), "shift".into(), "t".into()], ..action(ActionKind::Hotkey, 0, 0, (0, 0)) }, "pyautogui.hotkey('ctrl', 'shift', 't')"),
            (Action { modifiers: Modifiers(Modifiers::CTRL), ..at(ActionKind::Click, 960, 540) }, "pyautogui.keyDown('ctrl')\npyautogui.click(x=0.5, y=0.5)\npyautogui.keyUp('ctrl')"),
        ];
        for (a, want) in cases {
            assert_eq!(code(&a, &d), want, "{:?}", a.kind);
        }
        assert_eq!(terminate(Outcome::Success).as_deref(), Some("computer.terminate(status='success')"));
        assert_eq!(terminate(Outcome::Infeasible).as_deref(), Some("computer.terminate(status='failure')"));
        assert_eq!(terminate(Outcome::Unknown), None, "no outcome, no claim");
    }

    #[test]
    fn coordinates_are_relative_to_the_actions_display() {
        let second = DisplayInfo { id: 1, name: "right".into(), x: 1920, y: 0, width: 1280, height: 1024, scale: 1.0, primary: false };
        assert_eq!(normalise(1920 + 640, 512, &second), (0.5, 0.5));
    }
}
