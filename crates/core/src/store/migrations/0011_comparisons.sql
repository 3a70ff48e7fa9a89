-- 0011: side-by-side comparisons (model::Comparison as JSON) of two recordings of one task. Kept
-- by comparison id with both recordings' ids for lookup; no recording_id column, so not part of
-- an extracted recording: a hub keeps its comparisons itself and writes them into the library it
-- publishes from.
CREATE TABLE comparisons (
    id          TEXT PRIMARY KEY,
    a           TEXT NOT NULL,
    b           TEXT NOT NULL,
    comparison  TEXT NOT NULL
);
CREATE INDEX comparisons_by_a ON comparisons (a);
CREATE INDEX comparisons_by_b ON comparisons (b);
