-- A channel's latest runs that did the work (not skipped because another run held the
-- channel), which `aduan status` lists and the scheduler's catch-up reads, are found through
-- this index, which holds only them. Through `sync_runs_channel_started` every skipped run
-- since was read and passed over: a tick of each other replica while one run was held, some
-- 133,000 rows in six weeks, about 40 ms a channel.
CREATE INDEX sync_runs_worked ON sync_runs (channel, started_at, run_id)
    WHERE outcome IS NULL OR outcome <> 'skipped';
