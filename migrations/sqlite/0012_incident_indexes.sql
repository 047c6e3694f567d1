-- What the pass that links one incident's complaints (`incident_id`) reads, after every run
-- that changed complaints: the reporters who used two channels or more, and the complaints
-- that have an incident. Without these it read the whole table twice, texts and all (about
-- 2 GB at a million complaints): seconds of each run, holding SQLite's write lock. The
-- reporters' index is read alone (reporter and channel), the incidents' holds only the
-- complaints that have one.
CREATE INDEX complaints_reporter ON complaints (reporter_key, channel)
    WHERE kind = 'complaint' AND reporter_key IS NOT NULL AND category_main IS NOT NULL;
CREATE INDEX complaints_incident ON complaints (incident_id) WHERE incident_id IS NOT NULL;
