-- The count of kept runs (0019) names its tables in the schema of the table that fired it,
-- `TG_TABLE_SCHEMA`, as it is when it fires: 0019's function fixed the schema it was made in
-- by name (`SET search_path FROM CURRENT`), and a schema renamed since (`ALTER SCHEMA …
-- RENAME`, a deployment moved) made every write of a run fail, `relation "sync_run_kept"
-- does not exist`. Its own search path is the system's alone: no caller's schema can stand in
-- for a function or an operator it uses. (The runs' transition tables are the statement's
-- own, found whatever the search path; the triggers call the function by itself, not by name,
-- and are left as they are. `CREATE OR REPLACE` drops 0019's `SET search_path`.)
CREATE OR REPLACE FUNCTION sync_run_kept_count() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    kept text := format('%I.sync_run_kept', TG_TABLE_SCHEMA);
BEGIN
    -- (`TRUNCATE sync_runs`, by hand: fires no delete trigger, and keeps no run.)
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('DELETE FROM %s', kept);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format($q$
            UPDATE %s AS k SET runs = k.runs - o.runs, fetched = k.fetched - o.fetched,
                inserted = k.inserted - o.inserted, updated = k.updated - o.updated,
                unchanged = k.unchanged - o.unchanged, quarantined = k.quarantined - o.quarantined
            FROM (SELECT channel, outcome, COUNT(*) AS runs, SUM(fetched) AS fetched,
                         SUM(inserted) AS inserted, SUM(updated) AS updated,
                         SUM(unchanged) AS unchanged, SUM(quarantined) AS quarantined
                  FROM old_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome) AS o
            WHERE k.channel = o.channel AND k.outcome = o.outcome$q$, kept);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format($q$
            INSERT INTO %s AS k
                (channel, outcome, runs, fetched, inserted, updated, unchanged, quarantined)
            SELECT channel, outcome, COUNT(*), SUM(fetched), SUM(inserted), SUM(updated),
                   SUM(unchanged), SUM(quarantined)
            FROM new_runs WHERE outcome IS NOT NULL GROUP BY channel, outcome
            ON CONFLICT (channel, outcome) DO UPDATE SET runs = k.runs + excluded.runs,
                fetched = k.fetched + excluded.fetched, inserted = k.inserted + excluded.inserted,
                updated = k.updated + excluded.updated, unchanged = k.unchanged + excluded.unchanged,
                quarantined = k.quarantined + excluded.quarantined$q$, kept);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format($q$
            DELETE FROM %s AS k WHERE k.runs = 0
                AND EXISTS (SELECT 1 FROM old_runs AS o
                            WHERE o.channel = k.channel AND o.outcome = k.outcome)$q$, kept);
    END IF;
    RETURN NULL;
END
$$;
