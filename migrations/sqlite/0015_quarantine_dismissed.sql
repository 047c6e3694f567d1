-- An admin may dismiss a quarantine entry that no retry will read (an old version of a
-- record whose newer versions are stored, a payload the source sent in error): the entry is
-- closed (`resolved_at`, when) with who dismissed it and why. A dismissed payload is not
-- quarantined again when its group is folded again or the tables are rebuilt, found through
-- the index below.
ALTER TABLE quarantine ADD COLUMN dismissed_by TEXT;
ALTER TABLE quarantine ADD COLUMN dismissed_reason TEXT;
CREATE INDEX quarantine_dismissed_raw ON quarantine (raw_id) WHERE dismissed_by IS NOT NULL;
