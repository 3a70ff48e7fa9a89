-- 0012: accessibility context (AT-SPI): the focused element as it changed, and the element under
-- each press, one row each (model::A11yEvent; the element as JSON).
CREATE TABLE a11y_events (
    recording_id TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_us         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    element      TEXT NOT NULL
);
CREATE INDEX a11y_events_by_recording ON a11y_events (recording_id, t_us);
