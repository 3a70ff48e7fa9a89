-- 0007: gold and adjudication.
-- Gold: an admin marks a recording gold with reference labels (a review state, as the core's
-- ReviewState JSON); gold recordings are offered to every reviewer, unannounced, beyond the
-- campaign's number of reviews, and each reviewer's accuracy on them is measured.
-- Adjudication: when a recording's reviewers agree less than the campaign's min_agreement, it
-- goes to an adjudicator (an admin) or gets one more reviewer, as the campaign says. An
-- adjudication is a review of kind 'adjudication': its labels and verdict are final.
CREATE TABLE gold (
    recording_id  TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    reference     JSONB NOT NULL,
    marked_by     BIGINT REFERENCES users(id),
    marked_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE campaigns ADD COLUMN min_agreement DOUBLE PRECISION CHECK (min_agreement BETWEEN 0 AND 1);
ALTER TABLE campaigns ADD COLUMN on_disagreement TEXT NOT NULL DEFAULT 'adjudicate' CHECK (on_disagreement IN ('adjudicate', 'extra_review'));

ALTER TABLE reviews ADD COLUMN kind TEXT NOT NULL DEFAULT 'review' CHECK (kind IN ('review', 'adjudication'));
ALTER TABLE recordings ADD COLUMN extra_reviews INTEGER NOT NULL DEFAULT 0;
-- Recordings waiting for an adjudicator, and why.
CREATE TABLE adjudications (
    recording_id  TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    agreement     DOUBLE PRECISION,
    opened_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Reviewed: the campaign's reviews (plus any extra one asked for) submitted; the verdict is the
-- adjudicator's where there is one, else the strict majority of the reviews (none on a tie).
DROP VIEW review_outcomes;
CREATE VIEW review_outcomes AS
WITH counts AS (
    SELECT r.id AS recording_id, r.campaign_id, c.reviews + r.extra_reviews AS wanted,
           count(v.id) FILTER (WHERE v.kind = 'review' AND v.state = 'submitted') AS submitted,
           count(v.id) FILTER (WHERE v.kind = 'review' AND v.state = 'submitted' AND v.verdict = 'approved') AS approved,
           count(v.id) FILTER (WHERE v.kind = 'review' AND v.state = 'submitted' AND v.verdict = 'rejected') AS rejected,
           count(v.id) FILTER (WHERE v.kind = 'review' AND v.state = 'submitted' AND v.verdict = 'needs_edit') AS needs_edit,
           max(v.verdict) FILTER (WHERE v.kind = 'adjudication' AND v.state = 'submitted') AS adjudicated
    FROM recordings r JOIN campaigns c ON c.id = r.campaign_id LEFT JOIN reviews v ON v.recording_id = r.id
    GROUP BY r.id, r.campaign_id, c.reviews, r.extra_reviews
)
SELECT recording_id, campaign_id, submitted,
       adjudicated IS NOT NULL OR (submitted >= wanted AND NOT EXISTS (SELECT 1 FROM adjudications a WHERE a.recording_id = counts.recording_id)) AS reviewed,
       CASE WHEN adjudicated IS NOT NULL THEN adjudicated
            WHEN submitted < wanted OR EXISTS (SELECT 1 FROM adjudications a WHERE a.recording_id = counts.recording_id) THEN NULL
            WHEN 2 * approved > submitted THEN 'approved'
            WHEN 2 * rejected > submitted THEN 'rejected'
            WHEN 2 * needs_edit > submitted THEN 'needs_edit'
       END AS verdict,
       adjudicated IS NOT NULL AS adjudicated
FROM counts;
