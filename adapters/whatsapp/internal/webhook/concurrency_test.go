package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// gate holds every HandleMessage until released and counts those in
// flight.
type gate struct {
	recorder
	release chan struct{}

	mu           sync.Mutex
	inFlight, hi int
}

func (g *gate) HandleMessage(ctx context.Context, in *relevov1.HandleMessageRequest, opts ...grpc.CallOption) (*relevov1.HandleMessageResponse, error) {
	g.mu.Lock()
	g.inFlight++
	g.hi = max(g.hi, g.inFlight)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.recorder.HandleMessage(ctx, in, opts...)
}

func (g *gate) counts() (inFlight, hi int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight, g.hi
}

// manyContacts is one webhook carrying a text from each of n contacts.
func manyContacts(t *testing.T, n int) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(textBody("wamid.0"), &env); err != nil {
		t.Fatal(err)
	}
	value := env["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
	contact := value["contacts"].([]any)[0].(map[string]any)
	message := value["messages"].([]any)[0].(map[string]any)
	var contacts, messages []any
	for i := range n {
		waID := fmt.Sprintf("3460000%04d", i)
		c, m := map[string]any{}, map[string]any{}
		for k, v := range contact {
			c[k] = v
		}
		for k, v := range message {
			m[k] = v
		}
		c["wa_id"], m["from"], m["id"] = waID, waID, fmt.Sprintf("wamid.%d", i)
		contacts, messages = append(contacts, c), append(messages, m)
	}
	value["contacts"], value["messages"] = contacts, messages
	body, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestAWebhookOfManyContactsForwardsAFewAtATime: the contacts of one POST
// are forwarded side by side, but no more at once than the bound, so one
// POST cannot open a call per contact.
func TestAWebhookOfManyContactsForwardsAFewAtATime(t *testing.T) {
	g := &gate{release: make(chan struct{})}
	h := webhook.NewHandler(webhook.Config{VerifyToken: "v", AppSecret: testSecret, RPCTimeout: time.Minute, MediaTimeout: time.Second}, g, nil, discardLogger())
	body := manyContacts(t, 40)
	done := make(chan int)
	go func() { done <- post(h, body, graphtest.Sign(testSecret, body)).Code }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if n, _ := g.counts(); n > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the contacts' messages are not forwarded side by side")
		}
	}
	// Give the handler the chance to start more than the bound.
	time.Sleep(100 * time.Millisecond)
	close(g.release)
	if code := <-done; code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if _, hi := g.counts(); hi > 16 {
		t.Fatalf("%d calls at once for one webhook, want at most 16", hi)
	}
	if got := len(g.Calls()); got != 40 {
		t.Fatalf("%d messages forwarded, want 40", got)
	}
}
