-- Full-text search. One row per article or page, drafts included; public says whether readers
-- may find it (a published article). The document is weighted (title A, dek and tags B, body C) with
-- the text-search configuration of the site's language; search_state says which language the
-- index was built for ('' means it must be built), and a change rebuilds it in the background.
CREATE TABLE article_search (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    dek TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    document TSVECTOR NOT NULL
);
CREATE INDEX article_search_document ON article_search USING GIN (document);

CREATE TABLE search_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    language TEXT NOT NULL
);
INSERT INTO search_state (id, language) VALUES (1, '');

-- What readers looked for, per ISO week: counts only, nothing about who asked.
CREATE TABLE search_queries (
    week TEXT NOT NULL,
    query TEXT NOT NULL,
    searches BIGINT NOT NULL,
    last_results BIGINT NOT NULL,
    PRIMARY KEY (week, query)
);
