-- Channels whose complaints are folded from several payloads (a report's versions and its
-- deletion, a WhatsApp thread and its case): which payloads belong to which group.
CREATE TABLE raw_groups (
    channel   TEXT NOT NULL,
    group_key TEXT NOT NULL,
    raw_id    INTEGER NOT NULL REFERENCES raw_records (raw_id),
    PRIMARY KEY (channel, group_key, raw_id)
) WITHOUT ROWID;

-- Webhook deliveries stored but not yet folded into complaints: the answer is sent once the
-- row is here; the inbox is drained after, and again on start (nothing is lost in a crash).
CREATE TABLE push_inbox (
    raw_id      INTEGER PRIMARY KEY NOT NULL REFERENCES raw_records (raw_id),
    channel     TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX push_inbox_channel ON push_inbox (channel, raw_id);
