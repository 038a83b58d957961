-- One table for every old address. A redirect left by a slug change (or an import's permalink of a
-- story) names its article, so it follows the story's later renames and goes when the story does;
-- it answers only while the story is published.
ALTER TABLE redirects ADD COLUMN article_id BIGINT REFERENCES articles (id) ON DELETE CASCADE;
CREATE INDEX redirects_article ON redirects (article_id);

INSERT INTO redirects (from_path, to_path, source, created_at, article_id)
SELECT '/' || r.old_slug || '/', '/' || a.slug || '/', 'slug change', r.created_at, r.article_id
FROM slug_redirects r JOIN articles a ON a.id = r.article_id
WHERE TRUE
ON CONFLICT (from_path) DO NOTHING;

DROP TABLE slug_redirects;

-- Tags nest (WordPress's categories do): a tag's listing includes its descendants' stories.
ALTER TABLE tags ADD COLUMN parent_id BIGINT REFERENCES tags (id) ON DELETE SET NULL;
CREATE INDEX tags_parent ON tags (parent_id);
