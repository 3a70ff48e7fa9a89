//! Harness for end-to-end tests: a private X server (Xvfb + openbox) per test, xdotool to drive
//! it, the real `apprentice` binary and the `testapp` example to record. Nothing is mocked.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The test app's palette (tests/support/testapp.rs): colour i after i presses and keys.
pub const PALETTE: [[u8; 3]; 6] = [[0x33, 0x66, 0xcc], [0xdc, 0x39, 0x12], [0xff, 0x99, 0x00], [0x10, 0x96, 0x18], [0x99, 0x00, 0x99], [0x00, 0x99, 0xc6]];

/// A coordinate as an xdotool argument.
pub fn s(v: i32) -> String {
    v.to_string()
}

/// The test app's own log (JSON lines, each with `event` and wall-clock `ms`).
pub fn app_events(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Wall-clock milliseconds at which the test app changed colour (every press and key).
pub fn app_changes(log: &Path) -> Vec<u128> {
    app_events(log).iter().filter(|v| v["event"] == "press" || v["event"] == "key").filter_map(|v| v["ms"].as_u64().map(u128::from)).collect()
}

pub struct XSession {
    pub display: String,
    xvfb: Child,
    wm: Option<Child>,
    apps: Vec<Child>,
    /// Set for every program the session starts (a D-Bus session bus's address…).
    env: Vec<(String, String)>,
}

impl XSession {
    /// A 1280×800 screen with openbox running.
    pub fn start() -> XSession {
        Self::start_with(&[], true)
    }

    pub fn start_with(extra_args: &[&str], with_wm: bool) -> XSession {
        Self::start_sized("1280x800x24", extra_args, with_wm)
    }

    /// `screen` as Xvfb takes it, e.g. `1920x1080x24`.
    pub fn start_sized(screen: &str, extra_args: &[&str], with_wm: bool) -> XSession {
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", screen, "-nolisten", "tcp"])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed (.ci/run installs it)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().expect("stdout")).read_line(&mut line).expect("Xvfb prints its display number");
        let display = format!(":{}", line.trim());
        assert!(line.trim().parse::<u32>().is_ok(), "Xvfb did not start: {line:?}");
        let mut s = XSession { display, xvfb, wm: None, apps: vec![], env: vec![] };
        if with_wm {
            s.wm = Some(s.start_openbox());
        }
        s
    }

    /// Starts openbox and waits until it manages the screen. Rarely, on a freshly set-up and
    /// loaded machine, openbox exits at once (status 1, saying nothing); it is then started again,
    /// twice at most, and each time said on stderr.
    fn start_openbox(&self) -> Child {
        use std::io::{Read, Seek};
        for attempt in 1..=3 {
            let mut log = tempfile::tempfile().expect("a file for openbox's messages");
            let mut wm = self.command("openbox").arg("--sm-disable").stdout(Stdio::null()).stderr(log.try_clone().expect("log")).spawn().expect("openbox must be installed");
            let (start, limit) = (Instant::now(), wait_limit());
            loop {
                // A window manager that died will never manage it.
                if let Ok(Some(status)) = wm.try_wait() {
                    let mut said = String::new();
                    let _ = log.rewind().and_then(|_| log.read_to_string(&mut said));
                    assert!(attempt < 3, "openbox exited ({status}) before managing the screen, three times: {said}");
                    eprintln!("harness: openbox exited ({status}) before managing the screen (attempt {attempt}): {said:?}; starting it again");
                    break;
                }
                if String::from_utf8_lossy(&self.command("xprop").args(["-root", "_NET_SUPPORTING_WM_CHECK"]).output_within("xprop -root").stdout).contains("window id") {
                    return wm;
                }
                assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for openbox to manage the screen");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        unreachable!("openbox started or the test failed")
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("DISPLAY", &self.display).envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// A private D-Bus session bus for everything this session starts from now on, on which the
    /// accessibility bus (at-spi-bus-launcher) starts when an application or the recorder asks
    /// for it: GTK applications then expose their widgets, as on a desktop.
    pub fn with_accessibility_bus(&mut self) {
        let mut bus = self.command("dbus-daemon").args(["--session", "--nofork", "--print-address=1"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("dbus-daemon (package dbus)");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().expect("stdout")).read_line(&mut line).expect("dbus-daemon prints its address");
        assert!(line.starts_with("unix:"), "dbus-daemon did not start: {line:?}");
        self.env.push(("DBUS_SESSION_BUS_ADDRESS".into(), line.trim().to_string()));
        self.apps.push(bus);
    }

    /// Runs xdotool and checks it succeeded.
    pub fn xdo(&self, args: &[&str]) -> String {
        self.xdo_try(args).unwrap_or_else(|e| panic!("xdotool {args:?}: {e}"))
    }

    /// Runs xdotool; its output, or its error when it failed. For polling what can be briefly
    /// unanswerable: while the focus moves, `getactivewindow` finds no `_NET_ACTIVE_WINDOW`.
    pub fn xdo_try(&self, args: &[&str]) -> Result<String, String> {
        let out = self.command("xdotool").args(args).output_within(&format!("xdotool {}", args.join(" ")));
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Starts the test app and waits until its window is mapped; returns its window id.
    /// The app's own log of what it received goes to `log` (JSON lines).
    pub fn testapp(&mut self, title: &str, class: &str, geometry: &str, log: &Path) -> String {
        let log = std::fs::File::create(log).expect("testapp log");
        let child = self.command(example("testapp")).args(["--title", title, "--class", class, "--geometry", geometry]).stdout(log).stderr(Stdio::piped()).spawn().expect("testapp");
        self.apps.push(child);
        self.window(&["--classname", class])
    }

    /// Starts any X program (kept until the session ends).
    pub fn spawn(&mut self, program: &str, args: &[&str]) {
        let child = self.command(program).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{program}: {e}"));
        self.apps.push(child);
    }

    /// Waits (up to 20 s) for a visible window matching xdotool search criteria, e.g.
    /// `["--class", "xterm"]`, and returns its id. Fails at once, saying why, if a program this
    /// session started has exited.
    pub fn window(&mut self, criteria: &[&str]) -> String {
        let start = Instant::now();
        let mut remapped = false;
        loop {
            let out = self.command("xdotool").args(["search", "--onlyvisible"]).args(criteria).output_within("xdotool search");
            if let Some(id) = String::from_utf8_lossy(&out.stdout).lines().next() {
                return id.to_string();
            }
            for app in self.apps.iter_mut() {
                if let Ok(Some(status)) = app.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = app.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut err);
                    }
                    panic!("a program of this X session exited ({status}) before a window {criteria:?} appeared: {err}");
                }
            }
            assert!(start.elapsed() < wait_limit(), "no window {criteria:?} appeared within {:?}", wait_limit());
            if start.elapsed() > Duration::from_secs(5) && !remapped {
                // Seen rarely under load: the window exists but the window manager, still
                // starting, lost its map request. Ask again, once, and say so.
                let all = self.command("xdotool").args(["search"]).args(criteria).output_within("xdotool search");
                for id in String::from_utf8_lossy(&all.stdout).lines() {
                    eprintln!("harness: window {id} {criteria:?} exists but is not mapped after 5 s; mapping it again");
                    let _ = self.command("xdotool").args(["windowmap", id]).status();
                }
                remapped = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Window bounds in root coordinates: (x, y, width, height). From xwininfo: xdotool's
    /// getwindowgeometry misreports positions under a reparenting window manager.
    pub fn geometry(&self, window: &str) -> (i32, i32, u32, u32) {
        let out = self.command("xwininfo").args(["-id", window]).output_within("xwininfo (x11-utils)");
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        let get = |k: &str| out.lines().find_map(|l| l.trim().strip_prefix(k)).and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or_else(|| panic!("no {k} in {out}"));
        (get("Absolute upper-left X:") as i32, get("Absolute upper-left Y:") as i32, get("Width:") as u32, get("Height:") as u32)
    }

    /// Polls `f` until it holds; fails, saying what was awaited, after [`wait_limit`].
    pub fn wait_until(&self, what: &str, mut f: impl FnMut() -> bool) {
        let (start, limit) = (Instant::now(), wait_limit());
        while !f() {
            assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// How long a harness wait may take: 60 s, times `$APPRENTICE_TEST_TIME_SCALE` for slow machines
/// (a freshly set-up, loaded machine once took over 20 s to start openbox).
pub fn wait_limit() -> Duration {
    let scale = std::env::var("APPRENTICE_TEST_TIME_SCALE").ok().and_then(|v| v.parse::<f64>().ok()).filter(|s| *s > 0.0).unwrap_or(1.0);
    Duration::from_secs_f64(60.0 * scale)
}

impl Drop for XSession {
    fn drop(&mut self) {
        for c in self.apps.iter_mut().chain(self.wm.iter_mut()) {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// A built example binary (cargo builds examples for `cargo test`).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join("examples").join(name)
}

/// The binary under test: the one cargo built, or `$APPRENTICE_BIN` (the suite points it at the
/// installed package's `/usr/bin/apprentice` to run an end-to-end test against that).
pub fn apprentice_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| std::env::var("APPRENTICE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_apprentice").to_string()))
}

/// A recorder process under test.
pub struct RecorderProcess {
    pub child: Child,
    pub library: PathBuf,
}

impl RecorderProcess {
    /// Starts `apprentice record` on the session's display and waits until it is capturing.
    pub fn start(x: &XSession, library: &Path, extra: &[&str]) -> RecorderProcess {
        Self::start_with_env(x, library, extra, &[])
    }

    /// As [`Self::start`], with extra environment (e.g. a private PulseAudio server).
    pub fn start_with_env(x: &XSession, library: &Path, extra: &[&str], env: &[(String, String)]) -> RecorderProcess {
        Self::start_recording(x, library, &[&["--task", "end-to-end test task", "--task-id", "E2E-1"][..], extra].concat(), env)
    }

    /// `apprentice record ARGS` (the task given in `args`), with extra environment.
    pub fn start_recording(x: &XSession, library: &Path, args: &[&str], env: &[(String, String)]) -> RecorderProcess {
        let child = x
            .command(apprentice_bin())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(["--library", library.to_str().unwrap_or_default(), "record"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("apprentice");
        let p = RecorderProcess { child, library: library.to_path_buf() };
        x.wait_until("the recorder to accept control commands", || p.cli(&["status", "--json"]).status.success());
        // Ready once its first frame is through the privacy hold: stored, or dropped because the
        // focused window is excluded.
        x.wait_until("the recorder's first frame through the privacy hold", || {
            let health = &p.status()["health"];
            health["frames_stored"].as_u64().unwrap_or(0) + health["frames_excluded"].as_u64().unwrap_or(0) >= 1
        });
        p
    }

    /// `apprentice status --json` of the running recorder (Null when it does not answer).
    pub fn status(&self) -> serde_json::Value {
        let out = self.cli(&["status", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// The live recording's id, as `status` gives it.
    pub fn id(&self) -> String {
        let id = self.status()["id"].as_str().map(str::to_string);
        id.expect("the running recorder answers status with its recording's id")
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        cli(&self.library, args)
    }

    /// Stops through the control socket and returns the id the recorder printed.
    pub fn stop(self) -> String {
        self.stop_saying().0
    }

    /// As [`Self::stop`], with what the recorder said on stderr as it ended.
    pub fn stop_saying(mut self) -> (String, String) {
        let out = self.cli(&["stop"]);
        assert!(out.status.success(), "stop: {}", String::from_utf8_lossy(&out.stderr));
        let output = output_within(std::mem::replace(&mut self.child, Command::new("true").spawn().expect("true")), "the recorder to exit after stop");
        assert!(output.status.success(), "recorder failed: {}", String::from_utf8_lossy(&output.stderr));
        (String::from_utf8_lossy(&output.stdout).trim().to_string(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Waits for `child` to exit and collects its output, for at most [`wait_limit`]: a process that
/// hangs is killed and the test fails, saying what was awaited.
pub fn output_within(child: Child, what: &str) -> Output {
    output_within_limit(child, what, wait_limit())
}

/// As [`output_within`], for a process that does a long job (a whole UI session): `limit`.
pub fn output_within_limit(child: Child, what: &str, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || drop(tx.send(child.wait_with_output())));
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap_or_else(|e| panic!("waiting for {what}: {e}")),
        Err(_) => {
            // SAFETY: kill(2) on the pid of our own child, which has not been reaped (its waiter
            // is still blocked in wait), so the pid cannot have been reused.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("timed out after {limit:?} waiting for {what} (pid {pid} killed)");
        }
    }
}

/// Runs `command` to its end with its output collected, for at most [`wait_limit`] (see
/// [`output_within`]): every program the harness runs is run through this or `output_within`.
pub trait RunWithin {
    fn output_within(&mut self, what: &str) -> Output;
}

impl RunWithin for Command {
    fn output_within(&mut self, what: &str) -> Output {
        let child = self.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{what}: {e} (is it installed? .ci/run installs it)"));
        output_within(child, what)
    }
}

/// Runs the CLI against a library (no display needed); a CLI that hangs fails the test.
pub fn cli(library: &Path, args: &[&str]) -> Output {
    let child = Command::new(apprentice_bin()).arg("--library").arg(library).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("apprentice");
    output_within(child, &format!("apprentice {}", args.join(" ")))
}

pub fn ok(out: Output) -> String {
    assert!(out.status.success(), "command failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Human-like pause.
pub fn pause(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A small finished recording made through the real writer and media store: a key frame, two
/// clicks, a delta after each. Returns the library and the ids of the frames' media files.
pub fn synthetic_recording(lib: &apprentice_core::store::Library, id: &str, status: apprentice_core::model::RecordingStatus, clicks: bool) -> Vec<String> {
    use apprentice_core::model::*;
    use apprentice_core::store::frame_codec::{self, PixelFormat, PixelsRef};
    use apprentice_core::store::writer::{WriteOp, Writer};
    let rec = Recording {
        id: id.into(),
        task: Task { id: Some(format!("T-{id}")), instruction: format!("task {id}"), campaign: None },
        expert_id: None,
        status: RecordingStatus::Recording,
        started_at: "2026-11-23T10:00:00Z".into(),
        duration_us: 0,
        environment: Environment {
            os: "linux".into(),
            os_version: "t".into(),
            display_server: "x11".into(),
            displays: vec![DisplayInfo { id: 0, name: "s".into(), x: 0, y: 0, width: 64, height: 48, scale: 1.0, primary: true }],
            keyboard_layout: "us".into(),
            recorder_version: "t".into(),
            capture_backend: "synthetic".into(),
        },
        pauses: vec![],
        outcome: Outcome::Success,
        outcome_note: None,
        error: None,
    };
    lib.create_recording(&rec).unwrap();
    let (w, join) = Writer::spawn(lib.db_path(), id.into()).unwrap();
    let mut shas = vec![];
    let mut prev: Option<Vec<u8>> = None;
    for (n, t) in [(0u64, 100_000u64), (1, 700_000), (2, 1_400_000)] {
        // Each recording's pixels differ, so no two share a (content-addressed) media file.
        let salt = id.bytes().fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
        let px: Vec<u8> = (0..64 * 48).flat_map(|i| [(i % 64) as u8 * 4, n as u8 * 80, ((i / 64) as u8 * 5) ^ salt, 0]).collect();
        let cur = PixelsRef { data: &px, width: 64, height: 48, stride: 256, format: PixelFormat::Bgrx };
        let (bytes, encoding) = match &prev {
            None => (frame_codec::encode_image(&cur.to_rgb()).unwrap(), FrameEncoding::Key),
            Some(p) => {
                let rects = frame_codec::changed_rects(PixelsRef { data: p, ..cur }, cur);
                (frame_codec::encode_delta(cur, &rects).unwrap(), FrameEncoding::Delta { parent: n - 1, rects })
            }
        };
        let sha256 = lib.media().put(&bytes, "webp").unwrap();
        shas.push(sha256.clone());
        w.send(WriteOp::Frame(Frame { seq: n, t, display: 0, width: 64, height: 48, reason: FrameReason::Input, encoding, sha256, bytes: bytes.len() as u64 }));
        prev = Some(px);
    }
    if clicks {
        for t in [500_000u64, 1_200_000] {
            let e = InputEvent {
                t,
                kind: InputKind::ButtonPress,
                x: 10,
                y: 10,
                button: Some("left".into()),
                key: None,
                code: None,
                text: None,
                dx: 0,
                dy: 0,
                modifiers: Modifiers(0),
                origin: Default::default(),
            };
            w.send(WriteOp::Input(e.clone()));
            w.send(WriteOp::Input(InputEvent { t: t + 50_000, kind: InputKind::ButtonRelease, ..e }));
        }
    }
    w.send(WriteOp::Finish { status, duration: 1_600_000, health: Health::default(), error: None });
    join.join().unwrap();
    shas
}

/// A private PulseAudio server with a null sink named `mic`, whose monitor is the default
/// source: what is played into `mic` is what a recorder hears from "the microphone". One
/// playback stream runs for the whole session (silence between sentences), as a microphone's
/// signal is continuous: starting a stream per sentence makes the sink rewind, which garbles
/// the first tenth of a second its monitor delivers.
pub struct PulseSession {
    pub socket: PathBuf,
    daemon: Option<Child>,
    player: Option<Child>,
    speech: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<i16>>>,
    _dir: tempfile::TempDir,
}

/// espeak-ng's output rate.
pub const SPEECH_RATE: u32 = 22_050;

/// `text` spoken by espeak-ng, at [`SPEECH_RATE`]. A careful speaker: 120 words a minute with
/// 40 ms between words. (At espeak-ng's usual 140 with no gaps, tiny.en misheard about one
/// sentence in three by more than 15% of its words — "save the file so the" as "say the file
/// owner" — depending on where the sentence started to the millisecond.)
pub fn speak(text: &str) -> Vec<i16> {
    let wav = Command::new("espeak-ng").args(["-s", "120", "-g", "4", "--stdout", text]).output_within("espeak-ng");
    assert!(wav.status.success() && wav.stdout.len() > 1000, "espeak-ng produced no audio");
    assert_eq!(u32::from_le_bytes(wav.stdout[24..28].try_into().expect("header")), SPEECH_RATE, "espeak-ng's rate");
    wav.stdout[44..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// A quiet room, not digital silence: -60 dBFS of noise added under everything.
pub fn add_room_noise(samples: &mut [i16]) {
    let mut x: u32 = 7;
    for s in samples {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *s = s.saturating_add(((x >> 16) as i32 % 66 - 33) as i16);
    }
}

impl PulseSession {
    pub fn start() -> PulseSession {
        let dir = tempfile::tempdir().expect("tmp");
        let socket = dir.path().join("native");
        let runtime = dir.path().join("run");
        std::fs::create_dir_all(&runtime).expect("runtime dir");
        let daemon = Command::new("pulseaudio")
            .args(["--daemonize=no", "-n", "--exit-idle-time=-1", "--disallow-exit=no", "--log-target=stderr"])
            .arg(format!("--load=module-native-protocol-unix auth-anonymous=1 socket={}", socket.display()))
            .arg("--load=module-null-sink sink_name=mic")
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env_remove("PULSE_SERVER")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pulseaudio must be installed (.ci/run installs it)");
        let mut p = PulseSession { socket, daemon: Some(daemon), player: None, speech: Default::default(), _dir: dir };
        let start = Instant::now();
        while !p.pactl(&["info"]).status.success() {
            assert!(start.elapsed() < wait_limit(), "PulseAudio did not start within {:?}", wait_limit());
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(p.pactl(&["set-default-source", "mic.monitor"]).status.success());
        let mut player = Command::new("pacat")
            .args(["--playback", "-d", "mic", "--format=s16le", "--channels=1", "--latency-msec=400"])
            .arg(format!("--rate={SPEECH_RATE}"))
            .envs(p.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pacat (pulseaudio-utils)");
        let mut stdin = player.stdin.take().expect("pacat stdin");
        let speech = p.speech.clone();
        // Feeds pacat 20 ms at a time, speech when there is some, else silence, staying at
        // most 500 ms ahead of real time (a pipe would otherwise buffer a second and a half).
        // pacat's 400 ms buffer rides out a busy machine: a speaker that stutters when the test
        // machine is loaded would test the machine, not the recorder.
        std::thread::spawn(move || {
            let piece = (SPEECH_RATE / 50) as usize;
            let (start, mut fed) = (Instant::now(), Duration::ZERO);
            loop {
                fed += Duration::from_millis(20);
                if let Some(wait) = fed.checked_sub(start.elapsed() + Duration::from_millis(500)) {
                    std::thread::sleep(wait);
                }
                let mut out = vec![0i16; piece];
                if let Ok(mut q) = speech.lock() {
                    let n = piece.min(q.len());
                    for (o, s) in out.iter_mut().zip(q.drain(..n)) {
                        *o = s;
                    }
                }
                let bytes: Vec<u8> = out.iter().flat_map(|s| s.to_le_bytes()).collect();
                if std::io::Write::write_all(&mut stdin, &bytes).is_err() {
                    return;
                }
            }
        });
        p.player = Some(player);
        p
    }

    /// Environment that points a client (the recorder) at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("PULSE_SERVER".into(), format!("unix:{}", self.socket.display()))]
    }

    pub fn pactl(&self, args: &[&str]) -> Output {
        Command::new("pactl").args(args).envs(self.env()).output_within(&format!("pactl {}", args.join(" ")))
    }

    /// Speaks `text` with espeak-ng into the microphone and returns once it has been played.
    pub fn say(&self, text: &str) {
        self.speech.lock().expect("speech queue").extend(speak(text));
        // Heard once the queue is drained and the 500 ms fed ahead, pacat's 400 ms buffer and
        // the sink's 30 ms are through.
        let start = Instant::now();
        while !self.speech.lock().expect("speech queue").is_empty() {
            // The feeder stops if pacat dies: then the queue never drains.
            assert!(start.elapsed() < wait_limit(), "timed out after {:?} waiting for pacat to play {text:?} (is pacat still running?)", wait_limit());
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(1000));
    }

    /// The microphone disappears: the server dies.
    pub fn kill(&mut self) {
        for c in [self.player.take(), self.daemon.take()].into_iter().flatten() {
            let mut c = c;
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PulseSession {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Word error rate of `heard` against `said`: word-level edit distance over the words said,
/// ignoring case and punctuation.
pub fn word_error_rate(said: &str, heard: &str) -> f64 {
    let words =
        |s: &str| -> Vec<String> { s.split_whitespace().map(|w| w.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect::<String>().to_lowercase()).filter(|w| !w.is_empty()).collect() };
    let (a, b) = (words(said), words(heard));
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, wa) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, wb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(wa != wb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] as f64 / a.len().max(1) as f64
}

/// Runs a validator from tests/python with the project's virtualenv (made by scripts/setup).
pub fn python(script: &str, args: &[&Path]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let py = root.join(".venv/bin/python");
    assert!(py.exists(), "{} is missing: run scripts/setup (it installs the consumers' Python tools)", py.display());
    let out = Command::new(py).arg(root.join("tests/python").join(script)).args(args).output_within(script);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script}: {text}");
    text
}

/// A JSON Schema from schemas/, compiled.
pub fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name)).expect("schema file");
    jsonschema::validator_for(&serde_json::from_str(&text).expect("schema json")).expect("schema compiles")
}

/// (CPU seconds, peak RSS in MB) of a live process, from /proc (for the benchmarks).
pub fn proc_usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat; after the ')' they are at 11 and 12.
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (ticks(11) + ticks(12)) / hz;
    (cpu, proc_memory_mb(pid, "VmHWM"))
}

/// A memory figure of a live process from /proc/PID/status, in MB: `VmHWM` (peak resident) or
/// `VmRSS` (resident now); 0 when unreadable.
pub fn proc_memory_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix(field).and_then(|v| v.strip_prefix(':'))).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok()).unwrap_or(0.0);
    kb / 1024.0
}
