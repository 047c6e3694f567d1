-- The order a group's payloads are folded in (see `raw_groups`): their arrival, which for a
-- payload read again as changed is the time it came back, not the time it first came. A row
-- of the WhatsApp case register edited back to an earlier version (A, then B, then A again)
-- is archived once, as A; its link's `arrival` then puts it after B, and the fold takes it as
-- the case's newest version. NULL: the payload's own `raw_id` (it came once).
ALTER TABLE raw_groups ADD COLUMN arrival BIGINT;
