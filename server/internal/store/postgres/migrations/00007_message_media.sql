-- +goose Up
-- Media bytes (a voice note the adapter downloaded) move out of the message
-- row into a table of their own, keyed by message: listings, claims and
-- history read the payload of every message they return, and had been
-- reading megabytes of base64 to use none of it.
CREATE TABLE message_media (
    message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    data       BYTEA NOT NULL,
    -- How data holds the bytes: '' as they are; 'base64' as their base64
    -- text (SQLite's migration moves rows stored before so).
    encoding   TEXT NOT NULL DEFAULT ''
);

-- Rows stored before held the bytes in the payload, base64 in the contract's
-- JSON form (media.data): decoded into the new table, and removed from the
-- payload.
CREATE TEMP TABLE legacy_media ON COMMIT DROP AS
SELECT id, convert_from(payload, 'UTF8')::jsonb AS doc
FROM messages
WHERE direction = 'in' AND payload IS NOT NULL AND position('"data"'::bytea IN payload) > 0;

DELETE FROM legacy_media WHERE jsonb_typeof(doc #> '{media,data}') IS DISTINCT FROM 'string';

INSERT INTO message_media (message_id, data)
SELECT id, decode(doc #>> '{media,data}', 'base64') FROM legacy_media;

UPDATE messages m SET payload = convert_to((l.doc #- '{media,data}')::text, 'UTF8')
FROM legacy_media l WHERE m.id = l.id;

-- +goose Down
-- The bytes are not put back into the payloads: messages stored meanwhile
-- lose their media, as voice notes the adapter did not download do.
DROP TABLE message_media;
