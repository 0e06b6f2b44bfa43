package channelkit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Inbound is a message a user sends on the provider.
type Inbound struct {
	// ID is the provider's id of the message; a re-delivery repeats it.
	ID string
	// From names the user on the provider side (a phone number, a visitor).
	From string
	// Text of the message.
	Text string
}

// Sent is what the adapter sent through the provider.
type Sent struct {
	// Text of the message.
	Text string
	// ProviderID is the id the provider gave it: the adapter must ack
	// with it.
	ProviderID string
}

// Driver drives one adapter under test through its provider side.
type Driver interface {
	// Name of the adapter, for reports.
	Name() string
	// Start starts the adapter against the Relevo server at server
	// (host:port) and returns once it serves its provider side.
	Start(ctx context.Context, server string) error
	// Stop stops the adapter and whatever Start started.
	Stop()
	// Deliver delivers in as the provider does (a webhook, a browser POST)
	// and returns the HTTP status the adapter answered.
	Deliver(ctx context.Context, in Inbound) (int, error)
	// WaitSent waits until the provider received at least n messages from
	// the adapter (read marks and typing do not count) and returns them in
	// the order received.
	WaitSent(ctx context.Context, n int) ([]Sent, error)
	// PrepareFailure makes the provider refuse the next message (or
	// changes m so that no adapter can send it), for the failure check.
	PrepareFailure(m *relevov1.OutboundMessage)
}

// Result is the outcome of one check.
type Result struct {
	Name string
	Err  error
}

// Timeout bounds each step of a check. The machine may be slow: it bounds
// a stuck adapter, it measures nothing.
var Timeout = 30 * time.Second

// Checks are the contract checks, in the order Run runs them.
var Checks = []struct {
	Name string
	Run  func(ctx context.Context, k *kit) error
}{
	{"inbound/duplicates-store-one-message", checkDuplicates},
	{"inbound/answered-only-after-accept", checkAnswerAfterAccept},
	{"outbound/subscribes", checkSubscribes},
	{"outbound/ack-with-provider-id", checkAck},
	{"outbound/failure-with-reason", checkFailure},
	{"outbound/order-per-conversation", checkOrder},
	{"outbound/resubscribes-after-break", checkReconnect},
}

type kit struct {
	d       Driver
	s       *Server
	contact *relevov1.Contact
	// business is the endpoint the messages arrived at; replies leave
	// from it.
	business string
	sent     int
	n        int
}

// Run starts the adapter against a fresh fake server, runs every check and
// stops it. A failed check does not stop the others unless the adapter
// cannot start.
func Run(ctx context.Context, d Driver) ([]Result, error) {
	return runChecks(ctx, d, func(s *Server) *kit { return &kit{d: d, s: s} }, Checks)
}

// lifecycle is what every driver has: a name, a start against a server and
// a stop.
type lifecycle interface {
	Name() string
	Start(ctx context.Context, server string) error
	Stop()
}

// runChecks starts d against a fresh fake server, runs checks on the kit
// newKit makes, and stops d.
func runChecks[K any](ctx context.Context, d lifecycle, newKit func(*Server) K, checks []struct {
	Name string
	Run  func(ctx context.Context, k K) error
}) ([]Result, error) {
	s, err := NewServer()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	sctx, cancel := context.WithTimeout(ctx, 2*Timeout)
	err = d.Start(sctx, s.Addr)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", d.Name(), err)
	}
	defer d.Stop()
	k := newKit(s)
	var results []Result
	for _, c := range checks {
		results = append(results, Result{Name: c.Name, Err: c.Run(ctx, k)})
	}
	return results, nil
}

func (k *kit) id(prefix string) string {
	k.n++
	return prefix + strconv.Itoa(k.n)
}

func ok2xx(code int) bool { return code >= 200 && code < 300 }

func step(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, Timeout)
}

func checkDuplicates(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	id, text := k.id("dup-"), k.id("¿Tienen horario el sábado? ")
	before := k.s.Stored()
	for i := 0; i < 3; i++ {
		code, err := k.d.Deliver(ctx, Inbound{ID: id, From: "alice", Text: text})
		if err != nil {
			return fmt.Errorf("delivery %d: %w", i+1, err)
		}
		if !ok2xx(code) {
			return fmt.Errorf("delivery %d answered %d, want 2xx", i+1, code)
		}
	}
	calls := k.s.Calls(text)
	if len(calls) == 0 {
		return errors.New("the message never reached HandleMessage")
	}
	for _, c := range calls[1:] {
		if c.GetChannelMessageId() != calls[0].GetChannelMessageId() {
			return fmt.Errorf("one provider message gave channel message ids %q and %q: re-deliveries would be answered twice",
				calls[0].GetChannelMessageId(), c.GetChannelMessageId())
		}
	}
	if got := k.s.Stored() - before; got != 1 {
		return fmt.Errorf("three deliveries of one message stored %d messages, want 1", got)
	}
	k.contact, k.business = calls[0].GetContact(), calls[0].GetBusinessAddress()
	// Another message id is another message.
	other := k.id("¿Y el domingo? ")
	if code, err := k.d.Deliver(ctx, Inbound{ID: k.id("dup-"), From: "alice", Text: other}); err != nil || !ok2xx(code) {
		return fmt.Errorf("second message: %d %v", code, err)
	}
	if got := k.s.Stored() - before; got != 2 {
		return fmt.Errorf("two distinct messages stored %d messages, want 2", got)
	}
	return nil
}

func checkAnswerAfterAccept(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	// The server fails: the provider must not be told the message arrived.
	k.s.FailNext(status.Error(codes.Unavailable, "the conformance kit's server is unavailable"))
	id, text := k.id("acc-"), k.id("¿Hacen envíos? ")
	code, err := k.d.Deliver(ctx, Inbound{ID: id, From: "alice", Text: text})
	if err != nil {
		return err
	}
	if ok2xx(code) {
		return fmt.Errorf("the adapter answered %d although HandleMessage failed: the provider will never re-deliver a lost message", code)
	}
	// The provider re-delivers; now the server accepts it.
	if code, err := k.d.Deliver(ctx, Inbound{ID: id, From: "alice", Text: text}); err != nil || !ok2xx(code) {
		return fmt.Errorf("re-delivery after the failure answered %d %v, want 2xx", code, err)
	}

	// The server is slow: the answer must wait for it.
	entered := k.s.Entered()
	release := k.s.Hold()
	defer release()
	type answer struct {
		code int
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		code, err := k.d.Deliver(ctx, Inbound{ID: k.id("acc-"), From: "alice", Text: k.id("¿Y a regiones? ")})
		done <- answer{code, err}
	}()
	if err := k.s.WaitEntered(ctx, entered+1); err != nil {
		return err
	}
	// A correct adapter cannot answer while the call is held; a wrong one
	// answers at once, well within this grace period.
	select {
	case a := <-done:
		return fmt.Errorf("the adapter answered %d %v while HandleMessage had not returned", a.code, a.err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	select {
	case a := <-done:
		if a.err != nil || !ok2xx(a.code) {
			return fmt.Errorf("after HandleMessage returned the adapter answered %d %v, want 2xx", a.code, a.err)
		}
	case <-ctx.Done():
		return fmt.Errorf("no answer after HandleMessage returned: %w", ctx.Err())
	}
	return nil
}

func checkSubscribes(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	return k.s.WaitSubscriptions(ctx, 1)
}

func (k *kit) outbound(text string) *relevov1.OutboundMessage {
	return &relevov1.OutboundMessage{Id: k.id("out-"), ConversationId: "conv-alice", To: k.contact, BusinessAddress: k.business,
		Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT, Text: text, Attempt: 1, CreatedAt: timestamppb.Now()}
}

// send pushes m and returns its result.
func (k *kit) send(ctx context.Context, m *relevov1.OutboundMessage) (*relevov1.StreamOutboundRequest, error) {
	if err := k.s.Push(ctx, m); err != nil {
		return nil, err
	}
	return k.s.Result(ctx, m.GetId())
}

func checkAck(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	if k.contact == nil {
		return errors.New("no contact: the inbound checks failed")
	}
	m := k.outbound("Abrimos el sábado de 10:00 a 14:00.")
	r, err := k.send(ctx, m)
	if err != nil {
		return err
	}
	if r.GetAck() == nil {
		return fmt.Errorf("a message the provider accepted was reported %v, want an ack", r)
	}
	sent, err := k.d.WaitSent(ctx, k.sent+1)
	if err != nil {
		return err
	}
	last := sent[len(sent)-1]
	k.sent = len(sent)
	if last.Text != m.GetText() {
		return fmt.Errorf("the provider got %q, want %q", last.Text, m.GetText())
	}
	if r.GetAck().GetProviderMessageId() == "" || r.GetAck().GetProviderMessageId() != last.ProviderID {
		return fmt.Errorf("acked with provider id %q, the provider gave %q: receipts would not match", r.GetAck().GetProviderMessageId(), last.ProviderID)
	}
	return nil
}

func checkFailure(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	if k.contact == nil {
		return errors.New("no contact: the inbound checks failed")
	}
	m := k.outbound("Este mensaje no se puede enviar.")
	k.d.PrepareFailure(m)
	r, err := k.send(ctx, m)
	if err != nil {
		return err
	}
	f := r.GetFailure()
	if f == nil {
		return fmt.Errorf("a message the provider refused was reported %v, want a failure", r)
	}
	if f.GetReason() == "" {
		return errors.New("the failure has no reason: operators cannot tell what went wrong")
	}
	if sent, _ := k.d.WaitSent(ctx, 0); len(sent) > k.sent {
		k.sent = len(sent)
	}
	return nil
}

func checkOrder(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	if k.contact == nil {
		return errors.New("no contact: the inbound checks failed")
	}
	var msgs []*relevov1.OutboundMessage
	for i := 1; i <= 5; i++ {
		m := k.outbound(fmt.Sprintf("Parte %d de 5.", i))
		if err := k.s.Push(ctx, m); err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		r, err := k.s.Result(ctx, m.GetId())
		if err != nil {
			return err
		}
		if r.GetAck() == nil {
			return fmt.Errorf("%s reported %v, want an ack", m.GetId(), r)
		}
	}
	sent, err := k.d.WaitSent(ctx, k.sent+len(msgs))
	if err != nil {
		return err
	}
	got := sent[k.sent:]
	k.sent = len(sent)
	for i, m := range msgs {
		if got[i].Text != m.GetText() {
			var texts []string
			for _, s := range got {
				texts = append(texts, s.Text)
			}
			return fmt.Errorf("the provider got %q, want the conversation's order", texts)
		}
	}
	return nil
}

func checkReconnect(ctx context.Context, k *kit) error {
	ctx, cancel := step(ctx)
	defer cancel()
	if k.contact == nil {
		return errors.New("no contact: the inbound checks failed")
	}
	subs := k.s.Subscriptions()
	k.s.Break()
	if err := k.s.WaitSubscriptions(ctx, subs+1); err != nil {
		return fmt.Errorf("the adapter did not subscribe again after the stream broke: %w", err)
	}
	m := k.outbound("Seguimos aquí después de la reconexión.")
	r, err := k.send(ctx, m)
	if err != nil {
		return err
	}
	if r.GetAck() == nil {
		return fmt.Errorf("after reconnecting, %s reported %v, want an ack", m.GetId(), r)
	}
	return nil
}
