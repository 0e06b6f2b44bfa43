package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/redact"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/tickets"
)

// Engine is the message pipeline as the API uses it.
type Engine interface {
	Kick()
	WaitProcessed(ctx context.Context, messageID string) ([]store.Message, error)
	// AcceptPolicy is the quiet window of a new message (none for
	// synchronous calls) and its channel's customer-service window.
	AcceptPolicy(channel string, synchronous bool) (quiet, quietCap, window time.Duration)
	// Typing shows "typing…" while the quiet window waits.
	Typing(ctx context.Context, channel, conversationID, messageID, channelMessageID string)
	// WindowTemplate is the template sent in place of text outside the
	// customer-service window, nil when the profile has none.
	WindowTemplate(text string) *store.OutboundDraft
}

// Metrics records what the API sees.
type Metrics interface {
	MessageAccepted(channel string, duplicate bool)
	OutboundResult(channel, result string)
}

// OutboxPolicy governs delivery retries.
type OutboxPolicy struct {
	// AckTimeout is how long an adapter may hold a message without acking
	// before it is offered again.
	AckTimeout time.Duration
	// MaxAttempts after which a retryable failure becomes permanent.
	MaxAttempts int
	// BackoffBase and BackoffMax bound the exponential backoff.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Poll bounds how long the stream waits before looking for due retries.
	Poll time.Duration
}

// Backoff returns the wait before attempt n+1 after n failed attempts:
// exponential from base, capped, with jitter so that a burst of failures
// does not retry in lockstep, and never less than the provider asked for.
func (p OutboxPolicy) Backoff(attempts int, retryAfter time.Duration) time.Duration {
	d := p.BackoffBase
	for i := 1; i < attempts && d < p.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, p.BackoffMax)
	d = d/2 + rand.N(d/2+1)
	return max(d, retryAfter)
}

// ChannelStore is what the channel service needs of the store: the inbox
// at the door, the outbox an adapter drains with its receipts, and a
// person's messages on the channel. store.Store is one.
type ChannelStore interface {
	AcceptInbound(ctx context.Context, in store.InboundMessage) (store.AcceptResult, error)
	GetMessage(ctx context.Context, id string) (store.Message, error)
	GetConversation(ctx context.Context, id string) (store.Conversation, error)
	ClaimOutbound(ctx context.Context, channel string, limit int, ackTimeout time.Duration) ([]store.Message, error)
	AckOutbound(ctx context.Context, id, providerMessageID string) error
	FailOutbound(ctx context.Context, id string, retryable bool, code, reason string, policy store.FailPolicy) (store.Message, error)
	RequeueOutbound(ctx context.Context, ids []string) error
	RecordReceipt(ctx context.Context, channel, providerMessageID string, status store.DeliveryStatus, code, reason string) (matched bool, err error)
	HoldForWindow(ctx context.Context, ref store.OutboundRef, template func(text string) *store.OutboundDraft) (store.Message, error)
	RecordHumanMessage(ctx context.Context, contact store.Contact, channelMessageID, businessAddress, text, authorName string, sentAt, pauseUntil time.Time) (store.Conversation, bool, error)
	Subscribe(ctx context.Context, topics ...string) <-chan string
}

type channelServer struct {
	relevov1.UnimplementedChannelServiceServer
	st            ChannelStore
	engine        Engine
	desk          *tickets.Desk
	takeoverPause time.Duration
	policy        OutboxPolicy
	metrics       Metrics
	now           func() time.Time
	log           *slog.Logger
	// drain closes when the server shuts down: streams end.
	drain <-chan struct{}
	// profile is what channels show their contacts about the company.
	profile ChannelProfile
}

var channelName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func validateContact(field string, c *relevov1.Contact) error {
	switch {
	case c == nil:
		return invalid(field, "required")
	case !channelName.MatchString(c.GetChannel()):
		return invalid(field+".channel", "must match %s", channelName)
	case c.GetAddress() == "":
		return invalid(field+".address", "required")
	}
	return nil
}

func validateInbound(m *relevov1.InboundMessage) error {
	if m == nil {
		return invalid("message", "required")
	}
	if err := validateContact("message.contact", m.GetContact()); err != nil {
		return err
	}
	switch {
	case m.GetChannelMessageId() == "":
		return invalid("message.channel_message_id", "required")
	case m.GetKind() == relevov1.InboundKind_INBOUND_KIND_CHOICE && m.GetChoice().GetId() == "" && m.GetChoice().GetTitle() == "":
		return invalid("message.choice", "required for kind CHOICE")
	}
	if _, ok := inboundKinds[m.GetKind()]; !ok {
		return invalid("message.kind", "unknown kind %d", m.GetKind())
	}
	return nil
}

func (s *channelServer) accept(ctx context.Context, m *relevov1.InboundMessage, synchronous bool) (store.AcceptResult, error) {
	if err := validateInbound(m); err != nil {
		return store.AcceptResult{}, err
	}
	in := inboundFromPB(m)
	in.QuietWindow, in.QuietCap, in.Window = s.engine.AcceptPolicy(in.Contact.Channel, synchronous)
	res, err := s.st.AcceptInbound(ctx, in)
	if err != nil {
		return res, err
	}
	s.metrics.MessageAccepted(in.Contact.Channel, res.Duplicate)
	if !res.Duplicate {
		if in.QuietWindow > 0 {
			s.engine.Typing(ctx, in.Contact.Channel, res.ConversationID, res.MessageID, in.ChannelMessageID)
		}
		s.engine.Kick()
		s.log.DebugContext(ctx, "message accepted", "channel", in.Contact.Channel,
			"contact", redact.Address(in.Contact.Address), "conversation", res.ConversationID)
	}
	return res, nil
}

func (s *channelServer) HandleMessage(ctx context.Context, req *relevov1.HandleMessageRequest) (*relevov1.HandleMessageResponse, error) {
	res, err := s.accept(ctx, req.GetMessage(), false)
	if err != nil {
		return nil, err
	}
	return &relevov1.HandleMessageResponse{MessageId: res.MessageID, ConversationId: res.ConversationID, Duplicate: res.Duplicate}, nil
}

func (s *channelServer) Converse(ctx context.Context, req *relevov1.ConverseRequest) (*relevov1.ConverseResponse, error) {
	timeout := 30 * time.Second
	if d := req.GetTimeout(); d != nil {
		if !d.IsValid() || d.AsDuration() <= 0 || d.AsDuration() > 5*time.Minute {
			return nil, invalid("timeout", "must be between 0 and 5m")
		}
		timeout = d.AsDuration()
	}
	res, err := s.accept(ctx, req.GetMessage(), true)
	if err != nil {
		return nil, err
	}
	out := &relevov1.ConverseResponse{MessageId: res.MessageID, ConversationId: res.ConversationID}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	replies, err := s.engine.WaitProcessed(wctx, res.MessageID)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		out.TimedOut = true
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	conv, err := s.st.GetConversation(ctx, res.ConversationID)
	if err != nil {
		return nil, err
	}
	for _, r := range replies {
		if r.Kind == message.KindMarkRead {
			continue
		}
		// The caller delivers these replies itself; mark them sent so that
		// no adapter sends them a second time.
		if err := s.st.AckOutbound(ctx, r.ID, ""); err != nil {
			return nil, err
		}
		out.Replies = append(out.Replies, outboundPB(r, conv))
	}
	if in, err := s.st.GetMessage(ctx, res.MessageID); err == nil {
		out.RunId = in.RunID
	}
	return out, nil
}

func (s *channelServer) ReportDelivery(ctx context.Context, req *relevov1.ReportDeliveryRequest) (*relevov1.ReportDeliveryResponse, error) {
	var st store.DeliveryStatus
	switch req.GetStatus() {
	case relevov1.ReceiptStatus_RECEIPT_STATUS_SENT:
		st = store.StatusSent
	case relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED:
		st = store.StatusDelivered
	case relevov1.ReceiptStatus_RECEIPT_STATUS_READ:
		st = store.StatusRead
	case relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED:
		st = store.StatusFailed
	case relevov1.ReceiptStatus_RECEIPT_STATUS_UNSPECIFIED:
		return nil, invalid("status", "required")
	default:
		return nil, invalid("status", "unknown status %d", req.GetStatus())
	}
	if !channelName.MatchString(req.GetChannel()) {
		return nil, invalid("channel", "must match %s", channelName)
	}
	if req.GetProviderMessageId() == "" {
		return nil, invalid("provider_message_id", "required")
	}
	if st == store.StatusFailed && req.GetOutsideWindow() {
		// A refusal for the closed window arriving after the send: the
		// message waits for the customer, the template goes instead.
		m, err := s.st.HoldForWindow(ctx, store.OutboundRef{Channel: req.GetChannel(), ProviderMessageID: req.GetProviderMessageId()},
			s.engine.WindowTemplate)
		switch {
		case err == nil:
			s.log.InfoContext(ctx, "outside the customer-service window: reply waits for the customer", "channel", req.GetChannel(),
				"message", m.ID, "conversation", m.ConversationID)
			return &relevov1.ReportDeliveryResponse{Matched: true}, nil
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	matched, err := s.st.RecordReceipt(ctx, req.GetChannel(), req.GetProviderMessageId(), st, req.GetErrorCode(), req.GetErrorReason())
	if err != nil {
		return nil, err
	}
	if st == store.StatusFailed && matched {
		s.log.WarnContext(ctx, "provider reports delivery failure", "channel", req.GetChannel(),
			"provider_message_id", req.GetProviderMessageId(), "code", req.GetErrorCode(), "reason", req.GetErrorReason())
	}
	return &relevov1.ReportDeliveryResponse{Matched: matched}, nil
}

func (s *channelServer) SendHumanMessage(ctx context.Context, req *relevov1.SendHumanMessageRequest) (*relevov1.SendHumanMessageResponse, error) {
	if err := validateContact("contact", req.GetContact()); err != nil {
		return nil, err
	}
	if req.GetChannelMessageId() == "" {
		return nil, invalid("channel_message_id", "required")
	}
	sentAt := s.now()
	if req.GetSentAt() != nil {
		sentAt = req.GetSentAt().AsTime()
	}
	pauseUntil := s.now().Add(s.takeoverPause)
	conv, dup, err := s.st.RecordHumanMessage(ctx, contactFromPB(req.GetContact()), req.GetChannelMessageId(),
		req.GetBusinessAddress(), req.GetText(), req.GetAuthorName(), sentAt, pauseUntil)
	if err != nil {
		return nil, err
	}
	resp := &relevov1.SendHumanMessageResponse{ConversationId: conv.ID, PausedUntil: ts(conv.PausedUntil), Duplicate: dup}
	if !dup && conv.OpenTicketID != "" && req.GetText() != "" {
		by := req.GetAuthorName()
		if by == "" {
			by = req.GetContact().GetChannel() + " business app"
		}
		t, _, err := s.desk.Answer(ctx, tickets.AnswerInput{TicketID: conv.OpenTicketID, Answer: req.GetText(), AnsweredBy: by, AlreadyDelivered: true})
		if err != nil {
			return nil, err
		}
		resp.AnsweredTicketId = t.ID
	}
	return resp, nil
}

// ackConcurrency bounds the results of one outbound stream being recorded
// at once.
const ackConcurrency = 64

// StreamOutbound delivers a channel's outbox. Messages are leased to this
// stream until acked; when the stream ends, whatever is still unacked goes
// back to the outbox at once for the next stream.
func (s *channelServer) StreamOutbound(stream relevov1.ChannelService_StreamOutboundServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	sub := first.GetSubscribe()
	if sub == nil {
		return status.Error(codes.InvalidArgument, "subscribe: the first message must be a subscribe")
	}
	if !channelName.MatchString(sub.GetChannel()) {
		return status.Errorf(codes.InvalidArgument, "subscribe.channel: must match %s", channelName)
	}
	maxInFlight := int(sub.GetMaxInFlight())
	if maxInFlight <= 0 {
		maxInFlight = 64
	}
	maxInFlight = min(maxInFlight, 1000)
	channel := sub.GetChannel()
	log := s.log.With("channel", channel)
	log.Info("outbound stream opened")

	var mu sync.Mutex
	inflight := map[string]int{} // id → attempt
	freed := make(chan struct{}, 1)
	signal := func() {
		select {
		case freed <- struct{}{}:
		default:
		}
	}
	defer func() {
		mu.Lock()
		ids := make([]string, 0, len(inflight))
		for id := range inflight {
			ids = append(ids, id)
		}
		mu.Unlock()
		if len(ids) > 0 {
			if err := s.st.RequeueOutbound(context.WithoutCancel(ctx), ids); err != nil {
				log.Error("requeue unacked messages", "count", len(ids), "err", err)
			}
		}
		log.Info("outbound stream closed", "requeued", len(ids))
	}()

	recvErr := make(chan error, 1)
	// appliers are the results being recorded. However the stream ends,
	// they finish before the messages still in flight are requeued (the
	// defer above): a message whose ack was being recorded must not go
	// back to the outbox to be sent a second time. Once ended is set, no
	// result is started.
	var (
		appliers   sync.WaitGroup
		appliersMu sync.Mutex
		ended      bool
	)
	defer func() {
		appliersMu.Lock()
		ended = true
		appliersMu.Unlock()
		appliers.Wait()
	}()
	fail := func(err error) {
		select {
		case recvErr <- err:
		default: // the first error ends the stream
		}
	}
	go func() {
		// Results are recorded concurrently, so that the store commits
		// many acks together: one at a time, an ingest spike holding the
		// writer slowed every delivery down to the pace of one commit.
		results := make(chan struct{}, ackConcurrency)
		for {
			req, err := stream.Recv()
			if err != nil {
				fail(err)
				return
			}
			select {
			case results <- struct{}{}:
			case <-ctx.Done():
				return
			}
			appliersMu.Lock()
			if ended {
				appliersMu.Unlock()
				return
			}
			appliers.Add(1)
			appliersMu.Unlock()
			go func() {
				defer appliers.Done()
				defer func() { <-results }()
				if err := s.applyResult(ctx, channel, req, &mu, inflight); err != nil {
					fail(err)
					return
				}
				signal()
			}()
		}
	}()

	notes := s.st.Subscribe(ctx, store.TopicOutbox)
	poll := time.NewTicker(s.policy.Poll)
	defer poll.Stop()
	convs := map[string]store.Conversation{}
	// Claim when a quarter of the window is free (or nothing is in flight),
	// not after every ack: a claim is a write transaction whose cost grows
	// with the backlog, and one per delivered message made deliveries
	// queue behind their own claims under load.
	minClaim := max(1, maxInFlight/4)
	for {
		mu.Lock()
		room := maxInFlight - len(inflight)
		mu.Unlock()
		if room >= minClaim || room == maxInFlight {
			msgs, err := s.st.ClaimOutbound(ctx, channel, room, s.policy.AckTimeout)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, m := range msgs {
				conv, ok := convs[m.ConversationID]
				if !ok {
					if conv, err = s.st.GetConversation(ctx, m.ConversationID); err != nil {
						// Erased meanwhile: nothing to deliver.
						_, _ = s.st.FailOutbound(ctx, m.ID, false, "erased", "conversation no longer exists", store.FailPolicy{})
						continue
					}
					convs[m.ConversationID] = conv
				}
				mu.Lock()
				inflight[m.ID] = m.Attempts
				mu.Unlock()
				if err := stream.Send(&relevov1.StreamOutboundResponse{Message: outboundPB(m, conv)}); err != nil {
					return err
				}
			}
			if len(msgs) == room {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.drain:
			return nil
		case err := <-recvErr:
			// The adapter closed its side after its last results (EOF):
			// they are recorded before the stream ends (appliers).
			if errors.Is(err, io.EOF) || status.Code(err) == codes.Canceled {
				return nil
			}
			return err
		case <-notes:
		case <-freed:
		case <-poll.C:
			clear(convs)
		}
	}
}

func (s *channelServer) applyResult(ctx context.Context, channel string, req *relevov1.StreamOutboundRequest, mu *sync.Mutex, inflight map[string]int) error {
	switch ev := req.GetEvent().(type) {
	case *relevov1.StreamOutboundRequest_Ack:
		id := ev.Ack.GetOutboundId()
		if !s.ownedBy(ctx, channel, id, mu, inflight) {
			return nil
		}
		if err := s.st.AckOutbound(ctx, id, ev.Ack.GetProviderMessageId()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		mu.Lock()
		delete(inflight, id)
		mu.Unlock()
		s.metrics.OutboundResult(channel, "sent")
	case *relevov1.StreamOutboundRequest_Failure:
		f := ev.Failure
		if !s.ownedBy(ctx, channel, f.GetOutboundId(), mu, inflight) {
			return nil
		}
		mu.Lock()
		attempts, ok := inflight[f.GetOutboundId()]
		delete(inflight, f.GetOutboundId())
		mu.Unlock()
		if !ok {
			attempts = 1
		}
		if f.GetOutsideWindow() {
			m, err := s.st.HoldForWindow(ctx, store.OutboundRef{ID: f.GetOutboundId()}, s.engine.WindowTemplate)
			if err == nil {
				s.log.Info("outside the customer-service window: reply waits for the customer", "channel", channel,
					"message", m.ID, "conversation", m.ConversationID)
				s.metrics.OutboundResult(channel, "waiting_window")
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			// Not a text message (a template refused): an ordinary failure.
		}
		var retryAfter time.Duration
		if f.GetRetryAfter() != nil {
			retryAfter = f.GetRetryAfter().AsDuration()
		}
		policy := store.FailPolicy{MaxAttempts: s.policy.MaxAttempts, RetryAt: time.Now().Add(s.policy.Backoff(attempts, retryAfter))}
		m, err := s.st.FailOutbound(ctx, f.GetOutboundId(), f.GetRetryable(), f.GetCode(), f.GetReason(), policy)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		result := "retrying"
		if m.Status == store.StatusFailed {
			result = "failed"
			s.log.Warn("outbound message failed permanently", "channel", channel, "message", m.ID,
				"conversation", m.ConversationID, "code", f.GetCode(), "reason", f.GetReason(), "attempts", m.Attempts)
		}
		s.metrics.OutboundResult(channel, result)
	case *relevov1.StreamOutboundRequest_Subscribe:
		return status.Error(codes.InvalidArgument, "subscribe: already subscribed")
	default:
		return status.Error(codes.InvalidArgument, "event: ack or failure required")
	}
	return nil
}

// ownedBy reports whether outbound message id belongs to the channel of the
// stream acking or failing it: held by this stream, or (an ack after a
// reconnect) stored for a conversation of that channel. A stream never
// settles another channel's messages.
func (s *channelServer) ownedBy(ctx context.Context, channel, id string, mu *sync.Mutex, inflight map[string]int) bool {
	mu.Lock()
	_, held := inflight[id]
	mu.Unlock()
	if held {
		return true
	}
	m, err := s.st.GetMessage(ctx, id)
	if err != nil {
		return false
	}
	conv, err := s.st.GetConversation(ctx, m.ConversationID)
	if err != nil || conv.Contact.Channel != channel {
		s.log.WarnContext(ctx, "outbound stream settles a message of another channel; ignored", "channel", channel, "message", id)
		return false
	}
	return true
}
