-- The finished runs still in `sync_runs`, counted by channel and outcome with their record
-- counts, kept up to date by triggers in the transaction that writes a run (every writer,
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

INSERT INTO sync_run_kept (channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined)
SELECT channel, outcome, COUNT(*), SUM(fetched), SUM(inserted), SUM(updated), SUM(unchanged),
       SUM(quarantined)
FROM sync_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome;

CREATE TRIGGER sync_run_kept_insert AFTER INSERT ON sync_runs
WHEN NEW.outcome IS NOT NULL
BEGIN
    -- (Not `INSERT OR IGNORE`: the statement that fires a trigger overrides its conflict
    -- handling, and a run's row is written by an upsert.)
    INSERT INTO sync_run_kept SELECT NEW.channel, NEW.outcome, 0, 0, 0, 0, 0, 0
    WHERE NOT EXISTS (SELECT 1 FROM sync_run_kept
                      WHERE channel = NEW.channel AND outcome = NEW.outcome);
    UPDATE sync_run_kept SET runs = runs + 1, fetched = fetched + NEW.fetched,
        inserted = inserted + NEW.inserted, updated = updated + NEW.updated,
        unchanged = unchanged + NEW.unchanged, quarantined = quarantined + NEW.quarantined
    WHERE channel = NEW.channel AND outcome = NEW.outcome;
END;

-- (A row going from one group to another, or its counts changed once ended: taken out of
-- the group it was in, put into the one it is in.)
CREATE TRIGGER sync_run_kept_update AFTER UPDATE ON sync_runs
WHEN OLD.outcome IS NOT NULL OR NEW.outcome IS NOT NULL
BEGIN
    UPDATE sync_run_kept SET runs = runs - 1, fetched = fetched - OLD.fetched,
        inserted = inserted - OLD.inserted, updated = updated - OLD.updated,
        unchanged = unchanged - OLD.unchanged, quarantined = quarantined - OLD.quarantined
    WHERE channel = OLD.channel AND outcome = OLD.outcome;
    DELETE FROM sync_run_kept WHERE channel = OLD.channel AND outcome = OLD.outcome AND runs = 0;
    INSERT INTO sync_run_kept SELECT NEW.channel, NEW.outcome, 0, 0, 0, 0, 0, 0
    WHERE NEW.outcome IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sync_run_kept
                      WHERE channel = NEW.channel AND outcome = NEW.outcome);
    UPDATE sync_run_kept SET runs = runs + 1, fetched = fetched + NEW.fetched,
        inserted = inserted + NEW.inserted, updated = updated + NEW.updated,
        unchanged = unchanged + NEW.unchanged, quarantined = quarantined + NEW.quarantined
    WHERE channel = NEW.channel AND outcome = NEW.outcome;
END;

CREATE TRIGGER sync_run_kept_delete AFTER DELETE ON sync_runs
WHEN OLD.outcome IS NOT NULL
BEGIN
    UPDATE sync_run_kept SET runs = runs - 1, fetched = fetched - OLD.fetched,
        inserted = inserted - OLD.inserted, updated = updated - OLD.updated,
        unchanged = unchanged - OLD.unchanged, quarantined = quarantined - OLD.quarantined
    WHERE channel = OLD.channel AND outcome = OLD.outcome;
    DELETE FROM sync_run_kept WHERE channel = OLD.channel AND outcome = OLD.outcome AND runs = 0;
END;
