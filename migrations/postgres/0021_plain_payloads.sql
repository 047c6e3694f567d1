-- A channel's payloads archived as received (`dictionary_id` NULL), by channel and arrival:
-- a channel whose batches are too small to train its archive dictionary on one (fewer than
-- 1,000 new payloads each) has one trained on these once it has stored 1,000 of them, and
-- they are counted and read through this index (see crates/store/src/packing.rs). Packed
-- payloads, most of a large archive, are not in it.
CREATE INDEX raw_records_plain ON raw_records (channel, raw_id) WHERE dictionary_id IS NULL;
