-- The mail outbox and development mailbox (PostgreSQL). Times are epoch seconds (DOUBLE PRECISION).
-- status: PENDING (waiting for delivery), SENT, FAILED (rejected or given up), KEPT (no SMTP host: dev mailbox).
-- A PENDING message is due at `due_at`; a deliverer's claim sets `lease_owner` and moves `due_at` to the lease's end.
CREATE TABLE mail_messages (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    sender TEXT,
    to_addresses TEXT NOT NULL,
    cc_addresses TEXT NOT NULL,
    bcc_addresses TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    subject TEXT NOT NULL,
    html TEXT,
    text TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    lease_owner TEXT,
    sent_at DOUBLE PRECISION
);
CREATE INDEX mail_messages_due ON mail_messages (due_at) WHERE status = 'PENDING';
-- Every recipient (To, Cc, Bcc), lower-cased: the mailbox filtered by address pages by (address, seq).
CREATE TABLE mail_recipients (
    address TEXT NOT NULL,
    seq BIGINT NOT NULL REFERENCES mail_messages (seq) ON DELETE CASCADE,
    PRIMARY KEY (address, seq)
);
