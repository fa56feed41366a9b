-- A member can /forget as often as they like, and each deletion marks the file for a rebuild
-- (VACUUM), during which the bot pauses. Rebuilds are spaced at least
-- DOORSTEP_REBUILD_INTERVAL_MINUTES apart; the time of the last one is kept here, so that a
-- restart does not allow an extra one. NULL: never rebuilt.
ALTER TABLE maintenance ADD COLUMN last_compacted_at TEXT;
