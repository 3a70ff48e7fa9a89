//! Key identity: rdev's key enum to the X keycode and the key's name in pyautogui's vocabulary
//! (`a`, `enter`, `shift`, `ctrl`, `f5`, `pageup`…), the names segmentation and every export use.

use rdev::Key;

use apprentice_core::model::Modifiers;

/// (X keycode, name) of a key. Unknown keys keep their keycode and are named `key<code>`.
pub fn identify(key: Key) -> (u32, String) {
    let (code, name): (u32, &str) = match key {
        Key::Alt => (64, "alt"),
        Key::AltGr => (108, "altright"),
        Key::Backspace => (22, "backspace"),
        Key::CapsLock => (66, "capslock"),
        Key::ControlLeft => (37, "ctrl"),
        Key::ControlRight => (105, "ctrlright"),
        Key::Delete => (119, "delete"),
        Key::DownArrow => (116, "down"),
        Key::End => (115, "end"),
        Key::Escape => (9, "esc"),
        Key::F1 => (67, "f1"),
        Key::F2 => (68, "f2"),
        Key::F3 => (69, "f3"),
        Key::F4 => (70, "f4"),
        Key::F5 => (71, "f5"),
        Key::F6 => (72, "f6"),
        Key::F7 => (73, "f7"),
        Key::F8 => (74, "f8"),
        Key::F9 => (75, "f9"),
        Key::F10 => (76, "f10"),
        Key::F11 => (95, "f11"),
        Key::F12 => (96, "f12"),
        Key::Home => (110, "home"),
        Key::LeftArrow => (113, "left"),
        Key::MetaLeft => (133, "win"),
        Key::MetaRight => (134, "winright"),
        Key::PageDown => (117, "pagedown"),
        Key::PageUp => (112, "pageup"),
        Key::Return => (36, "enter"),
        Key::RightArrow => (114, "right"),
        Key::ShiftLeft => (50, "shift"),
        Key::ShiftRight => (62, "shiftright"),
        Key::Space => (65, "space"),
        Key::Tab => (23, "tab"),
        Key::UpArrow => (111, "up"),
        Key::PrintScreen => (107, "printscreen"),
        Key::ScrollLock => (78, "scrolllock"),
        Key::Pause => (127, "pause"),
        Key::NumLock => (77, "numlock"),
        Key::BackQuote => (49, "`"),
        Key::Num1 => (10, "1"),
        Key::Num2 => (11, "2"),
        Key::Num3 => (12, "3"),
        Key::Num4 => (13, "4"),
        Key::Num5 => (14, "5"),
        Key::Num6 => (15, "6"),
        Key::Num7 => (16, "7"),
        Key::Num8 => (17, "8"),
        Key::Num9 => (18, "9"),
        Key::Num0 => (19, "0"),
        Key::Minus => (20, "-"),
        Key::Equal => (21, "="),
        Key::KeyQ => (24, "q"),
        Key::KeyW => (25, "w"),
        Key::KeyE => (26, "e"),
        Key::KeyR => (27, "r"),
        Key::KeyT => (28, "t"),
        Key::KeyY => (29, "y"),
        Key::KeyU => (30, "u"),
        Key::KeyI => (31, "i"),
        Key::KeyO => (32, "o"),
        Key::KeyP => (33, "p"),
        Key::LeftBracket => (34, "["),
        Key::RightBracket => (35, "]"),
        Key::KeyA => (38, "a"),
        Key::KeyS => (39, "s"),
        Key::KeyD => (40, "d"),
        Key::KeyF => (41, "f"),
        Key::KeyG => (42, "g"),
        Key::KeyH => (43, "h"),
        Key::KeyJ => (44, "j"),
        Key::KeyK => (45, "k"),
        Key::KeyL => (46, "l"),
        Key::SemiColon => (47, ";"),
        Key::Quote => (48, "'"),
        Key::BackSlash => (51, "\\"),
        Key::IntlBackslash => (94, "\\"),
        Key::KeyZ => (52, "z"),
        Key::KeyX => (53, "x"),
        Key::KeyC => (54, "c"),
        Key::KeyV => (55, "v"),
        Key::KeyB => (56, "b"),
        Key::KeyN => (57, "n"),
        Key::KeyM => (58, "m"),
        Key::Comma => (59, ","),
        Key::Dot => (60, "."),
        Key::Slash => (61, "/"),
        Key::Insert => (118, "insert"),
        Key::KpReturn => (104, "enter"),
        Key::KpMinus => (82, "subtract"),
        Key::KpPlus => (86, "add"),
        Key::KpMultiply => (63, "multiply"),
        Key::KpDivide => (106, "divide"),
        Key::Kp0 => (90, "num0"),
        Key::Kp1 => (87, "num1"),
        Key::Kp2 => (88, "num2"),
        Key::Kp3 => (89, "num3"),
        Key::Kp4 => (83, "num4"),
        Key::Kp5 => (84, "num5"),
        Key::Kp6 => (85, "num6"),
        Key::Kp7 => (79, "num7"),
        Key::Kp8 => (80, "num8"),
        Key::Kp9 => (81, "num9"),
        Key::KpDelete => (91, "decimal"),
        Key::Function => (0, "fn"),
        Key::Unknown(code) => return (code, format!("key{code}")),
    };
    (code, name.to_string())
}

/// The modifier bit a key sets while held (caps lock toggles instead).
pub fn modifier_bit(key: Key) -> Option<u8> {
    Some(match key {
        Key::ShiftLeft | Key::ShiftRight => Modifiers::SHIFT,
        Key::ControlLeft | Key::ControlRight => Modifiers::CTRL,
        Key::Alt => Modifiers::ALT,
        Key::AltGr => Modifiers::ALTGR,
        Key::MetaLeft | Key::MetaRight => Modifiers::WIN,
        _ => return None,
    })
}

/// Text a key press produced, if it is printable (control characters such as "\r" or "\u{8}"
/// are not text: the key name says what they were).
pub fn printable(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty() && t.chars().all(|c| !c.is_control()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_pyautogui() {
        assert_eq!(identify(Key::Return), (36, "enter".to_string()));
        assert_eq!(identify(Key::KeyA), (38, "a".to_string()));
        assert_eq!(identify(Key::ControlLeft).1, "ctrl");
        assert_eq!(identify(Key::Unknown(200)), (200, "key200".to_string()));
    }

    #[test]
    fn control_characters_are_not_text() {
        assert_eq!(printable(Some("\r".into())), None);
        assert_eq!(printable(Some("\u{8}".into())), None);
        assert_eq!(printable(Some("é".into())), Some("é".into()));
    }
}
