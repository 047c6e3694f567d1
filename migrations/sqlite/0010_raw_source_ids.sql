-- Each channel's archived payloads by the source's id of their record: a quarantine entry
-- whose record came again later (the source corrected it, or sent a newer version that fails
-- too) is closed, and the archive's payloads of one record are found without reading the
-- whole archive (`aduan raw list --record`).
CREATE INDEX raw_records_source_id ON raw_records (channel, external_id, raw_id) WHERE external_id IS NOT NULL;
