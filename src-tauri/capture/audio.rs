//! Think-aloud audio: the microphone, on the recording's clock. The device's callback only
//! timestamps and hands over its samples; one thread mixes them to mono, resamples to 16 kHz,
//! drops what must not be kept (paused time; push-to-talk with the key up), meters the level,
//! and cuts half-second FLAC chunks for the writer, so a crash loses at most about a second.
//! No microphone at start, or one that fails or falls silent mid-recording, never stops the
//! recording: the state and a message go to the recorder's health, and the thread keeps
//! trying to reopen the device.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use super::privacy::PrivacyGate;
use crate::clock::RecordingClock;
use crate::model::{AudioChunk, AudioState, Micros};
use crate::store::audio_codec::{encode_flac, SAMPLE_RATE};
use crate::store::writer::{WriteOp, WriterHandle};

/// Each stored chunk holds at most this much audio.
pub const CHUNK_US: Micros = 500_000;
/// A microphone that delivers nothing for this long is treated as gone.
pub const SILENT_DEVICE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a missing or lost microphone is looked for again.
const REOPEN_INTERVAL: Duration = Duration::from_secs(2);
/// The callback's timing may drift from the sample count by this much before a run restarts.
const MAX_DRIFT_US: Micros = 200_000;

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
    let host = cpal::default_host();
    let devices = host.input_devices().map_err(|e| AudioError::NoMicrophone(e.to_string()))?;
    Ok(devices.filter_map(|d| d.description().ok().map(|n| n.name().to_string())).collect())
}

/// Everything the audio thread needs.
pub struct AudioCapture {
    pub settings: AudioSettings,
    pub clock: RecordingClock,
    pub gate: Arc<PrivacyGate>,
    /// Held push-to-talk key.
    pub talking: Arc<AtomicBool>,
    pub counters: Arc<AudioCounters>,
    pub writer: WriterHandle,
    pub stop: Arc<AtomicBool>,
}

/// Samples from one device callback: when the callback ran, and the device's frames.
struct Buffer {
    t_end: Micros,
    samples: Vec<f32>,
}

struct OpenStream {
    _stream: cpal::Stream,
    rx: Receiver<Buffer>,
    errors: Receiver<cpal::Error>,
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
                            // Closing a dead device can block for ever inside the audio
                            // library (PulseAudio's ALSA plugin waits on a server that is
                            // gone), which would hang the recording's stop: let it go instead.
                            std::mem::forget(s);
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
                        self.counters.set_state(AudioState::NoMicrophone, Some(format!("{e}; the recording goes on without audio")));
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
            if let Ok(e) = s.errors.try_recv() {
                match e.kind() {
                    // An overrun loses a moment of audio, not the device; the stream goes on.
                    cpal::ErrorKind::Xrun | cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied => {
                        tracing::warn!(error = %e, "audio glitch");
                        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => return Some(e.to_string()),
                }
            }
            match s.rx.recv_timeout(Duration::from_millis(100)) {
                // A device whose server died may keep calling back with nothing.
                Ok(buf) if buf.samples.is_empty() => {}
                Ok(buf) => {
                    last_data = Instant::now();
                    started = true;
                    let frames = buf.samples.len() / s.channels.max(1);
                    let mono: Vec<f32> = buf.samples.chunks(s.channels.max(1)).map(|c| c.iter().sum::<f32>() / c.len() as f32).collect();
                    let peak = mono.iter().fold(0f32, |m, v| m.max(v.abs()));
                    self.counters.level_db_bits.store((20.0 * peak.max(1e-5).log10()).to_bits(), Ordering::Relaxed);
                    self.counters.level_at_us.store(buf.t_end.max(1), Ordering::Relaxed);
                    let t_start = buf.t_end.saturating_sub(frames as u64 * 1_000_000 / u64::from(s.rate));
                    let resampled = resampler.push(&mono);
                    let keep = !self.gate.paused.any_in(t_start, buf.t_end) && (!self.settings.push_to_talk || self.talking.load(Ordering::Relaxed));
                    if keep {
                        chunker.push(t_start, &resampled);
                    } else {
                        chunker.end_run();
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

fn open(settings: &AudioSettings, clock: RecordingClock, counters: &Arc<AudioCounters>) -> Result<OpenStream, AudioError> {
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
    // 250 ms periods (cpal buffers two): with the device's default PulseAudio's ALSA plugin
    // delivers nothing for the first two seconds; much shorter, and a busy machine overruns.
    if let cpal::SupportedBufferSize::Range { min, max } = supported.buffer_size() {
        config.buffer_size = cpal::BufferSize::Fixed((config.sample_rate / 4).clamp(*min, *max));
    }
    let (tx, rx) = bounded::<Buffer>(256);
    let (etx, errors) = bounded::<cpal::Error>(8);
    let err_cb = move |e: cpal::Error| {
        let _ = etx.try_send(e);
    };
    let stream = match format {
        cpal::SampleFormat::F32 => build::<f32>(&device, &config, tx, clock, counters.clone(), err_cb),
        cpal::SampleFormat::I16 => build::<i16>(&device, &config, tx, clock, counters.clone(), err_cb),
        cpal::SampleFormat::I32 => build::<i32>(&device, &config, tx, clock, counters.clone(), err_cb),
        cpal::SampleFormat::U8 => build::<u8>(&device, &config, tx, clock, counters.clone(), err_cb),
        other => return Err(AudioError::Open(format!("unsupported sample format {other:?}"))),
    }
    .map_err(|e| AudioError::Open(e.to_string()))?;
    stream.play().map_err(|e| AudioError::Open(e.to_string()))?;
    Ok(OpenStream { _stream: stream, rx, errors, channels: usize::from(config.channels), rate: config.sample_rate, name })
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
        config.clone(),
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

/// Area-averaging resampler: each output sample is the mean of the input it covers, which is
/// also the low-pass filter a downsampler needs. Keeps its position across buffers.
pub struct Resampler {
    step: f64,
    pending: Vec<f32>,
    pos: f64,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        Resampler { step: f64::from(from) / f64::from(to), pending: Vec::new(), pos: 0.0 }
    }

    pub fn push(&mut self, input: &[f32]) -> Vec<i16> {
        let to_i16 = |v: f32| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        if (self.step - 1.0).abs() < 1e-9 {
            return input.iter().map(|&v| to_i16(v)).collect();
        }
        self.pending.extend_from_slice(input);
        let mut out = Vec::with_capacity((input.len() as f64 / self.step) as usize + 1);
        while self.pos + self.step <= self.pending.len() as f64 {
            let a = self.pos.floor() as usize;
            let b = ((self.pos + self.step).ceil() as usize).min(self.pending.len()).max(a + 1);
            let mean = self.pending[a..b].iter().sum::<f32>() / (b - a) as f32;
            out.push(to_i16(mean));
            self.pos += self.step;
        }
        let used = self.pos.floor() as usize;
        self.pending.drain(..used);
        self.pos -= used as f64;
        out
    }
}

/// Cuts continuous 16 kHz audio into timed FLAC chunks. A run's time comes from the callback
/// that began it plus the samples since, so chunks are gapless; a run restarts when audio was
/// dropped (pause, push-to-talk) or the device clock drifted from the recording clock.
struct Chunker {
    writer: WriterHandle,
    counters: Arc<AudioCounters>,
    run_t0: Option<Micros>,
    run_samples: u64,
    chunk: Vec<i16>,
}

impl Chunker {
    fn new(writer: WriterHandle, counters: Arc<AudioCounters>) -> Self {
        Chunker { writer, counters, run_t0: None, run_samples: 0, chunk: Vec::with_capacity(8_000) }
    }

    fn at(&self, samples: u64) -> Micros {
        self.run_t0.unwrap_or(0) + samples * 1_000_000 / u64::from(SAMPLE_RATE)
    }

    fn push(&mut self, t_start: Micros, samples: &[i16]) {
        let expected = self.at(self.run_samples + self.chunk.len() as u64);
        if self.run_t0.is_some() && expected.abs_diff(t_start) > MAX_DRIFT_US {
            self.end_run();
        }
        if self.run_t0.is_none() {
            self.run_t0 = Some(t_start);
            self.run_samples = 0;
        }
        let per_chunk = (CHUNK_US * u64::from(SAMPLE_RATE) / 1_000_000) as usize;
        for piece in samples.chunks(per_chunk) {
            let room = per_chunk - self.chunk.len();
            let (now, later) = piece.split_at(room.min(piece.len()));
            self.chunk.extend_from_slice(now);
            if self.chunk.len() == per_chunk {
                self.flush();
            }
            self.chunk.extend_from_slice(later);
        }
    }

    fn flush(&mut self) {
        if self.chunk.is_empty() {
            return;
        }
        let t0 = self.at(self.run_samples);
        let n = self.chunk.len() as u64;
        let t1 = self.at(self.run_samples + n);
        match encode_flac(&self.chunk, SAMPLE_RATE) {
            Ok(flac) => {
                self.counters.audio_us.fetch_add(t1 - t0, Ordering::Relaxed);
                self.counters.bytes.fetch_add(flac.len() as u64, Ordering::Relaxed);
                self.writer.send(WriteOp::Audio(AudioChunk { t0, t1, sample_rate: SAMPLE_RATE, samples: n as u32, flac }));
            }
            Err(e) => tracing::error!(error = %e, "an audio chunk could not be encoded and is lost"),
        }
        self.run_samples += n;
        self.chunk.clear();
    }

    fn end_run(&mut self) {
        self.flush();
        self.run_t0 = None;
        self.run_samples = 0;
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
        assert!((15_999..=16_000).contains(&out.len()), "{}", out.len());
        // Zero crossings: 440 Hz → ~880 per second survives the filter.
        let crossings = out.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((860..=900).contains(&crossings), "{crossings}");
        assert_eq!(Resampler::new(16_000, 16_000).push(&[0.5, -1.0]), vec![16384, -32767]);
    }

    fn chunker() -> (Chunker, Receiver<WriteOp>) {
        let (handle, rx) = WriterHandle::for_test();
        (Chunker::new(handle, Arc::new(AudioCounters::default())), rx)
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
        // 1.2 s in 100 ms buffers starting at 1 s, with a little callback jitter.
        for i in 0..12u64 {
            c.push(1_000_000 + i * 100_000 + (i % 3) * 2_000, &[7; 1600]);
        }
        // After a pause, 0.3 s more at 5 s.
        c.end_run();
        c.push(5_000_000, &[7; 4800]);
        c.end_run();
        assert_eq!(
            chunks(&rx),
            vec![(1_000_000, 1_500_000, 8000), (1_500_000, 2_000_000, 8000), (2_000_000, 2_200_000, 3200), (5_000_000, 5_300_000, 4800)]
        );
    }

    #[test]
    fn a_drifting_device_clock_restarts_the_run_at_the_recording_clock() {
        let (mut c, rx) = chunker();
        c.push(0, &[1; 1600]);
        // The next buffer arrives 1 s later than its samples say (the device stalled).
        c.push(1_100_000, &[1; 1600]);
        c.end_run();
        assert_eq!(chunks(&rx), vec![(0, 100_000, 1600), (1_100_000, 1_200_000, 1600)]);
    }
}
