-- Retention (sojourn.store.retention): closed executions oldest first, and old mail, without a scan.
CREATE INDEX executions_closed ON executions (stopped_at) WHERE stopped_at IS NOT NULL;
CREATE INDEX mail_messages_by_age ON mail_messages (created_at) WHERE status <> 'PENDING';
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at) WHERE status <> 'PENDING';
