//! A tiny X11 app for end-to-end tests: its window changes visibly on every action (the
//! background colour steps through a palette on each press, key or wheel notch, and a black
//! square marks the last click), and it prints what it received as JSON lines on stdout, so a
//! test can compare the recorder's view with the app's. A hot zone (80×60 at the bottom left)
//! lights up white while the pointer is over it, so hovering changes the screen.
//!
//! Usage: testapp [--title T] [--class C] [--geometry WxH+X+Y]

use std::io::Write;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::*;
use x11rb::protocol::Event;
use x11rb::wrapper::ConnectionExt as _;

const PALETTE: [u32; 6] = [0x3366cc, 0xdc3912, 0xff9900, 0x109618, 0x990099, 0x0099c6];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut title = "Apprentice Test App".to_string();
    let mut class = "apprentice-testapp".to_string();
    let (mut w, mut h, mut x, mut y) = (400u16, 300u16, 100i16, 100i16);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--title" => title = args.next().unwrap_or_default(),
            "--class" => class = args.next().unwrap_or_default(),
            "--geometry" => {
                let g = args.next().unwrap_or_default();
                let nums: Vec<i32> = g.split(['x', '+']).filter_map(|n| n.parse().ok()).collect();
                if let [gw, gh, gx, gy] = nums[..] {
                    (w, h, x, y) = (gw as u16, gh as u16, gx as i16, gy as i16);
                }
            }
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    let (conn, screen_num) = x11rb::connect(None)?;
    let screen = &conn.setup().roots[screen_num];
    let win = conn.generate_id()?;
    let gc = conn.generate_id()?;
    let mask = EventMask::EXPOSURE | EventMask::BUTTON_PRESS | EventMask::BUTTON_RELEASE | EventMask::KEY_PRESS | EventMask::STRUCTURE_NOTIFY | EventMask::POINTER_MOTION | EventMask::LEAVE_WINDOW;
    conn.create_window(screen.root_depth, win, screen.root, x, y, w, h, 0, WindowClass::INPUT_OUTPUT, 0, &CreateWindowAux::new().background_pixel(PALETTE[0]).event_mask(mask))?;
    conn.create_gc(gc, win, &CreateGCAux::new().foreground(0))?;
    let white = conn.generate_id()?;
    conn.create_gc(white, win, &CreateGCAux::new().foreground(0xffffff))?;
    let mut height = h as i16;
    let mut hot = false;
    let net_wm_name = conn.intern_atom(false, b"_NET_WM_NAME")?.reply()?.atom;
    let utf8 = conn.intern_atom(false, b"UTF8_STRING")?.reply()?.atom;
    conn.change_property8(PropMode::REPLACE, win, AtomEnum::WM_NAME, AtomEnum::STRING, title.as_bytes())?;
    conn.change_property8(PropMode::REPLACE, win, net_wm_name, utf8, title.as_bytes())?;
    let wm_class = format!("{class}\0{class}\0");
    conn.change_property8(PropMode::REPLACE, win, AtomEnum::WM_CLASS, AtomEnum::STRING, wm_class.as_bytes())?;
    // Ask the window manager to place it where we said.
    conn.change_property32(
        PropMode::REPLACE,
        win,
        AtomEnum::WM_NORMAL_HINTS,
        AtomEnum::WM_SIZE_HINTS,
        &[1 | 2 | 4 | 8, x as u32, y as u32, w as u32, h as u32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    )?;
    conn.map_window(win)?;
    conn.flush()?;
    let mut count = 0usize;
    let mut mark: Option<(i16, i16)> = None;
    let out = std::io::stdout();
    let say = |s: String| {
        let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let mut o = out.lock();
        let _ = writeln!(o, "{{\"ms\":{ms},{}", &s[1..]);
        let _ = o.flush();
    };
    say(format!("{{\"event\":\"started\",\"window\":{win}}}"));
    loop {
        let event = conn.wait_for_event()?;
        let mut changed = true;
        match event {
            Event::ButtonPress(e) => {
                if matches!(e.detail, 1..=3) {
                    mark = Some((e.event_x, e.event_y));
                }
                say(format!("{{\"event\":\"press\",\"button\":{},\"x\":{},\"y\":{},\"root_x\":{},\"root_y\":{}}}", e.detail, e.event_x, e.event_y, e.root_x, e.root_y));
            }
            Event::ButtonRelease(e) => {
                changed = false;
                say(format!("{{\"event\":\"release\",\"button\":{},\"root_x\":{},\"root_y\":{}}}", e.detail, e.root_x, e.root_y));
            }
            Event::KeyPress(e) => say(format!("{{\"event\":\"key\",\"keycode\":{},\"state\":{}}}", e.detail, u16::from(e.state))),
            Event::Expose(_) => changed = false,
            Event::ConfigureNotify(e) => {
                height = e.height as i16;
                changed = false;
            }
            Event::MotionNotify(e) => {
                changed = false;
                let inside = e.event_x < 80 && e.event_y >= height - 60;
                if inside == hot {
                    continue;
                }
                hot = inside;
                say(format!("{{\"event\":\"hover\",\"hot\":{hot}}}"));
            }
            Event::LeaveNotify(_) => {
                changed = false;
                if !hot {
                    continue;
                }
                hot = false;
            }
            _ => changed = false,
        }
        if changed {
            count += 1;
            conn.change_window_attributes(win, &ChangeWindowAttributesAux::new().background_pixel(PALETTE[count % PALETTE.len()]))?;
        }
        conn.clear_area(false, win, 0, 0, 0, 0)?;
        if let Some((mx, my)) = mark {
            conn.poly_fill_rectangle(win, gc, &[Rectangle { x: mx - 6, y: my - 6, width: 12, height: 12 }])?;
        }
        if hot {
            conn.poly_fill_rectangle(win, white, &[Rectangle { x: 0, y: height - 60, width: 80, height: 60 }])?;
        }
        conn.flush()?;
    }
}
