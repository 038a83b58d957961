-- Tags that follow a running story ("Budget 2027"): their stories show what came earlier, and the
-- tag's page offers the story as a timeline under a summary editors keep up to date.
CREATE TABLE running_stories (
    tag_id BIGINT PRIMARY KEY REFERENCES tags (id) ON DELETE CASCADE,
    summary TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
