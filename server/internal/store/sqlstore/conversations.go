package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// GetConversation returns one conversation.
func (s *Store) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	c, err := scanConversation(s.r.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, id))
	if err != nil {
		return store.Conversation{}, notFound(err, "conversation", id)
	}
	return c, nil
}

// FindConversation returns the conversation of a contact.
func (s *Store) FindConversation(ctx context.Context, channel, address string) (store.Conversation, error) {
	c, err := scanConversation(s.r.QueryRowContext(ctx,
		`SELECT `+convCols+` FROM conversations WHERE channel = $1 AND address = $2`, channel, address))
	if err != nil {
		return store.Conversation{}, notFound(err, "conversation", channel+":"+address)
	}
	return c, nil
}

// ListConversations lists conversations, most recently active first.
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, string, error) {
	limit := pageLimit(f.Limit)
	now := micros(s.now())
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Channel != "" {
		where = append(where, "channel = "+arg(f.Channel))
	}
	switch f.State {
	case "":
	case "paused":
		where = append(where, "paused_until > "+arg(now))
	case string(store.StateBot):
		where = append(where, "state = 'bot' AND paused_until <= "+arg(now))
	case string(store.StateTicketOpen):
		where = append(where, "state = 'ticket_open'")
	default:
		return nil, "", fmt.Errorf("list conversations: unknown state %q: %w", f.State, store.ErrInvalid)
	}
	cur, ok, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	if ok {
		t, k := arg(cur.Time), arg(cur.Key)
		where = append(where, fmt.Sprintf("(last_activity_at < %s OR (last_activity_at = %s AND id < %s))", t, t, k))
	}
	query := `SELECT ` + convCols + ` FROM conversations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY last_activity_at DESC, id DESC LIMIT ` + arg(limit+1)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	var list []store.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = cursor{Time: micros(last.LastActivityAt), Key: last.ID}.encode()
	}
	return list, next, nil
}

// ListMessages returns the limit most recent messages, oldest first.
func (s *Store) ListMessages(ctx context.Context, conversationID string, limit int) ([]store.Message, error) {
	if _, err := s.GetConversation(ctx, conversationID); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	msgs, err := queryMessages(ctx, s.r, `
SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2`,
		conversationID, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// SetPausedUntil pauses or resumes the bot in a conversation.
func (s *Store) SetPausedUntil(ctx context.Context, conversationID string, until time.Time) (store.Conversation, error) {
	var c store.Conversation
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		c, err = scanConversation(tx.QueryRowContext(ctx,
			`UPDATE conversations SET paused_until = $2 WHERE id = $1 RETURNING `+convCols, conversationID, micros(until)))
		if err != nil {
			return notFound(err, "conversation", conversationID)
		}
		// Work held back while paused may be due now.
		tx.notify(store.TopicInbox)
		return nil
	})
	if err != nil {
		return store.Conversation{}, fmt.Errorf("set paused until: %w", err)
	}
	return c, nil
}

// EraseContact deletes everything stored about a contact except learned
// knowledge-base entries, which hold no contact data.
func (s *Store) EraseContact(ctx context.Context, channel, address string) (int, int, error) {
	var convs, msgs int
	err := s.write(ctx, func(tx *wtx) error {
		convs, msgs = 0, 0
		rows, err := tx.QueryContext(ctx, `SELECT id FROM conversations WHERE channel = $1 AND address = $2 `+s.d.LockForUpdate, channel, address)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			steps := []string{
				`DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE conversation_id = $1)`,
				`DELETE FROM tickets WHERE conversation_id = $1`,
				`DELETE FROM runs WHERE conversation_id = $1`,
				`DELETE FROM messages WHERE conversation_id = $1`,
				`DELETE FROM conversations WHERE id = $1`,
			}
			for i, q := range steps {
				res, err := tx.ExecContext(ctx, q, id)
				if err != nil {
					return fmt.Errorf("erase conversation %s: %w", id, err)
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				switch i {
				case 3:
					msgs += int(n)
				case 4:
					convs += int(n)
				}
			}
		}
		if len(ids) > 0 {
			tx.notify(store.TopicTickets)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("erase contact: %w", err)
	}
	return convs, msgs, nil
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id string) (store.RunRecord, error) {
	r, err := scanRun(s.r.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, id))
	if err != nil {
		return store.RunRecord{}, notFound(err, "run", id)
	}
	return r, nil
}

// ListRuns returns the limit most recent runs of a conversation, oldest
// first, like ListMessages.
func (s *Store) ListRuns(ctx context.Context, conversationID string, limit int) ([]store.RunRecord, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT `+runCols+` FROM runs WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2`, conversationID, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []store.RunRecord
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}
