-- The editor: who created an article, a version for conflict detection, review requests,
-- and redirects left behind when a published slug changes.

ALTER TABLE articles ADD COLUMN created_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
-- Bumped by every save; a save based on an older version is refused instead of overwriting.
ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- Set when a contributor submits a draft for review.
ALTER TABLE articles ADD COLUMN review_requested_at INTEGER;

CREATE TABLE slug_redirects (
    old_slug TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
