package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"
)

// Media bytes (a voice note the adapter downloaded) live in message_media,
// keyed by message, not in the message row: every listing, claim and
// history read of messages would otherwise carry megabytes it never uses.
// They are written in the transaction that stores their message, read by
// MessageMedia alone, and deleted with their message.

// insertMedia stores the media bytes of a message stored in tx.
func insertMedia(ctx context.Context, tx *wtx, messageID string, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO message_media (message_id, data) VALUES ($1, $2)`, messageID, data); err != nil {
		return fmt.Errorf("insert media of message %s: %w", messageID, err)
	}
	return nil
}

// MessageMedia returns the media bytes stored with a message.
func (s *Store) MessageMedia(ctx context.Context, messageID string) ([]byte, error) {
	var data []byte
	var encoding string
	err := s.r.QueryRowContext(ctx, `SELECT data, encoding FROM message_media WHERE message_id = $1`, messageID).Scan(&data, &encoding)
	if err != nil {
		return nil, notFound(err, "media of message", messageID)
	}
	switch encoding {
	case "":
		return data, nil
	case "base64":
		// Moved by SQLite's migration 00007 from a payload as it was, base64
		// in the contract's JSON form: SQLite has no decoder, so the bytes
		// are decoded here, on the rare read (a voice note still waiting to
		// be transcribed when the server was upgraded).
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
		n, err := base64.StdEncoding.Decode(raw, data)
		if err != nil {
			return nil, fmt.Errorf("media of message %q: %w", messageID, err)
		}
		return raw[:n], nil
	}
	return nil, fmt.Errorf("media of message %q: unknown encoding %q", messageID, encoding)
}
