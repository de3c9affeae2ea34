-- A task token's SHA-256 is stored as its 32 bytes, not 64 hex digits (in the row and in the primary key).
-- History details, interpreter frames and token parameters are stored packed (sojourn.store.packing:
-- deflated against a preset dictionary when shorter), so their columns hold bytes; the text already in
-- them becomes its UTF-8, which reads as before.
ALTER TABLE tokens ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex');
ALTER TABLE tokens ALTER COLUMN parameters TYPE bytea USING convert_to(parameters, 'UTF8');
ALTER TABLE events ALTER COLUMN details TYPE bytea USING convert_to(details, 'UTF8');
ALTER TABLE runs ALTER COLUMN frame TYPE bytea USING convert_to(frame, 'UTF8');
