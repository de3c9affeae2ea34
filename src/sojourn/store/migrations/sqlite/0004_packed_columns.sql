-- A task token's SHA-256 is stored as its 32 bytes, not 64 hex digits (in the row and in the primary key).
-- History details, interpreter frames and token parameters are stored packed (sojourn.store.packing:
-- deflated against a preset dictionary when shorter); SQLite keeps each value's own type, so these
-- columns take the packed bytes as they are, and the text already in them reads as before.
-- (hex_blob is registered on every SQLite connection by the store.)
UPDATE tokens SET hash = hex_blob(hash) WHERE typeof(hash) = 'text';
