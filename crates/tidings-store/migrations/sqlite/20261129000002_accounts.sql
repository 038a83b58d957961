-- The newsroom: people who sign in, their sessions, one-time links, sign-in throttling and the audit log.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- Normalised (trimmed, lowercased) so that one person has one account.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('owner', 'administrator', 'editor', 'author', 'contributor')),
    -- argon2id PHC string; NULL until the person sets a password (invited, or signed in by link).
    password_hash TEXT,
    -- Base32 TOTP secret when two-factor sign-in is on.
    totp_secret TEXT,
    -- Last accepted TOTP time step, so a code cannot be replayed.
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    -- The byline this person writes under, if any.
    author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie value: a stolen database does not yield usable cookies.
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    -- 0 until the second factor is given, for accounts with two-factor sign-in.
    verified INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset', 'signin')),
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);

CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sign_in_throttle (
    -- `ip:<address>` or `account:<email>`.
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
