-- 0004: uploads and the recordings they deliver. An upload is one station's announcement of one
-- recording with given content (its library's sha256), so announcing it again continues it;
-- its files are received into object storage under uploads/<id>/ and listed in upload_files.
-- On completion the hub verifies seal, chain and station key, and only then moves the files
-- to media/ and recordings/ (media: what the store holds, shared by recordings) and indexes the
-- recording; a refused upload's files are deleted.
ALTER TABLE stations ADD COLUMN queue_depth INTEGER NOT NULL DEFAULT 0;

CREATE TABLE uploads (
    id              BIGSERIAL PRIMARY KEY,
    station_id      BIGINT NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    recording_id    TEXT NOT NULL,
    campaign_id     BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    task_id         TEXT NOT NULL,
    library_sha256  TEXT NOT NULL,
    library_bytes   BIGINT NOT NULL,
    media           JSONB NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'complete', 'refused')),
    problems        JSONB NOT NULL DEFAULT '[]',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (station_id, recording_id, library_sha256)
);

CREATE TABLE upload_files (
    upload_id    BIGINT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    sha256       TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (upload_id, sha256)
);

CREATE TABLE media (
    sha256     TEXT PRIMARY KEY,
    ext        TEXT NOT NULL,
    bytes      BIGINT NOT NULL,
    stored_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE recordings (
    id                     TEXT PRIMARY KEY,
    station_id             BIGINT NOT NULL REFERENCES stations(id),
    user_id                BIGINT NOT NULL REFERENCES users(id),
    campaign_id            BIGINT NOT NULL REFERENCES campaigns(id),
    task_id                TEXT NOT NULL,
    instruction            TEXT NOT NULL,
    sealed                 TEXT NOT NULL,
    started_at             TEXT NOT NULL,
    duration_us            BIGINT NOT NULL,
    steps                  INTEGER NOT NULL,
    input_events           BIGINT NOT NULL,
    frames                 BIGINT NOT NULL,
    media_bytes            BIGINT NOT NULL,
    outcome                TEXT NOT NULL,
    synthetic_input_share  DOUBLE PRECISION NOT NULL,
    quality                JSONB NOT NULL,
    chain_head             TEXT NOT NULL,
    library_sha256         TEXT NOT NULL,
    upload_id              BIGINT NOT NULL REFERENCES uploads(id),
    received_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX recordings_by_campaign ON recordings (campaign_id, task_id);
CREATE INDEX recordings_by_user ON recordings (user_id);
