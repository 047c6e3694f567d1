-- Webhook deliveries by the id their sender gives each one (Pantau Pekalongan's
-- `X-Pantau-Delivery`, the same on every retry): a delivery met again is accepted without
-- effect, also when its body's bytes differ from the first time's (the payload's hash alone
-- would take those for a new payload). `raw_id`: the payload archived for it.
CREATE TABLE push_deliveries (
    channel     TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    raw_id      INTEGER REFERENCES raw_records (raw_id),
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, delivery_id)
) WITHOUT ROWID;
