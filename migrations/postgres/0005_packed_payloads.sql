-- The archive's compact form (see crates/store/src/packing.rs): payloads compressed with
-- zstd and a dictionary trained on the channel's own payloads. `dictionary_id` NULL: the
-- payload is stored as received. The content hash is always of the payload as received.
CREATE TABLE raw_dictionaries (
    -- zstd's id of the dictionary (also in each compressed frame).
    dictionary_id BIGINT PRIMARY KEY,
    channel       TEXT NOT NULL,
    dictionary    BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
ALTER TABLE raw_records ADD COLUMN dictionary_id BIGINT REFERENCES raw_dictionaries (dictionary_id);
