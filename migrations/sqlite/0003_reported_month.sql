-- The month a complaint was reported in, in the city's time (WIB, UTC+7), as `YYYY-MM`: what
-- analysts group by ("complaints this month"). Written by the store with every row; the
-- covering index lets a monthly aggregate read the index in order instead of the rows. It
-- replaces the covering index on (reported_at, …): time ranges within a month go through it.
ALTER TABLE complaints ADD COLUMN reported_month TEXT;
UPDATE complaints SET reported_month = strftime('%Y-%m', reported_at, '+7 hours');
DROP INDEX complaints_reported_at;
CREATE INDEX complaints_reported_month ON complaints (reported_month, channel, kind, category_main);
