-- 0004: think aloud. The microphone's audio is stored as FLAC chunks of at most half a second
-- (16 kHz mono), committed like every other stream, so a crash loses at most a second.
-- Utterances are what transcription heard, by start time; `corrected` is a reviewer's fix
-- (the audit log keeps what it replaced). `transcriptions` records which model ran, and when.
CREATE TABLE audio_chunks (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t0_us         INTEGER NOT NULL,
    t1_us         INTEGER NOT NULL,
    sample_rate   INTEGER NOT NULL,
    samples       INTEGER NOT NULL,
    flac          BLOB NOT NULL,
    PRIMARY KEY (recording_id, t0_us)
);

CREATE TABLE utterances (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t0_us         INTEGER NOT NULL,
    t1_us         INTEGER NOT NULL,
    text          TEXT NOT NULL,
    words         TEXT NOT NULL DEFAULT '[]',
    corrected     TEXT,
    PRIMARY KEY (recording_id, t0_us)
);

CREATE TABLE transcriptions (
    recording_id  TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    model         TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    audio_us      INTEGER NOT NULL,
    speech_us     INTEGER NOT NULL,
    elapsed_ms    INTEGER NOT NULL
);
