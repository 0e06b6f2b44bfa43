package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
)

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// columns prefixes each column with alias and a dot.
func columns(alias string, cols []string) string {
	if alias == "" {
		return strings.Join(cols, ", ")
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = alias + "." + c
	}
	return strings.Join(out, ", ")
}

var conversationColumns = []string{
	"id", "channel", "address", "display_name", "phone", "business_address", "state",
	"paused_until", "open_ticket_id", "last_notice_at", "created_at", "last_activity_at", "message_count",
	"owner_since", "window_until",
}

var convCols = columns("", conversationColumns)

func scanConversation(row rowScanner) (store.Conversation, error) {
	var c store.Conversation
	var state string
	var paused, notice, created, activity, since, window int64
	err := row.Scan(&c.ID, &c.Contact.Channel, &c.Contact.Address, &c.Contact.DisplayName, &c.Contact.Phone,
		&c.BusinessAddress, &state, &paused, &c.OpenTicketID, &notice, &created, &activity, &c.MessageCount,
		&since, &window)
	if err != nil {
		return store.Conversation{}, err
	}
	c.State = store.ConversationState(state)
	c.PausedUntil = fromMicros(paused)
	c.LastNoticeAt = fromMicros(notice)
	c.CreatedAt = fromMicros(created)
	c.LastActivityAt = fromMicros(activity)
	c.OwnerSince = fromMicros(since)
	c.WindowUntil = fromMicros(window)
	return c, nil
}

var messageColumns = []string{
	"id", "conversation_id", "direction", "author", "author_name", "kind", "text", "payload",
	"channel_message_id", "business_address", "reply_to", "sent_at", "created_at", "ticket_id",
	"processed", "run_id", "dedupe_key", "status", "attempts", "next_attempt_at",
	"failure_code", "failure_reason", "updated_at",
}

var msgCols = columns("", messageColumns)

func scanMessage(row rowScanner) (store.Message, error) {
	var m store.Message
	var dir, author, status string
	var dedupe *string
	var sent, created, next, updated int64
	var payload []byte
	err := row.Scan(&m.ID, &m.ConversationID, &dir, &author, &m.AuthorName, &m.Kind, &m.Text, &payload,
		&m.ChannelMessageID, &m.BusinessAddress, &m.ReplyTo, &sent, &created, &m.TicketID,
		&m.Processed, &m.RunID, &dedupe, &status, &m.Attempts, &next,
		&m.FailureCode, &m.FailureReason, &updated)
	if err != nil {
		return store.Message{}, err
	}
	if m.Details, err = message.Decode(payload); err != nil {
		return store.Message{}, fmt.Errorf("message %s: %w", m.ID, err)
	}
	m.Direction = store.Direction(dir)
	m.Author = store.Author(author)
	m.Status = store.DeliveryStatus(status)
	if dedupe != nil {
		m.DedupeKey = *dedupe
	}
	m.SentAt = fromMicros(sent)
	m.CreatedAt = fromMicros(created)
	m.NextAttemptAt = fromMicros(next)
	m.UpdatedAt = fromMicros(updated)
	return m, nil
}

var runColumns = []string{
	"id", "conversation_id", "message_ids", "outcome", "reason", "agents", "trace",
	"prompt_tokens", "completion_tokens", "ticket_id", "reply", "started_at", "duration_us",
}

var runCols = columns("", runColumns)

func scanRun(row rowScanner) (store.RunRecord, error) {
	var r store.RunRecord
	var ids, agents string
	var started, dur int64
	err := row.Scan(&r.ID, &r.ConversationID, &ids, &r.Outcome, &r.Reason, &agents, &r.Trace,
		&r.PromptTokens, &r.CompletionTokens, &r.TicketID, &r.Reply, &started, &dur)
	if err != nil {
		return store.RunRecord{}, err
	}
	if err := json.Unmarshal([]byte(ids), &r.MessageIDs); err != nil {
		return store.RunRecord{}, fmt.Errorf("run %s message ids: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(agents), &r.Agents); err != nil {
		return store.RunRecord{}, fmt.Errorf("run %s agents: %w", r.ID, err)
	}
	r.StartedAt = fromMicros(started)
	r.Duration = time.Duration(dur) * time.Microsecond
	return r, nil
}

var ticketColumns = []string{
	"id", "conversation_id", "channel", "address", "display_name", "phone", "question", "context",
	"status", "answer", "answered_by", "external_ref", "handoff_reason", "learned_entry_id",
	"last_error", "close_reason", "created_at", "updated_at", "resolved_at", "personal", "not_learned_reason",
}

var ticketCols = columns("", ticketColumns)

func scanTicket(row rowScanner) (store.Ticket, error) {
	var t store.Ticket
	var context []byte
	var status string
	var created, updated, resolved int64
	err := row.Scan(&t.ID, &t.ConversationID, &t.Contact.Channel, &t.Contact.Address, &t.Contact.DisplayName,
		&t.Contact.Phone, &t.Question, &context, &status, &t.Answer, &t.AnsweredBy, &t.ExternalRef,
		&t.HandoffReason, &t.LearnedEntryID, &t.LastError, &t.CloseReason, &created, &updated, &resolved, &t.Personal, &t.NotLearnedReason)
	if err != nil {
		return store.Ticket{}, err
	}
	t.Status = store.TicketStatus(status)
	t.CreatedAt = fromMicros(created)
	t.UpdatedAt = fromMicros(updated)
	t.ResolvedAt = fromMicros(resolved)
	if t.Context, err = decodeContext(context); err != nil {
		return store.Ticket{}, fmt.Errorf("ticket %s context: %w", t.ID, err)
	}
	return t, nil
}

// contextMessage is how a ticket keeps the conversation before its
// question: a snapshot, so the ticket reads the same whatever happens to the
// conversation later.
type contextMessage struct {
	ID         string `json:"id,omitempty"`
	Direction  string `json:"direction,omitempty"`
	Author     string `json:"author,omitempty"`
	AuthorName string `json:"author_name,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Text       string `json:"text,omitempty"`
	// Payload is the message's details as the payload column holds them.
	Payload          []byte `json:"payload,omitempty"`
	ChannelMessageID string `json:"channel_message_id,omitempty"`
	ReplyTo          string `json:"reply_to,omitempty"`
	SentAt           int64  `json:"sent_at,omitempty"`
	CreatedAt        int64  `json:"created_at,omitempty"`
}

func encodeContext(msgs []store.Message) ([]byte, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	out := make([]contextMessage, len(msgs))
	for i, m := range msgs {
		payload, err := m.Details.Encode()
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", m.ID, err)
		}
		out[i] = contextMessage{
			ID: m.ID, Direction: string(m.Direction), Author: string(m.Author), AuthorName: m.AuthorName,
			Kind: string(m.Kind), Text: m.Text, Payload: payload, ChannelMessageID: m.ChannelMessageID,
			ReplyTo: m.ReplyTo, SentAt: micros(m.SentAt), CreatedAt: micros(m.CreatedAt),
		}
	}
	return json.Marshal(out)
}

func decodeContext(b []byte) ([]store.Message, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var in []contextMessage
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]store.Message, len(in))
	for i, c := range in {
		details, err := message.Decode(c.Payload)
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", c.ID, err)
		}
		out[i] = store.Message{
			ID: c.ID, Direction: store.Direction(c.Direction), Author: store.Author(c.Author),
			AuthorName: c.AuthorName, Kind: message.Kind(c.Kind), Text: c.Text, Details: details,
			ChannelMessageID: c.ChannelMessageID, ReplyTo: c.ReplyTo,
			SentAt: fromMicros(c.SentAt), CreatedAt: fromMicros(c.CreatedAt),
		}
	}
	return out, nil
}

var documentColumns = []string{
	"id", "filename", "media_type", "sha256", "size_bytes", "pages", "chunk_count", "created_at", "updated_at",
}

var docCols = columns("", documentColumns)

func scanDocument(row rowScanner) (store.Document, error) {
	var d store.Document
	var created, updated int64
	err := row.Scan(&d.ID, &d.Filename, &d.MediaType, &d.SHA256, &d.SizeBytes, &d.Pages, &d.ChunkCount, &created, &updated)
	if err != nil {
		return store.Document{}, err
	}
	d.CreatedAt = fromMicros(created)
	d.UpdatedAt = fromMicros(updated)
	return d, nil
}

var chunkCols = "id, document_id, ordinal, page, heading, text, embedding, embedding_model"

func scanChunk(row rowScanner) (store.Chunk, error) {
	var c store.Chunk
	var emb []byte
	if err := row.Scan(&c.ID, &c.DocumentID, &c.Ordinal, &c.Page, &c.Heading, &c.Text, &emb, &c.EmbeddingModel); err != nil {
		return store.Chunk{}, err
	}
	var err error
	if c.Embedding, err = decodeEmbedding(emb); err != nil {
		return store.Chunk{}, fmt.Errorf("chunk %s: %w", c.ID, err)
	}
	return c, nil
}

var entryCols = "id, question, answer, source, ticket_id, learned, embedding, embedding_model, created_at, updated_at, " +
	"status, answered_by, learned_at, reviewed_at"

func scanEntry(row rowScanner) (store.Entry, error) {
	var e store.Entry
	var emb []byte
	var status string
	var created, updated, learned, reviewed int64
	if err := row.Scan(&e.ID, &e.Question, &e.Answer, &e.Source, &e.TicketID, &e.Learned, &emb, &e.EmbeddingModel, &created, &updated,
		&status, &e.AnsweredBy, &learned, &reviewed); err != nil {
		return store.Entry{}, err
	}
	e.Status = store.EntryStatus(status)
	e.LearnedAt = fromMicros(learned)
	e.ReviewedAt = fromMicros(reviewed)
	var err error
	if e.Embedding, err = decodeEmbedding(emb); err != nil {
		return store.Entry{}, fmt.Errorf("entry %s: %w", e.ID, err)
	}
	e.CreatedAt = fromMicros(created)
	e.UpdatedAt = fromMicros(updated)
	return e, nil
}

// filter collects the conditions of a WHERE clause and their arguments;
// each condition has one %d where its placeholder number goes.
type filter struct {
	where []string
	args  []any
}

func (f *filter) add(cond string, v any) {
	f.args = append(f.args, v)
	f.where = append(f.where, fmt.Sprintf(cond, len(f.args)))
}

// newestFirst reads one page of a table with a seq column, newest first,
// resuming after the cursor of the previous page, and returns the cursor of
// the next page ("" at the end).
func newestFirst[T any](ctx context.Context, db queryer, table, cols string, f filter, limit int, cur string, scan func(rowScanner) (T, error)) ([]T, string, error) {
	limit = pageLimit(limit)
	c, ok, err := decodeCursor(cur)
	if err != nil {
		return nil, "", err
	}
	if ok {
		f.add("seq < $%d", c.Seq)
	}
	query := `SELECT seq, ` + cols + ` FROM ` + table
	if len(f.where) > 0 {
		query += ` WHERE ` + strings.Join(f.where, " AND ")
	}
	f.args = append(f.args, limit+1)
	query += fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d`, len(f.args))
	rows, err := db.QueryContext(ctx, query, f.args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var list []T
	var seqs []int64
	for rows.Next() {
		var seq int64
		item, err := scan(prefixScanner{rows, []any{&seq}})
		if err != nil {
			return nil, "", err
		}
		list = append(list, item)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = cursor{Seq: seqs[limit-1]}.encode()
	}
	return list, next, nil
}
