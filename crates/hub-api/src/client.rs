//! The hub's API as the command line calls it (`apprentice-hub user …`, later the station's
//! `push`): blocking HTTP with the bearer token, errors carrying the hub's own message. Not its
//! job: printing (main.rs).

use anyhow::{bail, Context, Result};
use serde::de::DeserializeOwned;

pub struct HubClient {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl HubClient {
    pub fn new(base: &str, token: &str) -> HubClient {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(std::time::Duration::from_secs(60))).build().into();
        HubClient { base: base.trim_end_matches('/').to_string(), token: token.to_string(), agent }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn answer<T: DeserializeOwned>(&self, what: &str, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<T> {
        let mut response = result.with_context(|| format!("cannot reach the hub at {} ({what})", self.base))?;
        let status = response.status();
        let text = response.body_mut().read_to_string().with_context(|| format!("{what}: the hub's answer was cut off"))?;
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["error"].as_str().map(String::from)).unwrap_or(text);
            bail!("{what}: the hub said {} ({message})", status.as_u16());
        }
        let body = if text.is_empty() { "null" } else { text.as_str() };
        serde_json::from_str(body).with_context(|| format!("{what}: the hub's answer is not what this client expects"))
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T> {
        self.answer(what, self.agent.get(&self.url(path)).header("Authorization", &format!("Bearer {}", self.token)).call())
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value, what: &str) -> Result<T> {
        self.answer(what, self.agent.post(&self.url(path)).header("Authorization", &format!("Bearer {}", self.token)).send_json(body))
    }
}
