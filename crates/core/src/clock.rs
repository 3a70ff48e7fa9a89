//! One monotonic clock for every stream of a recording. Frames, input, window changes, notes,
//! markers and pauses are all stamped in microseconds since the recording started, so they can
//! be aligned exactly. The clock keeps running through pauses: a pause is a span in which
//! nothing is captured, not a hole in time.

use std::time::Instant;

use crate::model::Micros;

#[derive(Debug, Clone, Copy)]
pub struct RecordingClock {
    origin: Instant,
}

impl RecordingClock {
    pub fn start() -> Self {
        Self { origin: Instant::now() }
    }

    /// Microseconds since the recording started.
    pub fn now(&self) -> Micros {
        self.at(Instant::now())
    }

    /// The recording time of an instant stamped elsewhere (e.g. in an input callback).
    pub fn at(&self, instant: Instant) -> Micros {
        instant.saturating_duration_since(self.origin).as_micros() as Micros
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic_and_in_micros() {
        let clock = RecordingClock::start();
        let a = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = clock.now();
        assert!(b >= a + 5_000, "{a} -> {b}");
        assert!(b < a + 1_000_000);
    }
}
