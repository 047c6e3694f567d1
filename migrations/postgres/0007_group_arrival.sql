-- The order a group's payloads are folded in (see `raw_groups`): their arrival, which for a
-- payload read again as changed is the time it came back, not the time it first came. A row
-- of the WhatsApp case register edited back to an earlier version (A, then B, then A again)
-- is archived once, as A; its link then puts it after B, and the fold takes it as the case's
-- newest version.
-- `arrival`: NULL for the payload's own `raw_id` (it came once); for a payload that came
-- back, one more than the newest `raw_id` then (so after every payload archived before, and
-- before every one archived after). `again_seq`: among payloads that came back with the same
-- `arrival`, the order they came back in (NULL sorts after them: archived after).
ALTER TABLE raw_groups ADD COLUMN arrival BIGINT;
ALTER TABLE raw_groups ADD COLUMN again_seq BIGINT;
CREATE INDEX raw_groups_again ON raw_groups (channel, again_seq) WHERE again_seq IS NOT NULL;
