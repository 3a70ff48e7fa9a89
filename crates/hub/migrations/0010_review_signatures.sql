-- 0010: every review entry signed. Each review (a lease's audit log) is a hash chain, as the
-- core's signed review log on a station (provenance::review): an entry's hash covers the one
-- before it and its id, chain id ("<recording>/review/<review id>"), time, reviewer pseudonym
-- and the change as the exact JSON text signed (change_text; `change` stays for queries); the
-- hub process that took the change signs that hash with its key (signer: the public key). An
-- undo is signed too (undo: the core's SignedUndo). Entries made before this migration have no
-- chain and say so when checked.
ALTER TABLE review_changes
    ADD COLUMN change_text TEXT,
    ADD COLUMN prev        TEXT,
    ADD COLUMN hash        TEXT,
    ADD COLUMN signer      TEXT,
    ADD COLUMN signature   TEXT,
    ADD COLUMN undo        JSONB;
