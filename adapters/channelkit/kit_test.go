package channelkit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// toy is an in-process adapter whose provider is a slice; its bugs are
// switches, so that each check is shown to catch the bug it is about.
type toy struct {
	answerEarly bool // answers the provider before HandleMessage returns
	freshIDs    bool // a new channel message id on every delivery
	wrongAck    bool // acks with an id the provider never gave

	client *relevo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	n        int
	sent     []Sent
	failNext bool
}

func (a *toy) Name() string { return "toy" }

func (a *toy) Start(ctx context.Context, server string) error {
	c, err := relevo.Dial(ctx, server)
	if err != nil {
		return err
	}
	a.client = c
	rctx, cancel := context.WithCancel(context.Background())
	a.cancel, a.done = cancel, make(chan struct{})
	go func() {
		defer close(a.done)
		_ = relevo.RunOutbound(rctx, c.Channels, "toy", a.deliver, relevo.OutboundBackoff(10*time.Millisecond, 50*time.Millisecond),
			relevo.OutboundLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	return nil
}

func (a *toy) Stop() {
	a.cancel()
	<-a.done
	a.client.Close()
}

func (a *toy) deliver(_ context.Context, m *relevov1.OutboundMessage) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failNext {
		a.failNext = false
		return "", &relevo.DeliveryError{Code: "blocked", Reason: "recipient blocked"}
	}
	id := fmt.Sprintf("toy-%d", len(a.sent)+1)
	a.sent = append(a.sent, Sent{Text: m.GetText(), ProviderID: id})
	if a.wrongAck {
		return "other", nil
	}
	return id, nil
}

func (a *toy) Deliver(ctx context.Context, in Inbound) (int, error) {
	a.mu.Lock()
	a.n++
	id := in.ID
	if a.freshIDs {
		id = fmt.Sprintf("%s-%d", in.ID, a.n)
	}
	a.mu.Unlock()
	req := &relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{
		Contact: &relevov1.Contact{Channel: "toy", Address: in.From}, ChannelMessageId: id, Text: in.Text}}
	if a.answerEarly {
		go func() { _, _ = a.client.Channels.HandleMessage(context.WithoutCancel(ctx), req) }()
		return 200, nil
	}
	if _, err := a.client.Channels.HandleMessage(ctx, req); err != nil {
		return 503, nil
	}
	return 200, nil
}

func (a *toy) WaitSent(ctx context.Context, n int) ([]Sent, error) {
	for {
		a.mu.Lock()
		s := append([]Sent(nil), a.sent...)
		a.mu.Unlock()
		if len(s) >= n {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (a *toy) PrepareFailure(*relevov1.OutboundMessage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failNext = true
}

func failed(t *testing.T, d Driver) map[string]error {
	t.Helper()
	results, err := Run(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]error{}
	for _, r := range results {
		if r.Err != nil {
			out[r.Name] = r.Err
		}
	}
	return out
}

func TestACorrectAdapterPasses(t *testing.T) {
	if f := failed(t, &toy{}); len(f) > 0 {
		t.Fatalf("checks failed for a correct adapter: %v", f)
	}
}

func TestEachBugIsCaught(t *testing.T) {
	old := Timeout
	Timeout = 5 * time.Second
	defer func() { Timeout = old }()
	for _, tc := range []struct {
		name  string
		toy   *toy
		check string
	}{
		{"answers before accept", &toy{answerEarly: true}, "inbound/answered-only-after-accept"},
		{"a new id per delivery", &toy{freshIDs: true}, "inbound/duplicates-store-one-message"},
		{"acks with another id", &toy{wrongAck: true}, "outbound/ack-with-provider-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f := failed(t, tc.toy); f[tc.check] == nil {
				t.Fatalf("%s passed; failures: %v", tc.check, f)
			}
		})
	}
}
