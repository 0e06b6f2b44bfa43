-- +goose Up
-- A personal ticket (a request for a person, a question about the user's own
-- account or money) is answered but never learned into the knowledge base.
ALTER TABLE tickets ADD COLUMN personal BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE tickets DROP COLUMN personal;
