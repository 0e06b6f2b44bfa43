-- +goose Up
-- An erased ticket leaves one "erased" event whose ticket row is gone: the
-- event itself keeps what a ticket desk needs to find and remove its copy
-- (the external reference and the last status), never personal content.
ALTER TABLE ticket_events ADD COLUMN external_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_events ADD COLUMN ticket_status TEXT NOT NULL DEFAULT '';
-- Erasing a contact deletes the entries learned from its tickets.
CREATE INDEX entries_ticket ON entries (ticket_id) WHERE ticket_id <> '';

-- +goose Down
DROP INDEX entries_ticket;
ALTER TABLE ticket_events DROP COLUMN ticket_status;
ALTER TABLE ticket_events DROP COLUMN external_ref;
