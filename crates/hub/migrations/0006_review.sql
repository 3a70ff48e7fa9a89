-- 0006: review queues. A reviewer asks a campaign's queue for the next recording and gets a
-- lease on it (a review row, live until expires_at); each change they make is one entry of
-- review_changes (the core's audit log entry, as JSON), replayed to show them their trajectory;
-- submitting (with a verdict) or skipping (with a reason) ends the lease. Each recording gets the
-- campaign's `reviews` reviewers, blind to each other: nothing of one review is served to
-- another reviewer. A lease that expired gives its place back to the queue; its reviewer may
-- pick it up again while no one else took the place.
ALTER TABLE campaigns ADD COLUMN lease_seconds INTEGER NOT NULL DEFAULT 1800 CHECK (lease_seconds BETWEEN 1 AND 86400);

CREATE TABLE reviews (
    id            BIGSERIAL PRIMARY KEY,
    recording_id  TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    reviewer_id   BIGINT NOT NULL REFERENCES users(id),
    state         TEXT NOT NULL DEFAULT 'leased' CHECK (state IN ('leased', 'submitted', 'skipped', 'expired')),
    leased_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    skip_reason   TEXT,
    verdict       TEXT
);
-- One review of a recording per reviewer (an expired one may be followed by a new lease).
CREATE UNIQUE INDEX reviews_one_per_reviewer ON reviews (recording_id, reviewer_id) WHERE state <> 'expired';
CREATE INDEX reviews_by_recording ON reviews (recording_id, state);
CREATE INDEX reviews_by_reviewer ON reviews (reviewer_id, state);

CREATE TABLE review_changes (
    review_id  BIGINT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    entry_id   TEXT NOT NULL UNIQUE,
    at         TEXT NOT NULL,
    change     JSONB NOT NULL,
    undone     BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (review_id, seq)
);

-- What was published where: a publish adds only recordings not yet published to that place in
-- that format.
CREATE TABLE publications (
    id          BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    target      TEXT NOT NULL,
    format      TEXT NOT NULL,
    part        INTEGER NOT NULL,
    recordings  INTEGER NOT NULL,
    steps       INTEGER NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, target, format, part)
);
CREATE TABLE published_recordings (
    publication_id BIGINT NOT NULL REFERENCES publications(id) ON DELETE CASCADE,
    recording_id   TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    PRIMARY KEY (publication_id, recording_id)
);

-- Where each recording's review stands: reviewed once the campaign's number of reviews is
-- submitted; its final verdict is the strict majority of the submitted verdicts (none on a tie,
-- which is a disagreement for an adjudicator). Progress and publishing read this, nothing else.
CREATE VIEW review_outcomes AS
SELECT r.id AS recording_id, r.campaign_id,
       count(v.id) FILTER (WHERE v.state = 'submitted') AS submitted,
       count(v.id) FILTER (WHERE v.state = 'submitted') >= c.reviews AS reviewed,
       CASE WHEN count(v.id) FILTER (WHERE v.state = 'submitted') < c.reviews THEN NULL
            WHEN 2 * count(v.id) FILTER (WHERE v.state = 'submitted' AND v.verdict = 'approved') > count(v.id) FILTER (WHERE v.state = 'submitted') THEN 'approved'
            WHEN 2 * count(v.id) FILTER (WHERE v.state = 'submitted' AND v.verdict = 'rejected') > count(v.id) FILTER (WHERE v.state = 'submitted') THEN 'rejected'
            WHEN 2 * count(v.id) FILTER (WHERE v.state = 'submitted' AND v.verdict = 'needs_edit') > count(v.id) FILTER (WHERE v.state = 'submitted') THEN 'needs_edit'
       END AS verdict
FROM recordings r JOIN campaigns c ON c.id = r.campaign_id LEFT JOIN reviews v ON v.recording_id = r.id
GROUP BY r.id, r.campaign_id, c.reviews;
