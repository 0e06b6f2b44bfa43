package sqlstore

import (
	"context"
	"fmt"
	"runtime/trace"
	"slices"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// GetConversation returns one conversation.
func (s *Store) GetConversation(ctx context.Context, id string) (store.Conversation, error) {
	c, err := scanConversation(s.queryRow(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, id))
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

// activitySecond is the divisor of last_activity_at (microseconds) that
// gives the indexed activity_second column (migration 00009); the list's
// cursor bound uses the same.
const activitySecond = 1_000_000

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
	// "bot" and "ticket_open" are the API's coarse view: not paused, without
	// or with an open ticket. The owner states select the state itself.
	case "bot":
		where = append(where, "open_ticket_id = '' AND paused_until <= "+arg(now))
	case "ticket_open":
		where = append(where, "open_ticket_id <> '' AND paused_until <= "+arg(now))
	case string(store.StateWaitingForHuman), string(store.StateHuman), string(store.StateResolved):
		where = append(where, "state = "+arg(f.State))
	default:
		return nil, "", fmt.Errorf("list conversations: unknown state %q: %w", f.State, store.ErrInvalid)
	}
	// Owner mirrors Conversation.Owner: state "human" whose pause has run
	// out belongs to the bot, or to the ticket's queue when one is open.
	expired := func() string { return "(state = 'human' AND paused_until <= " + arg(now) + ")" }
	switch f.Owner {
	case "":
	case store.StateBot:
		where = append(where, "(state = 'bot' OR ("+expired()+" AND open_ticket_id = ''))")
	case store.StateWaitingForHuman:
		where = append(where, "(state = 'waiting_for_human' OR ("+expired()+" AND open_ticket_id <> ''))")
	case store.StateHuman:
		where = append(where, "state = 'human' AND paused_until > "+arg(now))
	case store.StateResolved:
		where = append(where, "state = 'resolved'")
	default:
		return nil, "", fmt.Errorf("list conversations: unknown owner %q: %w", f.Owner, store.ErrInvalid)
	}
	cur, ok, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	if ok {
		// activity_second follows last_activity_at, so the bound on it
		// selects no row the exact comparison would not; it is what the
		// index answers.
		sec, t, k := arg(cur.Time/activitySecond), arg(cur.Time), arg(cur.Key)
		where = append(where, fmt.Sprintf("activity_second <= %s AND (last_activity_at < %s OR (last_activity_at = %s AND id < %s))",
			sec, t, t, k))
	}
	query := `SELECT ` + convCols + ` FROM conversations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	// PostgreSQL's index holds only the second of the last activity
	// (migration 00009: an index on the exact time, which every accept
	// changes, made every accept's update of the row write all the table's
	// indexes) and sorts the rows of one second by the exact time; SQLite's
	// holds the whole order. Either way the order is by recent activity.
	query += ` ORDER BY activity_second DESC, last_activity_at DESC, id DESC LIMIT ` + arg(limit+1)
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
	msgs, err := queryMessages(ctx, cachedReader{s}, `
SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2 + 0`, // + 0: see ClaimOutbound
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
		now := s.now()
		var err error
		c, err = scanConversation(tx.QueryRowContext(ctx,
			`UPDATE conversations SET paused_until = $2 WHERE id = $1 RETURNING `+convCols, conversationID, micros(until)))
		if err != nil {
			return notFound(err, "conversation", conversationID)
		}
		ev := store.Event{Cause: store.CauseResume, Actor: "api", Reason: "resumed"}
		if until.After(now) {
			ev = store.Event{Cause: store.CausePause, Actor: "api", Reason: "paused until " + until.UTC().Format(time.RFC3339)}
		}
		if c.State, err = transition(ctx, tx, c, ev, c.OpenTicketID, now); err != nil {
			return err
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

// EraseContact deletes everything stored about a contact, in one
// transaction, and leaves one EventErased per erased ticket so that ticket
// desks remove their copies. The outbox needs no step of its own: outbound
// messages are rows of messages. An adapter holding one in flight meanwhile
// finds it gone when it acks, which AckOutbound reports as ErrNotFound and
// the outbound stream treats as done.
func (s *Store) EraseContact(ctx context.Context, channel, address string) (store.Erasure, error) {
	var out store.Erasure
	err := s.write(ctx, func(tx *wtx) error {
		out = store.Erasure{}
		now := s.now()
		ids, err := queryStrings(ctx, tx, `SELECT id FROM conversations WHERE channel = $1 AND address = $2 `+s.d.LockForUpdate, channel, address)
		if err != nil {
			return err
		}
		var erased []ticketEvent
		var entries []string
		for _, id := range ids {
			// Locking the tickets (after their conversation, the order every
			// writer follows) waits for a desk linking one right now, so the
			// erased event carries the reference it just linked and no event
			// of its commit survives the deletion below.
			rows, err := tx.QueryContext(ctx, `SELECT id, external_ref, status FROM tickets WHERE conversation_id = $1 `+s.d.LockForUpdate, id)
			if err != nil {
				return fmt.Errorf("erase conversation %s: tickets: %w", id, err)
			}
			for rows.Next() {
				e := ticketEvent{typ: store.EventErased}
				var st string
				if err := rows.Scan(&e.ticketID, &e.externalRef, &st); err != nil {
					rows.Close()
					return fmt.Errorf("erase conversation %s: tickets: %w", id, err)
				}
				e.status = store.TicketStatus(st)
				erased = append(erased, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("erase conversation %s: tickets: %w", id, err)
			}
			// Learned entries are deleted by the ticket they came from: its
			// question is the user's own wording.
			learned, err := queryStrings(ctx, tx, `
DELETE FROM entries WHERE ticket_id <> '' AND ticket_id IN (SELECT id FROM tickets WHERE conversation_id = $1)
RETURNING id`, id)
			if err != nil {
				return fmt.Errorf("erase conversation %s: learned entries: %w", id, err)
			}
			entries = append(entries, learned...)
			steps := []struct {
				query string
				count *int
			}{
				{`DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE conversation_id = $1)`, nil},
				{`DELETE FROM tickets WHERE conversation_id = $1`, &out.Tickets},
				{`DELETE FROM transitions WHERE conversation_id = $1`, nil},
				{`DELETE FROM resolutions WHERE conversation_id = $1`, nil},
				{`DELETE FROM runs WHERE conversation_id = $1`, &out.Runs},
				{`DELETE FROM message_media WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = $1)`, &out.Media},
				{`DELETE FROM messages WHERE conversation_id = $1`, &out.Messages},
				{`DELETE FROM conversations WHERE id = $1`, &out.Conversations},
			}
			for _, step := range steps {
				res, err := tx.ExecContext(ctx, step.query, id)
				if err != nil {
					return fmt.Errorf("erase conversation %s: %w", id, err)
				}
				n, err := res.RowsAffected()
				if err != nil {
					return fmt.Errorf("erase conversation %s: %w", id, err)
				}
				if step.count != nil {
					*step.count += int(n)
				}
			}
		}
		out.Entries = len(entries)
		// The logs come last, knowledge before tickets as in AnswerTicket:
		// on PostgreSQL their locks are held until commit.
		for _, id := range entries {
			// Every replica's index drops the entry when it reads this.
			if err := appendKnowledgeChange(ctx, tx, "entry", id, true); err != nil {
				return err
			}
		}
		if len(ids) > 0 {
			tx.notify(store.TopicTickets)
		}
		return appendTicketEvents(ctx, tx, erased, now)
	})
	if err != nil {
		return store.Erasure{}, fmt.Errorf("erase contact: %w", err)
	}
	// Even when nothing was found: an erasure called again after a purge
	// that failed must be able to finish it.
	if err := s.purge(ctx); err != nil {
		return out, fmt.Errorf("erase contact: rows deleted, but %s still holds copies of them; erase again: %w: %w",
			s.d.Name, store.ErrUnavailable, err)
	}
	return out, nil
}

// purge runs the dialect's Purge with the writer to itself, so that no write
// of this process lands between the erasure and the purge.
func (s *Store) purge(ctx context.Context) error {
	if s.d.Purge == nil {
		return nil
	}
	return s.exclusive(ctx, laneWork, s.d.Purge)
}

// exclusive runs fn with the single writer to itself, granted in lane l.
// Without a single writer it just runs fn.
func (s *Store) exclusive(ctx context.Context, l lane, fn func(ctx context.Context) error) error {
	if s.gate != nil {
		if err := s.gate.acquire(ctx, l); err != nil {
			return fmt.Errorf("%s: wait for the writer: %w", s.d.Name, err)
		}
		defer s.gate.release()
		defer trace.StartRegion(ctx, "writer: exclusive").End()
	}
	return fn(ctx)
}

// queryStrings returns the first column of every row.
func queryStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
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
