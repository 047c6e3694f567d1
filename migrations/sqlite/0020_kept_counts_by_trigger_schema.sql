-- Nothing to change on SQLite: its triggers name their tables in the database they are in,
-- which has no schema to rename. (PostgreSQL's 0020 has the count of kept runs find its
-- tables in the schema of the table that fired it; the number is taken here too, so that a
-- version is one schema on both stores.)
SELECT 1;
