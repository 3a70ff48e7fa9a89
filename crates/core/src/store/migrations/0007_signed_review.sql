-- 0007: the signed review log (provenance::review). Each entry is chained to the one before it
-- for its recording (prev, hash) and signed by the reviewer's station key; an undo is signed
-- too (JSON: at, reviewer, signer, signature). Entries from before stay unsigned (NULL).
ALTER TABLE review_log ADD COLUMN prev TEXT;
ALTER TABLE review_log ADD COLUMN hash TEXT;
ALTER TABLE review_log ADD COLUMN signer TEXT;
ALTER TABLE review_log ADD COLUMN signature TEXT;
ALTER TABLE review_log ADD COLUMN undo TEXT;
