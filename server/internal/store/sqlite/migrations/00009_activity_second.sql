-- +goose Up
-- The conversations list orders by the second of the last activity, then
-- its exact time (the same column as PostgreSQL's, where an index on the
-- exact time made no update of the row a HOT update). SQLite has no HOT
-- updates and its planner does not sort what an index leaves partly
-- ordered reliably (with a filter it sorted the whole table), so here the
-- index holds the whole order, as conversations_activity did.
ALTER TABLE conversations ADD COLUMN activity_second INTEGER GENERATED ALWAYS AS (last_activity_at / 1000000) VIRTUAL;
CREATE INDEX conversations_recent ON conversations (activity_second, last_activity_at, id);
DROP INDEX conversations_activity;

-- +goose Down
CREATE INDEX conversations_activity ON conversations (last_activity_at, id);
DROP INDEX conversations_recent;
ALTER TABLE conversations DROP COLUMN activity_second;
