-- Human tasks, continued (issue 14): an assignee may hold several links (the first email's and each
-- reminder's), all valid until the task closes for them. The links move out of human_task_assignees.
CREATE TABLE human_task_links (
    link_hash BYTEA PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES human_tasks (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX human_task_links_by_task ON human_task_links (task_id, person);
INSERT INTO human_task_links (link_hash, task_id, person, created_at)
    SELECT link_hash, task_id, person, asked_at FROM human_task_assignees;
ALTER TABLE human_task_assignees DROP COLUMN link_hash;
