//! `apprentice doctor [--json]`: everything a recording needs from this machine, checked before
//! the first one — display and extensions, window manager, microphone, speech model, library
//! and free disk — each with its fix. The desktop app's check list calls [`checks`] too. The
//! checks themselves live with what they check (capture, speech, store).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Result};

use apprentice_core::model::{Check, CheckStatus};

/// Every preflight check, in the order a person reads them.
pub fn checks(library: &Path, model: Option<&Path>) -> Vec<Check> {
    let mut all = apprentice_capture::preflight::checks();
    all.push(apprentice_speech::model::preflight(model));
    all.extend(apprentice_core::store::preflight::checks(library));
    all
}

/// Prints the checks (a table, or JSON); fails, after printing, when any check failed.
pub fn run(library: &Path, model: Option<&Path>, json: bool, out: &mut impl Write) -> Result<()> {
    let all = checks(library, model);
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
    } else {
        for c in &all {
            let mark = match c.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
            };
            writeln!(out, "{mark}  {:<15} {}", c.id, c.summary)?;
            if let Some(fix) = &c.fix {
                writeln!(out, "      {:<15} fix: {fix}", "")?;
            }
        }
    }
    let failed: Vec<&str> = all.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.id.as_str()).collect();
    if !failed.is_empty() {
        bail!("{} check{} failed: {}", failed.len(), if failed.len() == 1 { "" } else { "s" }, failed.join(", "));
    }
    Ok(())
}
