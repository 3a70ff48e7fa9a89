-- 0002: segmentation results. Derived data: replaced whenever a recording is re-segmented;
-- the raw streams above are never changed by it.
CREATE TABLE segmentations (
    recording_id   TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    rules_version  INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    quality        TEXT NOT NULL
);

CREATE TABLE steps (
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    t_start_us    INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (recording_id, idx)
);
