-- +goose Up
-- Replies that need an operator's attention (failed, retrying, waiting for
-- the customer-service window), newest first, for the console and
-- ListDeliveries. Partial, so that the hot path (pending, in flight, sent)
-- never writes to it.
CREATE INDEX messages_attention ON messages (seq)
    WHERE direction = 'out' AND status IN ('failed', 'retrying', 'waiting_window');

-- +goose Down
DROP INDEX messages_attention;
