package api

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// TestShutdownEndsTheLongLivedStreams opens every kind of stream a client
// holds open (an outbound stream, a ticket desk's events, a health watch)
// and shuts down with a generous deadline: the streams are ended by the
// server, so the shutdown finishes before the deadline, and the watcher saw
// NOT_SERVING first.
func TestShutdownEndsTheLongLivedStreams(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute})
	srv := ts.srv
	conn, err := grpc.NewClient(ts.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), streamBound)
	defer cancel()

	out := subscribe(t, ts, 0)
	events, err := relevov1.NewTicketServiceClient(conn).StreamTicketEvents(ctx, &relevov1.StreamTicketEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	watch, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if first, err := watch.Recv(); err != nil || first.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first health status %v %v, want SERVING", first.GetStatus(), err)
	}
	// The stream handlers run once the server answers a unary call on
	// their connection.
	if _, err := relevov1.NewTicketServiceClient(conn).ListTickets(ctx, &relevov1.ListTicketsRequest{}); err != nil {
		t.Fatal(err)
	}

	sctx, scancel := context.WithTimeout(context.Background(), 10*streamBound)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v, want the streams ended before the deadline", err)
	}
	if st, err := watch.Recv(); err != nil || st.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health watch: %v %v, want NOT_SERVING before the end", st.GetStatus(), err)
	}
	for name, recv := range map[string]func() error{
		"outbound":      func() error { _, err := out.s.Recv(); return err },
		"ticket events": func() error { _, err := events.Recv(); return err },
	} {
		if err := recv(); !errors.Is(err, io.EOF) {
			t.Errorf("%s stream: %v, want a clean end", name, err)
		}
	}
	if _, err := (&net.Dialer{}).DialContext(ctx, "tcp", ts.grpcAddr); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}
