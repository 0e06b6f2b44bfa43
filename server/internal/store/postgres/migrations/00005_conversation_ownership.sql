-- +goose Up
-- The ownership state machine: bot, waiting_for_human (was ticket_open),
-- human (a person wrote or paused the bot), resolved. Every change is a row
-- of transitions; owner_since is when the state last changed.
UPDATE conversations SET state = 'waiting_for_human' WHERE state = 'ticket_open';
UPDATE conversations SET state = 'human' WHERE state = 'bot' AND paused_until > 0;
ALTER TABLE conversations ADD COLUMN owner_since BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET owner_since = last_activity_at;
-- The quiet window: workers claim the conversation only from this time on
-- (the customer quiet for the profile's window, or the cap since the first
-- pending message reached).
ALTER TABLE conversations ADD COLUMN not_before BIGINT NOT NULL DEFAULT 0;
-- End of the channel's customer-service window (0: none).
ALTER TABLE conversations ADD COLUMN window_until BIGINT NOT NULL DEFAULT 0;
-- Resolution accounting: the current stretch of the conversation began
-- after run seq episode_seq, with a customer message at episode_started_at;
-- answered_at is its last bot answer (0: none), settled by time.
ALTER TABLE conversations ADD COLUMN episode_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN episode_started_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN answered_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_answered ON conversations (answered_at) WHERE answered_at > 0;

CREATE TABLE transitions (
    seq BIGSERIAL PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    cause           TEXT NOT NULL,
    actor           TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    run_id          TEXT NOT NULL DEFAULT '',
    ticket_id       TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL
);
CREATE INDEX transitions_conversation ON transitions (conversation_id, seq);

CREATE TABLE resolutions (
    seq BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    run_ids         TEXT NOT NULL DEFAULT '[]', -- JSON array
    ticket_id       TEXT NOT NULL DEFAULT '',
    confirmation    TEXT NOT NULL DEFAULT '',
    started_at      BIGINT NOT NULL DEFAULT 0,
    resolved_at     BIGINT NOT NULL
);
CREATE INDEX resolutions_resolved ON resolutions (resolved_at, seq);
CREATE INDEX resolutions_ticket ON resolutions (ticket_id) WHERE ticket_id <> '';

-- Replies waiting for the customer to reopen the window.
CREATE INDEX messages_waiting_window ON messages (conversation_id, seq) WHERE status = 'waiting_window';

-- +goose Down
DROP INDEX messages_waiting_window;
DROP TABLE resolutions;
DROP TABLE transitions;
DROP INDEX conversations_answered;
ALTER TABLE conversations DROP COLUMN answered_at;
ALTER TABLE conversations DROP COLUMN episode_started_at;
ALTER TABLE conversations DROP COLUMN episode_seq;
ALTER TABLE conversations DROP COLUMN window_until;
ALTER TABLE conversations DROP COLUMN not_before;
ALTER TABLE conversations DROP COLUMN owner_since;
UPDATE conversations SET state = 'bot' WHERE state IN ('human', 'resolved');
UPDATE conversations SET state = 'ticket_open' WHERE state = 'waiting_for_human';
