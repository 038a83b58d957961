-- Sent newsletters (daily digests and breaking-news alerts), their per-subscriber deliveries,
-- the editor's plan for the next digest, and the per-article hourly read counts that rank it.

CREATE TABLE newsletters (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('digest', 'breaking')),
    -- Digest: the local date of the edition. Breaking: the article id. One send per edition.
    edition TEXT NOT NULL,
    subject TEXT NOT NULL,
    intro TEXT NOT NULL DEFAULT '',
    -- The stories as they were when sent (JSON), so the web version never changes afterwards.
    items TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    -- Stories published up to this instant were considered; the next digest starts here.
    cutoff_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    UNIQUE (kind, edition)
);

-- One row per (newsletter, subscriber): the unique key is what makes a resumed send skip nobody
-- and repeat nothing that was recorded as sent.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    -- Which process holds a 'sending' row, and until when its claim lasts unless renewed.
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    sent_at INTEGER,
    UNIQUE (newsletter_id, subscriber_id)
);
CREATE INDEX deliveries_queue ON deliveries (newsletter_id, status, next_attempt_at);
-- Workers claim queued rows in id order; this index lets them stop after the batch.
CREATE INDEX deliveries_claim ON deliveries (status, id);

-- The editor's choices for the next digest: order, dropped stories and the intro.
CREATE TABLE digest_plans (
    edition TEXT PRIMARY KEY,
    intro TEXT NOT NULL DEFAULT '',
    ordered TEXT NOT NULL DEFAULT '',
    dropped TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

-- Reads per article per hour, flushed from each node's in-memory counter. No reader data.
CREATE TABLE article_reads (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    hour INTEGER NOT NULL,
    reads INTEGER NOT NULL,
    PRIMARY KEY (article_id, hour)
);

ALTER TABLE subscribers ADD COLUMN suppressed_at INTEGER;
ALTER TABLE subscribers ADD COLUMN suppressed_reason TEXT NOT NULL DEFAULT '';
