// Package store holds Relevo's durable state: conversations, the inbox and
// outbox of messages, agent runs, tickets with their event log, and the
// knowledge base (documents, chunks, question/answer entries).
//
// Store is the one contract; sqlite and postgres implement it on top of the
// shared SQL code in sqlstore, and storetest is the conformance suite both
// must pass. All times are UTC with microsecond precision.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/relevo/relevo/server/internal/message"
)

// Errors returned by every implementation. Callers test them with errors.Is;
// the API layer maps them to gRPC status codes in one place.
var (
	// ErrNotFound: the id names nothing.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change contradicts the current state (e.g. a ticket
	// already answered with another text, or linked to another reference).
	ErrConflict = errors.New("conflict")
	// ErrLeaseLost: the claim on a conversation expired and another worker
	// took it; the caller must drop its result.
	ErrLeaseLost = errors.New("lease lost")
	// ErrInvalid: an argument the caller passed is malformed (a page cursor
	// that did not come from the store, an unknown filter value).
	ErrInvalid = errors.New("invalid argument")
	// ErrUnavailable: the operation could not finish now (e.g. the database
	// stayed busy); calling again is safe and may succeed.
	ErrUnavailable = errors.New("unavailable")
)

// Direction of a message.
type Direction string

const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
)

// Author of a message.
type Author string

const (
	AuthorUser  Author = "user"
	AuthorBot   Author = "bot"
	AuthorHuman Author = "human"
)

// DeliveryStatus of an outbound message. The order of the constants is the
// order of progress: a receipt never moves a message backwards.
type DeliveryStatus string

const (
	StatusPending   DeliveryStatus = "pending"
	StatusInFlight  DeliveryStatus = "in_flight"
	StatusRetrying  DeliveryStatus = "retrying"
	StatusSent      DeliveryStatus = "sent"
	StatusDelivered DeliveryStatus = "delivered"
	StatusRead      DeliveryStatus = "read"
	StatusFailed    DeliveryStatus = "failed"
	// StatusWaitingWindow: due outside the channel's customer-service window;
	// released (pending again) when the customer writes.
	StatusWaitingWindow DeliveryStatus = "waiting_window"
)

// ConversationState says who is in charge of a conversation: the owner
// state of the ownership state machine (ownership.go). A person's pause ends
// at PausedUntil.
type ConversationState string

// StateTicketOpen is the older name of StateWaitingForHuman.
const StateTicketOpen = StateWaitingForHuman

// TicketStatus is the lifecycle state of a ticket.
type TicketStatus string

const (
	TicketOpen     TicketStatus = "open"
	TicketAnswered TicketStatus = "answered"
	TicketClosed   TicketStatus = "closed"
)

// TicketEventType says what happened to a ticket.
type TicketEventType string

const (
	EventCreated  TicketEventType = "created"
	EventFollowUp TicketEventType = "follow_up"
	EventAnswered TicketEventType = "answered"
	EventClosed   TicketEventType = "closed"
	EventLinked   TicketEventType = "linked"
	// EventErased: the ticket's personal content was erased with its
	// contact. The event keeps only what a desk needs to find and remove its
	// copy (TicketEvent.ExternalRef, TicketStatus), never the content.
	EventErased TicketEventType = "erased"
)

// Topics of change notifications (see Store.Subscribe).
const (
	TopicInbox     = "inbox"
	TopicOutbox    = "outbox"
	TopicTickets   = "tickets"
	TopicKnowledge = "knowledge"
)

// Contact identifies a person on a channel by (Channel, Address).
type Contact struct {
	Channel     string
	Address     string
	DisplayName string
	Phone       string
}

// Conversation is one contact's thread with the business on one channel.
type Conversation struct {
	ID              string
	Contact         Contact
	BusinessAddress string
	State           ConversationState
	PausedUntil     time.Time // zero when not paused
	OpenTicketID    string
	LastNoticeAt    time.Time // last "a specialist will answer" notice
	CreatedAt       time.Time
	LastActivityAt  time.Time
	MessageCount    int
	// OwnerSince is when State last changed.
	OwnerSince time.Time
	// WindowUntil ends the channel's customer-service window (zero: the
	// channel has none, or no customer message yet).
	WindowUntil time.Time
}

// Paused reports whether the bot is paused at time now.
func (c Conversation) Paused(now time.Time) bool { return c.PausedUntil.After(now) }

// Owner is the state at time now: a person's pause that has run out gives
// the conversation back (CauseTimeout) even before the next run records it.
func (c Conversation) Owner(now time.Time) ConversationState {
	if c.State == StateHuman && !c.Paused(now) {
		return Next(c.State, CauseTimeout, c.OpenTicketID != "")
	}
	return c.State
}

// Message is one message of a conversation, in either direction.
type Message struct {
	ID             string
	ConversationID string
	Direction      Direction
	Author         Author
	AuthorName     string // agent or specialist name
	Kind           message.Kind
	Text           string
	// Details: the choice, media reference, buttons, template. Media bytes
	// are never here (MessageMedia).
	Details message.Details
	// ChannelMessageID: for inbound messages the channel's id; for outbound
	// messages the provider's id once acked.
	ChannelMessageID string
	BusinessAddress  string
	ReplyTo          string    // channel message id replied to / marked read
	SentAt           time.Time // channel timestamp (inbound) or creation (outbound)
	CreatedAt        time.Time // when stored
	TicketID         string

	// Inbound only.
	Processed bool
	RunID     string

	// Outbound only.
	DedupeKey     string // unique among outbound messages; "" for none
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	FailureCode   string
	FailureReason string
	UpdatedAt     time.Time
}

// DeliveryFilter selects the outbound messages ListDeliveries returns.
type DeliveryFilter struct {
	// Statuses: only messages in one of these (empty: any).
	Statuses []DeliveryStatus
	// Channel: only messages of this channel (empty: any).
	Channel string
	// Since: only messages stored at or after it (zero: any time).
	Since  time.Time
	Limit  int
	Cursor string
}

// AttentionStatuses are the delivery states an operator should look at:
// the reply did not reach the customer, or has not yet.
var AttentionStatuses = []DeliveryStatus{StatusFailed, StatusRetrying, StatusWaitingWindow}

// Delivery is an outbound message with the contact it goes to.
type Delivery struct {
	Message
	Channel, Address string
}

// InboundMessage is what AcceptInbound stores.
type InboundMessage struct {
	Contact          Contact
	ChannelMessageID string // required
	BusinessAddress  string
	SentAt           time.Time // zero: now
	Kind             message.Kind
	Text             string
	Details          message.Details
	// MediaData is the attachment's bytes, when the channel downloaded them
	// (a voice note to transcribe): stored apart from the message, in the
	// same transaction, and read back only by MessageMedia.
	MediaData []byte
	ReplyTo   string
	// QuietWindow holds the conversation back from the workers until the
	// customer has been quiet this long, so that fragments typed one after
	// another are one turn; QuietCap bounds the wait from the first pending
	// message. Zero: claimable at once.
	QuietWindow, QuietCap time.Duration
	// Window is the channel's customer-service window: replies are free-form
	// until this long after the message (zero: the channel has none). The
	// message reopens it, and releases replies that waited for it.
	Window time.Duration
}

// AcceptResult is the outcome of AcceptInbound.
type AcceptResult struct {
	MessageID      string
	ConversationID string
	Duplicate      bool // the (channel, channel message id) was already stored
}

// Claim is a worker's exclusive, time-limited hold on one conversation and
// the pending inbound messages it had when claimed.
type Claim struct {
	Conversation Conversation
	Messages     []Message // pending inbound messages, in channel order
	Owner        string
	LeaseUntil   time.Time
}

// OutboundDraft is a message the server wants delivered.
type OutboundDraft struct {
	Kind       message.Kind // text, template, mark_read
	Text       string
	Details    message.Details
	ReplyTo    string
	AuthorName string
	Author     Author // default AuthorBot
	TicketID   string
	// DedupeKey makes the insert idempotent: a second draft with the same key
	// is ignored. Derive it from a natural id (inbound message id + ordinal,
	// ticket id + "answer").
	DedupeKey string
	// OutsideWindow is sent instead when the conversation's
	// customer-service window is closed (the profile's approved template);
	// the draft itself then waits (StatusWaitingWindow) until the customer
	// writes. Text drafts wait for the window even without one.
	OutsideWindow *OutboundDraft
}

// TicketDraft is a ticket to open as part of a run.
type TicketDraft struct {
	Question      string
	HandoffReason string
	// Personal marks a question only a person can answer for this user (a
	// request for a person, their own account or money): its answer is
	// never learned.
	Personal bool
	// Context is the conversation before the question, oldest first.
	Context []Message
}

// RunRecord is the recorded trace of an agent run.
type RunRecord struct {
	ID               string
	ConversationID   string
	MessageIDs       []string
	Outcome          string // smalltalk, answer, escalate, follow_up, silent
	Reason           string
	Agents           []string
	Trace            []byte // JSON of the steps; opaque here
	PromptTokens     int
	CompletionTokens int
	TicketID         string
	Reply            string
	StartedAt        time.Time
	Duration         time.Duration
}

// RunResult is everything a worker commits for a claim, atomically: the
// claimed messages become processed, the replies enter the outbox, the run is
// recorded, and the conversation's state changes — or nothing happens.
type RunResult struct {
	Run     RunRecord
	Replies []OutboundDraft
	// OpenTicket opens a ticket and moves the conversation to
	// StateTicketOpen. RunRecord.TicketID is set to the new id.
	OpenTicket *TicketDraft
	// FollowUpTicketID attaches the claimed messages to this open ticket
	// (one follow-up event per message).
	FollowUpTicketID string
	// NoticeSent records that the "a specialist will answer" notice went out
	// now (sets Conversation.LastNoticeAt).
	NoticeSent bool
	// Events move the ownership state machine, in order; each change is
	// stored as a Transition of this run. OpenTicket implies CauseHandoff
	// when no hand-off event is given.
	Events []Event
	// Confirmation is what the customer said to confirm the bot's answer,
	// when CauseConfirmed is among the events: the evidence of the
	// resolution recorded with it.
	Confirmation string
}

// OutboundRef names an outbound message by its id, or by the provider's id
// on a channel (a receipt).
type OutboundRef struct {
	ID                string
	Channel           string
	ProviderMessageID string
}

// Outbound failure policy passed to FailOutbound.
type FailPolicy struct {
	MaxAttempts int       // attempts after which a retryable failure becomes permanent
	RetryAt     time.Time // next attempt, for retryable failures
}

// Ticket is a request for a human specialist.
type Ticket struct {
	ID             string
	ConversationID string
	Contact        Contact
	Question       string
	Context        []Message
	FollowUps      []Message
	Status         TicketStatus
	Answer         string
	AnsweredBy     string
	ExternalRef    string
	HandoffReason  string
	Personal       bool
	LearnedEntryID string
	// NotLearnedReason says why the answer was not learned (the learning
	// policy is off, the specialist chose not to, the answer is personal);
	// empty when it was learned or the ticket is not answered.
	NotLearnedReason string
	LastError        string
	CloseReason      string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ResolvedAt       time.Time
}

// TicketEvent is an entry of the ticket event log.
type TicketEvent struct {
	Sequence  int64
	Type      TicketEventType
	TicketID  string
	MessageID string // follow-up message, for EventFollowUp
	// ExternalRef and TicketStatus are set on EventErased only: the ticket
	// itself no longer exists to be read.
	ExternalRef  string
	TicketStatus TicketStatus
	CreatedAt    time.Time
}

// TicketFilter selects tickets for ListTickets.
type TicketFilter struct {
	Status         TicketStatus // "" for any
	ConversationID string
	ExternalRef    string
	Limit          int
	// Cursor is the opaque position returned as next by the previous page.
	Cursor string
}

// AnswerInput is what AnswerTicket records.
type AnswerInput struct {
	TicketID   string
	Answer     string
	AnsweredBy string
	// Deliver queues the answer to the user. False when the human already
	// wrote it on the channel (WhatsApp Business app echo).
	Deliver bool
	// Learn, when not nil, is stored as a learned entry in the same
	// transaction (Entry.TicketID is set; Entry.AnsweredBy defaults to
	// AnsweredBy). Its Status says whether it is live at once or waits for
	// review.
	Learn *Entry
	// NotLearnedReason is recorded on the ticket when Learn is nil.
	NotLearnedReason string
	// ReplyDetails are the details of the outbound answer message.
	ReplyDetails message.Details
	// OutsideWindow is sent in place of the answer when the conversation's
	// customer-service window is closed (OutboundDraft.OutsideWindow).
	OutsideWindow *OutboundDraft
}

// ConversationFilter selects conversations.
type ConversationFilter struct {
	Channel string
	// State: "bot" (not paused, no open ticket), "ticket_open" (not
	// paused, a ticket open), "paused", an owner state (waiting_for_human,
	// human, resolved), or "" for any.
	State string
	// Owner, when set, selects conversations whose Owner(now) is this
	// state: a person's pause that has run out counts as the owner it gives
	// the conversation back to.
	Owner  ConversationState
	Limit  int
	Cursor string
}

// Erasure counts what EraseContact deleted.
type Erasure struct {
	Conversations int
	Messages      int // inbound and outbound, the outbox in every state included
	Media         int // stored media of those messages (MessageMedia)
	Runs          int
	Tickets       int
	Entries       int // learned knowledge-base entries of the contact's tickets
}

// Document is an uploaded knowledge-base file.
type Document struct {
	ID         string
	Filename   string
	MediaType  string
	SHA256     string
	SizeBytes  int64
	Pages      int
	ChunkCount int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Chunk is a passage of a document, with its embedding.
type Chunk struct {
	ID         string
	DocumentID string
	Ordinal    int
	Page       int
	Heading    string
	Text       string
	// Embedding and the model that produced it; the index recomputes
	// embeddings whose model differs from the configured one.
	Embedding      []float32
	EmbeddingModel string
}

// IndexData is what the knowledge index derived from a document's chunks,
// in the index's own encoding; Version names that encoding and the
// analysis, so a server reads only what it would have computed itself.
type IndexData struct {
	Version string
	Data    []byte
}

// EntryStatus is where an entry stands in review. Only live entries are
// searched: a learned answer under the review policy waits as pending until
// an admin approves it (live) or rejects it.
type EntryStatus string

const (
	EntryLive     EntryStatus = "live"
	EntryPending  EntryStatus = "pending"
	EntryRejected EntryStatus = "rejected"
)

// Valid reports whether s is one of the statuses.
func (s EntryStatus) Valid() bool {
	return s == EntryLive || s == EntryPending || s == EntryRejected
}

// Entry is a question/answer pair of the knowledge base.
type Entry struct {
	ID             string
	Question       string
	Answer         string
	Source         string
	TicketID       string
	Learned        bool
	Embedding      []float32
	EmbeddingModel string
	// Status is EntryLive when empty on creation.
	Status EntryStatus
	// Provenance of learned entries: the specialist who answered the
	// ticket and when the answer was learned (set by the store when zero).
	AnsweredBy string
	LearnedAt  time.Time
	// ReviewedAt is when an admin approved or rejected the entry; zero
	// for entries that never waited for review.
	ReviewedAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Live reports whether the entry may answer customers. An entry that never
// went through a store (a store-less knowledge base) has no status and is
// live.
func (e Entry) Live() bool { return e.Status == EntryLive || e.Status == "" }

// EntryFilter selects entries for ListEntries.
type EntryFilter struct {
	LearnedOnly bool
	Status      EntryStatus // "" for any
	Limit       int
	// Cursor is the opaque position returned as next by the previous page.
	Cursor string
}

// EntryEdit is a new wording of an entry, embedded by the caller.
type EntryEdit struct {
	Question       string
	Answer         string
	Embedding      []float32
	EmbeddingModel string
}

// KnowledgeChange is an entry of the knowledge change log, which replicas
// follow to keep their in-memory index current.
type KnowledgeChange struct {
	Sequence int64
	Kind     string // "document" or "entry"
	ID       string
	Deleted  bool
}

// PutDocumentResult says what PutDocument did.
type PutDocumentResult struct {
	Document  Document
	Replaced  bool // a document with that file name existed and was replaced
	Unchanged bool // same name and content already stored; nothing changed
}

// Store is the contract of Relevo's durable state. Every method is safe for
// concurrent use, by several goroutines and (on PostgreSQL) several processes.
type Store interface {
	// AcceptInbound stores an inbound message in its conversation (created on
	// first contact) and returns once it is durable. The same (channel,
	// channel message id) again returns the original ids with Duplicate set
	// and changes nothing.
	AcceptInbound(ctx context.Context, in InboundMessage) (AcceptResult, error)

	// ClaimConversation leases one conversation that has unprocessed inbound
	// messages and is not leased by anyone else, for lease. It returns nil,
	// nil when there is no such work. Conversations are offered oldest
	// pending message first.
	ClaimConversation(ctx context.Context, owner string, lease time.Duration) (*Claim, error)
	// CompleteRun commits a run's result for a claim atomically and releases
	// the lease; ErrLeaseLost when the lease was taken over meanwhile, in which
	// case nothing is written.
	CompleteRun(ctx context.Context, claim *Claim, result RunResult) error
	// ReleaseClaim gives the conversation back without processing, so that
	// it can be claimed again after retryAfter.
	ReleaseClaim(ctx context.Context, claim *Claim, retryAfter time.Duration) error

	// ClaimOutbound leases up to limit deliverable outbound messages of a
	// channel (pending, retrying and due, or in flight with an expired lease),
	// marks them in flight until now+ackTimeout and counts an attempt.
	// Messages of one conversation are returned in creation order and a
	// conversation with an older message still in flight or retrying yields
	// nothing newer.
	ClaimOutbound(ctx context.Context, channel string, limit int, ackTimeout time.Duration) ([]Message, error)
	// EnqueueOutbound puts messages into a conversation's outbox outside of a
	// run (the typing indicator while the agents work). Drafts whose
	// DedupeKey already exists are ignored.
	EnqueueOutbound(ctx context.Context, conversationID string, drafts []OutboundDraft) error
	// AckOutbound records the provider's id; idempotent.
	AckOutbound(ctx context.Context, id, providerMessageID string) error
	// FailOutbound records a delivery failure: retryable failures with
	// attempts left become retrying at policy.RetryAt, others failed.
	FailOutbound(ctx context.Context, id string, retryable bool, code, reason string, policy FailPolicy) (Message, error)
	// RequeueOutbound makes in-flight messages deliverable again at once,
	// without counting the attempt (the stream that held them broke).
	RequeueOutbound(ctx context.Context, ids []string) error
	// RecordReceipt applies a provider receipt to the outbound message with
	// that provider id; matched is false when there is none. Statuses only
	// move forward, except failed.
	RecordReceipt(ctx context.Context, channel, providerMessageID string, status DeliveryStatus, code, reason string) (matched bool, err error)
	// GetMessage returns one message.
	GetMessage(ctx context.Context, id string) (Message, error)
	// MessageMedia returns the media bytes stored with an inbound message
	// (InboundMessage.MediaData); ErrNotFound when it has none. Nothing
	// else reads them: listings and history leave them where they are.
	MessageMedia(ctx context.Context, messageID string) ([]byte, error)
	// RepliesTo returns the outbound messages of the run that processed the
	// inbound message id, and whether that message has been processed.
	RepliesTo(ctx context.Context, inboundID string) (replies []Message, processed bool, err error)

	// RecordHumanMessage stores a message a human sent on the channel itself
	// (idempotent on channel message id) and pauses the bot in the
	// conversation until pauseUntil. It returns the conversation (with its
	// open ticket id, if any) and whether it was a duplicate.
	RecordHumanMessage(ctx context.Context, contact Contact, channelMessageID, businessAddress, text, authorName string, sentAt, pauseUntil time.Time) (Conversation, bool, error)

	// Conversations.
	GetConversation(ctx context.Context, id string) (Conversation, error)
	FindConversation(ctx context.Context, channel, address string) (Conversation, error)
	ListConversations(ctx context.Context, f ConversationFilter) (list []Conversation, next string, err error)
	// ListMessages returns the limit most recent messages, oldest first.
	ListMessages(ctx context.Context, conversationID string, limit int) ([]Message, error)
	// ListDeliveries lists outbound messages across conversations, newest
	// first, with the contact each goes to.
	ListDeliveries(ctx context.Context, f DeliveryFilter) (list []Delivery, next string, err error)
	// SetPausedUntil pauses (future time: CausePause) or resumes (zero
	// time: CauseResume) the bot.
	SetPausedUntil(ctx context.Context, conversationID string, until time.Time) (Conversation, error)
	// ListTransitions returns the limit most recent changes of owner of a
	// conversation, oldest first.
	ListTransitions(ctx context.Context, conversationID string, limit int) ([]Transition, error)

	// Resolution accounting.
	// ListResolutions lists resolutions newest first.
	ListResolutions(ctx context.Context, f ResolutionFilter) (list []Resolution, next string, err error)
	// CountResolutions counts the outcomes resolved in [from, to) (zero
	// bounds are open).
	CountResolutions(ctx context.Context, from, to time.Time) (map[Outcome]int, error)
	// SettleConversations records the outcomes that time decides: bot answers
	// that met no further question (resolved by the bot, the conversation
	// resolved), tickets left unanswered (abandoned). Safe to call from
	// several replicas at once; it returns how many it recorded.
	SettleConversations(ctx context.Context, p SettlePolicy) (int, error)

	// HoldForWindow handles an outbound message the provider refused because
	// the customer-service window is closed: the window is closed on the
	// conversation, the message waits (StatusWaitingWindow) for the customer
	// to write, and template(the message's text), when it gives one, is
	// queued in its place (once per closed window).
	HoldForWindow(ctx context.Context, ref OutboundRef, template func(text string) *OutboundDraft) (Message, error)
	// EraseContact deletes everything stored about a contact, in one
	// transaction: conversations, messages (the outbox included, whatever
	// the delivery state) with their media, runs, tickets with their events, and the
	// knowledge-base entries learned from those tickets. Each erased ticket
	// leaves one EventErased in the event log, so ticket desks remove their
	// copies. The engine then removes the copies it keeps outside its tables
	// (SQLite's write-ahead log); when it cannot, the rows are gone but the
	// error wraps ErrUnavailable and calling again finishes the job.
	EraseContact(ctx context.Context, channel, address string) (Erasure, error)

	// Runs.
	GetRun(ctx context.Context, id string) (RunRecord, error)
	ListRuns(ctx context.Context, conversationID string, limit int) ([]RunRecord, error)

	// Tickets.
	GetTicket(ctx context.Context, id string) (Ticket, error)
	ListTickets(ctx context.Context, f TicketFilter) (list []Ticket, next string, err error)
	// AnswerTicket answers an open ticket: status answered, the answer queued
	// to the user when in.Deliver, the learned entry stored, the conversation
	// given back to the bot, an event logged — atomically. The same answer on
	// an answered ticket returns it with already = true; another answer, or a
	// closed ticket, is ErrConflict.
	AnswerTicket(ctx context.Context, in AnswerInput) (t Ticket, already bool, err error)
	// CloseTicket closes an open ticket; closing a closed one is a no-op;
	// closing an answered one is ErrConflict.
	CloseTicket(ctx context.Context, id, reason string) (Ticket, error)
	// LinkTicket records the external reference; linking another reference
	// when one is set is ErrConflict. lastError is stored as is.
	LinkTicket(ctx context.Context, id, externalRef, lastError string) (Ticket, error)
	// TicketEvents returns up to limit events after the sequence, in order.
	TicketEvents(ctx context.Context, afterSequence int64, limit int) ([]TicketEvent, error)

	// Knowledge base.
	// PutDocument stores a document with its chunks, or a Q&A file (a
	// document without chunks) with its entries, in one transaction:
	// on any failure nothing is stored. It replaces the document of the
	// same file name (and, given entries, that file's entries that were
	// not learned) unless the content is the same and, for a Q&A file,
	// every entry is there: then it changes nothing and says Unchanged.
	PutDocument(ctx context.Context, doc Document, chunks []Chunk, entries []Entry) (PutDocumentResult, error)
	GetDocument(ctx context.Context, id string) (Document, error)
	ListDocuments(ctx context.Context, limit int, cursor string) (list []Document, next string, err error)
	DocumentChunks(ctx context.Context, documentID string) ([]Chunk, error)
	// DocumentIndex returns what the knowledge index derived from a
	// document's chunks, as last put; ErrNotFound when there is none.
	DocumentIndex(ctx context.Context, documentID string) (IndexData, error)
	// PutDocumentIndex stores what the knowledge index derived from a
	// document's chunks, replacing what was there; ErrNotFound when the
	// document is gone. It logs no knowledge change: it is derived data.
	PutDocumentIndex(ctx context.Context, documentID string, d IndexData) error
	// DeleteDocument removes a document with its chunks or, for a Q&A file
	// (a document without chunks), with the file's entries that were not
	// learned, in one transaction.
	DeleteDocument(ctx context.Context, id string) error
	CreateEntry(ctx context.Context, e Entry) (Entry, error)
	GetEntry(ctx context.Context, id string) (Entry, error)
	// UpdateEntry changes an entry's question, answer, source and
	// embedding; its status (a pending entry stays pending) and provenance
	// stay.
	UpdateEntry(ctx context.Context, e Entry) (Entry, error)
	DeleteEntry(ctx context.Context, id string) error
	// ListEntries lists entries newest first; an unknown status in the
	// filter is ErrInvalid.
	ListEntries(ctx context.Context, f EntryFilter) (list []Entry, next string, err error)
	// ApproveEntry makes a pending entry live, with the edited wording when
	// edit is not nil, and logs a knowledge change so every replica's index
	// takes it in. A live or rejected entry is ErrConflict.
	ApproveEntry(ctx context.Context, id string, edit *EntryEdit) (Entry, error)
	// RejectEntry keeps a pending entry out of the knowledge base for good
	// (it stays listed, as a record of the review). Rejecting a rejected
	// entry changes nothing; a live one is ErrConflict (delete it instead).
	RejectEntry(ctx context.Context, id string) (Entry, error)
	// KnowledgeChanges returns up to limit changes after the sequence.
	KnowledgeChanges(ctx context.Context, afterSequence int64, limit int) ([]KnowledgeChange, error)
	// LastKnowledgeSequence is the newest change's sequence (0 when none).
	LastKnowledgeSequence(ctx context.Context) (int64, error)

	// Subscribe returns a channel that receives a topic name whenever data of
	// that topic may have changed, in this process or (PostgreSQL) any other.
	// Notifications coalesce; the channel closes when ctx ends.
	Subscribe(ctx context.Context, topics ...string) <-chan string

	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
