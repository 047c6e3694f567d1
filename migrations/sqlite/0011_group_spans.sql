-- When the items a payload holds for its group were made, first and last, in unix seconds
-- (see `aduan_core::Window`): a WhatsApp sender's group is folded from the threads a batch
-- touches, found from these through the index of their ends, instead of from every payload
-- the sender ever sent. NULL for links made before this migration (the engine fills them in
-- as it folds their groups; such a group is read whole meanwhile) and for channels without
-- windows; a payload read with every fold of its group (a case row) spans all time.
ALTER TABLE raw_groups ADD COLUMN span_from BIGINT;
ALTER TABLE raw_groups ADD COLUMN span_to BIGINT;
CREATE INDEX raw_groups_span ON raw_groups (channel, group_key, span_to);
