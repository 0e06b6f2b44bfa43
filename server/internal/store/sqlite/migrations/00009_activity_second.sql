-- +goose Up
-- The conversations list orders by recent activity through the second of
-- the last activity rather than its exact time (the same schema as
-- PostgreSQL's, where an index on the exact time made no update of the row
-- a HOT update). Here it spares the index a change for messages of a
-- conversation within the same second. The list sorts the rows of one
-- second by the exact time, so its order is unchanged.
ALTER TABLE conversations ADD COLUMN activity_second INTEGER GENERATED ALWAYS AS (last_activity_at / 1000000) VIRTUAL;
CREATE INDEX conversations_recent ON conversations (activity_second);
DROP INDEX conversations_activity;

-- +goose Down
CREATE INDEX conversations_activity ON conversations (last_activity_at, id);
DROP INDEX conversations_recent;
ALTER TABLE conversations DROP COLUMN activity_second;
