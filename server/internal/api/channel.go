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
	"google.golang.org/protobuf/encoding/protojson"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/redact"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/tickets"
)

// Engine is the message pipeline as the API uses it.
type Engine interface {
	Kick()
	WaitProcessed(ctx context.Context, messageID string) ([]store.Message, error)
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

type channelServer struct {
	relevov1.UnimplementedChannelServiceServer
	st            store.Store
	engine        Engine
	desk          *tickets.Desk
	takeoverPause time.Duration
	policy        OutboxPolicy
	metrics       Metrics
	log           *slog.Logger
}

var channelName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

const (
	maxTextBytes  = 64 << 10
	maxMediaBytes = 16 << 20
	maxIDBytes    = 256
)

func validateContact(field string, c *relevov1.Contact) error {
	switch {
	case c == nil:
		return invalid(field, "required")
	case !channelName.MatchString(c.GetChannel()):
		return invalid(field+".channel", "must match %s", channelName)
	case c.GetAddress() == "":
		return invalid(field+".address", "required")
	case len(c.GetAddress()) > maxIDBytes:
		return invalid(field+".address", "longer than %d bytes", maxIDBytes)
	case len(c.GetDisplayName()) > 1024:
		return invalid(field+".display_name", "longer than 1024 bytes")
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
	case len(m.GetChannelMessageId()) > maxIDBytes:
		return invalid("message.channel_message_id", "longer than %d bytes", maxIDBytes)
	case len(m.GetText()) > maxTextBytes:
		return invalid("message.text", "longer than %d bytes", maxTextBytes)
	case len(m.GetMedia().GetData()) > maxMediaBytes:
		return invalid("message.media.data", "larger than %d bytes", maxMediaBytes)
	case m.GetKind() == relevov1.InboundKind_INBOUND_KIND_CHOICE && m.GetChoice().GetId() == "" && m.GetChoice().GetTitle() == "":
		return invalid("message.choice", "required for kind CHOICE")
	}
	if _, ok := inboundKinds[m.GetKind()]; !ok {
		return invalid("message.kind", "unknown kind %d", m.GetKind())
	}
	return nil
}

func (s *channelServer) accept(ctx context.Context, m *relevov1.InboundMessage) (store.AcceptResult, error) {
	if err := validateInbound(m); err != nil {
		return store.AcceptResult{}, err
	}
	payload, err := protojson.Marshal(m)
	if err != nil {
		return store.AcceptResult{}, err
	}
	text := m.GetText()
	if text == "" && m.GetChoice() != nil {
		text = m.GetChoice().GetTitle()
	}
	in := store.InboundMessage{
		Contact:          contactFromPB(m.GetContact()),
		ChannelMessageID: m.GetChannelMessageId(),
		BusinessAddress:  m.GetBusinessAddress(),
		Kind:             inboundKinds[m.GetKind()],
		Text:             text,
		Payload:          payload,
		ReplyTo:          m.GetReplyToMessageId(),
	}
	if m.GetSentAt() != nil {
		in.SentAt = m.GetSentAt().AsTime()
	}
	res, err := s.st.AcceptInbound(ctx, in)
	if err != nil {
		return res, err
	}
	s.metrics.MessageAccepted(in.Contact.Channel, res.Duplicate)
	if !res.Duplicate {
		s.engine.Kick()
		s.log.DebugContext(ctx, "message accepted", "channel", in.Contact.Channel,
			"contact", redact.Address(in.Contact.Address), "conversation", res.ConversationID)
	}
	return res, nil
}

func (s *channelServer) HandleMessage(ctx context.Context, req *relevov1.HandleMessageRequest) (*relevov1.HandleMessageResponse, error) {
	res, err := s.accept(ctx, req.GetMessage())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &relevov1.HandleMessageResponse{MessageId: res.MessageID, ConversationId: res.ConversationID, Duplicate: res.Duplicate}, nil
}

func (s *channelServer) Converse(ctx context.Context, req *relevov1.ConverseRequest) (*relevov1.ConverseResponse, error) {
	timeout := 30 * time.Second
	if d := req.GetTimeout(); d != nil {
		if !d.IsValid() || d.AsDuration() <= 0 || d.AsDuration() > 5*time.Minute {
			return nil, toStatus(ctx, s.log, invalid("timeout", "must be between 0 and 5m"))
		}
		timeout = d.AsDuration()
	}
	res, err := s.accept(ctx, req.GetMessage())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
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
		return nil, toStatus(ctx, s.log, err)
	}
	conv, err := s.st.GetConversation(ctx, res.ConversationID)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	for _, r := range replies {
		if r.Kind == "mark_read" {
			continue
		}
		// The caller delivers these replies itself; mark them sent so that
		// no adapter sends them a second time.
		if err := s.st.AckOutbound(ctx, r.ID, ""); err != nil {
			return nil, toStatus(ctx, s.log, err)
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
	default:
		return nil, toStatus(ctx, s.log, invalid("status", "required"))
	}
	if !channelName.MatchString(req.GetChannel()) {
		return nil, toStatus(ctx, s.log, invalid("channel", "must match %s", channelName))
	}
	if req.GetProviderMessageId() == "" {
		return nil, toStatus(ctx, s.log, invalid("provider_message_id", "required"))
	}
	matched, err := s.st.RecordReceipt(ctx, req.GetChannel(), req.GetProviderMessageId(), st, req.GetErrorCode(), req.GetErrorReason())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if st == store.StatusFailed && matched {
		s.log.WarnContext(ctx, "provider reports delivery failure", "channel", req.GetChannel(),
			"provider_message_id", req.GetProviderMessageId(), "code", req.GetErrorCode(), "reason", req.GetErrorReason())
	}
	return &relevov1.ReportDeliveryResponse{Matched: matched}, nil
}

func (s *channelServer) SendHumanMessage(ctx context.Context, req *relevov1.SendHumanMessageRequest) (*relevov1.SendHumanMessageResponse, error) {
	if err := validateContact("contact", req.GetContact()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if req.GetChannelMessageId() == "" {
		return nil, toStatus(ctx, s.log, invalid("channel_message_id", "required"))
	}
	if len(req.GetText()) > maxTextBytes {
		return nil, toStatus(ctx, s.log, invalid("text", "longer than %d bytes", maxTextBytes))
	}
	sentAt := time.Now()
	if req.GetSentAt() != nil {
		sentAt = req.GetSentAt().AsTime()
	}
	pauseUntil := time.Now().Add(s.takeoverPause)
	conv, dup, err := s.st.RecordHumanMessage(ctx, contactFromPB(req.GetContact()), req.GetChannelMessageId(),
		req.GetBusinessAddress(), req.GetText(), req.GetAuthorName(), sentAt, pauseUntil)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	resp := &relevov1.SendHumanMessageResponse{ConversationId: conv.ID, PausedUntil: ts(conv.PausedUntil), Duplicate: dup}
	if !dup && conv.OpenTicketID != "" && req.GetText() != "" {
		by := req.GetAuthorName()
		if by == "" {
			by = req.GetContact().GetChannel() + " business app"
		}
		t, _, err := s.desk.Answer(ctx, tickets.AnswerInput{TicketID: conv.OpenTicketID, Answer: req.GetText(), AnsweredBy: by, AlreadyDelivered: true})
		if err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
		resp.AnsweredTicketId = t.ID
	}
	return resp, nil
}

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
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			if err := s.applyResult(ctx, channel, req, &mu, inflight); err != nil {
				recvErr <- err
				return
			}
			signal()
		}
	}()

	notes := s.st.Subscribe(ctx, store.TopicOutbox)
	poll := time.NewTicker(s.policy.Poll)
	defer poll.Stop()
	convs := map[string]store.Conversation{}
	for {
		mu.Lock()
		room := maxInFlight - len(inflight)
		mu.Unlock()
		if room > 0 {
			msgs, err := s.st.ClaimOutbound(ctx, channel, room, s.policy.AckTimeout)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return toStatus(ctx, log, err)
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
		case err := <-recvErr:
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
		if err := s.st.AckOutbound(ctx, id, ev.Ack.GetProviderMessageId()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return toStatus(ctx, s.log, err)
		}
		mu.Lock()
		delete(inflight, id)
		mu.Unlock()
		s.metrics.OutboundResult(channel, "sent")
	case *relevov1.StreamOutboundRequest_Failure:
		f := ev.Failure
		mu.Lock()
		attempts, ok := inflight[f.GetOutboundId()]
		delete(inflight, f.GetOutboundId())
		mu.Unlock()
		if !ok {
			attempts = 1
		}
		var retryAfter time.Duration
		if f.GetRetryAfter() != nil {
			retryAfter = f.GetRetryAfter().AsDuration()
		}
		policy := store.FailPolicy{MaxAttempts: s.policy.MaxAttempts, RetryAt: time.Now().Add(s.policy.Backoff(attempts, retryAfter))}
		m, err := s.st.FailOutbound(ctx, f.GetOutboundId(), f.GetRetryable(), f.GetCode(), f.GetReason(), policy)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return toStatus(ctx, s.log, err)
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
