//! Think-aloud audio: the microphone, on the recording's clock. The device's callback only
//! timestamps and hands over its samples; one thread mixes them to mono, resamples to 16 kHz,
//! drops what must not be kept (paused time; push-to-talk with the key up), meters the level,
//! and cuts half-second FLAC chunks for the writer, so a crash loses at most about a second.
//! Where a PulseAudio (or PipeWire) server runs it is used directly ([`super::pulse`]); cpal
//! (ALSA) otherwise. No microphone at start, or one that fails or falls silent mid-recording, never
//! stops the recording: the state and a message go to the recorder's health, and the thread keeps
//! trying to reopen the device.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use super::privacy::{PrivacyGate, Timeline};
use apprentice_core::clock::RecordingClock;
use apprentice_core::model::{AudioChunk, AudioState, Micros};
use apprentice_core::store::audio::samples_to_us;
use apprentice_core::store::audio_codec::{encode_flac, SAMPLE_RATE};
use apprentice_core::store::writer::{WriteOp, WriterHandle};

/// Each stored chunk holds at most this much audio.
pub const CHUNK_US: Micros = 500_000;
/// A microphone that delivers nothing for this long is treated as gone.
pub const SILENT_DEVICE_TIMEOUT: Duration = Duration::from_secs(2);
/// The shortest chunk FLAC can hold.
const MIN_CHUNK_SAMPLES: usize = 16;
/// How often a missing or lost microphone is looked for again.
const REOPEN_INTERVAL: Duration = Duration::from_secs(2);
/// Buffers arriving this far behind the run's sample count mean the device lost samples.
const MAX_LATE_US: Micros = 500_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AudioSettings {
    /// Record the microphone at all.
    pub enabled: bool,
    /// A device name (see `apprentice mics`); the system default when None.
    pub device: Option<String>,
    /// Keep audio only while the push-to-talk key is held.
    pub push_to_talk: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("no microphone: {0}")]
    NoMicrophone(String),
    #[error("no microphone named '{0}' (list them with `apprentice mics`)")]
    NoSuchDevice(String),
    #[error("the microphone cannot be opened: {0}")]
    Open(String),
}

/// What the audio thread reports to the recorder's health.
#[derive(Default)]
pub struct AudioCounters {
    state: Mutex<(AudioState, Option<String>)>,
    level_db_bits: AtomicU32,
    level_at_us: AtomicU64,
    pub audio_us: AtomicU64,
    pub bytes: AtomicU64,
    /// Callback buffers dropped because the audio thread fell behind.
    pub dropped: AtomicU64,
}

impl AudioCounters {
    pub fn state(&self) -> (AudioState, Option<String>) {
        self.state.lock().map(|s| s.clone()).unwrap_or((AudioState::Lost, Some("audio state unavailable".into())))
    }
    fn set_state(&self, state: AudioState, message: Option<String>) {
        if let Ok(mut s) = self.state.lock() {
            *s = (state, message);
        }
    }
    /// Peak level of the last ~100 ms in dBFS, if there was a recent reading.
    pub fn level_db(&self, now: Micros) -> Option<f32> {
        let at = self.level_at_us.load(Ordering::Relaxed);
        (at > 0 && now.saturating_sub(at) < 500_000).then(|| f32::from_bits(self.level_db_bits.load(Ordering::Relaxed)))
    }
}

/// Microphones this machine offers, by name.
pub fn list_microphones() -> Result<Vec<String>, AudioError> {
    if super::pulse::available() {
        return super::pulse::list();
    }
    quiet_alsa(|| {
        let host = cpal::default_host();
        let devices = host.input_devices().map_err(|e| AudioError::NoMicrophone(e.to_string()))?;
        Ok(devices.filter_map(|d| d.description().ok().map(|n| n.name().to_string())).collect())
    })
}

/// ALSA prints its own errors on stderr: without a sound card, 16 lines each time cpal looks
/// for a microphone, so about 9 lines a second for a whole recording while the recorder keeps
/// trying. Whatever runs in `f` (on this thread) sends ALSA's messages to a buffer instead, and
/// they are logged at debug; our own error says what went wrong.
fn quiet_alsa<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_os = "linux")]
    {
        let said = alsa::Output::local_error_handler().ok();
        let out = f();
        if let Some(said) = said {
            let text = said.borrow().to_string();
            if !text.trim().is_empty() {
                tracing::debug!(alsa = %text.chars().take(2_000).collect::<String>().trim_end(), "ALSA's own messages");
            }
        }
        out
    }
    #[cfg(not(target_os = "linux"))]
    f()
}

/// Everything the audio thread needs.
pub struct AudioCapture {
    pub settings: AudioSettings,
    pub clock: RecordingClock,
    pub gate: Arc<PrivacyGate>,
    /// Push-to-talk key up (true) or held, over time.
    pub key_up: Arc<Timeline>,
    pub counters: Arc<AudioCounters>,
    pub writer: WriterHandle,
    pub stop: Arc<AtomicBool>,
}

/// Samples from one device callback: when the callback ran, and the device's frames.
struct Buffer {
    t_end: Micros,
    samples: Vec<f32>,
}

/// Why a stream stopped or stumbled: `lost` ends it.
struct Fault {
    lost: bool,
    message: String,
}

/// What keeps a stream running; dropping it stops the stream.
enum StreamGuard {
    Cpal(cpal::Stream),
    Pulse(#[allow(dead_code)] PulseCloser),
}

/// Shuts the PulseAudio socket when dropped, which ends the reader thread.
struct PulseCloser(Option<std::os::unix::net::UnixStream>);

impl Drop for PulseCloser {
    fn drop(&mut self) {
        if let Some(sock) = &self.0 {
            let _ = sock.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl StreamGuard {
    /// Lets go of a stream whose device is gone. Closing a dead ALSA/PulseAudio-plugin stream
    /// can block for ever inside the audio library, which would hang the recording's stop, so
    /// that one is leaked; a PulseAudio socket is simply shut.
    fn abandon(self) {
        match self {
            StreamGuard::Cpal(s) => std::mem::forget(s),
            g @ StreamGuard::Pulse(_) => drop(g),
        }
    }
}

struct OpenStream {
    guard: StreamGuard,
    rx: Receiver<Buffer>,
    errors: Receiver<Fault>,
    channels: usize,
    rate: u32,
    name: String,
}

impl AudioCapture {
    /// Runs until `stop`. `opened` gets the result of the first attempt to open the microphone.
    pub fn run(self, opened: Sender<Result<String, AudioError>>) {
        let mut first = Some(opened);
        let mut chunker = Chunker::new(self.writer.clone(), self.counters.clone());
        while !self.stop.load(Ordering::Relaxed) {
            let stream = open(&self.settings, self.clock, &self.counters);
            match stream {
                Ok(s) => {
                    if let Some(tx) = first.take() {
                        let _ = tx.send(Ok(s.name.clone()));
                    }
                    tracing::info!(device = %s.name, rate = s.rate, channels = s.channels, "microphone open");
                    self.counters.set_state(AudioState::Live, None);
                    let lost = self.pump(&s, &mut chunker);
                    chunker.end_run();
                    match lost {
                        Some(reason) => {
                            tracing::warn!(%reason, "microphone lost; the recording goes on without audio");
                            self.counters.set_state(AudioState::Lost, Some(format!("microphone lost: {reason}; the recording goes on without audio")));
                            s.guard.abandon();
                        }
                        None => {
                            drop(s);
                            break;
                        }
                    }
                }
                Err(e) => {
                    if let Some(tx) = first.take() {
                        tracing::warn!(error = %e, "no audio for this recording");
                        self.counters.set_state(AudioState::NoMicrophone, Some(format!("{}; the recording goes on without audio", e.to_string().trim_end_matches('.'))));
                        let _ = tx.send(Err(e));
                    }
                }
            }
            let until = Instant::now() + REOPEN_INTERVAL;
            while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        chunker.end_run();
    }

    /// Moves samples from the device to the chunker until stop (None) or the device is lost.
    fn pump(&self, s: &OpenStream, chunker: &mut Chunker) -> Option<String> {
        let mut resampler = Resampler::new(s.rate, SAMPLE_RATE);
        let mut last_data = Instant::now();
        let mut started = false;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Ok(f) = s.errors.try_recv() {
                if f.lost {
                    return Some(f.message);
                }
                tracing::warn!(error = %f.message, "audio glitch");
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            match s.rx.recv_timeout(Duration::from_millis(100)) {
                // A device whose server died may keep calling back with nothing.
                Ok(buf) if buf.samples.is_empty() => {}
                Ok(buf) => {
                    last_data = Instant::now();
                    started = true;
                    let mono: Vec<f32> = buf.samples.chunks(s.channels.max(1)).map(|c| c.iter().sum::<f32>() / c.len() as f32).collect();
                    let peak = mono.iter().fold(0f32, |m, v| m.max(v.abs()));
                    self.counters.level_db_bits.store((20.0 * peak.max(1e-5).log10()).to_bits(), Ordering::Relaxed);
                    self.counters.level_at_us.store(buf.t_end.max(1), Ordering::Relaxed);
                    let resampled = resampler.push(&mono);
                    // Decided by when the audio was captured, not when it arrived: what was said
                    // before the key went up is kept, what was said while paused is not.
                    let (t0, t1) = chunker.place(buf.t_end, resampled.len());
                    let keep = !self.gate.paused.any_in(t0, t1) && (!self.settings.push_to_talk || !self.key_up.any_in(t0, t1));
                    if keep {
                        chunker.push(&resampled);
                    } else {
                        chunker.skip(resampled.len());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    // A device may take a moment to start; one that started and then stops is gone.
                    if last_data.elapsed() > SILENT_DEVICE_TIMEOUT * if started { 1 } else { 3 } {
                        return Some(format!("no sound data for {} s", SILENT_DEVICE_TIMEOUT.as_secs()));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Some("the audio stream closed".into()),
            }
        }
    }
}

/// How long [`probe_microphone`] listens once sound arrives.
pub const PROBE_LISTEN: Duration = Duration::from_millis(300);

/// A microphone's level test: opens the device a recording would use (`device`, else the
/// system's), waits up to `wait` for sound, then listens [`PROBE_LISTEN`] more. Returns its name
/// and the peak level heard in dBFS (None when it delivered nothing: a device that opens but
/// gives no sound).
pub fn probe_microphone(device: Option<&str>, wait: Duration) -> Result<(String, Option<f32>), AudioError> {
    let settings = AudioSettings { enabled: true, device: device.map(str::to_string), push_to_talk: false };
    let counters = Arc::new(AudioCounters::default());
    let s = open(&settings, RecordingClock::start(), &counters)?;
    let mut until = Instant::now() + wait;
    let mut peak: Option<f32> = None;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match s.rx.recv_timeout(left) {
            Ok(buf) if !buf.samples.is_empty() => {
                if peak.is_none() {
                    until = Instant::now() + PROBE_LISTEN;
                }
                peak = Some(buf.samples.iter().fold(peak.unwrap_or(0.0), |m, v| m.max(v.abs())));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let name = s.name.clone();
    // As for a lost device: a stream that delivered nothing may block when closed.
    if peak.is_none() {
        s.guard.abandon();
    }
    Ok((name, peak.map(|p| 20.0 * p.max(1e-5).log10())))
}

fn open(settings: &AudioSettings, clock: RecordingClock, counters: &Arc<AudioCounters>) -> Result<OpenStream, AudioError> {
    if super::pulse::available() {
        return open_pulse(settings, clock, counters);
    }
    quiet_alsa(|| open_cpal(settings, clock, counters))
}

fn open_cpal(settings: &AudioSettings, clock: RecordingClock, counters: &Arc<AudioCounters>) -> Result<OpenStream, AudioError> {
    let host = cpal::default_host();
    let device = match &settings.device {
        None => host.default_input_device().ok_or_else(|| AudioError::NoMicrophone("this machine offers no input device".into()))?,
        Some(name) => host
            .input_devices()
            .map_err(|e| AudioError::NoMicrophone(e.to_string()))?
            .find(|d| d.description().map(|n| n.name() == name).unwrap_or(false))
            .ok_or_else(|| AudioError::NoSuchDevice(name.clone()))?,
    };
    let name = device.description().map(|n| n.name().to_string()).unwrap_or_else(|_| "default".into());
    let supported = choose_config(&device)?;
    let format = supported.sample_format();
    let mut config: cpal::StreamConfig = supported.config();
    // 250 ms periods (cpal buffers two): with a device's default buffer the first audio can
    // come seconds late; much shorter, and a busy machine overruns.
    let period = match supported.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } => (config.sample_rate / 4).clamp(*min, *max),
        cpal::SupportedBufferSize::Unknown => config.sample_rate / 4,
    };
    let (tx, rx) = bounded::<Buffer>(256);
    let (etx, errors) = bounded::<Fault>(8);
    let attempt = |config: &cpal::StreamConfig| {
        let etx = etx.clone();
        let err_cb = move |e: cpal::Error| {
            // An overrun loses a moment of audio, not the device; the stream goes on.
            let lost = !matches!(e.kind(), cpal::ErrorKind::Xrun | cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied);
            let _ = etx.try_send(Fault { lost, message: e.to_string() });
        };
        let (tx, counters) = (tx.clone(), counters.clone());
        match format {
            cpal::SampleFormat::F32 => build::<f32>(&device, config, tx, clock, counters, err_cb),
            cpal::SampleFormat::I16 => build::<i16>(&device, config, tx, clock, counters, err_cb),
            cpal::SampleFormat::I32 => build::<i32>(&device, config, tx, clock, counters, err_cb),
            cpal::SampleFormat::U8 => build::<u8>(&device, config, tx, clock, counters, err_cb),
            other => Err(cpal::Error::with_message(cpal::ErrorKind::UnsupportedConfig, format!("unsupported sample format {other:?}"))),
        }
    };
    config.buffer_size = cpal::BufferSize::Fixed(period);
    // A device that refuses the period gets its own default.
    let stream = attempt(&config)
        .or_else(|_| {
            config.buffer_size = cpal::BufferSize::Default;
            attempt(&config)
        })
        .map_err(|e| AudioError::Open(e.to_string()))?;
    drop(tx);
    stream.play().map_err(|e| AudioError::Open(e.to_string()))?;
    Ok(OpenStream { guard: StreamGuard::Cpal(stream), rx, errors, channels: usize::from(config.channels), rate: config.sample_rate, name })
}

/// The microphone through the PulseAudio server: a reader thread timestamps each fragment.
fn open_pulse(settings: &AudioSettings, clock: RecordingClock, counters: &Arc<AudioCounters>) -> Result<OpenStream, AudioError> {
    let stream = super::pulse::PulseStream::open(settings.device.as_deref())?;
    let name = stream.name.clone();
    let closer = stream.closer();
    let (tx, rx) = bounded::<Buffer>(256);
    let (etx, errors) = bounded::<Fault>(8);
    let counters = counters.clone();
    std::thread::Builder::new()
        .name("apprentice-pulse".into())
        .spawn(move || {
            let why = stream.read_loop(|samples| {
                if tx.try_send(Buffer { t_end: clock.now(), samples }).is_err() {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
            });
            let _ = etx.try_send(Fault { lost: true, message: why });
        })
        .map_err(|e| AudioError::Open(e.to_string()))?;
    Ok(OpenStream { guard: StreamGuard::Pulse(PulseCloser(closer)), rx, errors, channels: 1, rate: SAMPLE_RATE, name })
}

/// 16 kHz mono when the device offers it (PulseAudio and PipeWire always do), else its default.
fn choose_config(device: &cpal::Device) -> Result<cpal::SupportedStreamConfig, AudioError> {
    let usable = |f: cpal::SampleFormat| matches!(f, cpal::SampleFormat::F32 | cpal::SampleFormat::I16 | cpal::SampleFormat::I32 | cpal::SampleFormat::U8);
    if let Ok(configs) = device.supported_input_configs() {
        let mut candidates: Vec<_> = configs.filter(|c| usable(c.sample_format()) && c.min_sample_rate() <= SAMPLE_RATE && c.max_sample_rate() >= SAMPLE_RATE).collect();
        candidates.sort_by_key(|c| (c.channels(), c.sample_format() != cpal::SampleFormat::F32));
        if let Some(c) = candidates.into_iter().next() {
            return Ok(c.with_sample_rate(SAMPLE_RATE));
        }
    }
    device.default_input_config().map_err(|e| AudioError::NoMicrophone(e.to_string()))
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    tx: Sender<Buffer>,
    clock: RecordingClock,
    counters: Arc<AudioCounters>,
    err_cb: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error>
where
    T: cpal::SizedSample,
    f32: cpal::FromSample<T>,
{
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            let samples = data.iter().map(|&s| cpal::Sample::to_sample::<f32>(s)).collect();
            if tx.try_send(Buffer { t_end: clock.now(), samples }).is_err() {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        },
        err_cb,
        None,
    )
}

/// Windowed-sinc resampler (Blackman window, 32 output samples wide, cut-off at 92% of the
/// lower Nyquist frequency), for devices that cannot give 16 kHz. A plain average of the input
/// each output covers lets 8–11 kHz fold back onto speech: on espeak-ng at 22.05 kHz Whisper's
/// word error rate was 19.8% through it, 10.5% through this and 11.4% through ffmpeg's
/// (`cargo bench --bench speech`). Output sample `n` is the signal at input position
/// `n × from / to`: no delay, but the last millisecond waits for the filter's look-ahead.
/// Keeps its position across buffers.
pub struct Resampler {
    step: f64,
    /// Half the filter's width, in input samples.
    half: usize,
    /// Filter taps for each of [`PHASES`] fractional positions.
    taps: Vec<Vec<f32>>,
    /// Input not yet consumed, starting `half` samples before `pos`'s window.
    pending: Vec<f32>,
    pos: f64,
}

/// Fractional positions the taps are tabulated for (a 1/256-sample timing step).
const PHASES: usize = 256;

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        let step = f64::from(from) / f64::from(to);
        // Cut-off in cycles per input sample; a downsampler's is below the output's Nyquist.
        let cutoff = 0.5 * (1.0 / step).min(1.0) * 0.92;
        let half = (16.0 * step.max(1.0)).ceil() as usize;
        let taps = (0..=PHASES)
            .map(|phase| {
                let frac = phase as f64 / PHASES as f64;
                let mut h: Vec<f64> = (0..2 * half + 1)
                    .map(|k| {
                        let t = k as f64 - half as f64 - frac;
                        let x = 2.0 * cutoff * t;
                        let sinc = if x.abs() < 1e-12 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
                        let w = (t / (half as f64 + 1.0) + 1.0) / 2.0; // 0..1 across the window
                        let blackman = 0.42 - 0.5 * (2.0 * std::f64::consts::PI * w).cos() + 0.08 * (4.0 * std::f64::consts::PI * w).cos();
                        sinc * blackman.max(0.0)
                    })
                    .collect();
                let sum: f64 = h.iter().sum();
                h.iter_mut().for_each(|v| *v /= sum); // unity gain at DC
                h.into_iter().map(|v| v as f32).collect()
            })
            .collect();
        Resampler { step, half, taps, pending: vec![0.0; half], pos: half as f64 }
    }

    pub fn push(&mut self, input: &[f32]) -> Vec<i16> {
        let to_i16 = |v: f32| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        if (self.step - 1.0).abs() < 1e-9 {
            return input.iter().map(|&v| to_i16(v)).collect();
        }
        self.pending.extend_from_slice(input);
        let mut out = Vec::with_capacity((input.len() as f64 / self.step) as usize + 1);
        // Each output needs `half` samples on both sides of its position.
        while self.pos.floor() as usize + self.half + 1 < self.pending.len() {
            let base = self.pos.floor() as usize;
            let phase = ((self.pos - base as f64) * PHASES as f64).round() as usize;
            let window = &self.pending[base - self.half..=base + self.half];
            let v: f32 = window.iter().zip(&self.taps[phase]).map(|(x, h)| x * h).sum();
            out.push(to_i16(v));
            self.pos += self.step;
        }
        let used = (self.pos.floor() as usize).saturating_sub(self.half);
        self.pending.drain(..used);
        self.pos -= used as f64;
        out
    }
}

/// Cuts continuous 16 kHz audio into timed FLAC chunks. Within a run, time comes from the
/// sample count, so chunks are gapless; the run's start is the earliest that its buffers' arrival
/// times allow (each buffer arrives after it was captured, by a latency that varies), refined
/// until its first chunk is written (skipped audio refines it too). A run ends where audio was dropped on purpose (pause,
/// push-to-talk) and restarts where the device lost samples (buffers arriving well behind the
/// sample count). Chunks never overlap.
struct Chunker {
    writer: WriterHandle,
    counters: Arc<AudioCounters>,
    /// Recording time of the run's first sample.
    anchor: Option<Micros>,
    /// Samples of the run already written as chunks.
    written: u64,
    chunk: Vec<i16>,
    /// End of the last chunk written: a new run never starts before it.
    last_end: Micros,
    /// A chunk of this run was written, so its start is settled.
    stored: bool,
}

impl Chunker {
    fn new(writer: WriterHandle, counters: Arc<AudioCounters>) -> Self {
        Chunker { writer, counters, anchor: None, written: 0, chunk: Vec::with_capacity(8_000), last_end: 0, stored: false }
    }

    /// Accounts for a buffer of `n` samples that arrived at `t_end`, and returns the span of
    /// the recording it was captured in. Call [`Self::push`] or [`Self::skip`] with it next.
    fn place(&mut self, t_end: Micros, n: usize) -> (Micros, Micros) {
        let total = self.written + self.chunk.len() as u64 + n as u64;
        // Where this buffer says the run began.
        let start = t_end.saturating_sub(samples_to_us(total as usize));
        match self.anchor {
            None => {}
            Some(anchor) if !self.stored => self.anchor = Some(anchor.min(start).max(self.last_end)),
            Some(anchor) if start > anchor + MAX_LATE_US => {
                tracing::warn!(late_ms = (start - anchor) / 1000, "the microphone lost samples; audio restarts at the recording clock");
                self.end_run();
            }
            Some(_) => {}
        }
        let anchor = *self.anchor.get_or_insert(t_end.saturating_sub(samples_to_us(n)).max(self.last_end));
        let t0 = anchor + samples_to_us(self.written as usize + self.chunk.len());
        (t0, t0 + samples_to_us(n))
    }

    /// Keeps the buffer just placed.
    fn push(&mut self, samples: &[i16]) {
        let per_chunk = (CHUNK_US * u64::from(SAMPLE_RATE) / 1_000_000) as usize;
        let mut rest = samples;
        while !rest.is_empty() {
            let room = per_chunk - self.chunk.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.chunk.extend_from_slice(now);
            if self.chunk.len() == per_chunk {
                self.flush();
            }
            rest = later;
        }
    }

    /// Drops the buffer just placed (paused, or push-to-talk up); the run's clock goes on.
    fn skip(&mut self, n: usize) {
        self.flush();
        self.written += n as u64;
    }

    fn flush(&mut self) {
        let Some(anchor) = self.anchor else { return };
        let n = self.chunk.len() as u64;
        // FLAC frames hold at least 16 samples; a shorter tail (under 1 ms) is not kept.
        if self.chunk.len() >= MIN_CHUNK_SAMPLES {
            let (t0, t1) = (anchor + samples_to_us(self.written as usize), anchor + samples_to_us((self.written + n) as usize));
            match encode_flac(&self.chunk, SAMPLE_RATE) {
                Ok(flac) => {
                    self.counters.audio_us.fetch_add(t1 - t0, Ordering::Relaxed);
                    self.counters.bytes.fetch_add(flac.len() as u64, Ordering::Relaxed);
                    self.writer.send(WriteOp::Audio(AudioChunk { t0, t1, sample_rate: SAMPLE_RATE, samples: n as u32, flac }));
                    self.last_end = t1;
                    self.stored = true;
                }
                Err(e) => tracing::error!(error = %e, "an audio chunk could not be encoded and is lost"),
            }
        }
        self.written += n;
        self.chunk.clear();
    }

    fn end_run(&mut self) {
        self.flush();
        self.anchor = None;
        self.written = 0;
        self.stored = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_48k_to_16k_keeps_duration_and_tone() {
        let mut r = Resampler::new(48_000, 16_000);
        let tone: Vec<f32> = (0..48_000).map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin() * 0.5).collect();
        let mut out = Vec::new();
        for piece in tone.chunks(441) {
            out.extend(r.push(piece));
        }
        // A second in, a second out, but for the filter's look-ahead (a millisecond).
        assert!((15_984..=16_000).contains(&out.len()), "{}", out.len());
        // Zero crossings: 440 Hz → ~880 per second survives the filter.
        let crossings = out.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((860..=900).contains(&crossings), "{crossings}");
        assert_eq!(Resampler::new(16_000, 16_000).push(&[0.5, -1.0]), vec![16384, -32767]);
    }

    /// What a 16 kHz stream cannot carry (above 8 kHz) is filtered out, not folded onto speech;
    /// what it can carry passes at full level.
    #[test]
    fn resampling_removes_what_would_alias_and_keeps_speech_band_level() {
        let level = |from: u32, freq: f32| {
            let mut r = Resampler::new(from, 16_000);
            let tone: Vec<f32> = (0..from).map(|i| (i as f32 * 2.0 * std::f32::consts::PI * freq / from as f32).sin() * 0.5).collect();
            let out: Vec<i16> = tone.chunks(480).flat_map(|piece| r.push(piece)).collect();
            let rms = (out[1_000..].iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / (out.len() - 1_000) as f64).sqrt();
            20.0 * (rms / (0.5 / 2f64.sqrt() * 32767.0)).log10()
        };
        for from in [22_050, 44_100, 48_000] {
            for freq in [300.0, 1_000.0, 3_000.0, 6_000.0] {
                let db = level(from, freq);
                assert!(db.abs() < 0.5, "{freq} Hz from {from} Hz came out at {db:.1} dB");
            }
            for freq in [9_000.0, 10_000.0] {
                let db = level(from, freq);
                assert!(db < -40.0, "{freq} Hz from {from} Hz aliased at {db:.1} dB");
            }
        }
    }

    fn chunker() -> (Chunker, Receiver<WriteOp>) {
        let (handle, rx) = WriterHandle::detached();
        (Chunker::new(handle, Arc::new(AudioCounters::default())), rx)
    }

    fn feed(c: &mut Chunker, t_end: Micros, samples: &[i16]) {
        c.place(t_end, samples.len());
        c.push(samples);
    }

    fn chunks(rx: &Receiver<WriteOp>) -> Vec<(Micros, Micros, u32)> {
        rx.try_iter()
            .filter_map(|op| match op {
                WriteOp::Audio(c) => Some((c.t0, c.t1, c.samples)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn chunks_are_half_seconds_gapless_within_a_run_and_restart_after_a_gap() {
        let (mut c, rx) = chunker();
        // 1.2 s in 100 ms buffers whose capture ended at 1.1 s, 1.2 s, …; each arrives 0–40 ms
        // late. The run starts at the earliest the buffers allow: 1.0 s.
        for i in 0..12u64 {
            feed(&mut c, 1_100_000 + i * 100_000 + (i * 7 % 5) * 10_000, &[7; 1600]);
        }
        // After a pause, 0.3 s more, captured by 5.3 s.
        c.end_run();
        feed(&mut c, 5_300_000, &[7; 4800]);
        c.end_run();
        assert_eq!(chunks(&rx), vec![(1_000_000, 1_500_000, 8000), (1_500_000, 2_000_000, 8000), (2_000_000, 2_200_000, 3200), (5_000_000, 5_300_000, 4800)]);
    }

    #[test]
    fn a_late_first_buffer_does_not_delay_the_run() {
        let (mut c, rx) = chunker();
        // The first buffer arrives 300 ms after capture (start-up latency), the rest promptly.
        feed(&mut c, 400_000, &[1; 1600]);
        for i in 1..6u64 {
            feed(&mut c, 100_000 * (i + 1), &[1; 1600]);
        }
        c.end_run();
        assert_eq!(chunks(&rx)[0].0, 0);
    }

    #[test]
    fn lost_samples_restart_the_run_at_the_recording_clock_and_chunks_never_overlap() {
        let (mut c, rx) = chunker();
        for i in 0..6u64 {
            feed(&mut c, 100_000 * (i + 1), &[1; 1600]);
        }
        // The device dropped a second: the next buffer was captured by 1.7 s.
        feed(&mut c, 1_700_000, &[1; 1600]);
        c.end_run();
        let got = chunks(&rx);
        assert_eq!(got, vec![(0, 500_000, 8000), (500_000, 600_000, 1600), (1_600_000, 1_700_000, 1600)]);
        assert!(got.windows(2).all(|w| w[0].1 <= w[1].0));
    }

    #[test]
    fn skipped_audio_refines_the_clock_then_leaves_a_hole() {
        let (mut c, rx) = chunker();
        // Key up from the start: the first buffer arrives 300 ms late, the next promptly.
        assert_eq!(c.place(400_000, 1600), (300_000, 400_000));
        c.skip(1600);
        assert_eq!(c.place(200_000, 1600), (100_000, 200_000));
        c.skip(1600);
        c.end_run();
        assert!(chunks(&rx).is_empty());
    }

    #[test]
    fn skipped_audio_leaves_a_hole_and_the_run_keeps_its_clock() {
        let (mut c, rx) = chunker();
        feed(&mut c, 500_000, &[1; 8000]);
        // Push-to-talk up for 0.3 s: placed (its capture time is known), not kept.
        assert_eq!(c.place(800_000, 4800), (500_000, 800_000));
        c.skip(4800);
        // Held again: the next buffer arrives 120 ms late, but keeps the run's time.
        assert_eq!(c.place(1_020_000, 1600), (800_000, 900_000));
        c.push(&[1; 1600]);
        c.end_run();
        assert_eq!(chunks(&rx), vec![(0, 500_000, 8000), (800_000, 900_000, 1600)]);
    }

    #[test]
    fn a_tail_too_short_for_flac_is_dropped_not_stored_broken() {
        let (mut c, rx) = chunker();
        feed(&mut c, 500_312, &[5; 8005]);
        c.end_run();
        assert_eq!(chunks(&rx), vec![(0, 500_000, 8000)]);
    }
}
