//! Preflight end to end: `apprentice doctor` on a machine that has everything (Xvfb with
//! openbox, a PulseAudio microphone), on one that lacks most things (no RECORD, no MIT-SHM, no
//! window manager, no microphone), and with no display at all. Each check is read from the JSON.

mod support;

use serde_json::Value;
use support::*;

fn doctor(x: Option<&XSession>, library: &std::path::Path, env: &[(String, String)]) -> (bool, Value, String) {
    let mut c = match x {
        Some(x) => x.command(apprentice_bin()),
        None => {
            let mut c = std::process::Command::new(apprentice_bin());
            c.env_remove("DISPLAY");
            c
        }
    };
    let out = c.arg("--library").arg(library).args(["doctor", "--json"]).envs(env.iter().cloned()).output_within("apprentice doctor --json");
    let checks: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.success(), checks, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// (status, summary) of check `id`.
fn check<'a>(checks: &'a Value, id: &str) -> (&'a str, &'a str) {
    let c = checks.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id} check in {checks}"));
    (c["status"].as_str().unwrap(), c["summary"].as_str().unwrap())
}

fn ids(checks: &Value) -> Vec<&str> {
    checks.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[test]
fn on_a_machine_with_everything_every_check_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let x = XSession::start();
    let pulse = PulseSession::start();
    let (ok, checks, stderr) = doctor(Some(&x), &tmp.path().join("lib"), &pulse.env());
    assert_eq!(ids(&checks), ["display", "input", "shared_memory", "window_manager", "microphone", "speech_model", "library", "disk"]);
    assert_eq!(check(&checks, "display"), ("ok", format!("X11 display {}: 1 monitor (1280x800+0+0)", x.display).as_str()));
    assert_eq!(check(&checks, "input").0, "ok");
    assert_eq!(check(&checks, "shared_memory").0, "ok");
    let wm = check(&checks, "window_manager");
    assert!(wm.0 == "ok" && wm.1.starts_with("window manager Openbox:"), "{wm:?}");
    let mic = check(&checks, "microphone");
    assert!(mic.0 == "ok" && mic.1.contains(": live, peak "), "{mic:?}");
    assert_eq!(check(&checks, "speech_model").0, "ok", "scripts/setup installs the model");
    assert_eq!(check(&checks, "library"), ("ok", format!("{}: 0 recordings", tmp.path().join("lib").display()).as_str()));
    assert_ne!(check(&checks, "disk").0, "fail");
    assert!(ok, "nothing failed, so doctor succeeds: {stderr}");
    // Fixes only where something is wrong.
    assert!(checks.as_array().unwrap().iter().all(|c| (c["status"] == "ok") == c["fix"].is_null()), "{checks}");
}

#[test]
fn on_a_poor_machine_each_missing_part_fails_or_warns_with_its_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let x = XSession::start_with(&["-extension", "RECORD", "-extension", "MIT-SHM"], false);
    // A PulseAudio server that is not there, and no sound card.
    let env = vec![("PULSE_SERVER".to_string(), format!("unix:{}", tmp.path().join("none").display()))];
    let (ok, checks, stderr) = doctor(Some(&x), &tmp.path().join("lib"), &env);
    assert!(!ok);
    assert!(stderr.contains("2 checks failed: input, window_manager"), "{stderr}");
    assert_eq!(check(&checks, "display").0, "ok");
    assert_eq!(check(&checks, "input"), ("fail", "the X server has no RECORD extension: input cannot be captured"));
    assert_eq!(check(&checks, "shared_memory").0, "warn");
    assert_eq!(check(&checks, "window_manager").0, "fail");
    let mic = check(&checks, "microphone");
    assert!(mic.0 == "warn" && mic.1.starts_with("no microphone"), "{mic:?}");
    for c in checks.as_array().unwrap().iter().filter(|c| c["status"] != "ok") {
        assert!(c["fix"].as_str().is_some_and(|f| !f.is_empty()), "{c}");
    }
}

#[test]
fn without_a_display_the_display_fails_and_the_rest_is_still_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, checks, stderr) = doctor(None, &tmp.path().join("lib"), &[]);
    assert!(!ok && stderr.contains("1 check failed: display"), "{stderr}");
    assert_eq!(ids(&checks), ["display", "microphone", "speech_model", "library", "disk"]);
    assert!(check(&checks, "display").1.contains("$DISPLAY is not set"));
}
