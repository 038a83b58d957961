-- Revision history (every save, plus each person's latest autosave) and correction/update notes.

CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- The article version this revision became, or 0 for an autosave.
    version INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('save', 'autosave')),
    title TEXT NOT NULL,
    dek TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    saved_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    saved_at INTEGER NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions (article_id, saved_at);

CREATE TABLE article_notes (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('correction', 'update')),
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX article_notes_article ON article_notes (article_id, created_at);
