package relevo_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// fakeTicketLog is a TicketService whose event stream serves a fixed log,
// then live events, and can be told to break streams.
type fakeTicketLog struct {
	relevov1.UnimplementedTicketServiceServer

	mu     sync.Mutex
	events []*relevov1.TicketEvent
	live   chan *relevov1.TicketEvent
	afters []int64 // after_sequence of each stream, in order
	breaks []int   // per stream: events to send before failing; missing = never
	refuse error   // every stream fails with it at once
}

func (f *fakeTicketLog) StreamTicketEvents(req *relevov1.StreamTicketEventsRequest, stream grpc.ServerStreamingServer[relevov1.StreamTicketEventsResponse]) error {
	f.mu.Lock()
	call := len(f.afters)
	f.afters = append(f.afters, req.GetAfterSequence())
	limit := -1
	if call < len(f.breaks) {
		limit = f.breaks[call]
	}
	backlog := slices.Clone(f.events)
	refuse := f.refuse
	f.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	sent := 0
	send := func(ev *relevov1.TicketEvent) error {
		if limit >= 0 && sent == limit {
			return status.Error(codes.Unavailable, "connection lost")
		}
		sent++
		return stream.Send(&relevov1.StreamTicketEventsResponse{Event: ev})
	}
	for _, ev := range backlog {
		if ev.GetSequence() > req.GetAfterSequence() {
			if err := send(ev); err != nil {
				return err
			}
		}
	}
	for {
		select {
		case ev := <-f.live:
			if err := send(ev); err != nil {
				return err
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

func ticketEvents(n int) []*relevov1.TicketEvent {
	var evs []*relevov1.TicketEvent
	for i := 1; i <= n; i++ {
		evs = append(evs, &relevov1.TicketEvent{
			Sequence: int64(i),
			Type:     relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED,
			Ticket:   &relevov1.Ticket{Id: "T-" + string(rune('A'+i-1))},
		})
	}
	return evs
}

func startTicketLog(t *testing.T, f *fakeTicketLog) relevov1.TicketServiceClient {
	t.Helper()
	f.live = make(chan *relevov1.TicketEvent)
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	relevov1.RegisterTicketServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := relevo.Dial(context.Background(), "passthrough:///bufconn", relevo.WithDialOptions(
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
	))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.Tickets
}

// follow runs FollowTicketEvents until the test ends; handled receives the
// sequence of each event the handler accepted.
func follow(t *testing.T, client relevov1.TicketServiceClient, after int64, handle relevo.TicketEventHandler) (handled <-chan int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := make(chan int64, 100)
	d := make(chan error, 1)
	go func() {
		d <- relevo.FollowTicketEvents(ctx, client, after, func(ctx context.Context, ev *relevov1.TicketEvent) error {
			if handle != nil {
				if err := handle(ctx, ev); err != nil {
					return err
				}
			}
			h <- ev.GetSequence()
			return nil
		}, relevo.TicketEventsBackoff(time.Millisecond, 2*time.Millisecond))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-d; err != nil {
			t.Errorf("FollowTicketEvents returned %v after cancel, want nil", err)
		}
	})
	return h
}

func receive(t *testing.T, ch <-chan int64, n int) []int64 {
	t.Helper()
	var got []int64
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case s := <-ch:
			got = append(got, s)
		case <-timeout:
			t.Fatalf("received %v, want %d events", got, n)
		}
	}
	return got
}

func TestFollowTicketEventsDeliversTheBacklogThenLiveEventsInOrder(t *testing.T) {
	f := &fakeTicketLog{events: ticketEvents(3)}
	client := startTicketLog(t, f)
	handled := follow(t, client, 1, nil)
	if got := receive(t, handled, 2); !slices.Equal(got, []int64{2, 3}) {
		t.Fatalf("backlog after 1 = %v, want [2 3]", got)
	}
	f.live <- &relevov1.TicketEvent{Sequence: 4}
	if got := receive(t, handled, 1); got[0] != 4 {
		t.Fatalf("live event = %d, want 4", got[0])
	}
}

func TestFollowTicketEventsResumesAfterTheLastHandledEventWhenTheStreamBreaks(t *testing.T) {
	f := &fakeTicketLog{events: ticketEvents(5), breaks: []int{2, 1}}
	client := startTicketLog(t, f)
	handled := follow(t, client, 0, nil)
	if got := receive(t, handled, 5); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("handled %v, want each event once in order", got)
	}
	f.mu.Lock()
	afters := slices.Clone(f.afters)
	f.mu.Unlock()
	if !slices.Equal(afters[:3], []int64{0, 2, 3}) {
		t.Errorf("streams resumed after %v, want [0 2 3]", afters)
	}
}

func TestFollowTicketEventsRedeliversAnEventWhoseHandlerFailed(t *testing.T) {
	f := &fakeTicketLog{events: ticketEvents(3)}
	client := startTicketLog(t, f)
	var mu sync.Mutex
	attempts := map[int64]int{}
	handled := follow(t, client, 0, func(_ context.Context, ev *relevov1.TicketEvent) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[ev.GetSequence()]++
		if ev.GetSequence() == 2 && attempts[2] < 3 {
			return errors.New("notion is down")
		}
		return nil
	})
	if got := receive(t, handled, 3); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("handled %v, want [1 2 3]: a failed event must not be skipped", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts[1] != 1 || attempts[2] != 3 || attempts[3] != 1 {
		t.Errorf("attempts = %v, want event 2 three times and the others once", attempts)
	}
}

func TestFollowTicketEventsGivesUpWhenTheServerRefusesTheCaller(t *testing.T) {
	f := &fakeTicketLog{refuse: status.Error(codes.PermissionDenied, "role adapter required")}
	client := startTicketLog(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := relevo.FollowTicketEvents(ctx, client, 0, func(context.Context, *relevov1.TicketEvent) error { return nil },
		relevo.TicketEventsBackoff(time.Millisecond, 2*time.Millisecond))
	if status.Code(errors.Unwrap(err)) != codes.PermissionDenied {
		t.Errorf("error = %v, want PermissionDenied without retrying until the deadline", err)
	}
}

func TestFollowTicketEventsRejectsMissingArguments(t *testing.T) {
	if err := relevo.FollowTicketEvents(context.Background(), nil, 0, nil); err == nil {
		t.Fatal("FollowTicketEvents accepted a nil client and handler")
	}
}
