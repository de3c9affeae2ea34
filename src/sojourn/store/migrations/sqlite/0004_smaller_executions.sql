-- A task token's SHA-256 is stored as its 32 bytes, not 64 hex digits (in the row and in the primary key).
-- History details, interpreter frames and token parameters are stored packed (sojourn.store.packing:
-- deflated against a preset dictionary when shorter); SQLite keeps each value's own type, so these
-- columns take the packed bytes as they are, and the text already in them reads as before.
-- (hex_blob is registered on every SQLite connection by the store.)
UPDATE tokens SET hash = hex_blob(hash) WHERE typeof(hash) = 'text';

-- An execution refers to its state machine's ARN by id (stored once, kept when the machine is deleted)
-- instead of repeating it in its row and in the index that lists a machine's executions.
CREATE TABLE machine_arns (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE
);
INSERT INTO machine_arns (arn) SELECT DISTINCT machine_arn FROM executions ORDER BY machine_arn;
ALTER TABLE executions ADD COLUMN machine_id INTEGER NOT NULL DEFAULT 0;
UPDATE executions SET machine_id = (SELECT m.id FROM machine_arns m WHERE m.arn = executions.machine_arn);
DROP INDEX executions_by_machine;
ALTER TABLE executions DROP COLUMN machine_arn;
CREATE INDEX executions_by_machine ON executions (machine_id);
