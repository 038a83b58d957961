-- Full-text search. One FTS5 row per article or page (rowid = articles.id): published articles in
-- article_search, which readers' searches read alone (no filter to apply to every match), and
-- everything else (drafts, scheduled stories, pages) in article_search_newsroom, which the
-- newsroom's searches read too. A change of status moves the row. The tokenizer follows the site's
-- language; the index is rebuilt in the background when the language changes (search_state says
-- which language the index was built for; '' means it must be built).
CREATE VIRTUAL TABLE article_search USING fts5(
    title, dek, body, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE article_search_newsroom USING fts5(
    title, dek, body, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE search_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    language TEXT NOT NULL
);
INSERT INTO search_state (id, language) VALUES (1, '');

-- What readers looked for, per ISO week: counts only, nothing about who asked.
CREATE TABLE search_queries (
    week TEXT NOT NULL,
    query TEXT NOT NULL,
    searches INTEGER NOT NULL,
    last_results INTEGER NOT NULL,
    PRIMARY KEY (week, query)
);
