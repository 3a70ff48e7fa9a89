//! `apprentice keys show` and `apprentice verify`: the station key, and checking an export
//! directory or a recording (`apprentice_core::verify`). Printing only.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use apprentice_core::provenance::keys::StationKey;
use apprentice_core::store::Library;
use apprentice_core::verify;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print this station's public key and its fingerprint (the key is made on first use).
    /// The output is a trust file for `verify --trust`.
    Show {
        #[arg(long)]
        json: bool,
    },
}

pub fn keys(cmd: KeysCommand, out: &mut impl Write) -> Result<()> {
    match cmd {
        KeysCommand::Show { json } => {
            let key = StationKey::load_or_create_default()?;
            if json {
                let v = serde_json::json!({ "public_key": key.public_hex(), "fingerprint": key.fingerprint(), "file": key.path() });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "public key:  {}", key.public_hex())?;
                writeln!(out, "fingerprint: {}", key.fingerprint())?;
                writeln!(out, "# private key: {} (never shared)", key.path().display())?;
            }
        }
    }
    Ok(())
}

/// The public keys (64 hex digits each) named in trust files: any text, e.g. `keys show`'s.
pub fn trusted_keys(files: &[PathBuf]) -> Result<Vec<String>> {
    let mut keys = vec![];
    for f in files {
        let text = std::fs::read_to_string(f).with_context(|| format!("cannot read the trust file {}", f.display()))?;
        let found: Vec<String> = text.split(|c: char| !c.is_ascii_hexdigit()).filter(|w| w.len() == 64).map(str::to_lowercase).collect();
        if found.is_empty() {
            bail!("{} names no public key (64 hex digits; `apprentice keys show` prints one)", f.display());
        }
        keys.extend(found);
    }
    Ok(keys)
}

/// Prints the problems of a report and fails when there are any.
fn finish(problems: &[verify::Problem], what: &str, json: bool, out: &mut impl Write) -> Result<()> {
    if !json {
        for p in problems {
            writeln!(out, "  PROBLEM {}: expected {}; found {}", p.what, p.expected, p.found)?;
        }
        if problems.is_empty() {
            writeln!(out, "  ok: everything is as it was signed")?;
        }
    }
    if !problems.is_empty() {
        bail!("{what} does not verify: {} problem{}", problems.len(), if problems.len() == 1 { "" } else { "s" });
    }
    Ok(())
}

/// Verifies an export directory (by its manifest) or a recording of the library (by its chain
/// and seal); fails, after printing, when anything does not hold.
/// With `max_synthetic`, a recording whose injected input exceeds that share is a problem too.
pub fn verify(library: &Path, target: &str, trust: &[PathBuf], max_synthetic: Option<f64>, json: bool, out: &mut impl Write) -> Result<()> {
    let trusted = trusted_keys(trust)?;
    if let Some(m) = max_synthetic {
        if !(0.0..=1.0).contains(&m) {
            bail!("--max-synthetic takes a share from 0 to 1 (e.g. 0.05 for 5%), not {m}");
        }
    }
    if Path::new(target).is_dir() {
        let mut report = verify::directory(Path::new(target), &trusted);
        if let Some(max) = max_synthetic {
            let over: Vec<_> = report.seals.iter().filter_map(|s| s.input_origins.over(max, &format!("recording {}", s.recording_id))).collect();
            report.problems.extend(over);
            report.ok = report.problems.is_empty();
        }
        if json {
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        } else {
            let signer = report.fingerprint.as_deref().map(|f| format!("signed by {f}{}", if report.trusted == Some(true) { " (trusted)" } else { "" })).unwrap_or_else(|| "unsigned".into());
            writeln!(out, "export {} ({}): {signer}; {} files, {:.1} MB hashed", report.dir.display(), report.format.as_deref().unwrap_or("?"), report.files, report.bytes as f64 / 1e6)?;
            for s in &report.seals {
                let at = if s.bundle.is_empty() { String::new() } else { format!(" ({})", s.bundle) };
                writeln!(
                    out,
                    "  recording {}{at}: sealed {} by station {}; injected input {:.1}%",
                    s.recording_id,
                    format!("{:?}", s.sealed).to_lowercase(),
                    s.fingerprint,
                    s.input_origins.synthetic_share() * 100.0
                )?;
            }
        }
        return finish(&report.problems, &format!("export {target}"), json, out);
    }
    let lib = Library::open(library).with_context(|| format!("cannot open the library at {}", library.display()))?;
    let mut report = verify::recording(&lib, target, &trusted)?;
    if let Some(p) = max_synthetic.and_then(|max| report.input_origins.over(max, &format!("recording {}", report.recording_id))) {
        report.problems.push(p);
        report.ok = false;
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let sealed = match (&report.sealed, &report.fingerprint) {
            (Some(kind), Some(fp)) => format!("sealed {} by station {fp}{}", format!("{kind:?}").to_lowercase(), if report.trusted == Some(true) { " (trusted)" } else { "" }),
            _ => "not sealed".into(),
        };
        let r = &report.rows;
        writeln!(out, "recording {}: {sealed}", report.recording_id)?;
        writeln!(
            out,
            "  {} batches; {} input events, {} window events, {} notes, {} markers, {} frames, {} audio chunks; {} media files ({:.1} MB) hashed",
            report.batches,
            r.input,
            r.window,
            r.notes,
            r.markers,
            r.frames,
            r.audio,
            report.media_files,
            report.media_bytes as f64 / 1e6
        )?;
        let o = &report.input_origins;
        writeln!(out, "  input: {} events from a device, {} injected ({:.1}%), {} of unknown origin", o.device, o.injected, o.synthetic_share() * 100.0, o.unknown)?;
    }
    finish(&report.problems, &format!("recording {}", report.recording_id), json, out)
}
