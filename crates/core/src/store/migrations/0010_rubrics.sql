-- 0010: a campaign's rubric (model::Rubric as JSON): its own review questions, asked beside the
-- built-in labels. Kept by campaign name: a station learns it with the campaign's tasks, a hub's
-- publish writes it into the library it exports from. Not part of an extracted recording (no
-- recording_id): the hub keeps the campaign's rubric itself.
CREATE TABLE rubrics (
    campaign  TEXT PRIMARY KEY,
    rubric    TEXT NOT NULL
);
