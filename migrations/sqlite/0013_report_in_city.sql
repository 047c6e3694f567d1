-- The monthly index carries `in_city` too, last: the analysts' report counts the complaints
-- of the city alone (`aduan report --in-city yes`, `GET /api/report?in_city=yes`), or those
-- outside it, still reading this index alone.
DROP INDEX complaints_reported_month;
CREATE INDEX complaints_reported_month ON complaints (
    reported_month, channel, kind, category_main,
    category_sub, status, reported_at, first_response_at, resolved_at, in_city
);
