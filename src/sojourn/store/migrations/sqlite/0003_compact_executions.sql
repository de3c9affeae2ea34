-- Executions get an integer id: history, runs, work, tokens and activity tasks refer to it instead of
-- repeating the ~90-character ARN in every row and index entry. The id is also the listing order (it
-- replaces `seq`, which MAX(seq) + 1 could hand out twice). A definition is stored once, by its SHA-256,
-- and executions refer to it. An execution's name is the last part of its ARN and is no longer stored.
-- History keeps each event's details without their wrapper key (`taskScheduledEventDetails` is implied
-- by `TaskScheduled`), `previousEventId` is `id - 1`, and ExecutionStarted's details, the execution's own
-- columns, are filled in when read. A leased work item's `due_at` is its lease's end (one indexed column
-- answers "what is due" and "when is the next due"). Existing rows are carried over.
-- (sha256_hex is registered on every SQLite connection by the store.)
CREATE TABLE definitions (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL
);
INSERT INTO definitions (hash, definition)
    SELECT sha256_hex(definition), definition FROM executions GROUP BY definition;

CREATE TABLE executions_compact (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    machine_arn TEXT NOT NULL,
    version_arn TEXT,
    alias_arn TEXT,
    status TEXT NOT NULL,
    definition_id INTEGER NOT NULL,
    role_arn TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started_at REAL NOT NULL,
    stopped_at REAL,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_at REAL,
    parent TEXT,
    next_event_id INTEGER NOT NULL DEFAULT 1
);
INSERT INTO executions_compact
    SELECT ROW_NUMBER() OVER (ORDER BY seq, started_at, arn), arn, machine_arn, version_arn, alias_arn, status,
           (SELECT d.id FROM definitions d WHERE d.hash = sha256_hex(e.definition)), role_arn, input, output,
           error, cause, started_at, stopped_at, redrive_count, redrive_at, parent, next_event_id
    FROM executions e;

CREATE TABLE runs_compact (
    id INTEGER PRIMARY KEY,
    execution_id INTEGER NOT NULL,
    parent_id INTEGER,
    child_index INTEGER NOT NULL DEFAULT 0,
    parent_fork INTEGER NOT NULL DEFAULT 0,
    generation INTEGER NOT NULL DEFAULT 0,
    fork_generation INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    frame TEXT NOT NULL
);
INSERT INTO runs_compact
    SELECT r.id, e.id, r.parent_id, r.child_index, r.parent_fork, r.generation, r.fork_generation, r.status, r.frame
    FROM runs r JOIN executions_compact e ON e.arn = r.execution_arn;

CREATE TABLE events_compact (
    execution_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    ts REAL NOT NULL,
    type TEXT NOT NULL,
    details TEXT,
    PRIMARY KEY (execution_id, id)
) WITHOUT ROWID;
INSERT INTO events_compact
    SELECT e.id, v.id, v.ts, v.type,
           CASE WHEN v.type = 'ExecutionStarted' OR v.details IS NULL THEN NULL
                ELSE (SELECT value FROM json_each(v.details)) END
    FROM events v JOIN executions_compact e ON e.arn = v.execution_arn;

CREATE TABLE work_compact (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    due_at REAL NOT NULL,
    lease_owner TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
INSERT INTO work_compact
    SELECT w.id, e.id, w.run_id, w.kind, w.payload,
           CASE WHEN w.lease_owner IS NOT NULL AND w.lease_until > w.due_at THEN w.lease_until ELSE w.due_at END,
           w.lease_owner, w.attempts
    FROM work w JOIN executions_compact e ON e.arn = w.execution_arn;

CREATE TABLE tokens_compact (
    hash TEXT PRIMARY KEY,
    execution_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    state_name TEXT NOT NULL,
    resource TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    timeout_at REAL,
    heartbeat_seconds INTEGER,
    heartbeat_at REAL,
    parameters TEXT
);
INSERT INTO tokens_compact
    SELECT t.hash, e.id, t.run_id, t.task_id, t.state_name, t.resource, t.status, t.created_at, t.timeout_at,
           t.heartbeat_seconds, t.heartbeat_at, t.parameters
    FROM tokens t JOIN executions_compact e ON e.arn = t.execution_arn;

CREATE TABLE activity_tasks_compact (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_arn TEXT NOT NULL,
    execution_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    state_name TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL
);
INSERT INTO activity_tasks_compact
    SELECT a.id, a.activity_arn, e.id, a.run_id, a.task_id, a.state_name, a.input, a.status, a.created_at
    FROM activity_tasks a JOIN executions_compact e ON e.arn = a.execution_arn;

DROP TABLE executions;
DROP TABLE runs;
DROP TABLE events;
DROP TABLE work;
DROP TABLE tokens;
DROP TABLE activity_tasks;
ALTER TABLE executions_compact RENAME TO executions;
ALTER TABLE runs_compact RENAME TO runs;
ALTER TABLE events_compact RENAME TO events;
ALTER TABLE work_compact RENAME TO work;
ALTER TABLE tokens_compact RENAME TO tokens;
ALTER TABLE activity_tasks_compact RENAME TO activity_tasks;

-- SQLite ends every index with the rowid: (machine_arn) orders by (machine_arn, id), and so on.
CREATE INDEX executions_by_machine ON executions (machine_arn);
CREATE INDEX executions_by_status ON executions (status);
-- The console bounds its list by start time. No index can serve both a range on started_at and the order
-- on id; this one reads just the rows in the range (then sorted), the primary key walked backwards serves
-- the order and stops after a page when the range is recent: the planner picks.
CREATE INDEX executions_by_start ON executions (started_at);
CREATE INDEX runs_by_execution ON runs (execution_id);
CREATE INDEX runs_by_parent ON runs (parent_id, parent_fork) WHERE parent_id IS NOT NULL;
CREATE INDEX work_due ON work (due_at);
CREATE INDEX work_by_run ON work (run_id);
CREATE INDEX tokens_by_task ON tokens (execution_id, run_id, task_id);
CREATE INDEX tokens_waiting ON tokens (created_at) WHERE status = 'waiting';
CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, status, id);
CREATE INDEX activity_tasks_by_execution ON activity_tasks (execution_id, run_id);
