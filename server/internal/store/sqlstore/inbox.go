package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// quiet says how long a new message holds its conversation back from the
// workers; nil for a message that is no work (a person's own).
type quiet struct{ window, cap time.Duration }

// upsertConversation creates the contact's conversation on first contact or
// refreshes the contact's details, adds addMessages to its message count
// and returns its id; see upsertConversationsSQL.
func (s *Store) upsertConversation(ctx context.Context, tx *wtx, c store.Contact, business string, now time.Time, addMessages int, pending *quiet, window time.Duration) (string, error) {
	var wait *time.Duration
	var quietCap time.Duration
	if pending != nil {
		wait, quietCap = &pending.window, quietLimit(pending.cap)
	}
	args := make([]any, 0, 1+convRowParams)
	args = append(args, quietCap.Microseconds())
	args = convRow(args, newID(now), c, business, now, addMessages, wait, quietCap, window)
	var id string
	if err := tx.queryRow(ctx, upsertConversation, args...).Scan(&id); err != nil {
		return "", fmt.Errorf("upsert conversation: %w", err)
	}
	return id, nil
}

func validContact(c store.Contact) error {
	if c.Channel == "" || c.Address == "" {
		return errors.New("contact needs a channel and an address")
	}
	return nil
}

// AcceptInbound stores an inbound message. Concurrent calls share write
// transactions (see acceptGrouped); each returns after its message's commit.
func (s *Store) AcceptInbound(ctx context.Context, in store.InboundMessage) (store.AcceptResult, error) {
	if err := validContact(in.Contact); err != nil {
		return store.AcceptResult{}, fmt.Errorf("accept inbound: %w", err)
	}
	if in.ChannelMessageID == "" {
		return store.AcceptResult{}, errors.New("accept inbound: channel message id is required")
	}
	// Webhook re-deliveries are common: the batch answers them without a
	// write, checking all its messages in one query (see storeBatch).
	return s.acceptGrouped(ctx, in)
}

// acceptOne stores one message in a write transaction of its own; a
// concurrent writer having stored it first makes it a duplicate.
func (s *Store) acceptOne(ctx context.Context, in store.InboundMessage) (store.AcceptResult, error) {
	var res store.AcceptResult
	duplicate := false
	err := s.writeUrgent(ctx, func(tx *wtx) error {
		var err error
		res, err = s.insertAccepted(ctx, tx, in, s.now())
		if errors.Is(err, errBatchConflict) {
			// A concurrent call stored the same message first.
			duplicate = true
			return errRollback
		}
		if err != nil {
			return err
		}
		tx.notify(store.TopicInbox)
		return nil
	})
	if err != nil {
		return store.AcceptResult{}, fmt.Errorf("accept inbound: %w", err)
	}
	if duplicate {
		res, ok, err := s.findInbound(ctx, in.Contact.Channel, in.ChannelMessageID)
		if err == nil && !ok {
			err = errors.New("duplicate inbound message vanished")
		}
		return res, err
	}
	return res, nil
}

const findInbound = `
SELECT id, conversation_id FROM messages
WHERE channel = $1 AND channel_message_id = $2 AND direction = 'in'`

func (s *Store) findInbound(ctx context.Context, channel, channelMessageID string) (store.AcceptResult, bool, error) {
	var res store.AcceptResult
	err := s.queryRow(ctx, findInbound, channel, channelMessageID).Scan(&res.MessageID, &res.ConversationID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AcceptResult{}, false, nil
	}
	if err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("find inbound message: %w", err)
	}
	res.Duplicate = true
	return res, true, nil
}

func emptyNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// claimAttempts bounds the conversations a claim looks at when it finds
// stale pending marks, so that one call never loops for long.
const claimAttempts = 8

// ClaimConversation leases the conversation with the oldest pending inbound
// message among those nobody holds.
func (s *Store) ClaimConversation(ctx context.Context, owner string, lease time.Duration) (*store.Claim, error) {
	if owner == "" {
		return nil, errors.New("claim conversation: owner is required")
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim conversation: lease %v is not positive", lease)
	}
	// Most claims by idle workers find nothing; look with a read first so
	// that they do not queue for the writer behind real work.
	var probe int
	err := s.queryRow(ctx, `SELECT 1 FROM conversations
WHERE pending_at IS NOT NULL AND lease_until <= $1 AND not_before <= $1 LIMIT 1`, micros(s.now())).Scan(&probe)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim conversation: look for work: %w", err)
	}
	for range claimAttempts {
		claim, stale, err := s.claimOne(ctx, owner, lease)
		if err != nil {
			return nil, fmt.Errorf("claim conversation: %w", err)
		}
		if !stale {
			return claim, nil
		}
	}
	return nil, nil
}

// claimOne leases the conversation with the oldest pending message, if
// any, and returns it with its messages; stale when the conversation it
// found had no message to process (its pending mark was stale, and is
// cleared now).
//
// The lease is one statement that commits on its own, and the messages
// are read after it: the conversation's row stays locked only while the
// database runs that statement, not across the round trips of a
// transaction, during which every accept of a message in the conversation
// waited for it. Nobody else claims the conversation while the lease
// holds, so the messages read are this claim's: those stored before the
// read, including any accepted since the lease.
func (s *Store) claimOne(ctx context.Context, owner string, lease time.Duration) (claim *store.Claim, stale bool, err error) {
	var conv store.Conversation
	var until time.Time
	found := false
	take := func(q queryer) error {
		found = false
		now := s.now()
		until = now.Add(lease).Truncate(time.Microsecond)
		var err error
		conv, err = scanConversation(q.QueryRowContext(ctx, `
UPDATE conversations SET lease_owner = $1, lease_until = $2
WHERE id = (SELECT id FROM conversations
	WHERE pending_at IS NOT NULL AND lease_until <= $3 AND not_before <= $3
	ORDER BY pending_at, id
	LIMIT 1 `+s.d.LockSkipLocked+`)
RETURNING `+convCols, owner, micros(until), micros(now)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lease conversation: %w", err)
		}
		found = true
		return nil
	}
	if s.gate == nil {
		// Outside a transaction: it commits with the statement.
		err = s.retrying(ctx, func() error { return take(s.w) })
	} else {
		err = s.write(ctx, func(tx *wtx) error { return take(tx) })
	}
	if err != nil || !found {
		return nil, false, err
	}
	claim = &store.Claim{Conversation: conv, Owner: owner, LeaseUntil: until}
	if claim.Messages, err = queryMessages(ctx, cachedReader{s}, unprocessedMessages, conv.ID); err != nil {
		return nil, false, err
	}
	if len(claim.Messages) > 0 {
		return claim, false, nil
	}
	// No message to process: the pending mark is stale. Clear it, and the
	// lease, with the row locked so that no accept adds a message meanwhile.
	err = s.write(ctx, func(tx *wtx) error {
		if _, err := s.checkLease(ctx, tx, claim); err != nil {
			return err
		}
		msgs, err := queryMessages(ctx, tx, unprocessedMessages, conv.ID)
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			// A message came in after the read: the claim holds it.
			claim.Messages = msgs
			return nil
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE conversations SET pending_at = NULL, lease_owner = '', lease_until = 0 WHERE id = $1`, conv.ID); err != nil {
			return fmt.Errorf("clear pending mark: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if len(claim.Messages) == 0 {
		return nil, true, nil
	}
	return claim, false, nil
}

// unprocessedMessages lists a conversation's inbound messages no run has
// processed, in the order they were sent.
var unprocessedMessages = `
SELECT ` + msgCols + ` FROM messages
WHERE conversation_id = $1 AND direction = 'in' AND processed = FALSE
ORDER BY sent_at, seq`

// checkLease locks the claimed conversation and verifies the claim still
// holds it. The lease is identified by owner and expiry, so a later claim by
// a worker of the same name does not count as the old one.
func (s *Store) checkLease(ctx context.Context, tx *wtx, claim *store.Claim) (store.Conversation, error) {
	return s.readLease(ctx, tx, claim, s.d.LockForUpdate)
}

// readLease is checkLease with the row lock given (none: "").
func (s *Store) readLease(ctx context.Context, tx *wtx, claim *store.Claim, lock string) (store.Conversation, error) {
	var owner string
	var until int64
	row := tx.QueryRowContext(ctx, `SELECT lease_owner, lease_until, `+convCols+` FROM conversations WHERE id = $1 `+lock,
		claim.Conversation.ID)
	conv, err := scanConversation(prefixScanner{row, []any{&owner, &until}})
	if errors.Is(err, sql.ErrNoRows) {
		return store.Conversation{}, fmt.Errorf("conversation %s is gone: %w", claim.Conversation.ID, store.ErrLeaseLost)
	}
	if err != nil {
		return store.Conversation{}, fmt.Errorf("check lease: %w", err)
	}
	if owner != claim.Owner || until != micros(claim.LeaseUntil) {
		return store.Conversation{}, fmt.Errorf("conversation %s: %w", claim.Conversation.ID, store.ErrLeaseLost)
	}
	return conv, nil
}

// prefixScanner scans leading columns into extra destinations.
type prefixScanner struct {
	row    rowScanner
	prefix []any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.row.Scan(append(p.prefix, dest...)...)
}

// errConversationMoved rolls back a run's commit that read its
// conversation without a lock, when the row changed meanwhile in a way the
// commit depends on; the commit then runs again locking it first.
var errConversationMoved = errors.New("the conversation changed during the commit")

// CompleteRun commits a run's result for a claim in one transaction.
//
// Where rows are locked (PostgreSQL), the conversation's row is locked by
// the release at the end, not from the start: every accept of a message in
// the conversation updates that row, and while a worker held it across the
// dozen statements of the commit, each a round trip that waits for the
// process to be scheduled on a busy host, the accepts waited for it, and
// the batch they were in, and the callers of that batch. The statements
// before the release read the conversation unlocked; the release, one
// statement, checks on the locked row that the lease and what the commit
// decided on did not change, else the commit runs again the old way. A run
// that opens or follows up a ticket locks first anyway: tickets are locked
// after their conversation.
func (s *Store) CompleteRun(ctx context.Context, claim *store.Claim, result store.RunResult) error {
	if claim == nil {
		return errors.New("complete run: no claim")
	}
	if s.d.LockForUpdate != "" && result.OpenTicket == nil && result.FollowUpTicketID == "" {
		err := s.write(ctx, func(tx *wtx) error { return s.completeRun(ctx, tx, claim, result, false) })
		if !errors.Is(err, errConversationMoved) {
			if err != nil {
				return fmt.Errorf("complete run: %w", err)
			}
			return nil
		}
	}
	err := s.write(ctx, func(tx *wtx) error { return s.completeRun(ctx, tx, claim, result, true) })
	if err != nil {
		return fmt.Errorf("complete run: %w", err)
	}
	return nil
}

// completeRun is CompleteRun's transaction; lockFirst locks the
// conversation before anything else.
func (s *Store) completeRun(ctx context.Context, tx *wtx, claim *store.Claim, result store.RunResult, lockFirst bool) error {
	now := s.now()
	lock := s.d.LockForUpdate
	if !lockFirst {
		lock = ""
	}
	conv, err := s.readLease(ctx, tx, claim, lock)
	if err != nil {
		return err
	}
	ids := make([]string, len(claim.Messages))
	for i, m := range claim.Messages {
		ids[i] = m.ID
	}
	run := result.Run
	if run.ID == "" {
		run.ID = newID(now)
	}
	run.ConversationID = conv.ID
	if len(run.MessageIDs) == 0 {
		run.MessageIDs = ids
	}
	if len(ids) > 0 {
		args := append([]any{run.ID}, anySlice(ids)...)
		res, err := tx.ExecContext(ctx, `
UPDATE messages SET processed = TRUE, run_id = $1
WHERE id IN (`+placeholders(2, len(ids))+`) AND processed = FALSE`, args...)
		if err != nil {
			return fmt.Errorf("mark messages processed: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("mark messages processed: %w", err)
		} else if n != int64(len(ids)) {
			return fmt.Errorf("conversation %s: %d of %d claimed messages already processed: %w",
				conv.ID, int64(len(ids))-n, len(ids), store.ErrLeaseLost)
		}
	}

	var events []ticketEvent
	openTicket := conv.OpenTicketID
	owner := result.Events
	switch {
	case result.OpenTicket != nil:
		t, err := s.insertTicket(ctx, tx, conv, run.TicketID, *result.OpenTicket, now)
		if err != nil {
			return err
		}
		run.TicketID = t
		openTicket = t
		events = append(events, ticketEvent{typ: store.EventCreated, ticketID: t})
		if !slices.ContainsFunc(owner, func(e store.Event) bool { return e.Cause == store.CauseHandoff || e.Cause == store.CauseAskHuman }) {
			owner = append(slices.Clone(owner), store.Event{Cause: store.CauseHandoff, Actor: "bot", Reason: result.OpenTicket.HandoffReason})
		}
	case result.FollowUpTicketID != "":
		if err := s.checkFollowUp(ctx, tx, conv.ID, result.FollowUpTicketID); err != nil {
			return err
		}
		run.TicketID = result.FollowUpTicketID
		for _, id := range ids {
			events = append(events, ticketEvent{typ: store.EventFollowUp, ticketID: run.TicketID, messageID: id})
		}
	}
	if run.TicketID != "" && len(ids) > 0 {
		args := append([]any{run.TicketID}, anySlice(ids)...)
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET ticket_id = $1 WHERE id IN (`+placeholders(2, len(ids))+`)`, args...); err != nil {
			return fmt.Errorf("attach messages to ticket: %w", err)
		}
	}

	if err := insertRun(ctx, tx, run, now); err != nil {
		return err
	}
	state, err := applyEvents(ctx, tx, conv, owner, run.ID, run.TicketID, now)
	if err != nil {
		return err
	}
	confirmed := slices.ContainsFunc(owner, func(e store.Event) bool { return e.Cause == store.CauseConfirmed })
	added := 0
	for i, r := range result.Replies {
		if r.TicketID == "" && result.OpenTicket != nil {
			r.TicketID = run.TicketID
		}
		ok, err := s.insertOutbound(ctx, tx, conv, r, run.ID, now)
		if err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
		if ok {
			tx.notify(store.TopicOutbox)
			if countsAsMessage(r) {
				added++
			}
		}
	}

	// The release. Its subquery reads the messages in the statement's
	// snapshot; the conversation's own columns are read as the row is
	// when the statement has locked it, after any accept that held it. An
	// accept that committed after the snapshot added to message_count, so
	// a count other than the one read keeps a pending mark the snapshot
	// cannot account for (a mark left with nothing to do is cleared by
	// the next claim).
	release := `
UPDATE conversations SET
	lease_owner = '', lease_until = 0,
	pending_at = COALESCE((SELECT MIN(created_at) FROM messages
		WHERE conversation_id = $1 AND direction = 'in' AND processed = FALSE),
		CASE WHEN message_count <> $10 THEN pending_at END),
	message_count = message_count + $2,
	last_activity_at = CASE WHEN $2 > 0 AND $3 > last_activity_at THEN $3 ELSE last_activity_at END,
	last_notice_at = CASE WHEN $4 THEN $3 ELSE last_notice_at END,
	owner_since = CASE WHEN state <> $5 THEN $3 ELSE owner_since END,
	state = $5, open_ticket_id = $6,
	episode_started_at = CASE WHEN episode_started_at = 0 AND $7 THEN $3 ELSE episode_started_at END,
	answered_at = CASE WHEN $8 THEN $3 WHEN $9 THEN 0 ELSE answered_at END
WHERE id = $1`
	args := []any{conv.ID, added, micros(now), result.NoticeSent, string(state), openTicket,
		len(ids) > 0, run.Outcome == "answer" && state == store.StateBot, state != store.StateBot, conv.MessageCount}
	if !lockFirst {
		// Read unlocked, the lease and what this commit decided on are
		// checked again on the row as it is now: the same lease, owner
		// state, ticket and address replies go from, and whether a reply
		// waits for the customer-service window (-1: it does not).
		release += ` AND lease_owner = $11 AND lease_until = $12 AND state = $13 AND open_ticket_id = $14
	AND business_address = $15
	AND CASE WHEN window_until <> 0 AND window_until <= $3 THEN window_until ELSE -1 END = $16`
		held := int64(-1)
		if !conv.WindowUntil.IsZero() && !conv.WindowUntil.After(now) {
			held = micros(conv.WindowUntil)
		}
		args = append(args, claim.Owner, micros(claim.LeaseUntil), string(conv.State), conv.OpenTicketID,
			conv.BusinessAddress, held)
	}
	res, err := tx.ExecContext(ctx, release, args...)
	if err != nil {
		return fmt.Errorf("release conversation: %w", err)
	}
	if !lockFirst {
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("release conversation: %w", err)
		} else if n == 0 {
			if _, err := s.readLease(ctx, tx, claim, ""); err != nil {
				return err // the lease is lost
			}
			return errConversationMoved
		}
	}
	if confirmed {
		if err := s.recordResolution(ctx, tx, conv.ID, store.OutcomeResolvedByBot,
			"the customer confirmed the answer", "", result.Confirmation, now); err != nil {
			return err
		}
	}
	if err := appendTicketEvents(ctx, tx, events, now); err != nil {
		return err
	}
	return nil
}

// checkFollowUp verifies the ticket is open in this conversation. A ticket
// answered or closed while the run was thinking is ErrConflict: the worker
// should give the claim back so the bot handles the message instead.
func (s *Store) checkFollowUp(ctx context.Context, tx *wtx, convID, ticketID string) error {
	var status, ticketConv string
	err := tx.QueryRowContext(ctx, `SELECT status, conversation_id FROM tickets WHERE id = $1 `+s.d.LockForUpdate, ticketID).
		Scan(&status, &ticketConv)
	if err != nil {
		return notFound(err, "ticket", ticketID)
	}
	if ticketConv != convID {
		return fmt.Errorf("ticket %s belongs to another conversation: %w", ticketID, store.ErrConflict)
	}
	if status != string(store.TicketOpen) {
		return fmt.Errorf("follow-up on %s ticket %s: %w", status, ticketID, store.ErrConflict)
	}
	return nil
}

func insertRun(ctx context.Context, tx *wtx, run store.RunRecord, now time.Time) error {
	ids, err := json.Marshal(nonNil(run.MessageIDs))
	if err != nil {
		return fmt.Errorf("run message ids: %w", err)
	}
	agents, err := json.Marshal(nonNil(run.Agents))
	if err != nil {
		return fmt.Errorf("run agents: %w", err)
	}
	started := run.StartedAt
	if started.IsZero() {
		started = now
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO runs (id, conversation_id, message_ids, outcome, reason, agents, trace,
	prompt_tokens, completion_tokens, ticket_id, reply, started_at, duration_us)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		run.ID, run.ConversationID, string(ids), run.Outcome, run.Reason, string(agents), emptyNil(run.Trace),
		run.PromptTokens, run.CompletionTokens, run.TicketID, run.Reply, micros(started), run.Duration.Microseconds())
	if err != nil {
		return fmt.Errorf("insert run: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ReleaseClaim gives the conversation back unprocessed; nobody can claim it
// before retryAfter has passed.
func (s *Store) ReleaseClaim(ctx context.Context, claim *store.Claim, retryAfter time.Duration) error {
	if claim == nil {
		return errors.New("release claim: no claim")
	}
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := s.checkLease(ctx, tx, claim); err != nil {
			return err
		}
		until := s.now().Add(max(retryAfter, 0))
		_, err := tx.ExecContext(ctx, `
UPDATE conversations SET lease_owner = '', lease_until = $2,
	pending_at = (SELECT MIN(created_at) FROM messages
		WHERE conversation_id = $1 AND direction = 'in' AND processed = FALSE)
WHERE id = $1`, claim.Conversation.ID, micros(until))
		if err != nil {
			return fmt.Errorf("release: %w", err)
		}
		tx.notify(store.TopicInbox)
		return nil
	})
	if err != nil {
		return fmt.Errorf("release claim: %w", err)
	}
	return nil
}

// RecordHumanMessage stores what a person wrote on the channel itself and
// pauses the bot.
func (s *Store) RecordHumanMessage(ctx context.Context, contact store.Contact, channelMessageID, businessAddress, text, authorName string, sentAt, pauseUntil time.Time) (store.Conversation, bool, error) {
	if err := validContact(contact); err != nil {
		return store.Conversation{}, false, fmt.Errorf("record human message: %w", err)
	}
	var conv store.Conversation
	duplicate := false
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		if sentAt.IsZero() {
			sentAt = now
		}
		if channelMessageID != "" {
			// The echo of a message we sent ourselves is not a human's.
			var one int
			err := tx.QueryRowContext(ctx, `
SELECT 1 FROM messages WHERE channel = $1 AND channel_message_id = $2 AND direction = 'out'`,
				contact.Channel, channelMessageID).Scan(&one)
			if err == nil {
				duplicate = true
				return errRollback
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("find message: %w", err)
			}
		}
		convID, err := s.upsertConversation(ctx, tx, contact, businessAddress, now, 1, nil, 0)
		if err != nil {
			return err
		}
		var openTicket string
		if err := tx.QueryRowContext(ctx, `SELECT open_ticket_id FROM conversations WHERE id = $1`, convID).Scan(&openTicket); err != nil {
			return fmt.Errorf("read conversation: %w", err)
		}
		var seq int64
		err = tx.QueryRowContext(ctx, `
INSERT INTO messages (id, conversation_id, channel, direction, author, author_name, kind, text,
	channel_message_id, business_address, sent_at, created_at, ticket_id, status, updated_at)
VALUES ($1, $2, $3, 'out', 'human', $4, 'text', $5, $6, $7, $8, $9, $10, 'sent', $9)
ON CONFLICT (channel, channel_message_id) WHERE direction = 'out' AND author = 'human' AND channel_message_id <> '' DO NOTHING
RETURNING seq`,
			newID(now), convID, contact.Channel, authorName, text, channelMessageID, businessAddress,
			micros(sentAt.UTC().Truncate(time.Microsecond)), micros(now), openTicket).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			duplicate = true
			return errRollback
		}
		if err != nil {
			return fmt.Errorf("insert human message: %w", err)
		}
		conv, err = scanConversation(tx.QueryRowContext(ctx, `
UPDATE conversations SET paused_until = CASE WHEN $2 > paused_until THEN $2 ELSE paused_until END
WHERE id = $1 RETURNING `+convCols, convID, micros(pauseUntil)))
		if err != nil {
			return fmt.Errorf("pause conversation: %w", err)
		}
		actor := authorName
		if actor == "" {
			actor = "human"
		}
		conv.State, err = transition(ctx, tx, conv, store.Event{Cause: store.CauseHumanMessage, Actor: actor,
			Reason: "a person wrote on the channel; the bot is silent until " + pauseUntil.UTC().Format(time.RFC3339)}, openTicket, now)
		return err
	})
	if err != nil {
		return store.Conversation{}, false, fmt.Errorf("record human message: %w", err)
	}
	if duplicate {
		conv, err = s.FindConversation(ctx, contact.Channel, contact.Address)
		return conv, true, err
	}
	return conv, false, nil
}

// queryMessages runs a query returning msgCols.
func queryMessages(ctx context.Context, q queryer, query string, args ...any) ([]store.Message, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	return out, nil
}
