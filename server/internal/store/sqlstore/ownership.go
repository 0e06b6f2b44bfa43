package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// applyEvents runs the ownership state machine over events from the
// conversation's state, storing one transition per change, and returns the
// final state. The caller writes it (setOwner, or its own UPDATE).
func applyEvents(ctx context.Context, tx *wtx, conv store.Conversation, events []store.Event, runID, ticketID string, now time.Time) (store.ConversationState, error) {
	state := conv.State
	ticketOpen := conv.OpenTicketID != ""
	for _, ev := range events {
		next := store.Next(state, ev.Cause, ticketOpen)
		switch ev.Cause {
		case store.CauseHandoff, store.CauseAskHuman:
			ticketOpen = true
		case store.CauseTicketAnswered, store.CauseTicketClosed:
			ticketOpen = false
		}
		if next == state {
			continue
		}
		_, err := tx.ExecContext(ctx, `
INSERT INTO transitions (conversation_id, from_state, to_state, cause, actor, reason, run_id, ticket_id, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			conv.ID, string(state), string(next), string(ev.Cause), ev.Actor, ev.Reason, runID, ticketID, micros(now))
		if err != nil {
			return "", fmt.Errorf("record transition: %w", err)
		}
		state = next
	}
	return state, nil
}

// setOwner writes the conversation's state, moving owner_since when it
// changed.
func setOwner(ctx context.Context, tx *wtx, convID string, state store.ConversationState, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
UPDATE conversations SET owner_since = CASE WHEN state <> $2 THEN $3 ELSE owner_since END, state = $2
WHERE id = $1`, convID, string(state), micros(now))
	if err != nil {
		return fmt.Errorf("set owner: %w", err)
	}
	return nil
}

// transition applies one event outside a run and writes the state.
func transition(ctx context.Context, tx *wtx, conv store.Conversation, ev store.Event, ticketID string, now time.Time) (store.ConversationState, error) {
	state, err := applyEvents(ctx, tx, conv, []store.Event{ev}, "", ticketID, now)
	if err != nil {
		return "", err
	}
	return state, setOwner(ctx, tx, conv.ID, state, now)
}

// ListTransitions returns the limit most recent changes of owner, oldest
// first.
func (s *Store) ListTransitions(ctx context.Context, conversationID string, limit int) ([]store.Transition, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT conversation_id, from_state, to_state, cause, actor, reason, run_id, ticket_id, at
FROM transitions WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2`, conversationID, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list transitions: %w", err)
	}
	defer rows.Close()
	var out []store.Transition
	for rows.Next() {
		var t store.Transition
		var from, to, cause string
		var at int64
		if err := rows.Scan(&t.ConversationID, &from, &to, &cause, &t.Actor, &t.Reason, &t.RunID, &t.TicketID, &at); err != nil {
			return nil, fmt.Errorf("list transitions: %w", err)
		}
		t.From, t.To, t.Cause, t.At = store.ConversationState(from), store.ConversationState(to), store.Cause(cause), fromMicros(at)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list transitions: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// recordResolution closes the conversation's current stretch with an
// outcome: its evidence is every run since the previous outcome. The next
// customer message starts a new stretch.
func (s *Store) recordResolution(ctx context.Context, tx *wtx, convID string, outcome store.Outcome, reason, ticketID, confirmation string, now time.Time) error {
	var channel string
	var episodeSeq, started int64
	err := tx.QueryRowContext(ctx, `SELECT channel, episode_seq, episode_started_at FROM conversations WHERE id = $1`, convID).
		Scan(&channel, &episodeSeq, &started)
	if err != nil {
		return fmt.Errorf("record resolution: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, id FROM runs WHERE conversation_id = $1 AND seq > $2 ORDER BY seq`, convID, episodeSeq)
	if err != nil {
		return fmt.Errorf("record resolution: runs: %w", err)
	}
	runIDs := []string{}
	last := episodeSeq
	for rows.Next() {
		var id string
		if err := rows.Scan(&last, &id); err != nil {
			rows.Close()
			return fmt.Errorf("record resolution: runs: %w", err)
		}
		runIDs = append(runIDs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("record resolution: runs: %w", err)
	}
	ids, _ := json.Marshal(runIDs)
	if ticketID != "" {
		// A ticket counted abandoned and answered later was resolved by a
		// person after all: one outcome per ticket.
		res, err := tx.ExecContext(ctx, `
UPDATE resolutions SET outcome = $2, reason = $3, resolved_at = $4 WHERE ticket_id = $1 AND outcome = 'abandoned' AND $2 <> 'abandoned'`,
			ticketID, string(outcome), reason, micros(now))
		if err != nil {
			return fmt.Errorf("record resolution: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO resolutions (id, conversation_id, channel, outcome, reason, run_ids, ticket_id, confirmation, started_at, resolved_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		newID(now), convID, channel, string(outcome), reason, string(ids), ticketID, confirmation, started, micros(now))
	if err != nil {
		return fmt.Errorf("record resolution: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE conversations SET episode_seq = $2, episode_started_at = 0, answered_at = 0 WHERE id = $1`,
		convID, last)
	if err != nil {
		return fmt.Errorf("record resolution: %w", err)
	}
	return nil
}

var resolutionCols = `id, conversation_id, channel, outcome, reason, run_ids, ticket_id, confirmation, started_at, resolved_at, seq`

// ListResolutions lists resolutions newest first.
func (s *Store) ListResolutions(ctx context.Context, f store.ResolutionFilter) ([]store.Resolution, string, error) {
	limit := pageLimit(f.Limit)
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Outcome != "" {
		if !slices.Contains(store.Outcomes, f.Outcome) {
			return nil, "", fmt.Errorf("list resolutions: unknown outcome %q: %w", f.Outcome, store.ErrInvalid)
		}
		where = append(where, "outcome = "+arg(string(f.Outcome)))
	}
	if !f.From.IsZero() {
		where = append(where, "resolved_at >= "+arg(micros(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "resolved_at < "+arg(micros(f.To)))
	}
	cur, ok, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", fmt.Errorf("list resolutions: %w", err)
	}
	if ok {
		t, k := arg(cur.Time), arg(cur.Key)
		where = append(where, fmt.Sprintf("(resolved_at < %s OR (resolved_at = %s AND id < %s))", t, t, k))
	}
	query := `SELECT ` + resolutionCols + ` FROM resolutions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY resolved_at DESC, id DESC LIMIT ` + arg(limit+1)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list resolutions: %w", err)
	}
	defer rows.Close()
	var list []store.Resolution
	for rows.Next() {
		var r store.Resolution
		var outcome, ids string
		var started, resolved, seq int64
		if err := rows.Scan(&r.ID, &r.ConversationID, &r.Channel, &outcome, &r.Reason, &ids, &r.TicketID, &r.Confirmation,
			&started, &resolved, &seq); err != nil {
			return nil, "", fmt.Errorf("list resolutions: %w", err)
		}
		if err := json.Unmarshal([]byte(ids), &r.RunIDs); err != nil {
			return nil, "", fmt.Errorf("resolution %s run ids: %w", r.ID, err)
		}
		r.Outcome, r.StartedAt, r.ResolvedAt = store.Outcome(outcome), fromMicros(started), fromMicros(resolved)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list resolutions: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = cursor{Time: micros(last.ResolvedAt), Key: last.ID}.encode()
	}
	return list, next, nil
}

// CountResolutions counts outcomes resolved in [from, to).
func (s *Store) CountResolutions(ctx context.Context, from, to time.Time) (map[store.Outcome]int, error) {
	query := `SELECT outcome, COUNT(*) FROM resolutions WHERE resolved_at >= $1`
	args := []any{micros(from)}
	if !to.IsZero() {
		query += ` AND resolved_at < $2`
		args = append(args, micros(to))
	}
	rows, err := s.r.QueryContext(ctx, query+` GROUP BY outcome`, args...)
	if err != nil {
		return nil, fmt.Errorf("count resolutions: %w", err)
	}
	defer rows.Close()
	out := map[store.Outcome]int{}
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return nil, fmt.Errorf("count resolutions: %w", err)
		}
		out[store.Outcome(o)] = n
	}
	return out, rows.Err()
}

// settleBatch bounds the conversations one SettleConversations transaction
// takes, so that a backlog never holds the writer for long.
const settleBatch = 100

// SettleConversations records the outcomes time decides.
func (s *Store) SettleConversations(ctx context.Context, p store.SettlePolicy) (int, error) {
	total := 0
	if p.ResolveAfter > 0 {
		// Answered, nothing pending, no person involved, quiet since.
		n, err := s.settle(ctx, `
SELECT `+convCols+` FROM conversations
WHERE answered_at > 0 AND answered_at <= $1 AND state = 'bot' AND pending_at IS NULL
ORDER BY answered_at LIMIT `+fmt.Sprint(settleBatch)+` `+s.d.LockSkipLocked, p.ResolveAfter,
			func(tx *wtx, conv store.Conversation, now time.Time) error {
				state, err := transition(ctx, tx, conv, store.Event{Cause: store.CauseSettled, Actor: "system",
					Reason: fmt.Sprintf("no further question within %s of the answer", p.ResolveAfter)}, "", now)
				if err != nil {
					return err
				}
				_ = state
				return s.recordResolution(ctx, tx, conv.ID, store.OutcomeResolvedByBot,
					"answered; no further question within "+p.ResolveAfter.String(), "", "", now)
			})
		total += n
		if err != nil {
			return total, err
		}
	}
	if p.AbandonAfter > 0 {
		n, err := s.settle(ctx, `
SELECT `+columns("c", conversationColumns)+` FROM conversations c JOIN tickets t ON t.id = c.open_ticket_id
WHERE t.status = 'open' AND t.created_at <= $1
	AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.ticket_id = t.id)
ORDER BY t.created_at LIMIT `+fmt.Sprint(settleBatch)+` `+s.d.LockSkipLocked, p.AbandonAfter,
			func(tx *wtx, conv store.Conversation, now time.Time) error {
				return s.recordResolution(ctx, tx, conv.ID, store.OutcomeAbandoned,
					"hand-off unanswered for "+p.AbandonAfter.String(), conv.OpenTicketID, "", now)
			})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Store) settle(ctx context.Context, query string, after time.Duration, apply func(tx *wtx, conv store.Conversation, now time.Time) error) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *wtx) error {
		n = 0
		now := s.now()
		rows, err := tx.QueryContext(ctx, query, micros(now.Add(-after)))
		if err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		var convs []store.Conversation
		for rows.Next() {
			c, err := scanConversation(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("settle: %w", err)
			}
			convs = append(convs, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		for _, c := range convs {
			if err := apply(tx, c, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("settle conversations: %w", err)
	}
	return n, nil
}

// HoldForWindow parks a message the provider refused outside the window.
func (s *Store) HoldForWindow(ctx context.Context, ref store.OutboundRef, template func(text string) *store.OutboundDraft) (store.Message, error) {
	var m store.Message
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		where, args := `id = $2`, []any{micros(now), ref.ID}
		if ref.ID == "" {
			where, args = `channel = $2 AND channel_message_id = $3`, []any{micros(now), ref.Channel, ref.ProviderMessageID}
		}
		var err error
		m, err = scanMessage(tx.QueryRowContext(ctx, `
UPDATE messages SET status = 'waiting_window', next_attempt_at = 0, updated_at = $1,
	failure_code = '', failure_reason = 'outside the customer-service window: waiting for the customer to write'
WHERE `+where+` AND direction = 'out' AND kind = 'text' RETURNING `+msgCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbound text message %s%s: %w", ref.ID, ref.ProviderMessageID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("hold message: %w", err)
		}
		conv, err := scanConversation(tx.QueryRowContext(ctx, `
UPDATE conversations SET window_until = CASE WHEN window_until > $2 OR window_until = 0 THEN $2 ELSE window_until END
WHERE id = $1 RETURNING `+convCols, m.ConversationID, micros(now)))
		if err != nil {
			return notFound(err, "conversation", m.ConversationID)
		}
		if t := callTemplate(template, m.Text); t != nil {
			t.DedupeKey = windowTemplateKey(conv)
			t.TicketID = m.TicketID
			ok, err := s.insertOutbound(ctx, tx, conv, *t, "", now)
			if err != nil {
				return fmt.Errorf("queue template: %w", err)
			}
			if ok {
				tx.notify(store.TopicOutbox)
			}
		}
		return nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("hold for window: %w", err)
	}
	return m, nil
}

func callTemplate(f func(string) *store.OutboundDraft, text string) *store.OutboundDraft {
	if f == nil {
		return nil
	}
	return f(text)
}
