-- Reader donations: forms and campaigns, donors (one per address), donations in integer minor units,
-- monthly plans, each gateway event recorded once, idempotency keys, and donor portal links.

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    goal INTEGER NOT NULL,
    currency TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE donation_forms (
    id INTEGER PRIMARY KEY,
    -- 'default' is the form at /donate/; others live at /donate/{slug}/.
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL,
    -- Preset amounts in minor units, comma-separated, and the one selected at first.
    presets TEXT NOT NULL,
    default_amount INTEGER NOT NULL,
    minimum INTEGER NOT NULL,
    maximum INTEGER NOT NULL,
    allow_monthly INTEGER NOT NULL DEFAULT 1,
    offer_fee_cover INTEGER NOT NULL DEFAULT 1,
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE donors (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    gateway_customer TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE recurring_plans (
    id INTEGER PRIMARY KEY,
    donor_id INTEGER NOT NULL REFERENCES donors (id) ON DELETE CASCADE,
    form_id INTEGER REFERENCES donation_forms (id) ON DELETE SET NULL,
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'past_due', 'cancelled')),
    gateway TEXT NOT NULL,
    gateway_subscription TEXT NOT NULL DEFAULT '',
    next_charge_at INTEGER,
    created_at INTEGER NOT NULL,
    cancelled_at INTEGER
);

CREATE TABLE donations (
    id INTEGER PRIMARY KEY,
    donor_id INTEGER NOT NULL REFERENCES donors (id) ON DELETE CASCADE,
    form_id INTEGER REFERENCES donation_forms (id) ON DELETE SET NULL,
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    plan_id INTEGER REFERENCES recurring_plans (id) ON DELETE SET NULL,
    -- The page the donor came from (the article's path), if any.
    source TEXT NOT NULL DEFAULT '',
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    total INTEGER NOT NULL,
    currency TEXT NOT NULL,
    frequency TEXT NOT NULL CHECK (frequency IN ('once', 'monthly')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded', 'expired')),
    gateway TEXT NOT NULL,
    gateway_session TEXT NOT NULL DEFAULT '',
    gateway_payment TEXT NOT NULL DEFAULT '',
    anonymous INTEGER NOT NULL DEFAULT 0,
    dedication TEXT NOT NULL DEFAULT '',
    -- One per form submission: a double click or a retry finds the donation already made.
    idempotency_key TEXT NOT NULL UNIQUE,
    failure TEXT NOT NULL DEFAULT '',
    disputed INTEGER NOT NULL DEFAULT 0,
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    receipt_sent INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE INDEX donations_status ON donations (status, created_at);
CREATE INDEX donations_session ON donations (gateway, gateway_session);
CREATE INDEX donations_donor ON donations (donor_id);

-- Each webhook event is handled once, whatever the provider retries.
CREATE TABLE gateway_events (
    gateway TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (gateway, event_id)
);

-- Magic links into the donor portal.
CREATE TABLE donor_tokens (
    token_hash TEXT PRIMARY KEY,
    donor_id INTEGER NOT NULL REFERENCES donors (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
