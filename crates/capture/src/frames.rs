//! The frame pipeline. A capture thread grabs every display at a low rate when the expert is
//! idle and a higher one while input is flowing (plus one frame at once on a press, and a
//! "settled" frame shortly after), so the frame that will be an action's *before* observation is
//! always already captured when the action arrives. Unchanged frames are not stored; changed
//! ones become key frames or tile deltas (see [`apprentice_core::store::frame_codec`]). Frames wait
//! [`PRIVACY_HOLD`] for the privacy gate, then go through a bounded queue to an encoder thread
//! that writes media files and hands rows to the writer. Under pressure, periodic frames are
//! dropped and counted; frames taken because of input wait a little before being dropped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use super::privacy::{PrivacyGate, PRIVACY_HOLD};
use super::screen::{CapturedLayout, ScreenSource};
use super::CaptureError;
use apprentice_core::clock::RecordingClock;
use apprentice_core::model::{Frame, FrameEncoding, FrameReason, Micros, Rect};
use apprentice_core::store::frame_codec::{self, PixelsRef};
use apprentice_core::store::writer::{WriteOp, WriterHandle};
use apprentice_core::store::{MediaStore, StoreError};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FrameSettings {
    /// Capture interval while the expert is idle.
    pub idle_interval: Duration,
    /// Capture interval while input is flowing.
    pub active_interval: Duration,
    /// How long after the last input the active rate lasts.
    pub active_for: Duration,
    /// Minimum spacing between two captures.
    pub min_gap: Duration,
    /// After a press, another frame this much later shows the settled consequence.
    pub settle_after: Duration,
    /// Presses closer together than this are one burst (typing): only its first gets an
    /// immediate frame.
    pub burst_gap: Duration,
    /// A key frame at least this often, so a delta chain stays short.
    pub key_interval: Duration,
    pub max_chain: u32,
    /// A change covering more than this share of the display is stored as a key frame.
    pub key_area_ratio: f64,
}

impl Default for FrameSettings {
    fn default() -> Self {
        FrameSettings {
            idle_interval: Duration::from_millis(1000),
            active_interval: Duration::from_millis(200),
            active_for: Duration::from_secs(2),
            min_gap: Duration::from_millis(50),
            settle_after: Duration::from_millis(300),
            burst_gap: Duration::from_millis(400),
            key_interval: Duration::from_secs(60),
            max_chain: 200,
            key_area_ratio: 0.5,
        }
    }
}

/// What makes the capture thread take a frame earlier than its schedule.
#[derive(Debug, Clone, Copy)]
pub enum CaptureTrigger {
    /// Input arrived; `press` for a button, key or wheel event (not a move).
    Input {
        press: bool,
    },
    Focus,
    Stop,
}

/// Counters the pipeline keeps (read for health).
#[derive(Debug, Default)]
pub struct FrameCounters {
    pub captured: AtomicU64,
    pub stored: AtomicU64,
    pub unchanged: AtomicU64,
    pub dropped: AtomicU64,
    pub excluded: AtomicU64,
    pub media_bytes: AtomicU64,
    pub encode_queue: AtomicU64,
    /// Recording time of the last completed capture.
    pub last_capture_us: AtomicU64,
    pub capture_errors: AtomicU64,
}

/// A frame handed to the encoder.
pub struct EncodeJob {
    pub seq: u64,
    pub t: Micros,
    pub display: u32,
    pub reason: FrameReason,
    pub layout: CapturedLayout,
    pub content: JobContent,
}

pub enum JobContent {
    /// The whole display (shared with the capture thread's reference, not copied).
    Key(Arc<Vec<u8>>),
    /// Only the changed tiles, already stacked: a delta never keeps a whole frame alive.
    Delta { parent: u64, rects: Vec<Rect>, atlas: image::RgbImage },
}

struct Pending {
    display: usize,
    t0: Micros,
    t1: Micros,
    reason: FrameReason,
    layout: CapturedLayout,
    pixels: Vec<u8>,
}

/// The last frame of a display that went to the encoder: what the next delta is against.
struct Reference {
    seq: u64,
    pixels: Arc<Vec<u8>>,
    layout: CapturedLayout,
    chain: u32,
    key_at: Instant,
}

pub struct CaptureLoop {
    pub source: Box<dyn ScreenSource>,
    pub settings: FrameSettings,
    pub clock: RecordingClock,
    pub gate: Arc<PrivacyGate>,
    pub counters: Arc<FrameCounters>,
    pub triggers: Receiver<CaptureTrigger>,
    pub encoder: Sender<EncodeJob>,
}

impl CaptureLoop {
    /// Runs until a Stop trigger; returns the error that ended it early, if any.
    pub fn run(mut self) -> Result<(), CaptureError> {
        let displays = self.source.displays().len();
        let mut refs: Vec<Option<Reference>> = (0..displays).map(|_| None).collect();
        let mut pending: VecDeque<Pending> = VecDeque::new();
        let mut seq: u64 = 0;
        let mut last_capture: Option<Instant> = None;
        let mut last_input: Option<Instant> = None;
        let mut last_press: Option<Instant> = None;
        let mut next_due = Instant::now();
        let mut next_reason = FrameReason::Start;
        let mut settle_at: Option<Instant> = None;
        let mut errors_in_row = 0u32;
        loop {
            let now = Instant::now();
            let mut wake = next_due;
            if let Some(s) = settle_at {
                wake = wake.min(s);
            }
            if let Some(p) = pending.front() {
                wake = wake.min(now + Duration::from_micros((p.t1 + PRIVACY_HOLD.as_micros() as u64).saturating_sub(self.clock.now())));
            }
            let stop = match self.triggers.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(CaptureTrigger::Stop) | Err(RecvTimeoutError::Disconnected) => true,
                Ok(CaptureTrigger::Input { press }) => {
                    let quiet_before = last_input.is_none_or(|l| l.elapsed() >= self.settings.burst_gap);
                    last_input = Some(Instant::now());
                    if press {
                        // The first press of a burst gets a frame at once; within a burst (typing)
                        // the active rate suffices, and the settled frame follows the last press.
                        if quiet_before || last_press.is_none_or(|l| l.elapsed() >= self.settings.burst_gap) {
                            let earliest = last_capture.map(|l| l + self.settings.min_gap).unwrap_or_else(Instant::now);
                            if earliest < next_due {
                                next_due = earliest;
                                next_reason = FrameReason::Input;
                            }
                        }
                        last_press = Some(Instant::now());
                        settle_at = Some(Instant::now() + self.settings.settle_after);
                    } else {
                        let active_due = last_capture.map(|l| l + self.settings.active_interval).unwrap_or_else(Instant::now);
                        if active_due < next_due {
                            next_due = active_due;
                        }
                    }
                    false
                }
                Ok(CaptureTrigger::Focus) => {
                    next_due = last_capture.map(|l| l + self.settings.min_gap).unwrap_or_else(Instant::now).min(next_due);
                    next_reason = FrameReason::Focus;
                    false
                }
                Err(RecvTimeoutError::Timeout) => false,
            };
            if stop {
                // Let the last frames get their privacy decision, then hand them on.
                std::thread::sleep(PRIVACY_HOLD);
                self.release(&mut pending, &mut refs, &mut seq, true);
                return Ok(());
            }
            let now = Instant::now();
            if settle_at.is_some_and(|s| s <= now) {
                settle_at = None;
                if next_due > now {
                    next_due = now;
                    next_reason = FrameReason::Input;
                }
            }
            if now >= next_due {
                let reason = std::mem::replace(&mut next_reason, FrameReason::Periodic);
                let paused = self.gate.paused.current();
                if paused || self.gate.excluded_focus.current() {
                    // Paused time is not capture time; an excluded window's is, and is counted.
                    if !paused {
                        self.counters.excluded.fetch_add(1, Ordering::Relaxed);
                    }
                    // Whatever is on screen after a gap starts afresh.
                    next_reason = FrameReason::Start;
                } else {
                    match self.capture_all(reason, &mut pending) {
                        Ok(()) => errors_in_row = 0,
                        Err(e) => {
                            self.counters.capture_errors.fetch_add(1, Ordering::Relaxed);
                            errors_in_row += 1;
                            tracing::warn!(error = %e, "capture failed");
                            if errors_in_row >= 10 {
                                return Err(e);
                            }
                        }
                    }
                }
                last_capture = Some(Instant::now());
                let active = last_input.is_some_and(|l| l.elapsed() < self.settings.active_for);
                next_due = Instant::now() + if active { self.settings.active_interval } else { self.settings.idle_interval };
            }
            self.release(&mut pending, &mut refs, &mut seq, false);
        }
    }

    fn capture_all(&mut self, reason: FrameReason, pending: &mut VecDeque<Pending>) -> Result<(), CaptureError> {
        let masks = self.gate.all_masks();
        for index in 0..self.source.displays().len() {
            let display = self.source.displays()[index].clone();
            let t0 = self.clock.now();
            let mut pixels = Vec::new();
            let layout = self.source.capture(index, &mut pixels)?;
            let t1 = self.clock.now();
            self.counters.captured.fetch_add(1, Ordering::Relaxed);
            self.counters.last_capture_us.store(t1, Ordering::Relaxed);
            apply_masks(&mut pixels, layout, &display, &masks);
            pending.push_back(Pending { display: index, t0, t1, reason, layout, pixels });
        }
        Ok(())
    }

    /// Decides on pending frames whose privacy hold has passed: drop, dedup, or encode.
    fn release(&mut self, pending: &mut VecDeque<Pending>, refs: &mut [Option<Reference>], seq: &mut u64, all: bool) {
        let now = self.clock.now();
        while let Some(p) = pending.front() {
            if !all && p.t1 + PRIVACY_HOLD.as_micros() as u64 > now {
                break;
            }
            let Some(mut p) = pending.pop_front() else { break };
            if !self.gate.allows(p.t0, p.t1) {
                self.counters.excluded.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            // Masked again with what the watcher knows now: a window that appeared just before
            // the capture may only now be known.
            apply_masks(&mut p.pixels, p.layout, &self.source.displays()[p.display], &self.gate.all_masks());
            let reference = &mut refs[p.display];
            let pixels_ref = view(&p.pixels, p.layout);
            let delta = match reference {
                Some(r) if r.layout == p.layout => {
                    let prev = view(&r.pixels, r.layout);
                    let rects = frame_codec::changed_rects(prev, pixels_ref);
                    if rects.is_empty() {
                        self.counters.unchanged.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let big = frame_codec::area(&rects) as f64 > self.settings.key_area_ratio * (p.layout.width as f64 * p.layout.height as f64);
                    let due = r.chain >= self.settings.max_chain || r.key_at.elapsed() >= self.settings.key_interval;
                    (!big && !due).then_some((r.seq, rects))
                }
                _ => None,
            };
            let display_id = self.source.displays()[p.display].id;
            let is_delta = delta.is_some();
            let pixels = Arc::new(p.pixels);
            let content = match delta {
                Some((parent, rects)) => JobContent::Delta { atlas: frame_codec::stack_rects(view(&pixels, p.layout), &rects), parent, rects },
                None => JobContent::Key(pixels.clone()),
            };
            let job = EncodeJob { seq: *seq, t: p.t1, display: display_id, reason: p.reason, layout: p.layout, content };
            let sent = match self.encoder.try_send(job) {
                Ok(()) => true,
                Err(TrySendError::Full(job)) if p.reason != FrameReason::Periodic => self.encoder.send_timeout(job, Duration::from_millis(250)).is_ok(),
                Err(_) => false,
            };
            self.counters.encode_queue.store(self.encoder.len() as u64, Ordering::Relaxed);
            if !sent {
                // The reference stays the last frame that was sent, so later deltas stay valid.
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            *reference = Some(match (is_delta, reference.take()) {
                (true, Some(r)) => Reference { seq: *seq, pixels, layout: p.layout, chain: r.chain + 1, key_at: r.key_at },
                _ => Reference { seq: *seq, pixels, layout: p.layout, chain: 0, key_at: Instant::now() },
            });
            *seq += 1;
        }
    }
}

fn view(data: &[u8], layout: CapturedLayout) -> PixelsRef<'_> {
    PixelsRef { data, width: layout.width, height: layout.height, stride: layout.stride, format: layout.format }
}

/// Paints every mask (root coordinates) that touches `display` a flat grey.
fn apply_masks(pixels: &mut [u8], layout: CapturedLayout, display: &apprentice_core::model::DisplayInfo, masks: &[Rect]) {
    let screen = Rect { x: display.x, y: display.y, width: layout.width, height: layout.height };
    for m in masks {
        if let Some(hit) = m.intersect(&screen) {
            mask(pixels, layout, Rect { x: hit.x - display.x, y: hit.y - display.y, ..hit });
        }
    }
}

/// Paints `rect` (display-relative) a flat grey: what an excluded window looks like on disk.
fn mask(pixels: &mut [u8], layout: CapturedLayout, rect: Rect) {
    const GREY: [u8; 4] = [0x40, 0x40, 0x40, 0];
    let x0 = rect.x.max(0) as usize;
    let x1 = ((rect.x + rect.width as i32).max(0) as usize).min(layout.width as usize);
    for y in rect.y.max(0) as usize..((rect.y + rect.height as i32).max(0) as usize).min(layout.height as usize) {
        let row = &mut pixels[y * layout.stride + x0 * 4..y * layout.stride + x1 * 4];
        for px in row.chunks_exact_mut(4) {
            px.copy_from_slice(&GREY);
        }
    }
}

/// The encoder loop: encode, store the media file, queue the row.
pub fn encode_loop(jobs: Receiver<EncodeJob>, media: MediaStore, writer: WriterHandle, counters: Arc<FrameCounters>) -> Result<(), StoreError> {
    for job in jobs.iter() {
        counters.encode_queue.store(jobs.len() as u64, Ordering::Relaxed);
        let (bytes, encoding) = match job.content {
            JobContent::Key(data) => (frame_codec::encode_image(&view(&data, job.layout).to_rgb())?, FrameEncoding::Key),
            JobContent::Delta { parent, rects, atlas } => (frame_codec::encode_image(&atlas)?, FrameEncoding::Delta { parent, rects }),
        };
        let sha256 = media.put(&bytes, "webp")?;
        counters.stored.fetch_add(1, Ordering::Relaxed);
        counters.media_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        writer.send(WriteOp::Frame(Frame {
            seq: job.seq,
            t: job.t,
            display: job.display,
            width: job.layout.width,
            height: job.layout.height,
            reason: job.reason,
            encoding,
            sha256,
            bytes: bytes.len() as u64,
        }));
    }
    Ok(())
}
