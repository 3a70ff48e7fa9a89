-- 0009: side-by-side comparison. A reviewer asks a campaign for the next pair of recordings of
-- one task by different experts and gets a lease on it (a comparison row, live until
-- expires_at); which is A and which is B is drawn at random when it is leased. Submitting stores
-- the core's model::Comparison as JSON (who is better overall and per criterion, the rationale,
-- step preferences); skipping takes a reason. Each pair gets the campaign's `comparisons`
-- reviewers, blind to each other. The step alignment is computed once per lease and kept.
ALTER TABLE campaigns ADD COLUMN comparisons INTEGER NOT NULL DEFAULT 1 CHECK (comparisons BETWEEN 0 AND 20);

CREATE TABLE comparisons (
    id           BIGSERIAL PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    a_id         TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    b_id         TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    reviewer_id  BIGINT NOT NULL REFERENCES users(id),
    state        TEXT NOT NULL DEFAULT 'leased' CHECK (state IN ('leased', 'submitted', 'skipped', 'expired')),
    leased_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    skip_reason  TEXT,
    alignment    JSONB,
    result       JSONB,
    CHECK (a_id <> b_id)
);
-- One comparison of a pair (either way round) per reviewer, an expired one aside.
CREATE UNIQUE INDEX comparisons_one_per_reviewer ON comparisons (LEAST(a_id, b_id), GREATEST(a_id, b_id), reviewer_id) WHERE state <> 'expired';
CREATE INDEX comparisons_by_campaign ON comparisons (campaign_id, state);
