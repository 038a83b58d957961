-- Each full-text table gets a twin holding the headline, dek and tags alone: stories naming a
-- searched word there rank first, ranked within the small twin, so a broad query no longer ranks
-- every match in the full table. The twins are filled by rebuilding the index in the background
-- (an empty language asks for it); until then every match ranks by its whole entry.
CREATE VIRTUAL TABLE article_search_head USING fts5(
    title, dek, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE article_search_newsroom_head USING fts5(
    title, dek, tags,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
UPDATE search_state SET language = '';
