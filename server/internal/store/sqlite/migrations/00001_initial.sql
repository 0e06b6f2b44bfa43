-- Relevo's initial schema on SQLite. Times are UTC microseconds since the
-- epoch (0 for none); booleans are 0/1.

-- +goose Up
CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    channel          TEXT NOT NULL,
    address          TEXT NOT NULL,
    display_name     TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    business_address TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL DEFAULT 'bot',
    paused_until     INTEGER NOT NULL DEFAULT 0,
    open_ticket_id   TEXT NOT NULL DEFAULT '',
    last_notice_at   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    message_count    INTEGER NOT NULL DEFAULT 0,
    -- Creation time of the oldest unprocessed inbound message; NULL when
    -- there is no work. Workers claim conversations in this order.
    pending_at       INTEGER,
    -- A worker's lease, or after a release the time before which nobody
    -- may claim the conversation.
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel, address)
);
CREATE INDEX conversations_pending ON conversations (pending_at) WHERE pending_at IS NOT NULL;
CREATE INDEX conversations_activity ON conversations (last_activity_at, id);

CREATE TABLE messages (
    seq                INTEGER PRIMARY KEY, -- creation order
    id                 TEXT NOT NULL UNIQUE,
    conversation_id    TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL,
    direction          TEXT NOT NULL,
    author             TEXT NOT NULL,
    author_name        TEXT NOT NULL DEFAULT '',
    kind               TEXT NOT NULL DEFAULT '',
    text               TEXT NOT NULL DEFAULT '',
    payload            BLOB,
    channel_message_id TEXT NOT NULL DEFAULT '',
    business_address   TEXT NOT NULL DEFAULT '',
    reply_to           TEXT NOT NULL DEFAULT '',
    sent_at            INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    ticket_id          TEXT NOT NULL DEFAULT '',
    processed          INTEGER NOT NULL DEFAULT 0,
    run_id             TEXT NOT NULL DEFAULT '',
    dedupe_key         TEXT, -- unique when set
    status             TEXT NOT NULL DEFAULT '',
    attempts           INTEGER NOT NULL DEFAULT 0,
    -- Outbound: when the message may next be handed to an adapter (for a
    -- message in flight, when its ack is overdue).
    next_attempt_at    INTEGER NOT NULL DEFAULT 0,
    failure_code       TEXT NOT NULL DEFAULT '',
    failure_reason     TEXT NOT NULL DEFAULT '',
    updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_inbound_channel_id ON messages (channel, channel_message_id) WHERE direction = 'in';
CREATE UNIQUE INDEX messages_human_channel_id ON messages (channel, channel_message_id)
    WHERE direction = 'out' AND author = 'human' AND channel_message_id <> '';
CREATE INDEX messages_outbound_provider_id ON messages (channel, channel_message_id)
    WHERE direction = 'out' AND channel_message_id <> '';
CREATE UNIQUE INDEX messages_dedupe_key ON messages (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX messages_conversation ON messages (conversation_id, seq);
CREATE INDEX messages_unprocessed ON messages (conversation_id, sent_at, seq)
    WHERE direction = 'in' AND processed = FALSE;
CREATE INDEX messages_outbox ON messages (channel, next_attempt_at)
    WHERE direction = 'out' AND status IN ('pending', 'retrying', 'in_flight');
CREATE INDEX messages_outbox_order ON messages (conversation_id, seq)
    WHERE direction = 'out' AND status IN ('pending', 'retrying', 'in_flight') AND kind <> 'mark_read';
CREATE INDEX messages_run ON messages (run_id) WHERE run_id <> '';

CREATE TABLE runs (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_ids       TEXT NOT NULL DEFAULT '[]', -- JSON array
    outcome           TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    agents            TEXT NOT NULL DEFAULT '[]', -- JSON array
    trace             BLOB,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    ticket_id         TEXT NOT NULL DEFAULT '',
    reply             TEXT NOT NULL DEFAULT '',
    started_at        INTEGER NOT NULL DEFAULT 0,
    duration_us       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_conversation ON runs (conversation_id, seq);

CREATE TABLE tickets (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel          TEXT NOT NULL,
    address          TEXT NOT NULL,
    display_name     TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    question         TEXT NOT NULL DEFAULT '',
    context          BLOB, -- JSON array of messages
    status           TEXT NOT NULL,
    answer           TEXT NOT NULL DEFAULT '',
    answered_by      TEXT NOT NULL DEFAULT '',
    external_ref     TEXT NOT NULL DEFAULT '',
    handoff_reason   TEXT NOT NULL DEFAULT '',
    learned_entry_id TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',
    close_reason     TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    resolved_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_status ON tickets (status, seq);
CREATE INDEX tickets_conversation ON tickets (conversation_id, seq);
CREATE INDEX tickets_external_ref ON tickets (external_ref) WHERE external_ref <> '';

-- AUTOINCREMENT: sequences are never reused, even after an erasure deletes
-- the newest events, so followers resuming from a sequence miss nothing.
CREATE TABLE ticket_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  TEXT NOT NULL,
    type       TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, seq);

CREATE TABLE documents (
    id          TEXT PRIMARY KEY,
    filename    TEXT NOT NULL UNIQUE,
    media_type  TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL DEFAULT '',
    size_bytes  INTEGER NOT NULL DEFAULT 0,
    pages       INTEGER NOT NULL DEFAULT 0,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE chunks (
    id              TEXT PRIMARY KEY,
    document_id     TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,
    page            INTEGER NOT NULL DEFAULT 0,
    heading         TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    embedding       BLOB, -- little-endian float32
    embedding_model TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chunks_document ON chunks (document_id, ordinal);

CREATE TABLE entries (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    question        TEXT NOT NULL,
    answer          TEXT NOT NULL,
    source          TEXT NOT NULL DEFAULT '',
    ticket_id       TEXT NOT NULL DEFAULT '',
    learned         INTEGER NOT NULL DEFAULT 0,
    embedding       BLOB, -- little-endian float32
    embedding_model TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX entries_learned ON entries (learned, seq);

CREATE TABLE knowledge_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    item_id TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE knowledge_changes;
DROP TABLE entries;
DROP TABLE chunks;
DROP TABLE documents;
DROP TABLE ticket_events;
DROP TABLE tickets;
DROP TABLE runs;
DROP TABLE messages;
DROP TABLE conversations;
