-- The webhook outbox (PostgreSQL). Times are epoch seconds (DOUBLE PRECISION).
-- status: PENDING (waiting for delivery), DELIVERED (a 2xx answer), FAILED (given up: `last_error` says why).
-- A PENDING delivery is due at `due_at`; a deliverer's claim sets `lease_owner` and moves `due_at` to the lease's end.
-- `secret_name` names the environment variable holding the signing secret: the secret itself is never stored.
CREATE TABLE webhook_deliveries (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    secret_name TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status INTEGER,
    created_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    lease_owner TEXT,
    delivered_at DOUBLE PRECISION
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'PENDING';
