-- The archive's compact form (see crates/store/src/packing.rs): payloads compressed with
-- zstd and a dictionary trained on the channel's own payloads. `dictionary_id` NULL: the
-- payload is stored as received. The content hash is always of the payload as received.
CREATE TABLE raw_dictionaries (
    -- zstd's id of the dictionary (also in each compressed frame).
    dictionary_id INTEGER PRIMARY KEY NOT NULL,
    channel       TEXT NOT NULL,
    dictionary    BLOB NOT NULL,
    created_at    TEXT NOT NULL
);
ALTER TABLE raw_records ADD COLUMN dictionary_id INTEGER REFERENCES raw_dictionaries (dictionary_id);
