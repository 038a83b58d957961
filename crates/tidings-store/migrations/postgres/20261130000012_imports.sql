-- Old addresses that answer 301 to a new one: a moved site's permalinks (/2015/11/27/slug/,
-- /?p=123, /category/x/ …), filled by imports and kept by the admin.
CREATE TABLE redirects (
    from_path TEXT PRIMARY KEY,
    to_path TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- What each import brought in, by its identity in the source, so that importing the same file
-- again updates instead of duplicating.
CREATE TABLE imported_items (
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (source, source_id)
);
