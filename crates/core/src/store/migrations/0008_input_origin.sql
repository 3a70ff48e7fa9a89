-- 0008: where each input event came from (model::InputOrigin): 'device' (a person's), 'injected'
-- (XTEST and the like) or 'unknown' (rows from before, or a platform that cannot tell).
ALTER TABLE input_events ADD COLUMN origin TEXT NOT NULL DEFAULT 'unknown';
