-- Sojourn's runtime schema (SQLite). Times are epoch seconds (REAL). Task tokens are SHA-256 hashes only.
CREATE TABLE state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    revision_id TEXT NOT NULL,
    logging TEXT,
    tracing TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE machine_versions (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    revision_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (machine_arn, version)
);
CREATE TABLE machine_aliases (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    routing TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);
CREATE TABLE activities (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE executions (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    version_arn TEXT,
    alias_arn TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    definition TEXT NOT NULL,
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
    next_event_id INTEGER NOT NULL DEFAULT 1,
    seq INTEGER NOT NULL,
    UNIQUE (machine_arn, name)
);
CREATE INDEX executions_by_machine ON executions (machine_arn, seq DESC);
CREATE INDEX executions_by_status ON executions (status, seq DESC);
CREATE INDEX executions_by_seq ON executions (seq DESC);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_arn TEXT NOT NULL,
    parent_id INTEGER,
    child_index INTEGER NOT NULL DEFAULT 0,
    generation INTEGER NOT NULL DEFAULT 0,
    fork_generation INTEGER NOT NULL DEFAULT 0,
    waiting_task INTEGER,
    status TEXT NOT NULL,
    frame TEXT NOT NULL
);
CREATE INDEX runs_by_execution ON runs (execution_arn);
CREATE INDEX runs_by_parent ON runs (parent_id);
CREATE TABLE events (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    previous_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    type TEXT NOT NULL,
    details TEXT,
    PRIMARY KEY (execution_arn, id)
);
CREATE TABLE work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_arn TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    due_at REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX work_due ON work (due_at);
CREATE INDEX work_by_execution ON work (execution_arn);
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
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
CREATE INDEX tokens_by_task ON tokens (execution_arn, task_id);
CREATE INDEX tokens_waiting ON tokens (status, created_at);
CREATE TABLE activity_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_arn TEXT NOT NULL,
    execution_arn TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    state_name TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, status, id);
