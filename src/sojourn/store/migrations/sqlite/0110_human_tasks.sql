-- Human tasks (issue 14; Sojourn's own): a Task waiting for people, each asked through a link of their own.
-- A human task answers the task token whose SHA-256 is `token_hash` (the token itself is never stored).
-- status: OPEN, DECIDED (its quorum met, or a veto), EXPIRED, CANCELLED (the execution moved on).
-- `next_due` is when a reminder, escalation or expiry falls due next (NULL: nothing scheduled).
CREATE TABLE human_tasks (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    execution_id BIGINT NOT NULL,
    state_name TEXT NOT NULL,
    title TEXT NOT NULL,
    spec TEXT NOT NULL,
    requester TEXT,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    next_due REAL,
    closed_at REAL,
    result TEXT
);
CREATE INDEX human_tasks_by_status ON human_tasks (status, created_at, id);
CREATE INDEX human_tasks_due ON human_tasks (next_due) WHERE status = 'OPEN' AND next_due IS NOT NULL;
CREATE INDEX human_tasks_by_execution ON human_tasks (execution_id);
-- Who is asked: one row per person (groups are resolved when the task is assigned), with the SHA-256 of the
-- person's link. status: ASKED, DECIDED, REMOVED (reassigned or replaced by escalation).
CREATE TABLE human_task_assignees (
    task_id TEXT NOT NULL REFERENCES human_tasks (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    on_behalf_of TEXT,
    link_hash BLOB NOT NULL UNIQUE,
    status TEXT NOT NULL,
    asked_at REAL NOT NULL,
    decision TEXT,
    decided_at REAL,
    PRIMARY KEY (task_id, person)
);
CREATE INDEX human_task_assignees_by_person ON human_task_assignees (person, status, task_id);
-- The audit trail: every event of a human task, in order, with who and when.
CREATE TABLE human_task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES human_tasks (id) ON DELETE CASCADE,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    details TEXT
);
CREATE INDEX human_task_events_by_task ON human_task_events (task_id, id);
