-- Uploaded images: the media library. Files live under <data dir>/media/; rows describe them.

CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    -- Path under /media/ of the original size, e.g. uploads/2026/11/harbour-3f9a.jpg
    path TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL DEFAULT '',
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    -- Comma-separated widths of the narrower variants, stored as <stem>-<w>w.<ext>.
    widths TEXT NOT NULL DEFAULT '',
    -- 1 when a smaller WebP copy sits beside every size.
    webp INTEGER NOT NULL DEFAULT 0,
    alt TEXT NOT NULL DEFAULT '',
    uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX media_created ON media (created_at);

ALTER TABLE articles ADD COLUMN feature_image_webp INTEGER NOT NULL DEFAULT 0;
