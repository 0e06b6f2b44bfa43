-- +goose Up
-- Media bytes (a voice note the adapter downloaded) move out of the message
-- row into a table of their own, keyed by message: listings, claims and
-- history read the payload of every message they return, and had been
-- reading megabytes of base64 to use none of it.
CREATE TABLE message_media (
    message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    data       BLOB NOT NULL,
    -- How data holds the bytes: '' as they are; 'base64' as their base64
    -- text, for rows moved below (the store decodes them when read).
    encoding   TEXT NOT NULL DEFAULT ''
);

-- Rows stored before held the bytes in the payload, base64 in the contract's
-- JSON form (media.data): moved here, and removed from the payload. SQLite
-- has no base64 decoder; decoding in SQL took seconds per megabyte.
INSERT INTO message_media (message_id, data, encoding)
SELECT id, CAST(json_extract(CAST(payload AS TEXT), '$.media.data') AS BLOB), 'base64'
FROM messages
WHERE direction = 'in' AND payload IS NOT NULL AND instr(CAST(payload AS TEXT), '"data"') > 0
    AND json_valid(CAST(payload AS TEXT))
    AND json_type(CAST(payload AS TEXT), '$.media.data') = 'text';

UPDATE messages SET payload = CAST(json_remove(CAST(payload AS TEXT), '$.media.data') AS BLOB)
WHERE id IN (SELECT message_id FROM message_media);

-- +goose Down
-- The bytes are not put back into the payloads: messages stored meanwhile
-- lose their media, as voice notes the adapter did not download do.
DROP TABLE message_media;
