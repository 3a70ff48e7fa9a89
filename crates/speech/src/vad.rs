//! Voice activity detection: which stretches of a run of 16 kHz audio hold speech, so silence
//! is never transcribed (Whisper invents words in silence, and it costs time). Energy-based,
//! with the threshold set above the run's own noise floor, so it adapts to a quiet room and a
//! noisy one alike; short gaps between words stay inside one stretch.

/// Analysis frame: 30 ms at 16 kHz.
pub const FRAME: usize = 480;
/// Speech must be this far above the noise floor...
const ABOVE_FLOOR_DB: f32 = 12.0;
/// ...and at least this loud.
const MIN_SPEECH_DB: f32 = -50.0;
/// The floor is never taken above this: a run that is all speech (push-to-talk) has no quiet
/// tenth to measure the room by.
const MAX_FLOOR_DB: f32 = -48.0;
/// A stretch ends after this much silence (pauses between words and sentences are shorter).
const HANGOVER_MS: usize = 600;
/// Stretches with less speech than this are clicks and breaths.
const MIN_SPEECH_MS: usize = 200;
/// Kept before each stretch: soft onsets ("now", "I") sit under the threshold, and Whisper
/// drops a first word that starts right at the beginning of its input.
const LEAD_MS: usize = 500;
/// Kept after each stretch, for soft endings.
const TRAIL_MS: usize = 300;
/// Whisper hears 30 s at a time; longer stretches are cut at their quietest point.
pub const MAX_STRETCH_MS: usize = 25_000;

/// A stretch of speech, in samples from the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    pub start: usize,
    pub end: usize,
}

/// A frame's loudness in dBFS.
pub fn frame_db(frame: &[i16]) -> f32 {
    let energy = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / frame.len().max(1) as f64;
    (10.0 * (energy / (32768.0 * 32768.0)).max(1e-10).log10()) as f32
}

/// Stretches of speech in `samples` (16 kHz mono), in order, not overlapping.
pub fn speech_stretches(samples: &[i16]) -> Vec<Stretch> {
    let db: Vec<f32> = samples.chunks(FRAME).map(frame_db).collect();
    if db.is_empty() {
        return vec![];
    }
    let mut sorted = db.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let floor = sorted[sorted.len() / 10].min(MAX_FLOOR_DB);
    let threshold = (floor + ABOVE_FLOOR_DB).max(MIN_SPEECH_DB);
    let speech: Vec<bool> = db.iter().map(|&d| d >= threshold).collect();
    stretches_from_frames(FRAME, &speech, &db, samples.len())
}

/// Stretches from a verdict per frame of `frame` samples (`speech`) and each frame's loudness
/// (`db`, where long stretches are cut): frames of speech joined across gaps shorter than the
/// hangover, too-short ones dropped, a lead and a trail kept. Any frame classifier can use it.
pub fn stretches_from_frames(frame: usize, speech: &[bool], db: &[f32], len: usize) -> Vec<Stretch> {
    let frame_ms = (frame * 1000 / 16_000).max(1);
    let hangover = HANGOVER_MS / frame_ms;
    let mut spans: Vec<(usize, usize, usize)> = vec![]; // (first frame, last frame + 1, speech frames)
    for (i, _) in speech.iter().enumerate().filter(|(_, &s)| s) {
        match spans.last_mut() {
            Some((_, end, n)) if i <= *end + hangover => {
                *end = i + 1;
                *n += 1;
            }
            _ => spans.push((i, i + 1, 1)),
        }
    }
    let (lead, trail) = (LEAD_MS / frame_ms, TRAIL_MS / frame_ms);
    let mut out: Vec<Stretch> = vec![];
    for (a, b, n) in spans {
        if n * frame_ms < MIN_SPEECH_MS {
            continue;
        }
        let (a, b) = (a.saturating_sub(lead), (b + trail).min(speech.len()));
        let stretch = Stretch { start: a * frame, end: (b * frame).min(len) };
        match out.last_mut() {
            Some(prev) if stretch.start <= prev.end => prev.end = stretch.end,
            _ => out.push(stretch),
        }
    }
    out.into_iter().flat_map(|s| split_long(s, frame, db)).collect()
}

/// Cuts a stretch longer than [`MAX_STRETCH_MS`] at the quietest frame of its last third.
fn split_long(s: Stretch, frame: usize, db: &[f32]) -> Vec<Stretch> {
    let max = MAX_STRETCH_MS * 16 / frame * frame;
    if s.end - s.start <= max {
        return vec![s];
    }
    let (lo, hi) = ((s.start + max * 2 / 3) / frame, (s.start + max) / frame);
    let cut = (lo..hi).min_by(|&a, &b| db[a].total_cmp(&db[b])).unwrap_or(hi) * frame;
    let mut out = vec![Stretch { start: s.start, end: cut }];
    out.extend(split_long(Stretch { start: cut, end: s.end }, frame, db));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: usize, amp: f32) -> Vec<i16> {
        (0..ms * 16).map(|i| ((i as f32 * 0.2).sin() * amp * 32767.0) as i16).collect()
    }
    fn noise(ms: usize, amp: f32) -> Vec<i16> {
        let mut x: u32 = 12345;
        (0..ms * 16)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (((x >> 16) as f32 / 32768.0 - 1.0) * amp * 32767.0) as i16
            })
            .collect()
    }

    #[test]
    fn two_sentences_in_a_noisy_room_are_two_stretches() {
        let mut a = noise(1000, 0.01);
        let speech1 = a.len();
        a.extend(tone(1500, 0.3));
        a.extend(noise(300, 0.01)); // a pause between words: same stretch
        a.extend(tone(500, 0.3));
        let end1 = a.len();
        a.extend(noise(2000, 0.01));
        let speech2 = a.len();
        a.extend(tone(800, 0.2));
        let end2 = a.len();
        a.extend(noise(1000, 0.01));
        let s = speech_stretches(&a);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].start <= speech1 && s[0].start + LEAD_MS * 16 + FRAME >= speech1, "{s:?}");
        assert!(s[0].end >= end1 && s[0].end <= end1 + TRAIL_MS * 16 + FRAME, "{s:?}");
        assert!(s[1].start <= speech2 && s[1].end >= end2, "{s:?}");
    }

    #[test]
    fn silence_noise_and_clicks_are_not_speech() {
        assert!(speech_stretches(&vec![0; 48_000]).is_empty());
        assert!(speech_stretches(&noise(3000, 0.02)).is_empty());
        let mut clicks = noise(2000, 0.01);
        clicks.splice(16_000..16_000 + 960, tone(60, 0.5));
        assert!(speech_stretches(&clicks).is_empty());
        assert!(speech_stretches(&[]).is_empty());
    }

    #[test]
    fn a_monologue_longer_than_whisper_hears_is_cut() {
        let a = tone(60_000, 0.3);
        let s = speech_stretches(&a);
        assert!(s.len() >= 3, "{s:?}");
        assert!(s.iter().all(|s| s.end - s.start <= MAX_STRETCH_MS * 16));
        assert_eq!((s[0].start, s.last().unwrap().end), (0, a.len()));
    }
}
