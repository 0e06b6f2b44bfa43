package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// ticketIDAttempts bounds the retries on ticket id collisions; with 2^30
// ids one retry is already rare.
const ticketIDAttempts = 10

// insertTicket opens a ticket in the conversation. A caller-chosen id (from
// RunRecord.TicketID, so replies can mention it) must be free.
func (s *Store) insertTicket(ctx context.Context, tx *wtx, conv store.Conversation, chosenID string, d store.TicketDraft, now time.Time) (string, error) {
	context, err := encodeContext(d.Context)
	if err != nil {
		return "", fmt.Errorf("ticket context: %w", err)
	}
	for range ticketIDAttempts {
		id := chosenID
		if id == "" {
			id = newTicketID()
		}
		var seq int64
		err := tx.QueryRowContext(ctx, `
INSERT INTO tickets (id, conversation_id, channel, address, display_name, phone, question, context,
	status, handoff_reason, personal, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $11, $10, $10)
ON CONFLICT (id) DO NOTHING
RETURNING seq`,
			id, conv.ID, conv.Contact.Channel, conv.Contact.Address, conv.Contact.DisplayName, conv.Contact.Phone,
			d.Question, context, d.HandoffReason, micros(now), d.Personal).Scan(&seq)
		switch {
		case err == nil:
			return id, nil
		case !errors.Is(err, sql.ErrNoRows):
			return "", fmt.Errorf("insert ticket: %w", err)
		case chosenID != "":
			return "", fmt.Errorf("ticket id %s is taken: %w", chosenID, store.ErrConflict)
		}
	}
	return "", errors.New("insert ticket: no free ticket id")
}

// ticketEvent is an event to append at the end of a transaction.
type ticketEvent struct {
	typ       store.TicketEventType
	ticketID  string
	messageID string
	// For EventErased only.
	externalRef string
	status      store.TicketStatus
}

// appendTicketEvents appends to the event log. Call it last in a
// transaction: on PostgreSQL it takes the log's lock, which is held until
// commit, and a transaction holding it must not wait for row locks.
func appendTicketEvents(ctx context.Context, tx *wtx, events []ticketEvent, now time.Time) error {
	if len(events) == 0 {
		return nil
	}
	if err := tx.lockLog(ctx, "ticket_events"); err != nil {
		return err
	}
	for _, e := range events {
		_, err := tx.ExecContext(ctx, `
INSERT INTO ticket_events (ticket_id, type, message_id, external_ref, ticket_status, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`,
			e.ticketID, string(e.typ), e.messageID, e.externalRef, string(e.status), micros(now))
		if err != nil {
			return fmt.Errorf("append ticket event: %w", err)
		}
	}
	tx.notify(store.TopicTickets)
	return nil
}

// GetTicket returns a ticket with its context and follow-ups.
func (s *Store) GetTicket(ctx context.Context, id string) (store.Ticket, error) {
	t, err := s.getTicket(ctx, s.r, id, "")
	if err != nil {
		return store.Ticket{}, err
	}
	if err := s.loadFollowUps(ctx, s.r, []*store.Ticket{&t}); err != nil {
		return store.Ticket{}, err
	}
	return t, nil
}

func (s *Store) getTicket(ctx context.Context, q queryer, id, lock string) (store.Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = $1 `+lock, id))
	if err != nil {
		return store.Ticket{}, notFound(err, "ticket", id)
	}
	return t, nil
}

// lockTicket locks a ticket for a change that also touches its
// conversation. Rows are always locked conversation first, then ticket (as
// CompleteRun does), so that concurrent writers never deadlock.
func (s *Store) lockTicket(ctx context.Context, tx *wtx, id string) (store.Ticket, error) {
	var convID string
	if err := tx.QueryRowContext(ctx, `SELECT conversation_id FROM tickets WHERE id = $1`, id).Scan(&convID); err != nil {
		return store.Ticket{}, notFound(err, "ticket", id)
	}
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE id = $1 `+s.d.LockForUpdate, convID).Scan(&one); err != nil {
		return store.Ticket{}, notFound(err, "conversation", convID)
	}
	return s.getTicket(ctx, tx, id, s.d.LockForUpdate)
}

// loadFollowUps fills FollowUps of the tickets, in event order.
func (s *Store) loadFollowUps(ctx context.Context, q queryer, tickets []*store.Ticket) error {
	if len(tickets) == 0 {
		return nil
	}
	byID := make(map[string]*store.Ticket, len(tickets))
	ids := make([]any, 0, len(tickets))
	for _, t := range tickets {
		byID[t.ID] = t
		ids = append(ids, t.ID)
	}
	rows, err := q.QueryContext(ctx, `
SELECT e.ticket_id, `+columns("m", messageColumns)+`
FROM ticket_events e JOIN messages m ON m.id = e.message_id
WHERE e.type = 'follow_up' AND e.ticket_id IN (`+placeholders(1, len(ids))+`)
ORDER BY e.seq`, ids...)
	if err != nil {
		return fmt.Errorf("load follow-ups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ticketID string
		m, err := scanMessage(prefixScanner{rows, []any{&ticketID}})
		if err != nil {
			return fmt.Errorf("scan follow-up: %w", err)
		}
		if t := byID[ticketID]; t != nil {
			t.FollowUps = append(t.FollowUps, m)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load follow-ups: %w", err)
	}
	return nil
}

// ListTickets lists tickets newest first.
func (s *Store) ListTickets(ctx context.Context, tf store.TicketFilter) ([]store.Ticket, string, error) {
	var f filter
	if tf.Status != "" {
		f.add("status = $%d", string(tf.Status))
	}
	if tf.ConversationID != "" {
		f.add("conversation_id = $%d", tf.ConversationID)
	}
	if tf.ExternalRef != "" {
		f.add("external_ref = $%d", tf.ExternalRef)
	}
	list, next, err := newestFirst(ctx, s.r, "tickets", ticketCols, f, tf.Limit, tf.Cursor, scanTicket)
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	ptrs := make([]*store.Ticket, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	if err := s.loadFollowUps(ctx, s.r, ptrs); err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// sameAnswer compares answers as a person would see them, so that a double
// click with stray whitespace is still the same answer.
func sameAnswer(a, b string) bool { return strings.TrimSpace(a) == strings.TrimSpace(b) }

// AnswerTicket answers an open ticket atomically.
func (s *Store) AnswerTicket(ctx context.Context, in store.AnswerInput) (store.Ticket, bool, error) {
	if strings.TrimSpace(in.Answer) == "" {
		return store.Ticket{}, false, errors.New("answer ticket: the answer is empty")
	}
	var already bool
	err := s.write(ctx, func(tx *wtx) error {
		already = false
		now := s.now()
		t, err := s.lockTicket(ctx, tx, in.TicketID)
		if err != nil {
			return err
		}
		switch t.Status {
		case store.TicketAnswered:
			if sameAnswer(t.Answer, in.Answer) {
				already = true
				return errRollback
			}
			return fmt.Errorf("ticket %s was answered with another text: %w", t.ID, store.ErrConflict)
		case store.TicketClosed:
			return fmt.Errorf("ticket %s is closed: %w", t.ID, store.ErrConflict)
		}
		conv, err := scanConversation(tx.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, t.ConversationID))
		if err != nil {
			return notFound(err, "conversation", t.ConversationID)
		}
		var entryID string
		notLearned := in.NotLearnedReason
		if in.Learn != nil {
			notLearned = ""
			e := *in.Learn
			e.TicketID = t.ID
			e.Learned = true
			// An entry without its own wording learns the ticket's.
			if strings.TrimSpace(e.Question) == "" {
				e.Question = t.Question
			}
			if strings.TrimSpace(e.Answer) == "" {
				e.Answer = in.Answer
			}
			if e.AnsweredBy == "" {
				e.AnsweredBy = in.AnsweredBy
			}
			created, err := insertEntry(ctx, tx, e, now)
			if err != nil {
				return err
			}
			entryID = created.ID
		}
		_, err = tx.ExecContext(ctx, `
UPDATE tickets SET status = 'answered', answer = $2, answered_by = $3, learned_entry_id = $4,
	not_learned_reason = $6, updated_at = $5, resolved_at = $5
WHERE id = $1`, t.ID, in.Answer, in.AnsweredBy, entryID, micros(now), notLearned)
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		added := 0
		if in.Deliver {
			ok, err := s.insertOutbound(ctx, tx, conv, store.OutboundDraft{
				Kind: "text", Text: in.Answer, Details: in.ReplyDetails, Author: store.AuthorHuman,
				AuthorName: in.AnsweredBy, TicketID: t.ID, DedupeKey: t.ID + ":answer", OutsideWindow: in.OutsideWindow,
			}, "", now)
			if err != nil {
				return fmt.Errorf("queue answer: %w", err)
			}
			if ok {
				added = 1
				tx.notify(store.TopicOutbox)
			}
		}
		if err := s.giveBack(ctx, tx, conv, t.ID, store.Event{Cause: store.CauseTicketAnswered, Actor: in.AnsweredBy,
			Reason: "ticket " + t.ID + " answered"}, added, now); err != nil {
			return err
		}
		if err := s.recordResolution(ctx, tx, conv.ID, store.OutcomeResolvedByPerson,
			"ticket "+t.ID+" answered by "+in.AnsweredBy, t.ID, "", now); err != nil {
			return err
		}
		if entryID != "" {
			if err := appendKnowledgeChange(ctx, tx, "entry", entryID, false); err != nil {
				return err
			}
		}
		return appendTicketEvents(ctx, tx, []ticketEvent{{typ: store.EventAnswered, ticketID: t.ID}}, now)
	})
	if err != nil {
		return store.Ticket{}, false, fmt.Errorf("answer ticket: %w", err)
	}
	t, err := s.GetTicket(ctx, in.TicketID)
	return t, already, err
}

// giveBack applies the ticket's end to the ownership state machine when
// this ticket was the open one, and counts messages added to the
// conversation.
func (s *Store) giveBack(ctx context.Context, tx *wtx, conv store.Conversation, ticketID string, ev store.Event, added int, now time.Time) error {
	state := conv.State
	if conv.OpenTicketID == ticketID {
		var err error
		if state, err = applyEvents(ctx, tx, conv, []store.Event{ev}, "", ticketID, now); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `
UPDATE conversations SET
	owner_since = CASE WHEN state <> $5 THEN $4 ELSE owner_since END,
	state = $5,
	open_ticket_id = CASE WHEN open_ticket_id = $2 THEN '' ELSE open_ticket_id END,
	message_count = message_count + $3,
	last_activity_at = CASE WHEN $3 > 0 AND $4 > last_activity_at THEN $4 ELSE last_activity_at END
WHERE id = $1`, conv.ID, ticketID, added, micros(now), string(state))
	if err != nil {
		return fmt.Errorf("give conversation back: %w", err)
	}
	return nil
}

// CloseTicket closes an open ticket.
func (s *Store) CloseTicket(ctx context.Context, id, reason string) (store.Ticket, error) {
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		t, err := s.lockTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		switch t.Status {
		case store.TicketClosed:
			return errRollback
		case store.TicketAnswered:
			return fmt.Errorf("ticket %s is answered: %w", id, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE tickets SET status = 'closed', close_reason = $2, updated_at = $3, resolved_at = $3 WHERE id = $1`,
			id, reason, micros(now)); err != nil {
			return fmt.Errorf("close: %w", err)
		}
		conv, err := scanConversation(tx.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = $1`, t.ConversationID))
		if err != nil {
			return notFound(err, "conversation", t.ConversationID)
		}
		if err := s.giveBack(ctx, tx, conv, id, store.Event{Cause: store.CauseTicketClosed, Actor: "api", Reason: reason}, 0, now); err != nil {
			return err
		}
		var counted int
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM resolutions WHERE ticket_id = $1`, id).Scan(&counted)
		if err != nil {
			return fmt.Errorf("close: %w", err)
		}
		if counted == 0 {
			if err := s.recordResolution(ctx, tx, conv.ID, store.OutcomeAbandoned,
				strings.TrimSpace("ticket "+id+" closed unanswered "+reason), id, "", now); err != nil {
				return err
			}
		}
		return appendTicketEvents(ctx, tx, []ticketEvent{{typ: store.EventClosed, ticketID: id}}, now)
	})
	if err != nil {
		return store.Ticket{}, fmt.Errorf("close ticket: %w", err)
	}
	return s.GetTicket(ctx, id)
}

// LinkTicket records the ticket's external reference and last sync error.
func (s *Store) LinkTicket(ctx context.Context, id, externalRef, lastError string) (store.Ticket, error) {
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		t, err := s.getTicket(ctx, tx, id, s.d.LockForUpdate)
		if err != nil {
			return err
		}
		if externalRef != "" && t.ExternalRef != "" && t.ExternalRef != externalRef {
			return fmt.Errorf("ticket %s is linked to another reference: %w", id, store.ErrConflict)
		}
		linked := externalRef != "" && t.ExternalRef == ""
		if !linked && t.LastError == lastError {
			return errRollback
		}
		ref := t.ExternalRef
		if linked {
			ref = externalRef
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET external_ref = $2, last_error = $3, updated_at = $4 WHERE id = $1`,
			id, ref, lastError, micros(now)); err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if linked {
			return appendTicketEvents(ctx, tx, []ticketEvent{{typ: store.EventLinked, ticketID: id}}, now)
		}
		return nil
	})
	if err != nil {
		return store.Ticket{}, fmt.Errorf("link ticket: %w", err)
	}
	return s.GetTicket(ctx, id)
}

// TicketEvents returns events after the sequence, in order.
func (s *Store) TicketEvents(ctx context.Context, afterSequence int64, limit int) ([]store.TicketEvent, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT seq, type, ticket_id, message_id, external_ref, ticket_status, created_at FROM ticket_events
WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSequence, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("ticket events: %w", err)
	}
	defer rows.Close()
	var out []store.TicketEvent
	for rows.Next() {
		var e store.TicketEvent
		var typ, status string
		var created int64
		if err := rows.Scan(&e.Sequence, &typ, &e.TicketID, &e.MessageID, &e.ExternalRef, &status, &created); err != nil {
			return nil, fmt.Errorf("ticket events: %w", err)
		}
		e.Type = store.TicketEventType(typ)
		e.TicketStatus = store.TicketStatus(status)
		e.CreatedAt = fromMicros(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket events: %w", err)
	}
	return out, nil
}
