// Package channelkit checks that a channel adapter keeps Relevo's channel
// contract. It plays the server side — a fake ChannelService on a loopback
// port — and drives the adapter under test through its provider side with a
// small per-adapter Driver: duplicate deliveries store one message per
// channel message id, the provider's webhook is answered 2xx only once the
// server accepted the message, outbound messages are acked with the
// provider's id or failed with a reason, a conversation's messages reach
// the provider in order, and the adapter subscribes again when the stream
// breaks. A ticket desk adapter (Notion) is checked on its side too
// (RunDesk): each ticket becomes one linked item, also after the event
// stream breaks, and a specialist's "send" is answered only once
// AnswerTicket returned.
//
// It depends on the contract (proto/relevo/v1) alone, so a team can run it
// against an adapter in any language: go run ./adapters/channelkit/cmd/channelkit.
package channelkit

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Server is a fake Relevo server for adapters: it stores inbound messages
// idempotently by (channel, channel_message_id), as the real one does,
// records every call, and lets the kit push outbound messages, hold or fail
// HandleMessage and break the outbound stream.
type Server struct {
	relevov1.UnimplementedChannelServiceServer
	relevov1.UnimplementedConversationServiceServer
	relevov1.UnimplementedTicketServiceServer

	// Addr is the host:port the adapter dials.
	Addr string
	grpc *grpc.Server

	mu       sync.Mutex
	changed  chan struct{}
	calls    []*relevov1.InboundMessage
	stored   map[string]string // channel + "\x00" + channel message id → message id
	receipts []*relevov1.ReportDeliveryRequest
	handle   gate // HandleMessage
	subs     int
	results  map[string]*relevov1.StreamOutboundRequest
	out      chan *relevov1.OutboundMessage
	brk      chan struct{}
	dsk      *deskState
}

// NewServer starts a fake server on a free loopback port.
func NewServer() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), changed: make(chan struct{}), stored: map[string]string{},
		results: map[string]*relevov1.StreamOutboundRequest{}, out: make(chan *relevov1.OutboundMessage), brk: make(chan struct{})}
	s.grpc = grpc.NewServer()
	relevov1.RegisterChannelServiceServer(s.grpc, s)
	relevov1.RegisterConversationServiceServer(s.grpc, s)
	relevov1.RegisterTicketServiceServer(s.grpc, s)
	go func() { _ = s.grpc.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.grpc.Stop() }

// notify wakes waiters; called with mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// gate lets the kit hold or fail one method of the fake: every call is
// counted, waits while the gate is held, and the next call fails with the
// error set for it. Guarded by mu.
type gate struct {
	entered int
	hold    chan struct{}
	fail    error
}

// pass takes a call through g: it counts it, waits while g is held (or
// until ctx ends) and returns the failure set for this call, if any.
func (s *Server) pass(ctx context.Context, g *gate) error {
	s.mu.Lock()
	g.entered++
	hold, fail := g.hold, g.fail
	g.fail = nil
	s.notify()
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fail
}

// holdGate makes the calls through g wait until the returned release is
// called; release may be called more than once.
func (s *Server) holdGate(g *gate) (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	g.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			g.hold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// failNext makes the next call through g fail with err.
func (s *Server) failNext(g *gate, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.fail = err
}

// wait blocks until cond (called with mu held) holds or ctx ends.
func (s *Server) wait(ctx context.Context, what string, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// HandleMessage implements ChannelService.
func (s *Server) HandleMessage(ctx context.Context, req *relevov1.HandleMessageRequest) (*relevov1.HandleMessageResponse, error) {
	m := req.GetMessage()
	if m.GetContact().GetChannel() == "" || m.GetContact().GetAddress() == "" || m.GetChannelMessageId() == "" {
		return nil, status.Error(codes.InvalidArgument, "message.contact.channel, message.contact.address and message.channel_message_id are required")
	}
	s.mu.Lock()
	s.calls = append(s.calls, m)
	s.mu.Unlock()
	if err := s.pass(ctx, &s.handle); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := m.GetContact().GetChannel() + "\x00" + m.GetChannelMessageId()
	if id, ok := s.stored[key]; ok {
		return &relevov1.HandleMessageResponse{MessageId: id, ConversationId: "conv-" + m.GetContact().GetAddress(), Duplicate: true}, nil
	}
	id := "msg-" + strconv.Itoa(len(s.stored)+1)
	s.stored[key] = id
	return &relevov1.HandleMessageResponse{MessageId: id, ConversationId: "conv-" + m.GetContact().GetAddress()}, nil
}

// ReportDelivery implements ChannelService.
func (s *Server) ReportDelivery(_ context.Context, req *relevov1.ReportDeliveryRequest) (*relevov1.ReportDeliveryResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receipts = append(s.receipts, req)
	s.notify()
	return &relevov1.ReportDeliveryResponse{Matched: true}, nil
}

// GetConversation implements ConversationService for adapters that show
// history: the kit keeps none.
func (s *Server) GetConversation(context.Context, *relevov1.GetConversationRequest) (*relevov1.GetConversationResponse, error) {
	return nil, status.Error(codes.NotFound, "no conversation")
}

// StreamOutbound implements ChannelService: one subscriber at a time gets
// what Push sends; acks and failures are recorded by outbound id.
func (s *Server) StreamOutbound(stream relevov1.ChannelService_StreamOutboundServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	if first.GetSubscribe().GetChannel() == "" {
		return status.Error(codes.InvalidArgument, "subscribe: the first message must be a subscribe naming the channel")
	}
	s.mu.Lock()
	s.subs++
	brk := s.brk
	s.notify()
	s.mu.Unlock()

	recvErr := make(chan error, 1)
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			id := r.GetAck().GetOutboundId()
			if id == "" {
				id = r.GetFailure().GetOutboundId()
			}
			s.mu.Lock()
			if _, dup := s.results[id]; !dup && id != "" {
				s.results[id] = r
			}
			s.notify()
			s.mu.Unlock()
		}
	}()
	for {
		select {
		case m := <-s.out:
			if err := stream.Send(&relevov1.StreamOutboundResponse{Message: m}); err != nil {
				return err
			}
		case <-brk:
			return status.Error(codes.Unavailable, "stream broken on purpose by the conformance kit")
		case err := <-recvErr:
			return err
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
}

// Subscriptions returns how many outbound streams were opened so far.
func (s *Server) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs
}

// WaitSubscriptions waits until at least n streams were opened.
func (s *Server) WaitSubscriptions(ctx context.Context, n int) error {
	return s.wait(ctx, fmt.Sprintf("outbound subscription %d", n), func() bool { return s.subs >= n })
}

// Push hands m to the current outbound stream.
func (s *Server) Push(ctx context.Context, m *relevov1.OutboundMessage) error {
	select {
	case s.out <- m:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("push %s: no stream took it: %w", m.GetId(), ctx.Err())
	}
}

// Result waits for the ack or failure of an outbound message.
func (s *Server) Result(ctx context.Context, outboundID string) (*relevov1.StreamOutboundRequest, error) {
	var r *relevov1.StreamOutboundRequest
	err := s.wait(ctx, "the ack or failure of "+outboundID, func() bool {
		r = s.results[outboundID]
		return r != nil
	})
	return r, err
}

// Break ends the current outbound stream with UNAVAILABLE.
func (s *Server) Break() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.brk)
	s.brk = make(chan struct{})
}

// Hold makes HandleMessage wait until the returned release is called.
func (s *Server) Hold() (release func()) { return s.holdGate(&s.handle) }

// FailNext makes the next HandleMessage fail with err.
func (s *Server) FailNext(err error) { s.failNext(&s.handle, err) }

// WaitEntered waits until HandleMessage was called at least n times.
func (s *Server) WaitEntered(ctx context.Context, n int) error {
	return s.wait(ctx, fmt.Sprintf("HandleMessage call %d", n), func() bool { return s.handle.entered >= n })
}

// Entered returns how many times HandleMessage was called.
func (s *Server) Entered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handle.entered
}

// Calls returns every HandleMessage call whose text is text.
func (s *Server) Calls(text string) []*relevov1.InboundMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*relevov1.InboundMessage
	for _, m := range s.calls {
		if m.GetText() == text {
			out = append(out, m)
		}
	}
	return out
}

// Stored returns how many distinct messages were stored.
func (s *Server) Stored() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stored)
}
