-- Tokens for the admin API, each created by a person in the admin and never stronger than that
-- person's role at the time of use. Only a SHA-256 of the token is kept (the token itself is
-- shown once), with its last characters so that a list can tell tokens apart.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    -- Space-separated scopes, e.g. 'content:read content:write'.
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
