-- Human tasks, continued (issue 14): a task is found again by the step that made it. `step_key` is the
-- Task's idempotency key ("<execution arn>/<state entered event id>/<attempt>"): a task invoked again after a
-- worker died keeps its links and is not asked twice. `run_id` and `generation` say which wait of which run
-- it answers, so that the run moving on (a timeout, a stop) closes it. `reminders_sent` counts reminders.
ALTER TABLE human_tasks ADD COLUMN step_key TEXT;
ALTER TABLE human_tasks ADD COLUMN run_id BIGINT;
ALTER TABLE human_tasks ADD COLUMN generation INTEGER;
ALTER TABLE human_tasks ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX human_tasks_by_step ON human_tasks (step_key);
CREATE INDEX human_tasks_by_run ON human_tasks (run_id) WHERE status = 'OPEN';
