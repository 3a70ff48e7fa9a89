-- 0003: review. Labels and the trajectory review hold the current state; review_log is the
-- audit log (append-only, entries are marked undone, never deleted), and the step edits in it
-- (delete, merge, split, fix an action) are replayed over the segmentation, which stays derived.
CREATE TABLE step_labels (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    step_t_us     INTEGER NOT NULL,
    label         TEXT NOT NULL,
    PRIMARY KEY (recording_id, step_t_us)
);

CREATE TABLE trajectory_reviews (
    recording_id  TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    verdict       TEXT,
    review        TEXT NOT NULL
);

CREATE TABLE review_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    reviewer      TEXT NOT NULL,
    change        TEXT NOT NULL,
    undone        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX review_log_by_recording ON review_log (recording_id, seq);
