//! The hub's API as clients call it (`apprentice-hub user …`, the station's `join`, `tasks`,
//! `push`): blocking HTTP with the bearer token; errors say whether trying again can help
//! ([`HubError::is_transient`]) and carry the hub's own message. Files are streamed from disk,
//! optionally at a limited rate. Not its job: printing, or deciding when to retry.

use std::io::Read;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("cannot reach the hub at {hub} ({what}): {message}")]
    Unreachable { hub: String, what: String, message: String },
    #[error("{what}: the hub said {status} ({message})")]
    Status { what: String, status: u16, message: String },
    #[error("{what}: {message}")]
    Answer { what: String, message: String },
    #[error("{what}: {path}: {source}")]
    File { what: String, path: String, source: std::io::Error },
}

impl HubError {
    /// Whether the same request may succeed later: the hub unreachable, overloaded or failing.
    pub fn is_transient(&self) -> bool {
        match self {
            HubError::Unreachable { .. } | HubError::Answer { .. } => true,
            HubError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            HubError::File { .. } => false,
        }
    }
    pub fn status(&self) -> Option<u16> {
        match self {
            HubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub type HubResult<T> = Result<T, HubError>;

/// Percent-encodes a query or path value.
pub fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

pub struct HubClient {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl HubClient {
    pub fn new(base: &str, token: &str) -> HubClient {
        // No overall deadline (a big file at a limited rate takes long); a dead connection ends
        // with an error, and the hub answers within minutes once a body is in.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(600)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .build()
            .into();
        HubClient { base: base.trim_end_matches('/').to_string(), token: token.to_string(), agent }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    fn answer<T: DeserializeOwned>(&self, what: &str, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> HubResult<T> {
        let mut response = result.map_err(|e| HubError::Unreachable { hub: self.base.clone(), what: what.to_string(), message: e.to_string() })?;
        let status = response.status();
        let text = response.body_mut().read_to_string().map_err(|e| HubError::Answer { what: what.to_string(), message: format!("the hub's answer was cut off ({e})") })?;
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["error"].as_str().map(String::from)).unwrap_or(text);
            return Err(HubError::Status { what: what.to_string(), status: status.as_u16(), message });
        }
        let body = if text.is_empty() { "null" } else { text.as_str() };
        serde_json::from_str(body).map_err(|e| HubError::Answer { what: what.to_string(), message: format!("the hub's answer is not what this client expects ({e})") })
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str, what: &str) -> HubResult<T> {
        self.answer(what, self.agent.get(&self.url(path)).header("Authorization", &self.bearer()).call())
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value, what: &str) -> HubResult<T> {
        self.answer(what, self.agent.post(&self.url(path)).header("Authorization", &self.bearer()).send_json(body))
    }

    pub fn put<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value, what: &str) -> HubResult<T> {
        self.answer(what, self.agent.put(&self.url(path)).header("Authorization", &self.bearer()).send_json(body))
    }

    pub fn delete<T: DeserializeOwned>(&self, path: &str, what: &str) -> HubResult<T> {
        self.answer(what, self.agent.delete(&self.url(path)).header("Authorization", &self.bearer()).call())
    }

    /// PUTs a file's bytes, at most `bytes_per_second` when given.
    pub fn put_file<T: DeserializeOwned>(&self, path: &str, file: &std::path::Path, bytes_per_second: Option<u64>, what: &str) -> HubResult<T> {
        let f = std::fs::File::open(file).map_err(|e| HubError::File { what: what.to_string(), path: file.display().to_string(), source: e })?;
        let len = f.metadata().map(|m| m.len()).map_err(|e| HubError::File { what: what.to_string(), path: file.display().to_string(), source: e })?;
        let mut reader = Throttled { inner: f, rate: bytes_per_second.filter(|r| *r > 0), start: Instant::now(), sent: 0 };
        let request = self.agent.put(&self.url(path)).header("Authorization", &self.bearer()).header("Content-Type", "application/octet-stream").header("Content-Length", &len.to_string());
        self.answer(what, request.send(ureq::SendBody::from_reader(&mut reader)))
    }
}

/// A reader that keeps to a byte rate (sleeping as needed).
struct Throttled<R> {
    inner: R,
    rate: Option<u64>,
    start: Instant,
    sent: u64,
}

impl<R: Read> Read for Throttled<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(rate) = self.rate else { return self.inner.read(buf) };
        // Small reads, so the rate holds within a fraction of a second.
        let chunk = ((rate / 20) as usize).max(1).min(buf.len());
        let n = self.inner.read(&mut buf[..chunk])?;
        self.sent += n as u64;
        let due = Duration::from_secs_f64(self.sent as f64 / rate as f64);
        if let Some(wait) = due.checked_sub(self.start.elapsed()) {
            std::thread::sleep(wait);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_reader_keeps_to_its_rate_and_passes_every_byte() {
        let data: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
        let mut r = Throttled { inner: &data[..], rate: Some(100_000), start: Instant::now(), sent: 0 };
        let mut out = vec![];
        let t = Instant::now();
        r.read_to_end(&mut out).expect("read");
        assert_eq!(out, data);
        // 20 kB at 100 kB/s: at least 0.2 s (an upper bound would be a timing test).
        assert!(t.elapsed() >= Duration::from_millis(190), "{:?}", t.elapsed());
    }

    #[test]
    fn transient_errors_are_the_ones_worth_retrying() {
        let status = |s| HubError::Status { what: "x".into(), status: s, message: String::new() };
        assert!(status(503).is_transient());
        assert!(status(500).is_transient());
        assert!(!status(403).is_transient());
        assert!(!status(422).is_transient());
        assert!(HubError::Unreachable { hub: "h".into(), what: "x".into(), message: "refused".into() }.is_transient());
        assert_eq!(encode("a b/ü"), "a%20b%2F%C3%BC");
    }
}
