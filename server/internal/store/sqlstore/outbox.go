package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// insertOutbound queues a message; false when its dedupe key was already
// used (the message is queued already).
func (s *Store) insertOutbound(ctx context.Context, tx *wtx, conv store.Conversation, d store.OutboundDraft, runID string, now time.Time) (bool, error) {
	kind := d.Kind
	if kind == "" {
		kind = "text"
	}
	author := d.Author
	if author == "" {
		author = store.AuthorBot
	}
	status := store.StatusPending
	// Outside the channel's customer-service window a free-form text cannot
	// be delivered: it waits for the customer to write again, and the
	// approved template (once per closed window) asks them to.
	held := kind == "text" && !conv.WindowUntil.IsZero() && !conv.WindowUntil.After(now)
	if held {
		status = store.StatusWaitingWindow
	}
	payload, err := d.Details.Encode()
	if err != nil {
		return false, fmt.Errorf("insert outbound message: %w", err)
	}
	res, err := tx.ExecContext(ctx, `
INSERT INTO messages (id, conversation_id, channel, direction, author, author_name, kind, text, payload,
	business_address, reply_to, sent_at, created_at, ticket_id, run_id, dedupe_key, status, next_attempt_at, updated_at)
VALUES ($1, $2, $3, 'out', $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $11, $11)
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
		newID(now), conv.ID, conv.Contact.Channel, string(author), d.AuthorName, string(kind), d.Text, payload,
		conv.BusinessAddress, d.ReplyTo, micros(now), d.TicketID, runID, nullable(d.DedupeKey), string(status))
	if err != nil {
		return false, fmt.Errorf("insert outbound message: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert outbound message: %w", err)
	}
	if n == 1 && held && d.OutsideWindow != nil {
		t := *d.OutsideWindow
		t.OutsideWindow = nil
		t.TicketID = d.TicketID
		t.DedupeKey = windowTemplateKey(conv)
		if _, err := s.insertOutbound(ctx, tx, conv, t, runID, now); err != nil {
			return false, fmt.Errorf("queue window template: %w", err)
		}
	}
	return n == 1, nil
}

// windowTemplateKey makes the template asking the customer to write again
// go out once per closed window.
func windowTemplateKey(conv store.Conversation) string {
	return fmt.Sprintf("window:%s:%d", conv.ID, micros(conv.WindowUntil))
}

// releaseWindow makes the replies that waited for the customer-service
// window deliverable: the customer wrote, the window is open again.
func releaseWindow(ctx context.Context, tx *wtx, convID string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `
UPDATE messages SET status = 'pending', next_attempt_at = $2, updated_at = $2, failure_reason = ''
WHERE conversation_id = $1 AND status = 'waiting_window'`, convID, micros(now))
	if err != nil {
		return fmt.Errorf("release messages waiting for the window: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		tx.notify(store.TopicOutbox)
	}
	return nil
}

// countsAsMessage tells drafts the user reads from signals such as read
// receipts, which do not count in a conversation's messages.
func countsAsMessage(d store.OutboundDraft) bool { return d.Kind != kindMarkRead }

// kindMarkRead is the kind of outbound read receipts (and typing
// indicators), exempt from delivery order.
const kindMarkRead = "mark_read"

// EnqueueOutbound queues messages outside of a run.
func (s *Store) EnqueueOutbound(ctx context.Context, conversationID string, drafts []store.OutboundDraft) error {
	if len(drafts) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		conv, err := scanConversation(tx.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, conversationID))
		if err != nil {
			return notFound(err, "conversation", conversationID)
		}
		added := 0
		for i, d := range drafts {
			ok, err := s.insertOutbound(ctx, tx, conv, d, "", now)
			if err != nil {
				return fmt.Errorf("draft %d: %w", i, err)
			}
			if ok {
				tx.notify(store.TopicOutbox)
				if countsAsMessage(d) {
					added++
				}
			}
		}
		if added == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `
UPDATE conversations SET message_count = message_count + $2,
	last_activity_at = CASE WHEN $3 > last_activity_at THEN $3 ELSE last_activity_at END
WHERE id = $1`, conv.ID, added, micros(now))
		if err != nil {
			return fmt.Errorf("count messages: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("enqueue outbound: %w", err)
	}
	return nil
}

// activeStatuses are those of outbound messages not yet accepted by the
// provider nor given up; the oldest such message of a conversation blocks
// the newer ones.
const activeStatuses = `('pending', 'retrying', 'in_flight')`

// ClaimOutbound hands out deliverable messages. Only the oldest undelivered
// message of a conversation is deliverable (mark-read messages aside): the
// next one follows once the provider accepted it or it failed for good, so
// that replies reach the user in order even when an adapter sends
// concurrently.
func (s *Store) ClaimOutbound(ctx context.Context, channel string, limit int, ackTimeout time.Duration) ([]store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	if ackTimeout <= 0 {
		return nil, fmt.Errorf("claim outbound: ack timeout %v is not positive", ackTimeout)
	}
	var out []store.Message
	err := s.writeDelivery(ctx, func(tx *wtx) error {
		out = nil
		now := s.now()
		// "LIMIT $3 + 0": SQLite's planner reads the value bound to a bare
		// "LIMIT $3" and then marks the prepared statement expired whenever
		// the parameter is bound again, so that every claim parsed it anew
		// (half the CPU of a claim). The sum is computed when the statement
		// runs; the plan is the same.
		rows, err := tx.QueryContext(ctx, `
SELECT m.seq FROM messages m
WHERE m.channel = $1 AND m.direction = 'out' AND m.status IN `+activeStatuses+` AND m.next_attempt_at <= $2
	AND (m.kind = '`+kindMarkRead+`' OR NOT EXISTS (
		SELECT 1 FROM messages o
		WHERE o.conversation_id = m.conversation_id AND o.direction = 'out'
			AND o.status IN `+activeStatuses+` AND o.kind <> '`+kindMarkRead+`' AND o.seq < m.seq))
ORDER BY m.seq
LIMIT $3 + 0 `+s.d.LockSkipLocked, channel, micros(now), min(limit, maxLimit))
		if err != nil {
			return fmt.Errorf("find deliverable messages: %w", err)
		}
		var seqs []any
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return fmt.Errorf("find deliverable messages: %w", err)
			}
			seqs = append(seqs, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find deliverable messages: %w", err)
		}
		if len(seqs) == 0 {
			return nil
		}
		args := append([]any{micros(now.Add(ackTimeout)), micros(now)}, seqs...)
		rows, err = tx.QueryContext(ctx, `
UPDATE messages SET status = 'in_flight', attempts = attempts + 1, next_attempt_at = $1, updated_at = $2
WHERE seq IN (`+placeholders(3, len(seqs))+`)
RETURNING seq, `+msgCols, args...)
		if err != nil {
			return fmt.Errorf("mark in flight: %w", err)
		}
		defer rows.Close()
		type claimed struct {
			seq int64
			m   store.Message
		}
		var got []claimed
		for rows.Next() {
			var c claimed
			if c.m, err = scanMessage(prefixScanner{rows, []any{&c.seq}}); err != nil {
				return fmt.Errorf("mark in flight: %w", err)
			}
			got = append(got, c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("mark in flight: %w", err)
		}
		// RETURNING has no defined order.
		slices.SortFunc(got, func(a, b claimed) int { return cmp.Compare(a.seq, b.seq) })
		for _, c := range got {
			out = append(out, c.m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbound: %w", err)
	}
	return out, nil
}

// AckOutbound records the provider's acceptance. The first provider id
// wins; acking again changes nothing.
func (s *Store) AckOutbound(ctx context.Context, id, providerMessageID string) error {
	// Acks arrive as fast as replies are delivered; they share commits.
	err := s.writeGrouped(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `
UPDATE messages SET
	status = CASE WHEN status IN ('sent', 'delivered', 'read') OR channel_message_id <> '' THEN status ELSE 'sent' END,
	channel_message_id = CASE WHEN channel_message_id = '' THEN $2 ELSE channel_message_id END,
	updated_at = $3
WHERE id = $1 AND direction = 'out'`, id, providerMessageID, micros(s.now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("outbound message %q: %w", id, store.ErrNotFound)
		}
		// The conversation's next message may be deliverable now.
		tx.notify(store.TopicOutbox)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack outbound: %w", err)
	}
	return nil
}

// FailOutbound records a delivery failure. Attempts were counted when the
// message was claimed. MaxAttempts of zero or less means no limit.
func (s *Store) FailOutbound(ctx context.Context, id string, retryable bool, code, reason string, policy store.FailPolicy) (store.Message, error) {
	var m store.Message
	err := s.writeDelivery(ctx, func(tx *wtx) error {
		now := s.now()
		var err error
		m, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id = $1 AND direction = 'out' `+s.d.LockForUpdate, id))
		if err != nil {
			return notFound(err, "outbound message", id)
		}
		switch m.Status {
		case store.StatusPending, store.StatusInFlight, store.StatusRetrying:
		default:
			// Accepted by the provider or already failed: a late report
			// changes nothing.
			return errRollback
		}
		status, next := store.StatusFailed, int64(0)
		if retryable && (policy.MaxAttempts <= 0 || m.Attempts < policy.MaxAttempts) {
			status, next = store.StatusRetrying, micros(policy.RetryAt)
			if next < micros(now) {
				next = micros(now)
			}
		}
		m, err = scanMessage(tx.QueryRowContext(ctx, `
UPDATE messages SET status = $2, next_attempt_at = $3, failure_code = $4, failure_reason = $5, updated_at = $6
WHERE id = $1 RETURNING `+msgCols, id, string(status), next, code, reason, micros(now)))
		if err != nil {
			return fmt.Errorf("record failure: %w", err)
		}
		tx.notify(store.TopicOutbox)
		return nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("fail outbound: %w", err)
	}
	return m, nil
}

// RequeueOutbound makes in-flight messages deliverable again at once and
// takes back the attempt their claim counted.
func (s *Store) RequeueOutbound(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *wtx) error {
		now := micros(s.now())
		args := append([]any{now}, anySlice(ids)...)
		res, err := tx.ExecContext(ctx, `
UPDATE messages SET status = 'pending', next_attempt_at = $1, updated_at = $1,
	attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
WHERE status = 'in_flight' AND direction = 'out' AND id IN (`+placeholders(2, len(ids))+`)`, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			tx.notify(store.TopicOutbox)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("requeue outbound: %w", err)
	}
	return nil
}

// statusRank orders delivery statuses by progress, as declared.
var statusRank = map[store.DeliveryStatus]int{
	store.StatusPending:   0,
	store.StatusInFlight:  1,
	store.StatusRetrying:  2,
	store.StatusSent:      3,
	store.StatusDelivered: 4,
	store.StatusRead:      5,
	store.StatusFailed:    6,
}

// RecordReceipt applies a provider receipt; statuses only move forward.
func (s *Store) RecordReceipt(ctx context.Context, channel, providerMessageID string, status store.DeliveryStatus, code, reason string) (bool, error) {
	newRank, ok := statusRank[status]
	if !ok || newRank < statusRank[store.StatusSent] {
		return false, fmt.Errorf("record receipt: %q is not a receipt status", status)
	}
	if providerMessageID == "" {
		return false, nil
	}
	matched := false
	err := s.write(ctx, func(tx *wtx) error {
		matched = false
		var id, old string
		err := tx.QueryRowContext(ctx, `
SELECT id, status FROM messages
WHERE channel = $1 AND channel_message_id = $2 AND direction = 'out'
ORDER BY seq LIMIT 1 `+s.d.LockForUpdate, channel, providerMessageID).Scan(&id, &old)
		if errors.Is(err, sql.ErrNoRows) {
			return errRollback
		}
		if err != nil {
			return fmt.Errorf("find message: %w", err)
		}
		matched = true
		if newRank <= statusRank[store.DeliveryStatus(old)] {
			return errRollback
		}
		if status == store.StatusFailed {
			_, err = tx.ExecContext(ctx, `UPDATE messages SET status = $2, failure_code = $3, failure_reason = $4, updated_at = $5 WHERE id = $1`,
				id, string(status), code, reason, micros(s.now()))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE messages SET status = $2, updated_at = $3 WHERE id = $1`,
				id, string(status), micros(s.now()))
		}
		if err != nil {
			return fmt.Errorf("update status: %w", err)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record receipt: %w", err)
	}
	return matched, nil
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id string) (store.Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id = $1`, id))
	if err != nil {
		return store.Message{}, notFound(err, "message", id)
	}
	return m, nil
}

// RepliesTo returns the outbound messages of the run that processed an
// inbound message.
func (s *Store) RepliesTo(ctx context.Context, inboundID string) ([]store.Message, bool, error) {
	var processed bool
	var runID string
	err := s.r.QueryRowContext(ctx, `SELECT processed, run_id FROM messages WHERE id = $1 AND direction = 'in'`, inboundID).
		Scan(&processed, &runID)
	if err != nil {
		return nil, false, notFound(err, "inbound message", inboundID)
	}
	if runID == "" {
		return nil, processed, nil
	}
	replies, err := queryMessages(ctx, s.r, `
SELECT `+msgCols+` FROM messages WHERE run_id = $1 AND direction = 'out' ORDER BY seq`, runID)
	if err != nil {
		return nil, false, fmt.Errorf("replies to %s: %w", inboundID, err)
	}
	return replies, processed, nil
}
