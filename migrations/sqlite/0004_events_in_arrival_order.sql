-- A complaint's events are keyed by the complaint's number in the order Aduan first stored it
-- (`complaint_seq`), not by its id: a sync's new complaints then append their events to the
-- end of `complaint_events` instead of inserting them at random places in a tree of three rows
-- a complaint (the largest share of what a batch wrote). `complaint_id` stays on every event.
--
-- SQLite: `complaint_seq` is the complaints' rowid made a column (`INTEGER PRIMARY KEY`), so it
-- survives VACUUM; `complaint_id` keeps its unique index. The table is rebuilt to get it.
CREATE TABLE complaints_new (
    complaint_id      TEXT NOT NULL UNIQUE,
    channel           TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    urgency           TEXT NOT NULL,
    category_main     TEXT,
    category_sub      TEXT,
    category_source   TEXT NOT NULL,
    category_method   TEXT,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    status            TEXT NOT NULL,
    status_source     TEXT NOT NULL,
    agency            TEXT,
    kecamatan_code    TEXT,
    kelurahan_code    TEXT,
    kecamatan         TEXT,
    kelurahan         TEXT,
    address           TEXT,
    latitude          REAL,
    longitude         REAL,
    in_city           INTEGER,
    reporter_key      TEXT,
    anonymous         INTEGER NOT NULL,
    confidential      INTEGER NOT NULL,
    reported_at       TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    first_response_at TEXT,
    resolved_at       TEXT,
    incident_id       TEXT,
    synced_at         TEXT NOT NULL,
    -- Hash of every column above but synced_at: "seen again with no change" is a compare.
    row_hash          TEXT NOT NULL,
    reported_month    TEXT,
    complaint_seq     INTEGER PRIMARY KEY
);
INSERT INTO complaints_new (complaint_id, channel, external_id, kind, urgency, category_main,
    category_sub, category_source, category_method, title, body, status, status_source, agency,
    kecamatan_code, kelurahan_code, kecamatan, kelurahan, address, latitude, longitude, in_city,
    reporter_key, anonymous, confidential, reported_at, updated_at, first_response_at,
    resolved_at, incident_id, synced_at, row_hash, reported_month, complaint_seq)
SELECT complaint_id, channel, external_id, kind, urgency, category_main,
    category_sub, category_source, category_method, title, body, status, status_source, agency,
    kecamatan_code, kelurahan_code, kecamatan, kelurahan, address, latitude, longitude, in_city,
    reporter_key, anonymous, confidential, reported_at, updated_at, first_response_at,
    resolved_at, incident_id, synced_at, row_hash, reported_month, rowid
FROM complaints ORDER BY rowid;
DROP TABLE complaints;
ALTER TABLE complaints_new RENAME TO complaints;
CREATE INDEX complaints_channel_reported_at ON complaints (channel, reported_at);
CREATE INDEX complaints_reported_month ON complaints (reported_month, channel, kind, category_main);

CREATE TABLE complaint_events_new (
    complaint_id  TEXT NOT NULL,
    -- Hash of (occurred_at, event_type, actor, body).
    event_key     TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    actor         TEXT,
    body          TEXT,
    -- The complaint's `complaint_seq`: its events are one range of the key.
    complaint_seq INTEGER NOT NULL,
    PRIMARY KEY (complaint_seq, event_key)
) WITHOUT ROWID;
INSERT INTO complaint_events_new (complaint_id, event_key, occurred_at, event_type, actor, body, complaint_seq)
SELECT e.complaint_id, e.event_key, e.occurred_at, e.event_type, e.actor, e.body, c.complaint_seq
FROM complaint_events e JOIN complaints c ON c.complaint_id = e.complaint_id;
DROP TABLE complaint_events;
ALTER TABLE complaint_events_new RENAME TO complaint_events;
