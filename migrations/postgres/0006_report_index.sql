-- The monthly index widened to cover the analysts' report (`aduan report`, `GET /api/report`):
-- besides what it is grouped and filtered by (month, channel, kind, main category), it
-- carries the sub-category, the status and the three times the report measures, so that a
-- report over every month is an index-only scan (once the table is vacuumed, as a sync of
-- many rows does) instead of reading every row with its texts. The monthly aggregate reads it
-- as before (its key is the same).
DROP INDEX complaints_reported_month;
CREATE INDEX complaints_reported_month ON complaints (reported_month, channel, kind, category_main)
    INCLUDE (category_sub, status, reported_at, first_response_at, resolved_at);
