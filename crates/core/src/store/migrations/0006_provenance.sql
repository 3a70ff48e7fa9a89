-- 0006: provenance. Every batch the writer commits during a recording extends the capture chain
-- (provenance::chain): its rows per stream and the link after it. At stop, or at recovery after
-- a crash, the recording is sealed: the seal's JSON and the station's signature over it.
CREATE TABLE capture_chain (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    input         INTEGER NOT NULL,
    window        INTEGER NOT NULL,
    notes         INTEGER NOT NULL,
    markers       INTEGER NOT NULL,
    frames        INTEGER NOT NULL,
    audio         INTEGER NOT NULL,
    link          TEXT NOT NULL,
    -- JSON: per stream with rows in the batch, the sha256 of its rows (hex), as the link hashes it.
    digests       TEXT NOT NULL,
    PRIMARY KEY (recording_id, seq)
);

CREATE TABLE seals (
    recording_id  TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    seal          TEXT NOT NULL
);
