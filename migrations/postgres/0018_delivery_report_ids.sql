-- Pantau Pekalongan's payloads archived without their report's id (webhook deliveries stored
-- before session 47, when a delivery was first archived under it) are named by it, as the
-- connector names a new one: the `id` of their `report` (a backfill item's own where the body
-- has no `event`), the last of a member given twice as the parser reads it, so that `aduan
-- raw list --channel smart_city --record <id>` finds them. Named only where both stores read
-- it alike: a body that is JSON (without a `\u0000`), an id of printable ASCII characters
-- without a backslash, 500 bytes at most (the connector's ids are UUIDs); payloads stored
-- compressed (`dictionary_id`, never a delivery) are left as they are, and so is a body holding
-- a NUL byte (PostgreSQL's text refuses it: it failed the migration, stopping the upgrade). A
-- body not UTF-8 is read as Latin-1 (an id of ASCII reads the same), half an emoji's escape as
-- U+FFFD (as SQLite reads both); a body that does not read at all is left, never failing it.
DO $$
DECLARE
    r record;
    body text;
    doc json;
    id text;
BEGIN
    FOR r IN SELECT raw_id, payload FROM raw_records
        WHERE channel = 'smart_city' AND external_id IS NULL AND dictionary_id IS NULL
            AND position(convert_to('\u0000', 'UTF8') in payload) = 0
            AND position('\x00'::bytea in payload) = 0
    LOOP
        BEGIN
            BEGIN
                body := convert_from(r.payload, 'UTF8');
            EXCEPTION WHEN OTHERS THEN
                body := convert_from(r.payload, 'LATIN1');
            END;
            -- (Only where a `\ud…` escape is: the expression took half of the migration's time.)
            IF strpos(body, '\ud') > 0 OR strpos(body, '\uD') > 0 THEN
                body := regexp_replace(body,
                    '\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}',
                    '\\ufffd', 'g');
            END IF;
            doc := body::json;
            IF json_typeof(doc) = 'object' AND (doc -> 'event') IS NOT NULL THEN
                doc := doc -> 'report';
            END IF;
            id := CASE WHEN json_typeof(doc) = 'object' AND json_typeof(doc -> 'id') = 'string'
                THEN doc ->> 'id' END;
        EXCEPTION WHEN OTHERS THEN
            id := NULL;
        END;
        IF trim(id) <> '' AND length(id) <= 500 AND id !~ '[^ -~]' AND position('\' in id) = 0 THEN
            UPDATE raw_records SET external_id = id WHERE raw_id = r.raw_id;
        END IF;
    END LOOP;
END
$$;
