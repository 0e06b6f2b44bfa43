package drivers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/relevo/relevo/adapters/channelkit"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const exampleSecret = "channelkit-webhook-secret"

// Example drives adapters/example-typescript against a fake of the simple
// webhook provider it bridges (see its README).
type Example struct {
	Cmd      Command
	p        *proc
	url      string
	provider *httptest.Server
	log      *sentLog

	mu       sync.Mutex
	accepted int // messages the provider took, numbering their ids
	failNext bool
}

var _ channelkit.Driver = (*Example)(nil)

// Name implements channelkit.Driver.
func (d *Example) Name() string { return "example-typescript" }

// Start implements channelkit.Driver.
func (d *Example) Start(ctx context.Context, server string) error {
	d.log = newSentLog()
	d.provider = httptest.NewServer(http.HandlerFunc(d.serve))
	p, addr, err := start(ctx, d.Cmd, []string{
		"RELEVO_EXAMPLE_PORT=0", "RELEVO_EXAMPLE_SERVER=http://" + server, "RELEVO_EXAMPLE_CHANNEL=example",
		"RELEVO_EXAMPLE_PROVIDER_URL=" + d.provider.URL, "RELEVO_EXAMPLE_WEBHOOK_SECRET=" + exampleSecret,
	}, "example adapter started")
	if err != nil {
		d.provider.Close()
		return err
	}
	d.p, d.url = p, "http://"+addr+"/webhook"
	return nil
}

// Stop implements channelkit.Driver.
func (d *Example) Stop() {
	d.p.stop()
	if d.provider != nil {
		d.provider.Close()
	}
}

// serve is the provider's send API: POST /messages.
func (d *Example) serve(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/messages" || json.NewDecoder(r.Body).Decode(&body) != nil {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	if d.failNext {
		d.failNext = false
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"recipient blocked the business"}`))
		return
	}
	d.accepted++
	id := fmt.Sprintf("p-%d", d.accepted)
	d.log.add(channelkit.Sent{Text: body.Text, ProviderID: id})
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"id":%q}`, id)
}

// Deliver implements channelkit.Driver: a signed webhook.
func (d *Example) Deliver(ctx context.Context, in channelkit.Inbound) (int, error) {
	body, _ := json.Marshal(map[string]any{"type": "message", "id": in.ID, "from": in.From, "text": in.Text, "timestamp": time.Now().Unix()})
	mac := hmac.New(sha256.New, []byte(exampleSecret))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Provider-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// WaitSent implements channelkit.Driver.
func (d *Example) WaitSent(ctx context.Context, n int) ([]channelkit.Sent, error) {
	return d.log.wait(ctx, n)
}

// PrepareFailure implements channelkit.Driver: the provider refuses the
// next message for good.
func (d *Example) PrepareFailure(*relevov1.OutboundMessage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failNext = true
}
