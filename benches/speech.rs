//! Think-aloud benchmarks (not tests): run with `cargo bench --bench speech` (release). Needs the
//! Whisper model scripts/install-model installs, espeak-ng, ffmpeg, PulseAudio and Xvfb.
//!
//! 1. Transcription speed on this machine: real-time factor (compute seconds per second of
//!    audio) of the pipeline (VAD, then Whisper on each stretch of speech, its encoder sized to
//!    the stretch) at 2 and 1 threads, beam search and greedy, against whisper.cpp on the whole
//!    audio without VAD, in the same run; and word error rate, also over the same audio shifted
//!    by a few milliseconds (greedy decoding flips words on such shifts).
//! 2. The recorder's CPU with the microphone on versus off, recording the same idle desktop
//!    while speech plays into the microphone (a private PulseAudio null sink).
//! 3. Audio bytes per hour as stored (16 kHz mono FLAC chunks).
//!
//! `BENCH_SECONDS` sets the recording sessions' length (default 30). Prints a Markdown report.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apprentice_speech::{self as speech, model, vad, Decoding, Transcriber};
use support::*;

/// What the expert says, one sentence at a time, with pauses between.
const CORPUS: [&str; 8] = [
    "I open the settings because the export option lives there.",
    "Now I type the name of the customer into the search field.",
    "The first result is an old account, so I skip it.",
    "I scroll down until the invoices from March are visible.",
    "This total looks wrong, so I check the tax rate first.",
    "The tax rate is fine, the discount was applied twice.",
    "I remove the second discount and save the invoice.",
    "Finally I export the report as a spreadsheet for the team.",
];
const GAP_SECONDS: f64 = 1.5;
/// The corpus is also transcribed starting 5, 10, … ms later, to measure stability.
const SHIFTS: usize = 5;

/// The recorder's resampler before: each output the mean of the input it covers (a box filter,
/// which lets 8–11 kHz fold back onto speech). Kept here as the baseline.
fn area_average(input: &[f32], from: u32, to: u32) -> Vec<i16> {
    let step = f64::from(from) / f64::from(to);
    let mut out = vec![];
    let mut pos = 0.0;
    while pos + step <= input.len() as f64 {
        let (a, b) = (pos.floor() as usize, ((pos + step).ceil() as usize).min(input.len()));
        let mean = input[a..b].iter().sum::<f32>() / (b - a) as f32;
        out.push((mean.clamp(-1.0, 1.0) * 32767.0).round() as i16);
        pos += step;
    }
    out
}

/// rubato's synchronous FFT resampler over a whole clip (its best quality for a fixed ratio).
fn by_rubato(input: &[f32], from: u32, to: u32) -> Vec<i16> {
    use rubato::audioadapter_buffers::direct::InterleavedSlice;
    use rubato::{Fft, FixedSync, Resampler};
    let mut r = Fft::<f32>::new(from as usize, to as usize, 1024, 1, FixedSync::Both).expect("rubato resampler");
    let clip = InterleavedSlice::new(input, 1, input.len()).expect("one channel");
    let out = r.process_all(&clip, input.len(), None).expect("rubato");
    out.take_data().into_iter().map(|v| (v.clamp(-1.0, 1.0) * 32767.0).round() as i16).collect()
}

/// The corpus as 16 kHz mono samples (espeak-ng at 22.05 kHz): resampled by ffmpeg, by the
/// recorder's own resampler (what a microphone that cannot give 16 kHz goes through), by a
/// plain area average, and by rubato; and how long the recorder's and rubato's resamplers took.
fn corpus_audio(dir: &std::path::Path) -> ([Vec<i16>; 4], [f64; 2]) {
    let gap = || std::iter::repeat_n(0i16, (GAP_SECONDS * 16_000.0) as usize);
    let [mut by_ffmpeg, mut by_recorder, mut by_average, mut rubato]: [Vec<i16>; 4] = [gap().collect(), gap().collect(), gap().collect(), gap().collect()];
    let mut spent = [0.0; 2];
    for (i, text) in CORPUS.iter().enumerate() {
        let wav = dir.join(format!("s{i}.wav"));
        let raw = dir.join(format!("s{i}.raw"));
        assert!(Command::new("espeak-ng").args(["-s", "150", "-w"]).arg(&wav).arg(text).status().expect("espeak-ng").success());
        assert!(Command::new("ffmpeg").args(["-loglevel", "error", "-y", "-i"]).arg(&wav).args(["-ar", "16000", "-ac", "1", "-f", "s16le"]).arg(&raw).status().expect("ffmpeg").success());
        let bytes = std::fs::read(&raw).expect("raw");
        by_ffmpeg.extend(bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])));
        by_ffmpeg.extend(gap());
        let wav = std::fs::read(&wav).expect("wav");
        let voice: Vec<f32> = wav[44..].chunks_exact(2).map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0).collect();
        // The recorder's resampler as it runs: fed the microphone's 10 ms buffers.
        let t = Instant::now();
        let mut resampler = apprentice_capture::audio::Resampler::new(22_050, 16_000);
        for buffer in voice.chunks(221) {
            by_recorder.extend(resampler.push(buffer));
        }
        spent[0] += t.elapsed().as_secs_f64();
        by_recorder.extend(gap());
        by_average.extend(area_average(&voice, 22_050, 16_000));
        by_average.extend(gap());
        let t = Instant::now();
        rubato.extend(by_rubato(&voice, 22_050, 16_000));
        spent[1] += t.elapsed().as_secs_f64();
        rubato.extend(gap());
    }
    for all in [&mut by_ffmpeg, &mut by_recorder, &mut by_average, &mut rubato] {
        add_room_noise(all);
    }
    ([by_ffmpeg, by_recorder, by_average, rubato], spent)
}

/// Which voice activity detector finds the stretches Whisper hears.
#[derive(Clone, Copy, PartialEq)]
enum Vad {
    /// None: Whisper hears all the audio.
    Off,
    /// Apprentice's energy VAD (`apprentice_speech::vad`).
    Energy,
    /// earshot's neural VAD (16 ms frames, score ≥ 0.5), into the same stretch rules.
    Earshot,
}

fn earshot_stretches(samples: &[i16]) -> Vec<vad::Stretch> {
    const FRAME: usize = 256;
    let mut detector = earshot::Detector::default();
    let frames: Vec<&[i16]> = samples.chunks(FRAME).collect();
    let speech: Vec<bool> = frames.iter().map(|f| f.len() == FRAME && detector.predict_i16(f) >= 0.5).collect();
    let db: Vec<f32> = frames.iter().map(|f| vad::frame_db(f)).collect();
    vad::stretches_from_frames(FRAME, &speech, &db, samples.len())
}

fn transcript(t: &Transcriber, samples: &[i16], vad: Vad) -> (String, f64) {
    let start = Instant::now();
    let utterances = match vad {
        Vad::Off => t.transcribe(0, samples).expect("transcribe"),
        Vad::Energy => speech::transcribe_stretches(t, &speech::speech_in(0, samples), &mut |_, _| {}).expect("transcribe"),
        Vad::Earshot => {
            let stretches: Vec<(u64, &[i16])> = earshot_stretches(samples).into_iter().map(|s| (s.start as u64 * 1_000_000 / 16_000, &samples[s.start..s.end])).collect();
            speech::transcribe_stretches(t, &stretches, &mut |_, _| {}).expect("transcribe")
        }
    };
    let secs = start.elapsed().as_secs_f64();
    (utterances.iter().map(|u| u.text.as_str()).collect::<Vec<_>>().join(" "), secs)
}

struct Session {
    cpu_pct: f64,
    audio_s: f64,
    audio_bytes: u64,
}

/// Records the idle desktop for `secs` while `speak` plays into the microphone.
fn record(x: &XSession, pulse: &PulseSession, lib: &std::path::Path, audio: bool, secs: u64, corpus_wav: &std::path::Path) -> Session {
    let mut args = vec!["record", "--task", "benchmark"];
    if audio {
        args.push("--audio");
    }
    let child = x.command(apprentice_bin()).arg("--library").arg(lib).args(&args).envs(pulse.env()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("apprentice");
    let pid = child.id();
    // Speech plays throughout, whether or not the recorder listens.
    let mut player =
        Command::new("sh").arg("-c").arg(format!("while true; do paplay -d mic {}; done", corpus_wav.display())).envs(pulse.env()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("paplay");
    std::thread::sleep(Duration::from_millis(2000));
    let (cpu0, _) = proc_usage(pid);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let (cpu1, _) = proc_usage(pid);
    let elapsed = t0.elapsed().as_secs_f64();
    let _ = Command::new("pkill").args(["-P", &player.id().to_string()]).status();
    let _ = player.kill();
    let _ = player.wait();
    assert!(cli(lib, &["stop"]).status.success());
    let out = child.wait_with_output().expect("recorder");
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let library = apprentice_core::store::Library::open(lib).expect("library");
    let stats = library.audio_stats(&id).expect("audio stats");
    Session { cpu_pct: (cpu1 - cpu0) / elapsed * 100.0, audio_s: stats.audio_us as f64 / 1e6, audio_bytes: stats.bytes }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let path = model::resolve(None);
    let tmp = tempfile::tempdir().expect("tmp");
    let ([samples, resampled, averaged, rubato], [recorder_s, rubato_s]) = corpus_audio(tmp.path());
    let audio_s = samples.len() as f64 / 16_000.0;
    let said = CORPUS.join(" ");
    let speech_s: f64 = vad::speech_stretches(&samples).iter().map(|s| (s.end - s.start) as f64 / 16_000.0).sum();

    println!("# Think-aloud benchmark\n");
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())))
        .unwrap_or_default();
    println!(
        "Machine: {cpu}, {} cores. Model: {} ({:.0} MB). Corpus: {} espeak-ng sentences, {audio_s:.1} s of audio, {speech_s:.1} s of it in VAD stretches.\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        path.display(),
        std::fs::metadata(&path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0),
        CORPUS.len()
    );
    println!("## Transcription\n");
    println!("| pipeline | decoding | threads | compute | RTF (per second of audio) | WER | WER over {SHIFTS} start shifts (mean / worst) |");
    println!("|---|---|---|---|---|---|---|");
    let mut rows = vec![];
    let setups: [(&str, Decoding, usize, Vad, &[i16]); 8] = [
        ("VAD + Whisper (Apprentice)", Decoding::Greedy, 2, Vad::Energy, &samples),
        ("VAD + Whisper (Apprentice)", Decoding::Greedy, 1, Vad::Energy, &samples),
        ("VAD + Whisper", Decoding::Beam(5), 2, Vad::Energy, &samples),
        ("Whisper on all the audio, no VAD (baseline)", Decoding::Greedy, 2, Vad::Off, &samples),
        ("earshot's neural VAD + Whisper", Decoding::Greedy, 2, Vad::Earshot, &samples),
        ("VAD + Whisper, resampled by the recorder instead of ffmpeg", Decoding::Greedy, 2, Vad::Energy, &resampled),
        ("VAD + Whisper, resampled by rubato (FFT) instead of ffmpeg", Decoding::Greedy, 2, Vad::Energy, &rubato),
        ("VAD + Whisper, resampled by a plain area average (the recorder before)", Decoding::Greedy, 2, Vad::Energy, &averaged),
    ];
    for (label, decoding, threads, vad, samples) in setups {
        let t = Transcriber::load(&path, threads).expect("the Whisper model (scripts/install-model)").with_decoding(decoding);
        // The same audio starting 0, 5, 10… ms later: where the VAD's frames and Whisper's
        // windows fall moves, as it does from one recording to the next.
        let mut wers = vec![];
        let mut compute = 0.0;
        for shift in 0..SHIFTS {
            let shifted: Vec<i16> = std::iter::repeat_n(0i16, shift * 80).chain(samples.iter().copied()).collect();
            let (heard, secs) = transcript(&t, &shifted, vad);
            if shift == 0 {
                compute = secs;
                eprintln!("{label}, {decoding:?}, {threads} threads, heard: {heard}");
            }
            wers.push(word_error_rate(&said, &heard));
        }
        let mean = wers.iter().sum::<f64>() / wers.len() as f64;
        let worst = wers.iter().copied().fold(0.0, f64::max);
        println!("| {label} | {decoding:?} | {threads} | {compute:.1} s | {:.3} | {:.1}% | {:.1}% / {:.1}% |", compute / audio_s, wers[0] * 100.0, mean * 100.0, worst * 100.0);
        rows.push(compute);
    }
    println!("\nVAD + Whisper is {:.1}× faster than Whisper on all the audio (same model, decoding and threads); beam search costs {:.1}× greedy.\n", rows[3] / rows[0], rows[2] / rows[0]);
    let (energy_t, earshot_t) = {
        let t = Instant::now();
        let a = vad::speech_stretches(&samples);
        let energy = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let b = earshot_stretches(&samples);
        let earshot = t.elapsed().as_secs_f64();
        eprintln!("stretches: energy {a:?}, earshot {b:?}");
        (energy, earshot)
    };
    println!("## Voice activity detection and resampling, cost\n");
    println!("| stage | what | time over the corpus ({audio_s:.1} s of audio) | RTF |");
    println!("|---|---|---|---|");
    println!("| VAD | Apprentice's energy VAD | {:.2} ms | {:.5} |", energy_t * 1e3, energy_t / audio_s);
    println!("| VAD | earshot (neural) | {:.2} ms | {:.5} |", earshot_t * 1e3, earshot_t / audio_s);
    println!("| resampling 22.05 → 16 kHz (the speech only) | the recorder's windowed sinc, in 10 ms buffers | {:.2} ms | – |", recorder_s * 1e3);
    println!("| resampling 22.05 → 16 kHz (the speech only) | rubato FFT, whole clips | {:.2} ms | – |\n", rubato_s * 1e3);

    if secs == 0 {
        return; // BENCH_SECONDS=0: transcription only
    }
    println!("## Recording with the microphone on and off\n");
    let x = XSession::start_sized("1920x1080x24", &[], true);
    let pulse = PulseSession::start();
    let corpus_wav = tmp.path().join("corpus.wav");
    std::fs::write(&corpus_wav, apprentice_core::store::audio_codec::wav(&samples, 16_000)).expect("corpus wav");
    let off = record(&x, &pulse, &tmp.path().join("off"), false, secs, &corpus_wav);
    let on = record(&x, &pulse, &tmp.path().join("on"), true, secs, &corpus_wav);
    println!("| session ({secs} s, idle 1080p desktop, speech playing) | recorder CPU (% of a core) |");
    println!("|---|---|");
    println!("| microphone off | {:.2}% |", off.cpu_pct);
    println!("| microphone on | {:.2}% |", on.cpu_pct);
    println!("\nThe microphone adds {:.2} points of one core.\n", on.cpu_pct - off.cpu_pct);
    println!("## Audio on disk\n");
    let per_hour = on.audio_bytes as f64 / on.audio_s * 3600.0;
    println!(
        "{:.1} s of audio stored in {} bytes: **{:.1} MB per hour** of think-aloud (16 kHz mono FLAC in 0.5 s chunks; raw 16-bit PCM would be 115.2 MB).",
        on.audio_s,
        on.audio_bytes,
        per_hour / 1e6
    );
}
