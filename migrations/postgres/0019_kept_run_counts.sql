-- The finished runs still in `sync_runs`, counted by channel and outcome with their record
-- counts, kept up to date by triggers in the statement that writes a run (every writer,
-- whichever Aduan): the metrics read these few rows and `sync_run_totals` instead of adding
-- up every kept run on each scrape (some hundred thousand rows in a year of four-minute runs
-- kept). A run without an outcome (going on, or killed) is not counted, as before; a group
-- whose runs are all gone (moved into `sync_run_totals`) has no row.
CREATE TABLE sync_run_kept (
    channel     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    runs        BIGINT NOT NULL,
    fetched     BIGINT NOT NULL,
    inserted    BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    PRIMARY KEY (channel, outcome)
);

-- (Writers of runs wait for the count to be taken: none is missed or counted twice.)
LOCK TABLE sync_runs IN SHARE MODE;

INSERT INTO sync_run_kept (channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined)
SELECT channel, outcome, COUNT(*), SUM(fetched), SUM(inserted), SUM(updated), SUM(unchanged),
       SUM(quarantined)
FROM sync_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome;

-- Counted by statement, a group at a time: a trigger for each row updated the same few rows of
-- `sync_run_kept` once a run, and a statement moving 100,000 runs (`keep_runs_days` shortened)
-- left 100,000 versions of each in its transaction, each looked through by the next.
-- A run going from one group to another, or its counts changed once ended, is taken out of the
-- group it was in and put into the one it is in. (The tables are those of the schema it was
-- made in, whatever the caller's search_path.)
CREATE FUNCTION sync_run_kept_count() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    -- (`TRUNCATE sync_runs`, by hand: fires no delete trigger, and keeps no run.)
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM sync_run_kept;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE sync_run_kept AS k SET runs = k.runs - o.runs, fetched = k.fetched - o.fetched,
            inserted = k.inserted - o.inserted, updated = k.updated - o.updated,
            unchanged = k.unchanged - o.unchanged, quarantined = k.quarantined - o.quarantined
        FROM (SELECT channel, outcome, COUNT(*) AS runs, SUM(fetched) AS fetched,
                     SUM(inserted) AS inserted, SUM(updated) AS updated,
                     SUM(unchanged) AS unchanged, SUM(quarantined) AS quarantined
              FROM old_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome) AS o
        WHERE k.channel = o.channel AND k.outcome = o.outcome;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sync_run_kept AS k
            (channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined)
        SELECT channel, outcome, COUNT(*), SUM(fetched), SUM(inserted), SUM(updated),
               SUM(unchanged), SUM(quarantined)
        FROM new_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome
        ON CONFLICT (channel, outcome) DO UPDATE SET runs = k.runs + excluded.runs,
            fetched = k.fetched + excluded.fetched, inserted = k.inserted + excluded.inserted,
            updated = k.updated + excluded.updated, unchanged = k.unchanged + excluded.unchanged,
            quarantined = k.quarantined + excluded.quarantined;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM sync_run_kept AS k WHERE k.runs = 0
            AND EXISTS (SELECT 1 FROM old_runs AS o
                        WHERE o.channel = k.channel AND o.outcome = k.outcome);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sync_run_kept_insert AFTER INSERT ON sync_runs
REFERENCING NEW TABLE AS new_runs
FOR EACH STATEMENT EXECUTE FUNCTION sync_run_kept_count();
CREATE TRIGGER sync_run_kept_update AFTER UPDATE ON sync_runs
REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs
FOR EACH STATEMENT EXECUTE FUNCTION sync_run_kept_count();
CREATE TRIGGER sync_run_kept_delete AFTER DELETE ON sync_runs
REFERENCING OLD TABLE AS old_runs
FOR EACH STATEMENT EXECUTE FUNCTION sync_run_kept_count();
CREATE TRIGGER sync_run_kept_truncate AFTER TRUNCATE ON sync_runs
FOR EACH STATEMENT EXECUTE FUNCTION sync_run_kept_count();
