-- Pantau Pekalongan's payloads archived without their report's id (webhook deliveries stored
-- before session 47, when a delivery was first archived under it) are named by it, as the
-- connector names a new one: the `id` of their `report` (a backfill item's own where the body
-- has no `event`), the last of a member given twice as the parser reads it, so that `aduan
-- raw list --channel smart_city --record <id>` finds them. Named only where both stores read
-- it alike: a body that is JSON (without a `\u0000`), an id of printable ASCII characters
-- without a backslash, 500 bytes at most (the connector's ids are UUIDs); payloads stored
-- compressed (`dictionary_id`, never a delivery) are left as they are, and so is a body holding
-- a NUL byte (PostgreSQL's text refuses it).
UPDATE raw_records SET external_id = (
    SELECT id FROM (
        SELECT j.value AS id, j.type AS type FROM json_each(
            CASE WHEN json_type(CAST(raw_records.payload AS TEXT), '$.event') IS NULL
                THEN CAST(raw_records.payload AS TEXT)
                ELSE (SELECT CASE WHEN r.type = 'object' THEN r.value END
                      FROM json_each(CAST(raw_records.payload AS TEXT)) r
                      WHERE r.key = 'report' ORDER BY r.id DESC LIMIT 1)
            END) j
        WHERE j.key = 'id' ORDER BY j.id DESC LIMIT 1)
    WHERE type = 'text' AND trim(id) <> '' AND length(CAST(id AS BLOB)) <= 500
        AND length(CAST(id AS BLOB)) = length(id)
        AND id NOT GLOB '*[^ -~]*' AND instr(id, '\') = 0)
WHERE channel = 'smart_city' AND external_id IS NULL AND dictionary_id IS NULL
    AND json_valid(CAST(payload AS TEXT)) AND instr(CAST(payload AS TEXT), '\u0000') = 0
    AND instr(payload, X'00') = 0;
