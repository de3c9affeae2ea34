-- Schedules (sojourn.store.schedules): what an app's `schedules:` declares, and when each falls due next.
-- Times are epoch seconds. `next_due` is the next due time (None: no more); `fire_at` is when it fires
-- (the due time, later within the flexible window). `anchor` is where a rate counts from.
CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    app TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    expression TEXT NOT NULL,
    timezone TEXT NOT NULL,
    window_minutes INTEGER NOT NULL,
    start_at DOUBLE PRECISION,
    end_at DOUBLE PRECISION,
    input TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    anchor DOUBLE PRECISION NOT NULL,
    next_due DOUBLE PRECISION,
    fire_at DOUBLE PRECISION,
    last_due DOUBLE PRECISION,
    last_execution_arn TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX schedules_due ON schedules (fire_at) WHERE enabled = 1;
-- One row per due time started: its key is the guard that a due time starts one execution only.
CREATE TABLE schedule_firings (
    schedule TEXT NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    execution_arn TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (schedule, due_at)
);
