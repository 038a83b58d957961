-- The reading site's content: authors, tags, articles and static pages, plus site-wide state.
-- Times are Unix seconds in UTC; flags are 0/1 integers so both engines read them alike.

CREATE TABLE site_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Bumped by every content write; running servers drop cached pages of older generations.
    generation INTEGER NOT NULL,
    -- Public base URL, so that commands run beside the server build the same links.
    site_url TEXT NOT NULL DEFAULT ''
);
INSERT INTO site_state (id, generation, site_url) VALUES (1, 1, '');

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('article', 'page')),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    dek TEXT NOT NULL DEFAULT '',
    body_markdown TEXT NOT NULL DEFAULT '',
    -- Rendered and sanitized once, at save time.
    body_html TEXT NOT NULL DEFAULT '',
    word_count INTEGER NOT NULL DEFAULT 0,
    feature_image TEXT NOT NULL DEFAULT '',
    feature_image_alt TEXT NOT NULL DEFAULT '',
    feature_image_caption TEXT NOT NULL DEFAULT '',
    feature_image_credit TEXT NOT NULL DEFAULT '',
    feature_image_width INTEGER NOT NULL DEFAULT 0,
    feature_image_height INTEGER NOT NULL DEFAULT 0,
    -- Comma-separated widths of the responsive variants stored beside the original.
    feature_image_widths TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    published_at INTEGER,
    updated_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    featured INTEGER NOT NULL DEFAULT 0,
    digest_priority INTEGER NOT NULL DEFAULT 0,
    primary_tag_id INTEGER REFERENCES tags (id) ON DELETE SET NULL,
    seo_title TEXT NOT NULL DEFAULT '',
    seo_description TEXT NOT NULL DEFAULT '',
    canonical_url TEXT NOT NULL DEFAULT ''
);
CREATE INDEX articles_listing ON articles (kind, status, published_at);
CREATE INDEX articles_primary_tag ON articles (primary_tag_id);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id);
