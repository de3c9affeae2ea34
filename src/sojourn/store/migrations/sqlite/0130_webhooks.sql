-- The webhook outbox (SQLite). Times are epoch seconds (REAL).
-- status: PENDING (waiting for delivery), DELIVERED (a 2xx answer), FAILED (given up: `last_error` says why).
-- A PENDING delivery is due at `due_at`; a deliverer's claim sets `lease_owner` and moves `due_at` to the lease's end.
-- `secret_name` names the environment variable holding the signing secret: the secret itself is never stored.
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    secret_name TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status INTEGER,
    created_at REAL NOT NULL,
    due_at REAL NOT NULL,
    lease_owner TEXT,
    delivered_at REAL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'PENDING';
