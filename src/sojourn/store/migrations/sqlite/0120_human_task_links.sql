-- Human tasks, continued (issue 14): an assignee may hold several links (the first email's and each
-- reminder's), all valid until the task closes for them. The links move out of human_task_assignees.
CREATE TABLE human_task_links (
    link_hash BLOB PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES human_tasks (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX human_task_links_by_task ON human_task_links (task_id, person);
INSERT INTO human_task_links (link_hash, task_id, person, created_at)
    SELECT link_hash, task_id, person, asked_at FROM human_task_assignees;
CREATE TABLE human_task_assignees_0120 (
    task_id TEXT NOT NULL REFERENCES human_tasks (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    on_behalf_of TEXT,
    status TEXT NOT NULL,
    asked_at REAL NOT NULL,
    decision TEXT,
    decided_at REAL,
    PRIMARY KEY (task_id, person)
);
INSERT INTO human_task_assignees_0120
    SELECT task_id, person, email, name, on_behalf_of, status, asked_at, decision, decided_at
    FROM human_task_assignees;
DROP TABLE human_task_assignees;
ALTER TABLE human_task_assignees_0120 RENAME TO human_task_assignees;
CREATE INDEX human_task_assignees_by_person ON human_task_assignees (person, status, task_id);
