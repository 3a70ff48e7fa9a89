-- 0005: a campaign's exclusion list (windows no station records while doing its tasks: the
-- recorder's `class:GLOB`, `title:GLOB` or `GLOB` rules), sent to stations with their tasks.
ALTER TABLE campaigns ADD COLUMN exclusions JSONB NOT NULL DEFAULT '[]';
