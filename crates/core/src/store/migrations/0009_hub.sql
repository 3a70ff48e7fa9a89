-- 0009: recordings made for a hub. `campaign`: the hub campaign a recording's task belongs to
-- (model::Task::campaign), NULL for a task typed on the station. `upload_queue`: what this
-- station still has to send to which hub, kept across restarts; station-local, never part of
-- an extracted recording (store::portable).
ALTER TABLE recordings ADD COLUMN campaign TEXT;

CREATE TABLE upload_queue (
    recording_id  TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    hub           TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'refused')),
    upload_id     INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    queued_at     TEXT NOT NULL,
    sent_at       TEXT
);
