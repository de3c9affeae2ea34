-- A child run remembers which Fork of its parent made it apart from its own Fork counter: one column
-- for both lost the answers of a Map or Parallel nested inside a branch (its counter had moved on).
ALTER TABLE runs ADD COLUMN parent_fork INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET parent_fork = fork_generation WHERE parent_id IS NOT NULL;
