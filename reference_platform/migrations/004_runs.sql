-- Runs and their events, kept so that a client that lost its socket can resume on any instance.
CREATE TABLE runs (
    id uuid PRIMARY KEY,
    thread_id uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    instance_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz
);
CREATE INDEX runs_running ON runs (instance_id) WHERE status = 'running';
CREATE INDEX runs_ended ON runs (ended_at);

CREATE TABLE run_events (
    run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position bigint GENERATED ALWAYS AS IDENTITY,
    seq integer,
    event jsonb NOT NULL,
    PRIMARY KEY (run_id, position)
);
