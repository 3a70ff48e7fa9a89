-- 0005: audit-log entries get globally unique ids, so logs from many machines can be merged
-- (new entries: UUIDv7, written by the library). Entries from before get a random (v4) UUID:
-- their order is in `seq` and their time in `at`.
ALTER TABLE review_log ADD COLUMN id TEXT;
UPDATE review_log SET id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))
  WHERE id IS NULL;
CREATE UNIQUE INDEX review_log_by_id ON review_log (id);
