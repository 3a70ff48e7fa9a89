-- 0002: campaigns, their task catalog (each edit a new version, the old kept), and which expert
-- is assigned which task. A campaign's consent text is kept with its version and sha256.
CREATE TABLE campaigns (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    reviews          INTEGER NOT NULL DEFAULT 1 CHECK (reviews BETWEEN 1 AND 20),
    consent_text     TEXT,
    consent_version  INTEGER NOT NULL DEFAULT 0,
    consent_sha256   TEXT,
    created_by       BIGINT REFERENCES users(id),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    spec         JSONB NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

CREATE TABLE task_versions (
    campaign_id  BIGINT NOT NULL,
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL,
    spec         JSONB NOT NULL,
    edited_by    BIGINT REFERENCES users(id),
    edited_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, id, version),
    FOREIGN KEY (campaign_id, id) REFERENCES tasks (campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE assignments (
    campaign_id  BIGINT NOT NULL,
    task_id      TEXT NOT NULL,
    expert_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    assigned_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, task_id, expert_id),
    FOREIGN KEY (campaign_id, task_id) REFERENCES tasks (campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX assignments_by_expert ON assignments (expert_id);
