package relevo_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// fakeStream is one StreamOutbound call as the fake server sees it.
type fakeStream struct {
	subscribe *relevov1.Subscribe
	send      chan *relevov1.OutboundMessage
	results   chan *relevov1.StreamOutboundRequest
	end       chan error
}

// fakeChannels is a ChannelService that hands each new outbound stream to
// the test, which then pushes messages and reads the results.
type fakeChannels struct {
	relevov1.UnimplementedChannelServiceServer
	streams chan *fakeStream
}

func (f *fakeChannels) StreamOutbound(stream grpc.BidiStreamingServer[relevov1.StreamOutboundRequest, relevov1.StreamOutboundResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	if first.GetSubscribe() == nil {
		return status.Error(codes.InvalidArgument, "first message must be a subscribe")
	}
	fs := &fakeStream{
		subscribe: first.GetSubscribe(),
		send:      make(chan *relevov1.OutboundMessage),
		results:   make(chan *relevov1.StreamOutboundRequest, 100),
		end:       make(chan error, 1),
	}
	go func() {
		defer close(fs.results)
		for {
			req, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				// As the server does: the adapter's close, after its last
				// results, ends the stream.
				select {
				case fs.end <- nil:
				default:
				}
			}
			if err != nil {
				return
			}
			fs.results <- req
		}
	}()
	select {
	case f.streams <- fs:
	case <-stream.Context().Done():
		return nil
	}
	for {
		select {
		case m := <-fs.send:
			if err := stream.Send(&relevov1.StreamOutboundResponse{Message: m}); err != nil {
				return err
			}
		case err := <-fs.end:
			return err
		case <-stream.Context().Done():
			return nil
		}
	}
}

// startFake serves a fakeChannels over bufconn and returns a client of it.
func startFake(t *testing.T) (*fakeChannels, relevov1.ChannelServiceClient) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	fake := &fakeChannels{streams: make(chan *fakeStream)}
	relevov1.RegisterChannelServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	c, err := relevo.Dial(context.Background(), "passthrough:///bufconn", relevo.WithDialOptions(
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
	))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return fake, c.Channels
}

// runOutbound starts RunOutbound in the background and stops it at cleanup,
// failing the test if it returns an error.
func runOutbound(t *testing.T, client relevov1.ChannelServiceClient, h relevo.OutboundHandler, opts ...relevo.OutboundOption) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]relevo.OutboundOption{relevo.OutboundBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	go func() { done <- relevo.RunOutbound(ctx, client, "whatsapp", h, opts...) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("RunOutbound returned %v after cancel, want nil", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func nextStream(t *testing.T, f *fakeChannels) *fakeStream {
	t.Helper()
	select {
	case s := <-f.streams:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no outbound stream was opened")
		return nil
	}
}

func nextResult(t *testing.T, s *fakeStream) *relevov1.StreamOutboundRequest {
	t.Helper()
	select {
	case r, ok := <-s.results:
		if !ok {
			t.Fatal("stream closed before a result arrived")
		}
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no ack or failure arrived")
		return nil
	}
}

func TestRunOutboundReportsHandlerResults(t *testing.T) {
	tests := []struct {
		name   string
		result func() (string, error)
		want   *relevov1.StreamOutboundRequest
	}{
		{
			name:   "a delivered message is acked with the provider id",
			result: func() (string, error) { return "wamid.1", nil },
			want: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Ack{
				Ack: &relevov1.Ack{OutboundId: "m1", ProviderMessageId: "wamid.1"},
			}},
		},
		{
			name: "a delivery error is reported with its code, reason and retry delay",
			result: func() (string, error) {
				return "", &relevo.DeliveryError{Retryable: true, Code: "130429", Reason: "rate limit hit", RetryAfter: 3 * time.Second}
			},
			want: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{
				Failure: &relevov1.Failure{OutboundId: "m1", Retryable: true, Code: "130429", Reason: "rate limit hit", RetryAfter: durationpb.New(3 * time.Second)},
			}},
		},
		{
			name: "a permanent delivery error is not retryable",
			result: func() (string, error) {
				return "", &relevo.DeliveryError{Code: "100", Reason: "invalid parameter"}
			},
			want: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{
				Failure: &relevov1.Failure{OutboundId: "m1", Code: "100", Reason: "invalid parameter"},
			}},
		},
		{
			name:   "any other error is reported as retryable",
			result: func() (string, error) { return "", errors.New("connection reset") },
			want: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{
				Failure: &relevov1.Failure{OutboundId: "m1", Retryable: true, Reason: "connection reset"},
			}},
		},
		{
			name:   "a handler panic is a permanent failure",
			result: func() (string, error) { panic("boom") },
			want: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{
				Failure: &relevov1.Failure{OutboundId: "m1", Reason: "adapter panic: boom"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, client := startFake(t)
			runOutbound(t, client, func(context.Context, *relevov1.OutboundMessage) (string, error) { return tt.result() })
			s := nextStream(t, fake)
			s.send <- &relevov1.OutboundMessage{Id: "m1", ConversationId: "c1"}
			if got := nextResult(t, s); !proto.Equal(got, tt.want) {
				t.Errorf("result = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunOutboundSubscribesToTheChannel(t *testing.T) {
	fake, client := startFake(t)
	runOutbound(t, client, func(context.Context, *relevov1.OutboundMessage) (string, error) { return "", nil },
		relevo.OutboundConcurrency(3), relevo.OutboundMaxInFlight(7))
	s := nextStream(t, fake)
	want := &relevov1.Subscribe{Channel: "whatsapp", MaxInFlight: 7}
	if !proto.Equal(s.subscribe, want) {
		t.Errorf("subscribe = %v, want %v", s.subscribe, want)
	}
}

func TestRunOutboundReconnectsAfterTheStreamBreaks(t *testing.T) {
	fake, client := startFake(t)
	var calls atomic.Int32
	runOutbound(t, client, func(_ context.Context, m *relevov1.OutboundMessage) (string, error) {
		calls.Add(1)
		return "wamid." + m.GetId(), nil
	})

	first := nextStream(t, fake)
	first.end <- status.Error(codes.Unavailable, "server restarting")

	second := nextStream(t, fake)
	second.send <- &relevov1.OutboundMessage{Id: "m2", ConversationId: "c1"}
	got := nextResult(t, second)
	if got.GetAck().GetProviderMessageId() != "wamid.m2" {
		t.Errorf("after reconnect got %v, want an ack for m2", got)
	}
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
}

func TestRunOutboundKeepsOrderWithinAConversationAndRunsConversationsConcurrently(t *testing.T) {
	fake, client := startFake(t)
	releaseA := make(chan struct{})
	var mu sync.Mutex
	var order []string
	runOutbound(t, client, func(_ context.Context, m *relevov1.OutboundMessage) (string, error) {
		if m.GetId() == "a1" {
			// a1 only finishes once b1 was handled, which proves that
			// another conversation is not blocked behind it.
			<-releaseA
		}
		mu.Lock()
		order = append(order, m.GetId())
		mu.Unlock()
		if m.GetId() == "b1" {
			close(releaseA)
		}
		return "p." + m.GetId(), nil
	}, relevo.OutboundConcurrency(4))

	s := nextStream(t, fake)
	for _, m := range []*relevov1.OutboundMessage{
		{Id: "a1", ConversationId: "A"},
		{Id: "a2", ConversationId: "A"},
		{Id: "a3", ConversationId: "A"},
		{Id: "b1", ConversationId: "B"},
	} {
		s.send <- m
	}
	for range 4 {
		nextResult(t, s)
	}
	mu.Lock()
	defer mu.Unlock()
	var gotA []string
	for _, id := range order {
		if id[0] == 'a' {
			gotA = append(gotA, id)
		}
	}
	if len(order) != 4 || order[0] != "b1" {
		t.Errorf("handling order = %v, want b1 first (conversation B not blocked by A)", order)
	}
	if want := []string{"a1", "a2", "a3"}; len(gotA) != 3 || gotA[0] != want[0] || gotA[1] != want[1] || gotA[2] != want[2] {
		t.Errorf("conversation A handled as %v, want %v", gotA, want)
	}
}

func TestRunOutboundRespectsTheConcurrencyLimit(t *testing.T) {
	fake, client := startFake(t)
	var active, maxActive atomic.Int32
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	runOutbound(t, client, func(context.Context, *relevov1.OutboundMessage) (string, error) {
		n := active.Add(1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		active.Add(-1)
		return "p", nil
	}, relevo.OutboundConcurrency(2), relevo.OutboundMaxInFlight(10))

	s := nextStream(t, fake)
	go func() {
		for _, id := range []string{"1", "2", "3", "4", "5"} {
			s.send <- &relevov1.OutboundMessage{Id: id, ConversationId: "conv" + id}
		}
	}()
	<-started
	<-started
	close(release)
	for range 5 {
		if r := nextResult(t, s); r.GetAck() == nil {
			t.Errorf("got %v, want an ack", r)
		}
	}
	if got := maxActive.Load(); got > 2 {
		t.Errorf("%d handlers ran at once, want at most 2", got)
	}
}

func TestRunOutboundDrainsInFlightMessagesOnCancel(t *testing.T) {
	fake, client := startFake(t)
	inHandler := make(chan struct{})
	release := make(chan struct{})
	stop := runOutbound(t, client, func(ctx context.Context, m *relevov1.OutboundMessage) (string, error) {
		close(inHandler)
		<-release
		return "wamid.done", ctx.Err()
	})
	s := nextStream(t, fake)
	s.send <- &relevov1.OutboundMessage{Id: "m1", ConversationId: "c1"}
	<-inHandler

	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	// The handler is released only after the cancel began; its ack must
	// still reach the server.
	close(release)
	got := nextResult(t, s)
	if got.GetAck().GetProviderMessageId() != "wamid.done" {
		t.Errorf("result after cancel = %v, want the ack of the in-flight message", got)
	}
	<-stopped
}

func TestRunOutboundGivesUpOnSlowHandlersAfterTheDrainTimeout(t *testing.T) {
	fake, client := startFake(t)
	inHandler := make(chan struct{})
	stop := runOutbound(t, client, func(ctx context.Context, m *relevov1.OutboundMessage) (string, error) {
		close(inHandler)
		<-ctx.Done()
		return "", ctx.Err()
	}, relevo.OutboundDrainTimeout(time.Millisecond))
	s := nextStream(t, fake)
	s.send <- &relevov1.OutboundMessage{Id: "m1"}
	<-inHandler
	stop()
	// Nothing is reported for the interrupted message: the server re-delivers it.
	for r := range s.results {
		t.Errorf("unexpected result %v for an interrupted message", r)
	}
}

func TestRunOutboundRejectsMissingArguments(t *testing.T) {
	_, client := startFake(t)
	h := func(context.Context, *relevov1.OutboundMessage) (string, error) { return "", nil }
	if err := relevo.RunOutbound(context.Background(), client, "", h); err == nil {
		t.Error("RunOutbound without a channel returned nil, want an error")
	}
	if err := relevo.RunOutbound(context.Background(), client, "whatsapp", nil); err == nil {
		t.Error("RunOutbound without a handler returned nil, want an error")
	}
}

func TestDeliveryErrorUnwrapsAndDescribesTheFailure(t *testing.T) {
	cause := errors.New("http 400")
	err := error(&relevo.DeliveryError{Code: "100", Reason: "invalid parameter", Err: cause})
	if !errors.Is(err, cause) {
		t.Error("errors.Is(DeliveryError, cause) = false, want true")
	}
	if got, want := err.Error(), "permanent delivery failure 100: invalid parameter: http 400"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRunOutboundAcksAgainWithoutResendingAMessageItAlreadySent(t *testing.T) {
	fake, client := startFake(t)
	var calls atomic.Int32
	runOutbound(t, client, func(_ context.Context, m *relevov1.OutboundMessage) (string, error) {
		calls.Add(1)
		return "wamid." + m.GetId(), nil
	})
	first := nextStream(t, fake)
	first.send <- &relevov1.OutboundMessage{Id: "m1", ConversationId: "c1"}
	if got := nextResult(t, first); got.GetAck().GetProviderMessageId() != "wamid.m1" {
		t.Fatalf("got %v, want an ack for m1", got)
	}
	// The server lost the ack (it restarted) and offers m1 again.
	first.end <- status.Error(codes.Unavailable, "server restarting")
	second := nextStream(t, fake)
	second.send <- &relevov1.OutboundMessage{Id: "m1", ConversationId: "c1", Attempt: 2}
	if got := nextResult(t, second); got.GetAck().GetProviderMessageId() != "wamid.m1" {
		t.Fatalf("re-offered m1: got %v, want the same provider id", got)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the handler sent m1 %d times, want once", n)
	}
}
