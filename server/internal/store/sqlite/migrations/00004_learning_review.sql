-- +goose Up
-- Learned entries may wait for review: only live entries are searched, so a
-- pending one answers nobody until an admin approves it, and a rejected one
-- stays out for good (kept as the record of the review). Every entry that
-- exists already was searchable, so it is live.
ALTER TABLE entries ADD COLUMN status TEXT NOT NULL DEFAULT 'live';
-- Provenance of learned entries: who answered the ticket, when the answer
-- was learned and when it was reviewed (times in microseconds, 0 for none).
ALTER TABLE entries ADD COLUMN answered_by TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN learned_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN reviewed_at INTEGER NOT NULL DEFAULT 0;
UPDATE entries SET learned_at = created_at WHERE learned;
UPDATE entries SET answered_by = COALESCE((SELECT t.answered_by FROM tickets t WHERE t.id = entries.ticket_id), '')
WHERE ticket_id <> '';
-- The review queue is read by status; live entries are the bulk and are
-- read in full, so only the others are indexed.
CREATE INDEX entries_review ON entries (status, seq) WHERE status <> 'live';
-- Why a ticket's answer was not learned (policy off, the specialist's
-- choice, personal data), so an operator can tell without the logs.
ALTER TABLE tickets ADD COLUMN not_learned_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tickets DROP COLUMN not_learned_reason;
DROP INDEX entries_review;
ALTER TABLE entries DROP COLUMN reviewed_at;
ALTER TABLE entries DROP COLUMN learned_at;
ALTER TABLE entries DROP COLUMN answered_by;
ALTER TABLE entries DROP COLUMN status;
