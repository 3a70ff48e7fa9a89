//! The microphone through PulseAudio's native protocol (PipeWire serves it too), where a server
//! runs: a record stream at 16 kHz mono float (the server resamples), delivered in 100 ms
//! fragments with the server's full buffer behind them, read on a thread of its own. cpal's
//! paths through PulseAudio either busy-poll a core (ALSA's pulse plugin) or size the server
//! buffer to one fragment and lose samples (its native host), so this one is ours.

use std::ffi::CString;
use std::io::{BufReader, Read};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use pulseaudio::protocol;

use super::audio::AudioError;

const RATE: u32 = 16_000;
/// Bytes per delivered fragment: 100 ms of 32-bit float mono. (Asking for 16-bit samples makes
/// some servers resample with a cheaper method, and Whisper hears the difference.)
const FRAGMENT: u32 = RATE / 10 * 4;

/// Is a PulseAudio (or PipeWire-pulse) server reachable from this environment?
pub fn available() -> bool {
    pulseaudio::socket_path_from_env().is_some_and(|p| UnixStream::connect(p).is_ok())
}

struct Connection {
    sock: BufReader<UnixStream>,
    version: u16,
    seq: u32,
}

impl Connection {
    fn open() -> Result<Connection, AudioError> {
        let path = pulseaudio::socket_path_from_env().ok_or_else(|| AudioError::NoMicrophone("no PulseAudio server".into()))?;
        let stream = UnixStream::connect(&path).map_err(|e| AudioError::NoMicrophone(format!("PulseAudio at {}: {e}", path.display())))?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut c = Connection { sock: BufReader::new(stream), version: protocol::MAX_VERSION, seq: 0 };
        let cookie = pulseaudio::cookie_path_from_env().and_then(|p| std::fs::read(p).ok()).unwrap_or_default();
        let auth = protocol::AuthParams { version: protocol::MAX_VERSION, supports_shm: false, supports_memfd: false, cookie };
        let reply: protocol::AuthReply = c.request(&protocol::Command::Auth(auth))?;
        c.version = protocol::MAX_VERSION.min(reply.version);
        let mut props = protocol::Props::new();
        props.set(protocol::Prop::ApplicationName, CString::new("Apprentice").unwrap_or_default());
        let _: protocol::SetClientNameReply = c.request(&protocol::Command::SetClientName(props))?;
        Ok(c)
    }

    fn request<T: protocol::CommandReply>(&mut self, cmd: &protocol::Command) -> Result<T, AudioError> {
        self.seq += 1;
        let failed = |e: protocol::ProtocolError| AudioError::Open(format!("PulseAudio: {e}"));
        protocol::write_command_message(self.sock.get_mut(), self.seq, cmd, self.version).map_err(failed)?;
        protocol::read_reply_message::<T>(&mut self.sock, self.version).map(|(_, r)| r).map_err(failed)
    }
}

fn source_label(s: &protocol::SourceInfo) -> String {
    s.description.as_ref().unwrap_or(&s.name).to_string_lossy().into_owned()
}

/// Sources the server offers, as "name (description)"; monitors of outputs are left out.
pub fn list() -> Result<Vec<String>, AudioError> {
    let mut c = Connection::open()?;
    let sources: protocol::SourceInfoList = c.request(&protocol::Command::GetSourceInfoList)?;
    Ok(sources.iter().filter(|s| s.monitor_of_sink_index.is_none()).map(|s| format!("{} ({})", s.name.to_string_lossy(), source_label(s))).collect())
}

/// An open record stream.
pub struct PulseStream {
    conn: Connection,
    channel: u32,
    /// What the device is called, for the log and the panel.
    pub name: String,
}

impl PulseStream {
    /// Opens the named source (its name or description), or the default one.
    pub fn open(device: Option<&str>) -> Result<PulseStream, AudioError> {
        let mut c = Connection::open()?;
        let source: protocol::SourceInfo = match device {
            None => c.request(&protocol::Command::GetSourceInfo(protocol::GetSourceInfo { name: Some(protocol::DEFAULT_SOURCE.to_owned()), ..Default::default() }))?,
            Some(want) => {
                let all: protocol::SourceInfoList = c.request(&protocol::Command::GetSourceInfoList)?;
                all.into_iter().find(|s| s.name.to_string_lossy() == want || source_label(s) == want).ok_or_else(|| AudioError::NoSuchDevice(want.to_string()))?
            }
        };
        let params = protocol::RecordStreamParams {
            sample_spec: protocol::SampleSpec { format: protocol::SampleFormat::Float32Le, channels: 1, sample_rate: RATE },
            channel_map: protocol::ChannelMap::mono(),
            source_index: Some(source.index),
            // The server's whole buffer (seconds) behind 100 ms fragments: a busy client is late, never lossy.
            buffer_attr: protocol::stream::BufferAttr { fragment_size: FRAGMENT, ..Default::default() },
            flags: protocol::stream::StreamFlags { adjust_latency: true, ..Default::default() },
            ..Default::default()
        };
        let reply: protocol::CreateRecordStreamReply = c.request(&protocol::Command::CreateRecordStream(params))?;
        if reply.sample_spec.format != protocol::SampleFormat::Float32Le || reply.sample_spec.channels != 1 || reply.sample_spec.sample_rate != RATE {
            return Err(AudioError::Open(format!("PulseAudio gave {:?} instead of 16 kHz mono float", reply.sample_spec)));
        }
        let _ = c.sock.get_ref().set_read_timeout(None);
        Ok(PulseStream { conn: c, channel: reply.channel, name: source_label(&source) })
    }

    /// A handle that ends [`Self::read_loop`] from another thread (by shutting the socket).
    pub fn closer(&self) -> Option<UnixStream> {
        self.conn.sock.get_ref().try_clone().ok()
    }

    /// Reads 16 kHz mono samples until the stream ends, handing each fragment to `deliver`.
    /// Returns why it ended (the server went away, the stream was killed, or it was closed).
    pub fn read_loop(mut self, mut deliver: impl FnMut(Vec<f32>)) -> String {
        let mut buf = Vec::with_capacity(FRAGMENT as usize);
        loop {
            let desc = match protocol::read_descriptor(&mut self.conn.sock) {
                Ok(d) => d,
                Err(e) => return format!("PulseAudio connection lost ({e})"),
            };
            if desc.channel == u32::MAX {
                match protocol::Command::read_tag_prefixed(&mut self.conn.sock, self.conn.version) {
                    Ok((_, protocol::Command::RecordStreamKilled(_))) => return "PulseAudio ended the recording stream (the source went away)".into(),
                    Ok((_, protocol::Command::Overflow(_))) => tracing::warn!("PulseAudio overflow: audio was lost"),
                    Ok(_) => {}
                    Err(e) => return format!("PulseAudio connection lost ({e})"),
                }
                continue;
            }
            buf.resize(desc.length as usize, 0);
            if let Err(e) = self.conn.sock.read_exact(&mut buf) {
                return format!("PulseAudio connection lost ({e})");
            }
            if desc.channel == self.channel {
                deliver(buf.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect());
            }
        }
    }
}
