package relevo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// OutboundHandler delivers one outbound message to the channel's provider
// and returns the provider's id of the sent message (empty when the provider
// gives none, e.g. for a read receipt). A returned *DeliveryError says how
// the failure is reported; any other error is reported as retryable.
//
// The context is cancelled when the stream breaks, or when the drain period
// after RunOutbound's context is cancelled runs out.
type OutboundHandler func(ctx context.Context, msg *relevov1.OutboundMessage) (providerMessageID string, err error)

// DeliveryError is the failure an OutboundHandler returns to report a
// message as not delivered, with the provider's error code and whether a
// later attempt may succeed.
type DeliveryError struct {
	// Retryable is true when trying again later may succeed.
	Retryable bool
	// Code is the provider's error code, e.g. "131047".
	Code string
	// Reason is a human-readable explanation, shown through the API.
	Reason string
	// RetryAfter is the minimum wait before the next attempt, when known.
	RetryAfter time.Duration
	// OutsideWindow: the channel's customer-service window is closed
	// (WhatsApp 131047). The server holds the message until the customer
	// writes again and sends the profile's template meanwhile.
	OutsideWindow bool
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Retryable {
		kind = "retryable"
	}
	msg := fmt.Sprintf("%s delivery failure", kind)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil && (e.Reason == "" || e.Reason != e.Err.Error()) {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// OutboundOption configures RunOutbound.
type OutboundOption func(*outboundOptions)

type outboundOptions struct {
	concurrency  int
	maxInFlight  int
	minBackoff   time.Duration
	maxBackoff   time.Duration
	drainTimeout time.Duration
	logger       *slog.Logger
}

// OutboundConcurrency sets how many messages are handled at the same time
// (default 8). Messages of one conversation are always handled one after
// the other, in the order the server sent them.
func OutboundConcurrency(n int) OutboundOption {
	return func(o *outboundOptions) { o.concurrency = n }
}

// OutboundMaxInFlight sets Subscribe.max_in_flight, the number of unacked
// messages the server keeps on the stream (default twice the concurrency).
func OutboundMaxInFlight(n int) OutboundOption {
	return func(o *outboundOptions) { o.maxInFlight = n }
}

// OutboundBackoff sets the reconnect backoff: the first wait after a broken
// stream is about min, doubling up to max (defaults 500ms and 30s). Each wait
// is jittered so that many adapters do not reconnect in lockstep.
func OutboundBackoff(min, max time.Duration) OutboundOption {
	return func(o *outboundOptions) { o.minBackoff, o.maxBackoff = min, max }
}

// OutboundDrainTimeout sets how long messages already being handled may take
// to finish and be acked after RunOutbound's context is cancelled (default
// 10s), and then how long the server may take to record those results and
// end the stream. Messages not acked by then are delivered again on the
// next stream.
func OutboundDrainTimeout(d time.Duration) OutboundOption {
	return func(o *outboundOptions) { o.drainTimeout = d }
}

// OutboundLogger sets the logger (default slog.Default()).
func OutboundLogger(l *slog.Logger) OutboundOption {
	return func(o *outboundOptions) { o.logger = l }
}

// RunOutbound holds the outbound stream of one channel open until ctx is
// cancelled: it subscribes, calls handle for each message it receives
// (concurrently across conversations, in order within one), and acks each
// message with the provider id or reports the handler's failure. When the
// stream breaks it reconnects with exponential backoff and jitter; messages
// that were not acked are re-delivered by the server.
//
// It returns nil once ctx is cancelled and in-flight messages are drained,
// and an error only for invalid arguments.
func RunOutbound(ctx context.Context, channels relevov1.ChannelServiceClient, channel string, handle OutboundHandler, opts ...OutboundOption) error {
	if channels == nil || handle == nil || channel == "" {
		return errors.New("run outbound: client, channel and handler are required")
	}
	o := outboundOptions{
		concurrency:  8,
		minBackoff:   500 * time.Millisecond,
		maxBackoff:   30 * time.Second,
		drainTimeout: 10 * time.Second,
		logger:       slog.Default(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.concurrency < 1 {
		o.concurrency = 1
	}
	if o.maxInFlight < 1 {
		o.maxInFlight = 2 * o.concurrency
	}
	if o.minBackoff <= 0 {
		o.minBackoff = time.Millisecond
	}
	if o.maxBackoff < o.minBackoff {
		o.maxBackoff = o.minBackoff
	}
	log := o.logger.With("channel", channel)
	// The provider may have accepted a message whose ack was lost with the
	// stream (the server restarted, say); the server then offers it again.
	// Remembering what this process sent lets it ack again instead of
	// sending the user the same message twice.
	sent := newSentCache(10000)

	attempt := 0
	for {
		started := time.Now()
		received, err := runOutboundStream(ctx, channels, channel, handle, sent, &o, log)
		if ctx.Err() != nil {
			return nil
		}
		// A stream that worked for a while starts the backoff afresh; one
		// that fails at once keeps growing it.
		if received > 0 || time.Since(started) > o.maxBackoff {
			attempt = 0
		}
		delay := backoffDelay(attempt, o.minBackoff, o.maxBackoff)
		attempt++
		log.Warn("outbound stream ended; reconnecting", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// backoffDelay returns min·2^attempt capped at max, with "equal jitter": a
// random value between half of it and all of it.
func backoffDelay(attempt int, min, max time.Duration) time.Duration {
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// outboundStream is one subscription: its stream, a lock serialising Send
// (gRPC streams allow one sender at a time), and the handler.
type outboundStream struct {
	stream relevov1.ChannelService_StreamOutboundClient
	mu     sync.Mutex
	handle OutboundHandler
	sent   *sentCache
	log    *slog.Logger
}

// runOutboundStream runs one stream until it breaks or ctx is cancelled and
// returns how many messages it received.
func runOutboundStream(ctx context.Context, channels relevov1.ChannelServiceClient, channel string, handle OutboundHandler, sent *sentCache, o *outboundOptions, log *slog.Logger) (int, error) {
	// The stream outlives ctx by the drain period so that acks of messages
	// already handed to the provider still reach the server.
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()

	stream, err := channels.StreamOutbound(streamCtx)
	if err != nil {
		return 0, fmt.Errorf("open outbound stream: %w", err)
	}
	s := &outboundStream{stream: stream, handle: handle, sent: sent, log: log}
	err = stream.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{
		Subscribe: &relevov1.Subscribe{Channel: channel, MaxInFlight: int32(o.maxInFlight)},
	}})
	if err != nil {
		return 0, fmt.Errorf("subscribe to outbound stream: %w", err)
	}
	log.Debug("outbound stream subscribed")

	msgs := make(chan *relevov1.OutboundMessage)
	recvErr := make(chan error, 1)
	// closing is closed when the loop stops taking messages; what the
	// server still offers is dropped and comes back on the next stream.
	closing := make(chan struct{})
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				// Stop the handlers at once: their results can no longer
				// be reported, and the main loop may be waiting for a slot.
				cancel()
				recvErr <- err
				return
			}
			select {
			case msgs <- resp.GetMessage():
			case <-closing:
			case <-streamCtx.Done():
				recvErr <- streamCtx.Err()
				return
			}
		}
	}()

	d := newDispatcher(o.concurrency, s.deliver)
	received := 0
	for {
		select {
		case <-ctx.Done():
			// Stop taking messages; those received from now on are not
			// acked and come back on the next stream.
			close(closing)
			drain(d, o.drainTimeout, cancel)
			s.mu.Lock()
			_ = stream.CloseSend()
			s.mu.Unlock()
			// The server ends the stream once it has recorded the results
			// sent before the close; cancelling at once could drop those it
			// had not read yet, and their messages would be sent again.
			t := time.NewTimer(o.drainTimeout)
			select {
			case <-recvErr:
			case <-t.C:
				cancel()
				<-recvErr
			}
			t.Stop()
			cancel()
			return received, ctx.Err()
		case err := <-recvErr:
			// The server is gone and the handlers were stopped; it
			// re-delivers what was not acked.
			d.wait()
			return received, err
		case m := <-msgs:
			if m == nil {
				log.Warn("outbound stream sent an empty message; ignored")
				continue
			}
			received++
			// A message not dispatched because of a cancel is simply not
			// acked, and comes back on the next stream.
			d.dispatch(ctx, streamCtx, m)
		}
	}
}

// drain waits for in-flight handlers for at most timeout, then cancels them
// and waits for them to return.
func drain(d *dispatcher, timeout time.Duration, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() {
		d.wait()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel()
		<-done
	}
}

// deliver runs the handler for one message and reports its result.
func (s *outboundStream) deliver(ctx context.Context, m *relevov1.OutboundMessage) {
	id, done := s.sent.get(m.GetId())
	var err error
	if done {
		s.log.Info("outbound message already sent; acking again", "outbound_id", m.GetId())
	} else {
		id, err = s.safeHandle(ctx, m)
		if err == nil {
			s.sent.put(m.GetId(), id)
		}
	}
	if err != nil && ctx.Err() != nil {
		// The stream is going away; the server re-delivers the message.
		s.log.Debug("outbound message interrupted", "outbound_id", m.GetId(), "err", err)
		return
	}
	req := &relevov1.StreamOutboundRequest{}
	if err == nil {
		req.Event = &relevov1.StreamOutboundRequest_Ack{Ack: &relevov1.Ack{OutboundId: m.GetId(), ProviderMessageId: id}}
	} else {
		req.Event = &relevov1.StreamOutboundRequest_Failure{Failure: failureOf(m.GetId(), err)}
		s.log.Warn("outbound message not delivered", "outbound_id", m.GetId(), "attempt", m.GetAttempt(), "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stream.Send(req); err != nil {
		s.log.Debug("outbound result not reported; the message will be re-delivered", "outbound_id", m.GetId(), "err", err)
	}
}

// safeHandle turns a handler panic into a permanent failure, so that one bad
// message cannot take the adapter down.
func (s *outboundStream) safeHandle(ctx context.Context, m *relevov1.OutboundMessage) (id string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("outbound handler panicked", "outbound_id", m.GetId(), "panic", r)
			err = &DeliveryError{Reason: fmt.Sprintf("adapter panic: %v", r)}
		}
	}()
	return s.handle(ctx, m)
}

// failureOf converts a handler error to the Failure reported to the server.
func failureOf(outboundID string, err error) *relevov1.Failure {
	var de *DeliveryError
	if !errors.As(err, &de) {
		return &relevov1.Failure{OutboundId: outboundID, Retryable: true, Reason: fit(err.Error(), maxReasonBytes)}
	}
	f := &relevov1.Failure{OutboundId: outboundID, Retryable: de.Retryable, Code: de.Code, Reason: de.Reason, OutsideWindow: de.OutsideWindow}
	if f.Reason == "" && de.Err != nil {
		f.Reason = de.Err.Error()
	}
	if de.RetryAfter > 0 {
		f.RetryAfter = durationpb.New(de.RetryAfter)
	}
	// A provider's long error must not make the server refuse the report
	// (and end the stream): it is cut to the contract's bounds.
	f.Code, f.Reason = fit(f.Code, maxCodeBytes), fit(f.Reason, maxReasonBytes)
	return f
}

// The bounds of Failure.code and Failure.reason in the contract.
const (
	maxCodeBytes   = 64
	maxReasonBytes = 1 << 10
)

// fit cuts s to at most n bytes at a rune boundary.
func fit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// dispatcher runs messages on at most n goroutines, one conversation at a
// time per goroutine, so that the parts of a conversation leave in order.
type dispatcher struct {
	slots  chan struct{}
	run    func(context.Context, *relevov1.OutboundMessage)
	mu     sync.Mutex
	queues map[string][]*relevov1.OutboundMessage // conversations being handled → messages waiting
	wg     sync.WaitGroup
}

func newDispatcher(n int, run func(context.Context, *relevov1.OutboundMessage)) *dispatcher {
	return &dispatcher{slots: make(chan struct{}, n), run: run, queues: map[string][]*relevov1.OutboundMessage{}}
}

// orderKey groups messages that must not overtake each other.
func orderKey(m *relevov1.OutboundMessage) string {
	switch {
	case m.GetConversationId() != "":
		return "c:" + m.GetConversationId()
	case m.GetTo().GetAddress() != "":
		return "a:" + m.GetTo().GetAddress()
	default:
		return "m:" + m.GetId()
	}
}

// dispatch queues m behind its conversation or starts a worker for it,
// waiting for a free slot. It returns false if stop was cancelled first.
// Only one goroutine calls dispatch.
func (d *dispatcher) dispatch(stop, runCtx context.Context, m *relevov1.OutboundMessage) bool {
	key := orderKey(m)
	d.mu.Lock()
	if q, busy := d.queues[key]; busy {
		d.queues[key] = append(q, m)
		d.mu.Unlock()
		return true
	}
	d.mu.Unlock()
	select {
	case d.slots <- struct{}{}:
	case <-stop.Done():
		return false
	case <-runCtx.Done():
		return false
	}
	d.mu.Lock()
	d.queues[key] = nil
	d.mu.Unlock()
	d.wg.Add(1)
	go d.work(runCtx, key, m)
	return true
}

func (d *dispatcher) work(ctx context.Context, key string, m *relevov1.OutboundMessage) {
	defer d.wg.Done()
	defer func() { <-d.slots }()
	for {
		d.run(ctx, m)
		d.mu.Lock()
		q := d.queues[key]
		if len(q) == 0 || ctx.Err() != nil {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		m, d.queues[key] = q[0], q[1:]
		d.mu.Unlock()
	}
}

// wait blocks until every worker has returned.
func (d *dispatcher) wait() { d.wg.Wait() }

// sentCache remembers the provider ids of the last n messages sent, oldest
// forgotten first.
type sentCache struct {
	mu    sync.Mutex
	n     int
	ids   map[string]string
	order []string
}

func newSentCache(n int) *sentCache { return &sentCache{n: n, ids: map[string]string{}} }

func (c *sentCache) get(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.ids[id]
	return p, ok
}

func (c *sentCache) put(id, providerID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ids[id]; ok {
		return
	}
	c.ids[id] = providerID
	c.order = append(c.order, id)
	if len(c.order) > c.n {
		delete(c.ids, c.order[0])
		c.order = c.order[1:]
	}
}
