-- 0001: the library index. Never edit a shipped migration; add a new numbered file.
CREATE TABLE recordings (
    id            TEXT PRIMARY KEY,
    task_id       TEXT,
    instruction   TEXT NOT NULL,
    expert_id     TEXT,
    status        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    duration_us   INTEGER NOT NULL DEFAULT 0,
    environment   TEXT NOT NULL,
    outcome       TEXT NOT NULL DEFAULT 'unknown',
    outcome_note  TEXT,
    health        TEXT,
    error         TEXT
);

CREATE TABLE pauses (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t0_us         INTEGER NOT NULL,
    t1_us         INTEGER,
    PRIMARY KEY (recording_id, t0_us)
);

CREATE TABLE frames (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    t_us          INTEGER NOT NULL,
    display_id    INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    encoding      TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    PRIMARY KEY (recording_id, seq)
);
CREATE INDEX frames_by_time ON frames (recording_id, display_id, t_us);

CREATE TABLE input_events (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_us          INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    x             INTEGER NOT NULL,
    y             INTEGER NOT NULL,
    button        TEXT,
    key           TEXT,
    code          INTEGER,
    text          TEXT,
    dx            INTEGER NOT NULL DEFAULT 0,
    dy            INTEGER NOT NULL DEFAULT 0,
    modifiers     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX input_by_time ON input_events (recording_id, t_us);

CREATE TABLE window_events (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_us          INTEGER NOT NULL,
    window_id     INTEGER NOT NULL,
    app           TEXT NOT NULL,
    title         TEXT NOT NULL,
    x             INTEGER NOT NULL,
    y             INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    excluded      INTEGER NOT NULL
);
CREATE INDEX window_by_time ON window_events (recording_id, t_us);

CREATE TABLE notes (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_us          INTEGER NOT NULL,
    text          TEXT NOT NULL,
    source        TEXT NOT NULL
);

CREATE TABLE markers (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_us          INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    label         TEXT
);
