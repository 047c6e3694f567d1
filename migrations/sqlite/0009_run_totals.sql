-- Runs are kept in `sync_runs` for a while (see `Store::prune_runs`); older ones are added
-- into `sync_run_totals`, by channel and outcome, so that the metrics' counts of runs and
-- records never go down while the table stays bounded. `last_finished_at`: the latest end
-- of the runs added.
CREATE TABLE sync_run_totals (
    channel          TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    runs             BIGINT NOT NULL,
    fetched          BIGINT NOT NULL,
    inserted         BIGINT NOT NULL,
    updated          BIGINT NOT NULL,
    unchanged        BIGINT NOT NULL,
    quarantined      BIGINT NOT NULL,
    last_finished_at TEXT,
    PRIMARY KEY (channel, outcome)
);

-- A channel's runs by outcome: those never ended (closed as interrupted by the next run), and
-- the latest successful one (the metrics), found without reading the channel's other runs.
CREATE INDEX sync_runs_outcome ON sync_runs (channel, outcome, finished_at);
