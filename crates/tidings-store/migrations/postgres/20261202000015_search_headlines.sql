-- SQLite gives each full-text table a twin holding the headline, dek and tags, so that stories
-- naming a searched word there rank first without ranking every match. PostgreSQL finds the same
-- group with a weight-restricted query ('word':AB) over the tsvector it already has: nothing to
-- add here; the migration keeps both engines' histories the same.
SELECT 1;
