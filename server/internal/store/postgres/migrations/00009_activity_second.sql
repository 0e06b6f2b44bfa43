-- +goose Up
-- The conversations list orders by recent activity through the second of
-- the last activity rather than its exact time: every accepted message
-- advances last_activity_at, and with an index on it no update of the row
-- could be a HOT update (each wrote a new entry in every index of the
-- table). Messages of a conversation within the same second now leave every
-- indexed column as it was. The list sorts the rows of one second by the
-- exact time, so its order is unchanged.
ALTER TABLE conversations ADD COLUMN activity_second BIGINT GENERATED ALWAYS AS (last_activity_at / 1000000) STORED;
CREATE INDEX conversations_recent ON conversations (activity_second);
DROP INDEX conversations_activity;

-- +goose Down
CREATE INDEX conversations_activity ON conversations (last_activity_at, id);
DROP INDEX conversations_recent;
ALTER TABLE conversations DROP COLUMN activity_second;
