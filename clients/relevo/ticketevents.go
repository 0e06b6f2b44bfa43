package relevo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// TicketEventHandler handles one ticket event. An error means "try again
// later": the same event is delivered again, after a backoff, before any
// later one. A handler that meets a permanent failure should record it
// (e.g. LinkTicket with last_error) and return nil, or the stream stalls on
// that event.
type TicketEventHandler func(ctx context.Context, ev *relevov1.TicketEvent) error

// TicketEventsOption configures FollowTicketEvents.
type TicketEventsOption func(*ticketEventsOptions)

type ticketEventsOptions struct {
	minBackoff, maxBackoff time.Duration
	logger                 *slog.Logger
}

// TicketEventsBackoff bounds the wait before reconnecting or retrying a
// failed event (defaults 500ms and 30s). The wait doubles on each
// consecutive failure, with jitter, and resets once an event is handled.
func TicketEventsBackoff(minWait, maxWait time.Duration) TicketEventsOption {
	return func(o *ticketEventsOptions) { o.minBackoff, o.maxBackoff = minWait, maxWait }
}

// TicketEventsLogger sets the logger for reconnects and retries (default
// slog.Default()).
func TicketEventsLogger(l *slog.Logger) TicketEventsOption {
	return func(o *ticketEventsOptions) { o.logger = l }
}

// FollowTicketEvents holds TicketService.StreamTicketEvents open and calls
// handle for each event in order, starting after sequence after (0 for the
// whole log). When the stream breaks or handle fails it waits, reconnects
// and resumes after the last event handled, so every event is handled at
// least once and in order.
//
// It returns nil once ctx is cancelled, and an error for invalid arguments
// or when the server refuses the caller (Unauthenticated, PermissionDenied,
// Unimplemented, InvalidArgument), which retrying cannot fix.
func FollowTicketEvents(ctx context.Context, tickets relevov1.TicketServiceClient, after int64, handle TicketEventHandler, opts ...TicketEventsOption) error {
	if tickets == nil || handle == nil {
		return errors.New("follow ticket events: client and handler are required")
	}
	o := ticketEventsOptions{minBackoff: 500 * time.Millisecond, maxBackoff: 30 * time.Second, logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	o.minBackoff = max(o.minBackoff, time.Millisecond)
	o.maxBackoff = max(o.maxBackoff, o.minBackoff)
	failures := 0
	for {
		handled, streamErr, handleErr := streamTicketEventsOnce(ctx, tickets, &after, handle)
		if ctx.Err() != nil {
			return nil
		}
		if handled {
			failures = 0
		}
		if streamErr != nil {
			switch status.Code(streamErr) {
			case codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented, codes.InvalidArgument:
				return fmt.Errorf("ticket event stream: %w", streamErr)
			}
		}
		failures++
		wait := ticketEventsBackoff(o.minBackoff, o.maxBackoff, failures)
		o.logger.WarnContext(ctx, "ticket event stream interrupted; resuming",
			"after_sequence", after, "error", errors.Join(streamErr, handleErr), "wait", wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// streamTicketEventsOnce runs one stream until it breaks or handle fails,
// advancing *after past each handled event. handled says whether any event
// was handled; exactly one of the errors is set on return.
func streamTicketEventsOnce(ctx context.Context, tickets relevov1.TicketServiceClient, after *int64, handle TicketEventHandler) (handled bool, streamErr, handleErr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := tickets.StreamTicketEvents(ctx, &relevov1.StreamTicketEventsRequest{AfterSequence: *after})
	if err != nil {
		return false, err, nil
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return handled, errors.New("server ended the stream"), nil
		}
		if err != nil {
			return handled, err, nil
		}
		ev := resp.GetEvent()
		if ev.GetSequence() <= *after {
			continue // already handled before a reconnect
		}
		if err := handle(ctx, ev); err != nil {
			return handled, nil, fmt.Errorf("handle ticket event %d (%s of %s): %w",
				ev.GetSequence(), ev.GetType(), ev.GetTicket().GetId(), err)
		}
		*after = ev.GetSequence()
		handled = true
	}
}

func ticketEventsBackoff(minWait, maxWait time.Duration, failures int) time.Duration {
	d := minWait << min(failures-1, 20)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	// Jitter in [d/2, d] so that many adapters do not reconnect in step.
	return d/2 + rand.N(d/2+1)
}
