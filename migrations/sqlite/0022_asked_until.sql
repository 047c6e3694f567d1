-- Until when a channel's source asked to be left alone (a `429` or `503` with a
-- `Retry-After` that a run did not wait out), as UTC RFC 3339 text; NULL when it asked for
-- nothing, or a run since read from it. Kept with the channel's cursor, so that a restarted
-- service (or another on the store) does not ask the source again before then.
ALTER TABLE sync_state ADD COLUMN asked_until TEXT;
