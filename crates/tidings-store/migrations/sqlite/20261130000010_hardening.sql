-- The name and address a donor gave with each gift stay on the gift: the donor record changes only
-- after a successful payment (or from the donor portal), so an abandoned form cannot rename anyone.
ALTER TABLE donations ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE donations ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE donations ADD COLUMN address TEXT NOT NULL DEFAULT '';
UPDATE donations SET
    first_name = (SELECT o.first_name FROM donors o WHERE o.id = donations.donor_id),
    last_name = (SELECT o.last_name FROM donors o WHERE o.id = donations.donor_id),
    address = (SELECT o.address FROM donors o WHERE o.id = donations.donor_id);

-- A gateway event about this gift that did not match it (session, amount or currency): the gift
-- stays unpaid and the admin shows why.
ALTER TABLE donations ADD COLUMN mismatch TEXT NOT NULL DEFAULT '';
ALTER TABLE recurring_plans ADD COLUMN mismatch TEXT NOT NULL DEFAULT '';

-- Each refund asked for in the admin, under the idempotency key of the form that asked: a second
-- click finds the first refund instead of making another.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    donation_id INTEGER NOT NULL REFERENCES donations (id) ON DELETE CASCADE,
    amount INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at INTEGER NOT NULL
);
CREATE INDEX refunds_donation ON refunds (donation_id);

-- Rate limits over a sliding window: one row per counted request, pruned as the window moves.
CREATE TABLE rate_events (
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (key, at);
