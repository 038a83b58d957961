-- A finished newsletter's delivery rows (one per subscriber) are kept for a while, then folded
-- into these counts (JSON) and removed, so that a daily digest to a large list does not grow the
-- database by a row per subscriber per day forever.
ALTER TABLE newsletters ADD COLUMN archived_counts TEXT;
