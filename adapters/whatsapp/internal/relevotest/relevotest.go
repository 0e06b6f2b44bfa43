// Package relevotest is an in-process Relevo ChannelService for the
// adapter's end-to-end tests: it records the RPCs it receives, pushes
// outbound messages down StreamOutbound and records the acks and failures.
package relevotest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// waitTimeout bounds the waits of WaitSubscribe and NextResult so that a broken test fails
// instead of hanging.
const waitTimeout = 10 * time.Second

// Server is the fake ChannelService.
type Server struct {
	relevov1.UnimplementedChannelServiceServer

	// Addr is the address the server listens on.
	Addr string

	grpc     *grpc.Server
	mu       sync.Mutex
	handled  []*relevov1.HandleMessageRequest
	auth     []string
	receipts []*relevov1.ReportDeliveryRequest
	humans   []*relevov1.SendHumanMessageRequest
	seen     map[string]bool
	outbox   chan *relevov1.OutboundMessage
	results  chan *relevov1.StreamOutboundRequest
	subs     chan *relevov1.Subscribe
}

// Start serves a fake on addr ("127.0.0.1:0" for any port) until the test
// ends.
func Start(t testing.TB, addr string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("fake relevo: listen: %v", err)
	}
	s := &Server{
		Addr:    ln.Addr().String(),
		grpc:    grpc.NewServer(),
		seen:    map[string]bool{},
		outbox:  make(chan *relevov1.OutboundMessage, 100),
		results: make(chan *relevov1.StreamOutboundRequest, 100),
		subs:    make(chan *relevov1.Subscribe, 10),
	}
	relevov1.RegisterChannelServiceServer(s.grpc, s)
	go func() { _ = s.grpc.Serve(ln) }()
	t.Cleanup(s.grpc.Stop)
	return s
}

// HandleMessage records the request; a repeated channel message id is
// answered as a duplicate, as the real server does.
func (s *Server) HandleMessage(ctx context.Context, req *relevov1.HandleMessageRequest) (*relevov1.HandleMessageResponse, error) {
	if req.GetMessage().GetChannelMessageId() == "" || req.GetMessage().GetContact().GetAddress() == "" {
		return nil, status.Error(codes.InvalidArgument, "message id and contact address are required")
	}
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handled = append(s.handled, proto.Clone(req).(*relevov1.HandleMessageRequest))
	s.auth = append(s.auth, firstOf(md.Get("authorization")))
	id := req.GetMessage().GetChannelMessageId()
	dup := s.seen[id]
	s.seen[id] = true
	return &relevov1.HandleMessageResponse{MessageId: "msg-" + id, ConversationId: "conv-" + req.GetMessage().GetContact().GetAddress(), Duplicate: dup}, nil
}

// ReportDelivery records the receipt.
func (s *Server) ReportDelivery(_ context.Context, req *relevov1.ReportDeliveryRequest) (*relevov1.ReportDeliveryResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receipts = append(s.receipts, proto.Clone(req).(*relevov1.ReportDeliveryRequest))
	return &relevov1.ReportDeliveryResponse{Matched: true}, nil
}

// SendHumanMessage records the message.
func (s *Server) SendHumanMessage(_ context.Context, req *relevov1.SendHumanMessageRequest) (*relevov1.SendHumanMessageResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.humans = append(s.humans, proto.Clone(req).(*relevov1.SendHumanMessageRequest))
	return &relevov1.SendHumanMessageResponse{ConversationId: "conv"}, nil
}

// StreamOutbound sends pushed messages to the subscriber and records its
// acks and failures.
func (s *Server) StreamOutbound(stream grpc.BidiStreamingServer[relevov1.StreamOutboundRequest, relevov1.StreamOutboundResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	if first.GetSubscribe() == nil {
		return status.Error(codes.InvalidArgument, "the first message must be a subscribe")
	}
	select {
	case s.subs <- first.GetSubscribe():
	default: // nobody is waiting for this many subscriptions
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			req, err := stream.Recv()
			if err != nil {
				return
			}
			s.results <- req
		}
	}()
	for {
		select {
		case m := <-s.outbox:
			if err := stream.Send(&relevov1.StreamOutboundResponse{Message: m}); err != nil {
				return err
			}
		case <-closed:
			// As the server does, the adapter's close ends the stream.
			return nil
		case <-stream.Context().Done():
			return nil
		}
	}
}

// Push queues an outbound message for the adapter.
func (s *Server) Push(m *relevov1.OutboundMessage) { s.outbox <- m }

// WaitSubscribe waits for the adapter to subscribe.
func (s *Server) WaitSubscribe(t testing.TB) *relevov1.Subscribe {
	t.Helper()
	select {
	case sub := <-s.subs:
		return sub
	case <-time.After(waitTimeout):
		t.Fatal("fake relevo: the adapter did not subscribe to the outbound stream")
		return nil
	}
}

// NextResult waits for the adapter's next ack or failure.
func (s *Server) NextResult(t testing.TB) *relevov1.StreamOutboundRequest {
	t.Helper()
	select {
	case r := <-s.results:
		return r
	case <-time.After(waitTimeout):
		t.Fatal("fake relevo: no ack or failure arrived")
		return nil
	}
}

// Handled returns the HandleMessage requests received so far.
func (s *Server) Handled() []*relevov1.HandleMessageRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*relevov1.HandleMessageRequest(nil), s.handled...)
}

// Authorizations returns the authorization metadata of each HandleMessage.
func (s *Server) Authorizations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

// Receipts returns the ReportDelivery requests received so far.
func (s *Server) Receipts() []*relevov1.ReportDeliveryRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*relevov1.ReportDeliveryRequest(nil), s.receipts...)
}

// HumanMessages returns the SendHumanMessage requests received so far.
func (s *Server) HumanMessages() []*relevov1.SendHumanMessageRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*relevov1.SendHumanMessageRequest(nil), s.humans...)
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
