-- The editor: who created an article, a version for conflict detection, review requests,
-- and redirects left behind when a published slug changes.

ALTER TABLE articles ADD COLUMN created_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
-- Bumped by every save; a save based on an older version is refused instead of overwriting.
ALTER TABLE articles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- Set when a contributor submits a draft for review.
ALTER TABLE articles ADD COLUMN review_requested_at BIGINT;

CREATE TABLE slug_redirects (
    old_slug TEXT PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
