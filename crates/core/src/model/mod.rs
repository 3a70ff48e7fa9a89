//! The trajectory data model: the serde types every stage shares (capture writes them, the store
//! keeps them, segmentation and export read them). Types only — no I/O, no behaviour beyond
//! small conversions. Timestamps are microseconds on the recording's monotonic clock
//! (see [`crate::clock`]); coordinates are physical pixels of the X screen.

use serde::{Deserialize, Serialize};

mod check;
mod comparison;
mod review;
pub use check::*;
pub use comparison::*;
pub use review::*;

/// Schema id of the canonical trajectory; bump when the meaning of a field changes.
pub const SCHEMA_VERSION: &str = "apprentice.trajectory/1";

/// Microseconds since the recording started, on the recording's monotonic clock.
pub type Micros = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    Recording,
    Paused,
    Finished,
    /// The recorder died (crash, kill -9, power loss; recovered on the next start) or a failure
    /// ended the recording (disk full, display gone); `error` says which.
    Interrupted,
}

impl RecordingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Paused => "paused",
            Self::Finished => "finished",
            Self::Interrupted => "interrupted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "recording" => Self::Recording,
            "paused" => Self::Paused,
            "finished" => Self::Finished,
            "interrupted" => Self::Interrupted,
            _ => return None,
        })
    }
    /// True while a recorder process may still be writing.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Recording | Self::Paused)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Infeasible,
    #[default]
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Infeasible => "infeasible",
            Self::Unknown => "unknown",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "success" => Self::Success,
            "failure" => Self::Failure,
            "infeasible" => Self::Infeasible,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Task {
    pub id: Option<String>,
    pub instruction: String,
    /// The hub campaign the task belongs to, when it was assigned by a hub (task ids are unique
    /// within a campaign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
}

/// One monitor, in physical pixels of the X screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct DisplayInfo {
    pub id: u32,
    pub name: String,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub scale: f64,
    pub primary: bool,
}

impl DisplayInfo {
    /// A 1×1 stand-in for a recording that lists no display, so coordinates clamp rather than fail.
    pub fn placeholder() -> DisplayInfo {
        DisplayInfo { id: 0, name: String::new(), x: 0, y: 0, width: 1, height: 1, scale: 1.0, primary: true }
    }
}

/// Conditions of the recording, so that it can be understood and audited later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Environment {
    pub os: String,
    pub os_version: String,
    pub display_server: String,
    pub displays: Vec<DisplayInfo>,
    pub keyboard_layout: String,
    pub recorder_version: String,
    pub capture_backend: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Pause {
    pub t0: Micros,
    /// None while the pause is still running.
    pub t1: Option<Micros>,
}

/// A recording as the library indexes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Recording {
    pub id: String,
    pub task: Task,
    pub expert_id: Option<String>,
    pub status: RecordingStatus,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_us: Micros,
    pub environment: Environment,
    pub pauses: Vec<Pause>,
    pub outcome: Outcome,
    pub outcome_note: Option<String>,
    /// Why the recording stopped early (disk full, display lost…), if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FrameReason {
    /// The first frame of a display, or the first after a pause or a privacy gap.
    Start,
    Periodic,
    Input,
    Focus,
}

impl FrameReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Periodic => "periodic",
            Self::Input => "input",
            Self::Focus => "focus",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "start" => Self::Start,
            "periodic" => Self::Periodic,
            "input" => Self::Input,
            "focus" => Self::Focus,
            _ => return None,
        })
    }
}

/// A pixel rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, specta::Type)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.width as i32).min(other.x + other.width as i32);
        let y1 = (self.y + self.height as i32).min(other.y + other.height as i32);
        (x1 > x0 && y1 > y0).then(|| Rect { x: x0, y: y0, width: (x1 - x0) as u32, height: (y1 - y0) as u32 })
    }
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width as i32 && y < self.y + self.height as i32
    }
}

/// How a stored frame's pixels are kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FrameEncoding {
    /// The whole display as one lossless WebP image.
    Key,
    /// Only the tiles that changed since `parent`, stacked top to bottom in one lossless WebP
    /// image; each rect (display-relative) is pasted over the parent frame.
    Delta { parent: u64, rects: Vec<Rect> },
}

/// One screen observation. `t` is when its capture *completed*: a frame with `t` before an
/// action's first event cannot show that action's effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Frame {
    pub seq: u64,
    pub t: Micros,
    pub display: u32,
    pub width: u32,
    pub height: u32,
    pub reason: FrameReason,
    pub encoding: FrameEncoding,
    /// sha256 of the stored media file (content address).
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Move,
    ButtonPress,
    ButtonRelease,
    Wheel,
    KeyPress,
    KeyRelease,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Move => "move",
            Self::ButtonPress => "button_press",
            Self::ButtonRelease => "button_release",
            Self::Wheel => "wheel",
            Self::KeyPress => "key_press",
            Self::KeyRelease => "key_release",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "move" => Self::Move,
            "button_press" => Self::ButtonPress,
            "button_release" => Self::ButtonRelease,
            "wheel" => Self::Wheel,
            "key_press" => Self::KeyPress,
            "key_release" => Self::KeyRelease,
            _ => return None,
        })
    }
}

/// Where input came from: a physical device a person used, or software that injected it (X11's
/// XTEST, which xdotool, pyautogui and agents drive; later macOS's event source state or
/// Windows' `LLMHF_INJECTED`). `unknown` when the platform could not say (recordings made before
/// the origin was recorded, or a server without XInput2). An action made of both is `mixed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InputOrigin {
    #[default]
    Unknown,
    Device,
    Injected,
    Mixed,
}

impl InputOrigin {
    pub const ALL: [InputOrigin; 4] = [InputOrigin::Unknown, InputOrigin::Device, InputOrigin::Injected, InputOrigin::Mixed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Device => "device",
            Self::Injected => "injected",
            Self::Mixed => "mixed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
    pub fn is_unknown(&self) -> bool {
        *self == Self::Unknown
    }
    /// True when some of the input was injected.
    pub fn is_synthetic(self) -> bool {
        matches!(self, Self::Injected | Self::Mixed)
    }
    /// The origin of input made of events of origins `self` and `other`.
    pub fn combine(self, other: InputOrigin) -> InputOrigin {
        match (self, other) {
            (a, b) if a == b => a,
            (Self::Unknown, o) | (o, Self::Unknown) => o,
            _ => Self::Mixed,
        }
    }
}

/// Modifier keys held when an input event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modifiers(pub u8);

impl Modifiers {
    pub const SHIFT: u8 = 1;
    pub const CTRL: u8 = 2;
    pub const ALT: u8 = 4;
    pub const WIN: u8 = 8;
    pub const ALTGR: u8 = 16;
    pub const CAPSLOCK: u8 = 32;
    const NAMES: [(u8, &'static str); 6] = [(Self::CTRL, "ctrl"), (Self::SHIFT, "shift"), (Self::ALT, "alt"), (Self::WIN, "win"), (Self::ALTGR, "altgr"), (Self::CAPSLOCK, "capslock")];
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES.iter().filter(|(bit, _)| self.0 & bit != 0).map(|(_, n)| *n).collect()
    }
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut bits = 0;
        for name in names {
            if let Some((bit, _)) = Self::NAMES.iter().find(|(_, n)| *n == name) {
                bits |= bit;
            }
        }
        Modifiers(bits)
    }
}

impl Serialize for Modifiers {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Modifiers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names: Vec<String> = Vec::deserialize(d)?;
        Ok(Modifiers::from_names(names.iter().map(String::as_str)))
    }
}

/// One raw input event. Keys are named in pyautogui's vocabulary (`a`, `enter`, `shift`,
/// `ctrl`, `f5`, …); `code` is the X keycode; `text` what the key press produced, if printable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct InputEvent {
    pub t: Micros,
    pub kind: InputKind,
    pub x: i32,
    pub y: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Wheel notches; dy > 0 scrolls up, dx > 0 scrolls right.
    #[serde(default)]
    pub dx: i32,
    #[serde(default)]
    pub dy: i32,
    #[specta(type = Vec<String>)]
    pub modifiers: Modifiers,
    /// A person's device or injected (see [`InputOrigin`]); left out of the JSON when unknown, so
    /// rows recorded before the origin was kept hash as they always did.
    #[serde(default, skip_serializing_if = "InputOrigin::is_unknown")]
    pub origin: InputOrigin,
}

/// The focused window changed, or its title or bounds did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct WindowEvent {
    pub t: Micros,
    pub window_id: u32,
    /// WM_CLASS class name (the application); "[excluded]" for excluded windows.
    pub app: String,
    /// Window title; empty for excluded windows.
    pub title: String,
    pub bounds: Rect,
    pub excluded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum NoteSource {
    Typed,
    Spoken,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Note {
    pub t: Micros,
    pub text: String,
    pub source: NoteSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum MarkerKind {
    Mistake,
    Recovery,
    SubtaskStart,
    SubtaskEnd,
    Custom,
}

impl MarkerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mistake => "mistake",
            Self::Recovery => "recovery",
            Self::SubtaskStart => "subtask-start",
            Self::SubtaskEnd => "subtask-end",
            Self::Custom => "custom",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "mistake" => Self::Mistake,
            "recovery" | "recovering" => Self::Recovery,
            "subtask-start" | "subtask_start" => Self::SubtaskStart,
            "subtask-end" | "subtask_end" => Self::SubtaskEnd,
            "custom" => Self::Custom,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Marker {
    pub t: Micros,
    pub kind: MarkerKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Live health of a recorder, also kept with the recording when it ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(default)]
pub struct Health {
    pub frames_captured: u64,
    pub frames_stored: u64,
    pub frames_unchanged: u64,
    pub frames_dropped: u64,
    pub frames_excluded: u64,
    pub input_events: u64,
    pub input_dropped: u64,
    pub input_excluded: u64,
    /// Kept input events injected by software (XTEST and the like) rather than made on a device.
    #[serde(default)]
    pub input_injected: u64,
    /// Why the origin of input cannot be told here, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_origin_message: Option<String>,
    /// Why there is no accessibility context (elements under clicks, password fields), when
    /// there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility_message: Option<String>,
    pub encode_queue: u64,
    pub write_queue: u64,
    pub last_frame_age_ms: Option<u64>,
    pub media_bytes: u64,
    /// The microphone: off, live, missing at start, or lost mid-recording.
    pub audio: AudioState,
    /// Why there is no audio, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_message: Option<String>,
    /// Peak level of the last ~100 ms in dBFS (the panel's level meter); None when silent or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_level_db: Option<f32>,
    /// Audio stored so far: duration and compressed bytes.
    pub audio_us: Micros,
    pub audio_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AudioState {
    #[default]
    Off,
    Live,
    NoMicrophone,
    Lost,
}

/// Up to half a second of the microphone, FLAC-compressed (16 kHz mono, 16 bit). Chunks only
/// cover time that was recorded: paused time and push-to-talk silences leave gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    pub t0: Micros,
    pub t1: Micros,
    pub sample_rate: u32,
    pub samples: u32,
    pub flac: Vec<u8>,
}

/// What transcription heard in one stretch of speech, on the recording clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Utterance {
    pub t0: Micros,
    pub t1: Micros,
    /// The transcript as the model wrote it.
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
    /// A reviewer's correction, which replaces `text` everywhere downstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<String>,
}

impl Utterance {
    pub fn transcript(&self) -> &str {
        self.corrected.as_deref().unwrap_or(&self.text)
    }
    /// The reference a `spoken` reasoning item carries to its audio (a media fragment).
    pub fn audio_ref(&self) -> String {
        audio_ref(self.t0, self.t1)
    }
}

/// `audio#t=START,END` in seconds on the recording clock (W3C media-fragment syntax).
pub fn audio_ref(t0: Micros, t1: Micros) -> String {
    format!("audio#t={:.3},{:.3}", t0 as f64 / 1e6, t1 as f64 / 1e6)
}

/// Parses [`audio_ref`] back into its span.
pub fn parse_audio_ref(s: &str) -> Option<(Micros, Micros)> {
    let (a, b) = s.strip_prefix("audio#t=")?.split_once(',')?;
    let (a, b): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
    (a >= 0.0 && b >= a).then(|| ((a * 1e6).round() as Micros, (b * 1e6).round() as Micros))
}

/// A word with its time, where the model gave one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Word {
    pub t0: Micros,
    pub t1: Micros,
    pub text: String,
}

/// What a recording does with the secrets and personal data its text holds (typed text, notes,
/// transcripts, window titles, accessible names), per campaign or recording. Frames are
/// redacted at export whatever the policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyPolicy {
    /// Kept on the station; every export masks it (one placeholder per value).
    #[default]
    Mask,
    /// Kept and exported as is; the privacy check and the export's manifest list it.
    Flag,
    /// Never written: found while recording and left out (typed keys of a value, the value in
    /// notes, marker labels and window titles, transcripts when they are made).
    Drop,
}

impl PrivacyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mask => "mask",
            Self::Flag => "flag",
            Self::Drop => "drop",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Mask, Self::Flag, Self::Drop].into_iter().find(|p| p.as_str() == s)
    }
}

/// An element of an application's accessibility tree (AT-SPI on Linux): what had focus, or what
/// was under a press. Bounds are in X screen pixels, as every coordinate of a recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Element {
    /// AT-SPI's role name: `push button`, `entry`, `password text`, `menu item`…
    pub role: String,
    pub name: String,
    /// States as AT-SPI names them (`focused`, `editable`, `checked`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    pub bounds: Rect,
    /// The element's ancestors, nearest first, up to its window (targets of presses only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<ElementRef>,
}

/// An ancestor of an [`Element`]: its role and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ElementRef {
    pub role: String,
    pub name: String,
}

impl Element {
    /// A password field: AT-SPI's `password text` role, or (where a toolkit misreports) an
    /// editable text whose name says it is one.
    pub fn is_secret_field(&self) -> bool {
        let role = self.role.as_str();
        let named = || {
            let n = self.name.to_lowercase();
            ["password", "passphrase", "passwort", "kennwort", "contraseña", "mot de passe", "pin code", "passcode"].iter().any(|w| n.contains(w))
        };
        role == "password text" || (matches!(role, "entry" | "text" | "editbar") && named())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum A11yKind {
    /// The element that took the keyboard focus.
    Focus,
    /// The element under a button press (`t` is the press's).
    Target,
}

impl A11yKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Focus => "focus",
            Self::Target => "target",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Focus, Self::Target].into_iter().find(|k| k.as_str() == s)
    }
}

/// One row of the accessibility stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct A11yEvent {
    pub t: Micros,
    pub kind: A11yKind,
    pub element: Element,
}

/// A recording's raw streams, each in time order: everything segmentation, review and export
/// read besides the recording itself. `Library::streams` loads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Streams {
    pub input: Vec<InputEvent>,
    pub frames: Vec<Frame>,
    pub windows: Vec<WindowEvent>,
    pub notes: Vec<Note>,
    /// What transcription heard in the think-aloud audio.
    pub utterances: Vec<Utterance>,
    pub markers: Vec<Marker>,
    /// Focus changes and press targets from the accessibility bus (empty without one).
    pub accessibility: Vec<A11yEvent>,
}

/// A recording's steps and quality figures as segmented from its raw streams by one version of
/// the rules (`segment::RULES_VERSION`); derived, so it can always be made again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Segmentation {
    pub rules_version: u32,
    pub steps: Vec<Step>,
    pub quality: Quality,
}

/// What the expert did, reduced from raw events (see `segment::actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Click,
    DoubleClick,
    TripleClick,
    RightClick,
    MiddleClick,
    Drag,
    Scroll,
    Type,
    Key,
    Hotkey,
    /// A deliberate hover that changed the screen.
    Move,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::DoubleClick => "double_click",
            Self::TripleClick => "triple_click",
            Self::RightClick => "right_click",
            Self::MiddleClick => "middle_click",
            Self::Drag => "drag",
            Self::Scroll => "scroll",
            Self::Type => "type",
            Self::Key => "key",
            Self::Hotkey => "hotkey",
            Self::Move => "move",
        }
    }
    pub const ALL: [ActionKind; 11] =
        [Self::Click, Self::DoubleClick, Self::TripleClick, Self::RightClick, Self::MiddleClick, Self::Drag, Self::Scroll, Self::Type, Self::Key, Self::Hotkey, Self::Move];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A point of a drag path, with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PathPoint {
    pub x: i32,
    pub y: i32,
    pub t: Micros,
}

/// One action. Coordinates are physical pixels of the X screen (see the recording's displays);
/// keys are pyautogui names; scroll is in wheel notches, dy > 0 = up, dx > 0 = right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Action {
    pub kind: ActionKind,
    pub t_start: Micros,
    pub t_end: Micros,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<String>,
    /// Modifier keys held (clicks, drags, scrolls); hotkeys list theirs in `keys`.
    #[specta(type = Vec<String>)]
    pub modifiers: Modifiers,
    /// key: one name; hotkey: modifiers then the key, e.g. ["ctrl", "shift", "t"].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// type: the text as it ended up (shift, caps lock and backspace applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// drag: from the press to the release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<PathPoint>,
    #[serde(default)]
    pub scroll_dx: i32,
    #[serde(default)]
    pub scroll_dy: i32,
    /// type: how many backspaces were applied while typing.
    #[serde(default)]
    pub backspaces: u32,
    /// Indices (first, last) into the recording's input events this action was made from.
    pub raw: (usize, usize),
    /// Whether a person's device or software produced the events the action was made from.
    #[serde(default)]
    pub origin: InputOrigin,
    /// The accessible element under the action's press (clicks, drags), from the accessibility
    /// bus: role, name, bounds and ancestors — grounding data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Element>,
}

/// A frame a step refers to. `t` is when its capture completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Observation {
    pub frame_seq: u64,
    pub t: Micros,
    pub display: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningSource {
    Typed,
    Spoken,
    Review,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Reasoning {
    pub source: ReasoningSource,
    pub text: String,
    pub t0: Micros,
    pub t1: Micros,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// The window an action was aimed at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct WindowContext {
    pub app: String,
    pub title: String,
    pub window_id: u32,
    pub bounds: Rect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Subtask {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Observation → action → consequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Step {
    pub index: u32,
    pub t_start: Micros,
    pub t_end: Micros,
    pub action: Action,
    /// The last frame whose capture completed before the action's first event.
    pub before: Option<Observation>,
    /// The screen once the action settled: the last frame before the next action began.
    pub after: Option<Observation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowContext>,
    #[serde(default)]
    pub reasoning: Vec<Reasoning>,
    #[serde(default)]
    pub markers: Vec<Marker>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtask: Option<Subtask>,
    /// The reviewer's label, when the step was reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<StepLabel>,
}

/// Figures a vendor checks a trajectory by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Quality {
    pub steps: u32,
    pub duration_us: Micros,
    /// Paused time, not counted as work.
    pub paused_us: Micros,
    /// Gaps between actions beyond the idle threshold (minus the threshold).
    pub idle_us: Micros,
    pub actions_per_minute: f64,
    /// Share of steps with at least one thought.
    pub reasoning_coverage: f64,
    pub markers: u32,
    /// Undo hotkeys, repeated identical actions and backspace-heavy typing.
    pub redundancy: u32,
    pub actions_by_kind: std::collections::BTreeMap<String, u32>,
    /// Share of steps whose action was made, wholly or in part, from injected input.
    #[serde(default)]
    pub synthetic_input_share: f64,
    /// Share of steps whose input's origin is unknown (recorded where the platform cannot say).
    #[serde(default)]
    pub unknown_origin_share: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_round_trip_through_names() {
        let m = Modifiers(Modifiers::CTRL | Modifiers::SHIFT);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"["ctrl","shift"]"#);
        assert_eq!(serde_json::from_str::<Modifiers>(&json).unwrap(), m);
    }

    #[test]
    fn rect_intersection() {
        let a = Rect { x: 0, y: 0, width: 100, height: 100 };
        let b = Rect { x: 50, y: 80, width: 100, height: 100 };
        assert_eq!(a.intersect(&b), Some(Rect { x: 50, y: 80, width: 50, height: 20 }));
        assert_eq!(a.intersect(&Rect { x: 100, y: 0, width: 5, height: 5 }), None);
    }

    #[test]
    fn enum_names_parse_back() {
        for k in [MarkerKind::Mistake, MarkerKind::Recovery, MarkerKind::SubtaskStart, MarkerKind::SubtaskEnd, MarkerKind::Custom] {
            assert_eq!(MarkerKind::parse(k.as_str()), Some(k));
        }
        for s in [RecordingStatus::Recording, RecordingStatus::Paused, RecordingStatus::Finished, RecordingStatus::Interrupted] {
            assert_eq!(RecordingStatus::parse(s.as_str()), Some(s));
        }
    }
}
