-- Identities another complaint took the place of (a 112 call exported without its ticket,
-- known by its call time and caller, and then with its ticket): the complaint stored under
-- one is removed when the other is written, and a record read under it later (an older
-- export read again) stores nothing. Written by the records that claim them, so that a
-- rebuild from the archive reaches the same tables whatever order they come in.
CREATE TABLE complaint_claims (
    complaint_id TEXT PRIMARY KEY NOT NULL,
    claimed_by   TEXT NOT NULL
);
