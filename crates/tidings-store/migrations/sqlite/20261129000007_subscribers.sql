-- Newsletter subscribers with their consent record, confirmation links, and used signup challenges.

CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    -- Normalised: trimmed, lowercased, internationalised domains in ASCII form.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'suppressed')),
    digest INTEGER NOT NULL DEFAULT 1,
    breaking INTEGER NOT NULL DEFAULT 0,
    -- Consent, as shown and given: when, from where, on which page, with which words.
    consent_at INTEGER NOT NULL,
    consent_ip TEXT NOT NULL DEFAULT '',
    consent_source TEXT NOT NULL DEFAULT '',
    consent_text TEXT NOT NULL DEFAULT '',
    confirmed_at INTEGER,
    unsubscribed_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX subscribers_status ON subscribers (status);

CREATE TABLE subscriber_tokens (
    token_hash TEXT PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);

-- Each signup challenge can be spent once.
CREATE TABLE used_challenges (
    nonce TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
