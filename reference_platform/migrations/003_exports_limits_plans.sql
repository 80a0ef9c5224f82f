-- Data exports (GDPR Art. 15 and 20): requested, built by a background job, downloaded through an expiring link.
CREATE TABLE exports (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'building', 'ready', 'failed')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    file_name text,
    link_hash text,
    link_expires_at timestamptz,
    failure text
);
CREATE INDEX exports_user_id ON exports (user_id);
CREATE INDEX exports_waiting ON exports (requested_at) WHERE status IN ('pending', 'building');

-- Plans decide the limits.
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';

-- Rate limits: one row per (user or address, route class), holding the GCRA theoretical arrival time.
CREATE TABLE rate_limits (
    key text PRIMARY KEY,
    tat timestamptz NOT NULL
);
