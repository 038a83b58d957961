-- The names (people, places, organisations) each published story mentions, lower-cased: what
-- connects stories beyond their tags.
CREATE TABLE article_names (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (article_id, name)
);
CREATE INDEX article_names_by_name ON article_names (name);

-- The "Related" list under each story, computed when stories are saved, with the editor's pins
-- (kept through every recomputation, in the editor's order) and removals (never listed again).
CREATE TABLE related_articles (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    related_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    choice TEXT NOT NULL CHECK (choice IN ('computed', 'pinned', 'removed')),
    position BIGINT NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, related_id)
);
CREATE INDEX related_articles_by_related ON related_articles (related_id);
