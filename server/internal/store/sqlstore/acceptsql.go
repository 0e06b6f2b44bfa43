package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// The statements that store accepted messages. A message accepted alone (or
// a person's message on the channel) and a batch of them (group commit,
// batch.go) run the same SQL: the one-row statements are the n-row builders
// at n = 1, so that the two paths cannot drift apart.

// Parameters of one conversation row of upsertConversationsSQL, after the
// quiet cap ($1): id, channel, address, display name, phone, business
// address, now, messages to add to message_count, pending time (NULL: the
// message is no work for the workers, not_before stays), not_before (the
// end of the quiet window) and window_until (the end of the
// customer-service window the message opens; 0: none).
const convRowParams = 11

// upsertConversationsSQL creates each of n conversations (none twice) on
// first contact or refreshes the contact's details, and returns the
// columns listed in returning of each. It locks the rows, so that it also
// orders the transaction against workers completing a run in the same
// conversation. A pending message holds its conversation back from the
// workers until its quiet window ends, but no later than the quiet cap ($1)
// after the oldest message still pending.
func upsertConversationsSQL(n int, returning string) string {
	var sb strings.Builder
	sb.WriteString(insertConversationsInto + " VALUES ")
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		p := 1 + i*convRowParams
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, 'bot', $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
			p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+7, p+8, p+9, p+7, p+10, p+11)
	}
	sb.WriteString("\n" + upsertConversationsSet + "\nRETURNING ")
	sb.WriteString(returning)
	return sb.String()
}

// insertConversationsInto names the columns of upsertConversationsSQL's
// rows, in their order.
const insertConversationsInto = `INSERT INTO conversations (id, channel, address, display_name, phone, business_address, state,
	created_at, last_activity_at, message_count, pending_at, owner_since, not_before, window_until)`

// upsertConversationsSet refreshes a conversation that exists; $1 is the
// quiet cap.
const upsertConversationsSet = `ON CONFLICT (channel, address) DO UPDATE SET
	display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name ELSE conversations.display_name END,
	phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE conversations.phone END,
	business_address = CASE WHEN excluded.business_address <> '' THEN excluded.business_address ELSE conversations.business_address END,
	last_activity_at = CASE WHEN excluded.last_activity_at > conversations.last_activity_at
		THEN excluded.last_activity_at ELSE conversations.last_activity_at END,
	message_count = conversations.message_count + excluded.message_count,
	pending_at = COALESCE(conversations.pending_at, excluded.pending_at),
	not_before = CASE
		WHEN excluded.pending_at IS NULL THEN conversations.not_before
		WHEN conversations.pending_at IS NOT NULL AND conversations.pending_at + CAST($1 AS BIGINT) < excluded.not_before
			THEN conversations.pending_at + CAST($1 AS BIGINT)
		ELSE excluded.not_before END,
	window_until = CASE WHEN excluded.window_until > conversations.window_until
		THEN excluded.window_until ELSE conversations.window_until END`

// convRow appends the parameters of one conversation row to args. pending
// is the quiet window of the new message, nil for a message that is no work
// (a person's own); quietCap is quietLimit's.
func convRow(args []any, id string, c store.Contact, business string, now time.Time,
	messages int, pending *time.Duration, quietCap, window time.Duration) []any {
	var pendingAt any
	var notBefore int64
	if pending != nil {
		pendingAt = micros(now)
		notBefore = micros(now.Add(min(max(*pending, 0), quietCap)))
	}
	var windowUntil int64
	if window > 0 {
		windowUntil = micros(now.Add(window))
	}
	return append(args, id, c.Channel, c.Address, c.DisplayName, c.Phone, business, micros(now), messages,
		pendingAt, notBefore, windowUntil)
}

// quietLimit is the cap on a quiet window as upsertConversationsSQL
// applies it.
func quietLimit(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 100 * 365 * 24 * time.Hour // no cap
	}
	return limit
}

// Parameters of one message row of insertInboundsSQL: id, conversation id,
// channel, kind, text, payload, channel message id, business address,
// reply-to, sent at and now.
const inboundRowParams = 11

// insertInboundsSQL inserts n inbound messages; a message stored already
// (the same channel message id on the channel) is skipped.
func insertInboundsSQL(n int) string {
	var sb strings.Builder
	sb.WriteString(insertInboundsInto + " VALUES ")
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		p := i * inboundRowParams
		fmt.Fprintf(&sb, "($%d, $%d, $%d, 'in', 'user', $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
			p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8, p+9, p+10, p+11, p+11)
	}
	sb.WriteString("\nON CONFLICT (channel, channel_message_id) WHERE direction = 'in' DO NOTHING")
	return sb.String()
}

// insertInboundsInto names the columns of insertInboundsSQL's rows, in
// their order.
const insertInboundsInto = `INSERT INTO messages (id, conversation_id, channel, direction, author, kind, text, payload,
	channel_message_id, business_address, reply_to, sent_at, created_at, updated_at)`

// inboundRow appends the parameters of one message row to args; it fails
// when the message's details cannot be encoded.
func inboundRow(args []any, id, convID string, in store.InboundMessage, now time.Time) ([]any, error) {
	kind := in.Kind
	if kind == "" {
		kind = "text"
	}
	sentAt := in.SentAt.UTC().Truncate(time.Microsecond)
	if in.SentAt.IsZero() {
		sentAt = now
	}
	payload, err := in.Details.Encode()
	if err != nil {
		return args, err
	}
	return append(args, id, convID, in.Contact.Channel, string(kind), in.Text, payload,
		in.ChannelMessageID, in.BusinessAddress, in.ReplyTo, micros(sentAt), micros(now)), nil
}

// The one-row forms, prepared once when the dialect caches statements
// (hotWrites): they are what a message accepted alone runs, and return
// only what it reads.
var (
	upsertConversation = upsertConversationsSQL(1, "id")
	insertInbound      = insertInboundsSQL(1) + "\nRETURNING seq"
)

// acceptArraysSQL stores a batch in one statement, for engines that bind
// arrays (Dialect.ArrayParams): the conversations' upsert, the release of
// replies waiting for a customer-service window the batch opens again, and
// the messages' insert, the same rows as the builders above but one column
// array per parameter, so that one statement text serves every batch size.
//
// Run outside a transaction, it commits on its own: the batch's row locks
// are held while the database executes it and flushes its commit, never
// while the process schedules its next statement (which, on a busy host,
// took longer than the statements themselves and held up the workers and
// the other batches waiting for those rows). A message stored meanwhile by
// another writer fails it with a unique violation (no ON CONFLICT on the
// messages), rolling it back whole.
//
// Parameters: $1 the quiet cap; the conversation columns $2–$12 (id,
// channel, address, display name, phone, business address, now, messages,
// pending time, not before, window until: convRow's); the message columns
// $13–$23 (inboundRow's without the conversation id, which the channel and
// address find, then the address). Returns each message's id and
// conversation id, and the count of replies released.
const acceptArraysSQL = `WITH
r AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[])
	AS r (id, channel, address, display_name, phone, business_address, now, messages, pending_at, not_before, window_until)),
c AS (` + insertConversationsInto + `
	SELECT id, channel, address, display_name, phone, business_address, 'bot', now, now, messages, pending_at, now,
		not_before, window_until
	FROM r ORDER BY channel, address
	` + upsertConversationsSet + `
	RETURNING id, channel, address),
w AS (UPDATE messages SET status = 'pending', next_attempt_at = r.now, updated_at = r.now, failure_reason = ''
	FROM c JOIN r ON r.channel = c.channel AND r.address = c.address
	WHERE r.window_until > 0 AND messages.conversation_id = c.id AND messages.status = 'waiting_window'
	RETURNING 1),
m AS (` + insertInboundsInto + `
	SELECT x.id, c.id, x.channel, 'in', 'user', x.kind, x.text, x.payload, x.channel_message_id, x.business_address,
		x.reply_to, x.sent_at, x.now, x.now
	FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::bytea[], $18::text[], $19::text[],
		$20::text[], $21::int8[], $22::int8[], $23::text[]) WITH ORDINALITY
		AS x (id, channel, kind, text, payload, channel_message_id, business_address, reply_to, sent_at, now, address, ord)
	JOIN c ON c.channel = x.channel AND c.address = x.address
	ORDER BY x.ord
	RETURNING id, conversation_id)
SELECT id, conversation_id, (SELECT count(*) FROM w) FROM m`
