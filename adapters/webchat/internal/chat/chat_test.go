package chat

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/relevo/relevo/adapters/webchat/internal/visitor"
	"github.com/relevo/relevo/adapters/webchat/webchattest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const origin = "https://www.example.com"

// fakeServer records what the adapter asks of Relevo; it stores messages
// idempotently, as the real server does.
type fakeServer struct {
	mu       sync.Mutex
	byID     map[string]*relevov1.HandleMessageResponse
	inbound  []*relevov1.InboundMessage
	receipts []*relevov1.ReportDeliveryRequest
	// profile is the company profile; nil: the server cannot be reached.
	profile      *relevov1.GetChannelProfileResponse
	profileCalls int
	// profileGate, when set, holds each profile read until it is closed.
	profileGate chan struct{}
}

func (f *fakeServer) GetChannelProfile(ctx context.Context, _ *relevov1.GetChannelProfileRequest, _ ...grpc.CallOption) (*relevov1.GetChannelProfileResponse, error) {
	f.mu.Lock()
	gate := f.profileGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profileCalls++
	if f.profile == nil {
		return nil, status.Error(codes.Unavailable, "server away")
	}
	return f.profile, nil
}

func (f *fakeServer) HandleMessage(_ context.Context, in *relevov1.HandleMessageRequest, _ ...grpc.CallOption) (*relevov1.HandleMessageResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := in.GetMessage().GetChannelMessageId()
	if r, ok := f.byID[id]; ok {
		return &relevov1.HandleMessageResponse{MessageId: r.MessageId, ConversationId: r.ConversationId, Duplicate: true}, nil
	}
	r := &relevov1.HandleMessageResponse{MessageId: "m" + string(rune('a'+len(f.byID))), ConversationId: "c1"}
	f.byID[id] = r
	f.inbound = append(f.inbound, in.GetMessage())
	return r, nil
}

func (f *fakeServer) ReportDelivery(_ context.Context, in *relevov1.ReportDeliveryRequest, _ ...grpc.CallOption) (*relevov1.ReportDeliveryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.receipts = append(f.receipts, in)
	return &relevov1.ReportDeliveryResponse{Matched: true}, nil
}

func (f *fakeServer) GetConversation(_ context.Context, in *relevov1.GetConversationRequest, _ ...grpc.CallOption) (*relevov1.GetConversationResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &relevov1.GetConversationResponse{}
	for _, m := range f.inbound {
		if m.GetContact().GetAddress() == in.GetContact().GetAddress() {
			resp.Messages = append(resp.Messages, &relevov1.ConversationMessage{Id: f.byID[m.GetChannelMessageId()].MessageId,
				Author: relevov1.Author_AUTHOR_USER, Text: m.GetText(), CreatedAt: m.GetSentAt()})
		}
	}
	if len(resp.Messages) == 0 {
		return nil, status.Error(codes.NotFound, "no conversation")
	}
	return resp, nil
}

func newTest(t *testing.T, cfg Config) (*Handler, *fakeServer, string) {
	t.Helper()
	cfg.AllowedOrigins = []string{origin}
	cfg.CookieSecret = []byte("0123456789abcdef0123456789abcdef")
	cfg.CookieTTL = time.Hour
	if cfg.Widget == (Widget{}) {
		cfg.Widget = Widget{Company: "ACME", Language: "es", Color: "#000000", TextColor: "#ffffff", MaxChars: 50}
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute, cfg.Burst = 600, 100
	}
	f := &fakeServer{byID: map[string]*relevov1.HandleMessageResponse{},
		profile: &relevov1.GetChannelProfileResponse{CompanyName: "C1DO1", Language: "en", Greeting: "Hi! I'm C1DO1's assistant."}}
	h := New(cfg, f, f, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, f, srv.URL
}

func TestOriginNotAllowedIsRefused(t *testing.T) {
	_, _, url := newTest(t, Config{})
	ctx := context.Background()
	for _, o := range []string{"https://evil.example.net", ""} {
		c := webchattest.New(url, o)
		resp, err := c.Session(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("origin %q: status %d, allow-origin %q; want 403 without CORS headers", o, resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	c := webchattest.New(url, origin)
	resp, _ := c.Session(ctx, "", "")
	if resp.Status != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("allowed origin: status %d, allow-origin %q", resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestMessagesAreIdempotentAndBounded(t *testing.T) {
	_, f, url := newTest(t, Config{})
	ctx := context.Background()
	c := webchattest.New(url, origin)
	if resp, _ := c.Send(ctx, "a1", "hola"); resp.Status != http.StatusUnauthorized {
		t.Fatalf("message without a session: %d, want 401", resp.Status)
	}
	if _, err := c.Session(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		resp, err := c.Send(ctx, "a1", "¿Cuánto cuesta?")
		if err != nil || resp.Status != http.StatusAccepted {
			t.Fatalf("send: %v %d %s", err, resp.Status, resp.Body)
		}
	}
	if resp, _ := c.Send(ctx, "a2", strings.Repeat("x", 51)); resp.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over-long message: %d, want 413", resp.Status)
	}
	if resp, _ := c.Send(ctx, "bad id!", "hola"); resp.Status != http.StatusBadRequest {
		t.Fatalf("bad id: %d, want 400", resp.Status)
	}
	if len(f.inbound) != 1 {
		t.Fatalf("server stored %d messages, want 1", len(f.inbound))
	}
	m := f.inbound[0]
	if m.GetContact().GetChannel() != Channel || !strings.HasPrefix(m.GetContact().GetAddress(), visitor.AnonymousPrefix) ||
		m.GetChannelMessageId() != m.GetContact().GetAddress()+"/a1" {
		t.Fatalf("inbound message %v", m)
	}
	// Another visitor's message with the same widget id is another message.
	other := webchattest.New(url, origin)
	_, _ = other.Session(ctx, "", "")
	if resp, _ := other.Send(ctx, "a1", "hola"); resp.Status != http.StatusAccepted || len(f.inbound) != 2 {
		t.Fatalf("second visitor: %d, stored %d", resp.Status, len(f.inbound))
	}
}

func TestRateLimitPerVisitor(t *testing.T) {
	_, _, url := newTest(t, Config{RatePerMinute: 1, Burst: 2})
	ctx := context.Background()
	a, b := webchattest.New(url, origin), webchattest.New(url, origin)
	_, _ = a.Session(ctx, "", "")
	_, _ = b.Session(ctx, "", "")
	var codes []int
	for i := range 3 {
		resp, _ := a.Send(ctx, "m"+string(rune('0'+i)), "hola")
		codes = append(codes, resp.Status)
	}
	if codes[0] != 202 || codes[1] != 202 || codes[2] != 429 {
		t.Fatalf("statuses %v, want 202 202 429", codes)
	}
	if resp, _ := b.Send(ctx, "m0", "hola"); resp.Status != 202 {
		t.Fatalf("another visitor was limited too: %d", resp.Status)
	}
}

// TestRateLimitPerAddress: new anonymous visitors are one request away, so
// the visitors of one address share a bound too; behind a proxy, the
// address is the one the proxy gives.
func TestRateLimitPerAddress(t *testing.T) {
	ctx := context.Background()
	send := func(c *webchattest.Client, id string) int {
		t.Helper()
		resp, err := c.Send(ctx, id, "hola")
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status
	}
	visitorFrom := func(url, address string) *webchattest.Client {
		c := webchattest.New(url, origin)
		if address != "" {
			c.Header = http.Header{"X-Forwarded-For": {"203.0.113.9, " + address}}
		}
		if resp, err := c.Session(ctx, "", ""); err != nil || resp.Status != http.StatusOK {
			t.Fatalf("session: %v %d", err, resp.Status)
		}
		return c
	}
	t.Run("a new visitor per message", func(t *testing.T) {
		_, _, url := newTest(t, Config{RatePerMinute: 60, Burst: 5, AddressRatePerMinute: 1, AddressBurst: 3})
		var codes []int
		for i := range 4 {
			codes = append(codes, send(visitorFrom(url, ""), "m"+strconv.Itoa(i)))
		}
		if !slices.Equal(codes, []int{202, 202, 202, 429}) {
			t.Fatalf("statuses %v, want 202 202 202 429", codes)
		}
	})
	t.Run("behind a proxy", func(t *testing.T) {
		_, _, url := newTest(t, Config{RatePerMinute: 60, Burst: 5, AddressRatePerMinute: 1, AddressBurst: 1, ClientIPHeader: "X-Forwarded-For"})
		if c := send(visitorFrom(url, "198.51.100.1"), "m0"); c != 202 {
			t.Fatalf("first address: %d", c)
		}
		if c := send(visitorFrom(url, "198.51.100.1"), "m1"); c != 429 {
			t.Fatalf("first address again: %d, want 429", c)
		}
		// The proxy's own address and the entries before the last are
		// the same for everyone: only the last one counts.
		if c := send(visitorFrom(url, "198.51.100.2"), "m2"); c != 202 {
			t.Fatalf("second address: %d, want 202", c)
		}
	})
}

// A message one limit refuses costs nothing of the other: a visitor
// refused because others at their address sent much keeps their own
// messages for when the address has room again, or for another address.
func TestAMessageOneLimitRefusesCostsNothingOfTheOther(t *testing.T) {
	ctx := context.Background()
	_, _, url := newTest(t, Config{RatePerMinute: 1, Burst: 2, AddressRatePerMinute: 1, AddressBurst: 1, ClientIPHeader: "X-Forwarded-For"})
	c := webchattest.New(url, origin)
	from := func(address string) { c.Header = http.Header{"X-Forwarded-For": {address}} }
	from("198.51.100.1")
	if resp, err := c.Session(ctx, "", ""); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("session: %v %d", err, resp.Status)
	}
	var codes []int
	for i, address := range []string{"198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		from(address)
		resp, err := c.Send(ctx, "m"+strconv.Itoa(i), "hola")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.Status)
	}
	// The address's one message, two refused by the address, the
	// visitor's second message from another address, and then the
	// visitor's own limit.
	if !slices.Equal(codes, []int{202, 429, 429, 202, 429}) {
		t.Fatalf("statuses %v, want 202 429 429 202 429", codes)
	}
}

func TestVerifiedIdentityFollowsTheUser(t *testing.T) {
	secret := []byte("identity-secret-1234")
	_, f, url := newTest(t, Config{IdentitySecret: secret})
	ctx := context.Background()
	laptop, phone := webchattest.New(url, origin), webchattest.New(url, origin)
	if resp, _ := laptop.Session(ctx, "42", "00"+visitor.UserHash(secret, "42")[2:]); resp.Status != http.StatusForbidden {
		t.Fatalf("wrong hash: %d, want 403", resp.Status)
	}
	for _, c := range []*webchattest.Client{laptop, phone} {
		if resp, _ := c.Session(ctx, "42", visitor.UserHash(secret, "42")); resp.Status != http.StatusOK {
			t.Fatalf("session: %d %s", resp.Status, resp.Body)
		}
	}
	_, _ = laptop.Send(ctx, "x1", "desde el portátil")
	h, err := phone.History(ctx)
	if err != nil || len(h) != 1 || h[0].Text != "desde el portátil" {
		t.Fatalf("history on the other device: %v %v", h, err)
	}
	if f.inbound[0].GetContact().GetAddress() != "u_42" {
		t.Fatalf("address %q", f.inbound[0].GetContact().GetAddress())
	}
}

func TestDeliverReachesOpenTabsAndAcks(t *testing.T) {
	h, f, url := newTest(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := webchattest.New(url, origin)
	_, _ = c.Session(ctx, "", "")
	_, _ = c.Send(ctx, "q1", "hola")
	subject := f.inbound[0].GetContact().GetAddress()
	events, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := <-events; e.Type != "ready" {
		t.Fatalf("first event %q", e.Type)
	}
	out := &relevov1.OutboundMessage{Id: "o1", To: &relevov1.Contact{Channel: Channel, Address: subject},
		Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT, Text: "¿Te sirvió?", CreatedAt: timestamppb.Now(),
		Buttons: []*relevov1.Button{{Id: "fb_yes", Title: "Sí"}}}
	pid, err := h.Deliver(ctx, out)
	if err != nil || pid != ProviderID("o1") {
		t.Fatalf("Deliver = %q, %v", pid, err)
	}
	e := <-events
	if e.Type != "message" || e.Message.Text != "¿Te sirvió?" || len(e.Message.Buttons) != 1 || e.Message.Buttons[0].ID != "fb_yes" {
		t.Fatalf("event %+v", e)
	}
	// The server's read mark while the bot thinks shows as "typing…".
	if pid, err := h.Deliver(ctx, &relevov1.OutboundMessage{Id: "r1", To: out.To, Kind: relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ}); err != nil || pid != "" {
		t.Fatalf("mark read: %q, %v", pid, err)
	}
	if e := <-events; e.Type != "typing" {
		t.Fatalf("event %q, want typing", e.Type)
	}
	if _, err := h.Deliver(ctx, &relevov1.OutboundMessage{Id: "o2", To: out.To, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE}); err == nil {
		t.Fatal("a template was acked on a channel without templates")
	}
	if resp, _ := c.Seen(ctx, "o1"); resp.Status != http.StatusNoContent {
		t.Fatalf("seen: %d", resp.Status)
	}
	if len(f.receipts) != 1 || f.receipts[0].GetProviderMessageId() != "wc_o1" || f.receipts[0].GetStatus() != relevov1.ReceiptStatus_RECEIPT_STATUS_READ {
		t.Fatalf("receipts %v", f.receipts)
	}
}

func TestOpenStreamsPerVisitorAreBounded(t *testing.T) {
	_, _, url := newTest(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := webchattest.New(url, origin)
	_, _ = c.Session(ctx, "", "")
	for i := 0; i < MaxTabs; i++ {
		events, err := c.Events(ctx)
		if err != nil {
			t.Fatalf("stream %d: %v", i+1, err)
		}
		if e := <-events; e.Type != "ready" {
			t.Fatalf("stream %d opened with %q", i+1, e.Type)
		}
	}
	if _, err := c.Events(ctx); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("stream %d: %v, want 429", MaxTabs+1, err)
	}
}

// TestTheWidgetSpeaksAsTheCompanyProfile: what the settings leave empty
// comes from the company profile on the server; what they set wins; a
// server that cannot be reached leaves the defaults.
func TestTheWidgetSpeaksAsTheCompanyProfile(t *testing.T) {
	session := func(t *testing.T, url string) Widget {
		t.Helper()
		resp, err := webchattest.New(url, origin).Session(context.Background(), "", "")
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("session: %v %d", err, resp.Status)
		}
		var out struct{ Widget Widget }
		if err := json.Unmarshal(resp.Body, &out); err != nil {
			t.Fatal(err)
		}
		return out.Widget
	}
	unset := Widget{Color: "#000000", TextColor: "#ffffff", MaxChars: 50}
	t.Run("from the profile", func(t *testing.T) {
		_, f, url := newTest(t, Config{Widget: unset})
		w := session(t, url)
		if w.Company != "C1DO1" || w.Language != "en" || w.Welcome != "Hi! I'm C1DO1's assistant." {
			t.Fatalf("widget = %+v, want the profile's company, language and greeting", w)
		}
		session(t, url)
		f.mu.Lock()
		calls := f.profileCalls
		f.mu.Unlock()
		if calls != 1 {
			t.Fatalf("profile read %d times for two sessions, want once (cached)", calls)
		}
	})
	t.Run("the settings win", func(t *testing.T) {
		set := unset
		set.Company, set.Language = "ACME", "es"
		_, _, url := newTest(t, Config{Widget: set})
		w := session(t, url)
		if w.Company != "ACME" || w.Language != "es" || w.Welcome != "" {
			t.Fatalf("widget = %+v, want the settings, and no English greeting in a Spanish widget", w)
		}
	})
	t.Run("a slow read holds up nobody once a profile is known", func(t *testing.T) {
		h, f, url := newTest(t, Config{Widget: unset})
		if w := session(t, url); w.Company != "C1DO1" {
			t.Fatalf("widget = %+v", w)
		}
		// The profile has aged and the server now answers slowly: the
		// next visitors get the profile they had while it is read again.
		gate := make(chan struct{})
		f.mu.Lock()
		f.profileGate = gate
		f.profile = &relevov1.GetChannelProfileResponse{CompanyName: "C1DO1 Chile", Language: "en"}
		f.mu.Unlock()
		p := h.profile
		p.mu.Lock()
		p.read = time.Now().Add(-2 * profileTTL)
		p.mu.Unlock()
		for range 3 {
			if w := session(t, url); w.Company != "C1DO1" {
				t.Fatalf("widget during the slow read = %+v, want the profile read before", w)
			}
		}
		close(gate)
		// The read finishes on its own; the visitor after it sees it.
		for deadline := time.Now().Add(10 * time.Second); session(t, url).Company != "C1DO1 Chile"; {
			if time.Now().After(deadline) {
				t.Fatal("the profile read again never reached the widget")
			}
			time.Sleep(10 * time.Millisecond)
		}
		f.mu.Lock()
		calls := f.profileCalls
		f.mu.Unlock()
		if calls != 2 {
			t.Fatalf("profile read %d times, want twice (the first visitor's and one for all after)", calls)
		}
	})
	t.Run("server away", func(t *testing.T) {
		_, f, url := newTest(t, Config{Widget: unset})
		f.mu.Lock()
		f.profile = nil
		f.mu.Unlock()
		w := session(t, url)
		if w.Company != defaultCompany || w.Language != defaultLanguage {
			t.Fatalf("widget = %+v, want the defaults", w)
		}
	})
}

// A choice's title is bounded in bytes by the contract: 256 runes of
// Spanish text can be twice that, which the server would refuse after the
// widget was told to try again.
func TestChoiceTitleIsBoundedInBytes(t *testing.T) {
	_, f, url := newTest(t, Config{})
	ctx := context.Background()
	c := webchattest.New(url, origin)
	if _, err := c.Session(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"id": "c1", "text": "sí", "choice": map[string]string{"id": "yes", "title": strings.Repeat("ñ", 200)}}
	resp, err := c.Do(ctx, "POST", "/v1/messages", body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusBadRequest || len(f.inbound) != 0 {
		t.Fatalf("status %d %s, %d stored: want 400 before the server is called", resp.Status, resp.Body, len(f.inbound))
	}
}
