-- The unified model (unified-model.md) on PostgreSQL. Times are timestamptz (UTC).

CREATE TABLE complaints (
    complaint_id      TEXT PRIMARY KEY NOT NULL,
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
    latitude          DOUBLE PRECISION,
    longitude         DOUBLE PRECISION,
    in_city           BOOLEAN,
    reporter_key      TEXT,
    anonymous         BOOLEAN NOT NULL,
    confidential      BOOLEAN NOT NULL,
    reported_at       TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ,
    incident_id       TEXT,
    synced_at         TIMESTAMPTZ NOT NULL,
    -- Hash of every column above but synced_at: "seen again with no change" is a compare.
    row_hash          TEXT NOT NULL
);
-- Covers the analysts' usual grouping (time × channel × kind × category) without reading rows.
CREATE INDEX complaints_reported_at ON complaints (reported_at, channel, kind, category_main);
CREATE INDEX complaints_channel_reported_at ON complaints (channel, reported_at);

-- Keyed by complaint and content: an event is appended once, and a complaint's history is
-- one range of the primary key.
CREATE TABLE complaint_events (
    complaint_id TEXT NOT NULL,
    -- Hash of (occurred_at, event_type, actor, body).
    event_key    TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    event_type   TEXT NOT NULL,
    actor        TEXT,
    body         TEXT,
    PRIMARY KEY (complaint_id, event_key)
);

CREATE TABLE raw_records (
    raw_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel      TEXT NOT NULL,
    source_ref   TEXT NOT NULL,
    external_id  TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    -- SHA-256 of payload: the same payload received again is not stored twice.
    content_hash BYTEA NOT NULL,
    payload      BYTEA NOT NULL,
    run_id       TEXT,
    UNIQUE (channel, content_hash)
);

CREATE TABLE quarantine (
    quarantine_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel        TEXT NOT NULL,
    raw_id         BIGINT REFERENCES raw_records (raw_id),
    source_ref     TEXT NOT NULL,
    record         TEXT NOT NULL,
    field          TEXT NOT NULL,
    reason         TEXT NOT NULL,
    payload        BYTEA NOT NULL,
    run_id         TEXT,
    quarantined_at TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX quarantine_open_raw ON quarantine (raw_id) WHERE resolved_at IS NULL;

CREATE TABLE sync_runs (
    run_id      TEXT PRIMARY KEY NOT NULL,
    channel     TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome     TEXT,
    fetched     BIGINT NOT NULL DEFAULT 0,
    inserted    BIGINT NOT NULL DEFAULT 0,
    updated     BIGINT NOT NULL DEFAULT 0,
    unchanged   BIGINT NOT NULL DEFAULT 0,
    quarantined BIGINT NOT NULL DEFAULT 0,
    error       TEXT,
    -- JSON: faults met (retries by reason, token refreshes) and values mapped to unknown.
    report      TEXT
);
CREATE INDEX sync_runs_channel_started ON sync_runs (channel, started_at);

CREATE TABLE sync_state (
    channel    TEXT PRIMARY KEY NOT NULL,
    cursor     TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Two runs of one channel never overlap: the holder renews its lease while it runs.
CREATE TABLE sync_leases (
    channel     TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
