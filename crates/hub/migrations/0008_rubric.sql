-- 0008: a campaign's rubric, its own review questions beside the built-in labels (the core's
-- model::Rubric as JSON, checked by the core before it is stored). Answers live in the review
-- entries themselves (step labels and trajectory reviews), so a rubric can grow while a campaign
-- runs without touching the reviews already made.
ALTER TABLE campaigns ADD COLUMN rubric JSONB NOT NULL DEFAULT '{"questions": []}';
