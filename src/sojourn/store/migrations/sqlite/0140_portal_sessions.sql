-- The approver portal (ours; issue 14): the one-time sign-in links emailed to people and the sessions they
-- open. Only the SHA-256 of a link's or a session's token is kept. `person` is whom it signs in (a directory
-- id, or the address of someone asked from outside the directory). Assignees are found by their address.
CREATE TABLE portal_sign_in_links (
    token_hash BLOB PRIMARY KEY,
    person TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE INDEX portal_sign_in_links_by_email ON portal_sign_in_links (email, created_at);
CREATE INDEX portal_sign_in_links_by_expiry ON portal_sign_in_links (expires_at);
CREATE TABLE portal_sessions (
    token_hash BLOB PRIMARY KEY,
    person TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_at);
CREATE INDEX human_task_assignees_by_email ON human_task_assignees (lower(email));
