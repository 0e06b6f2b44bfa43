package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	"github.com/relevo/relevo/adapters/whatsapp/internal/app"
	"github.com/relevo/relevo/adapters/whatsapp/internal/config"
	"github.com/relevo/relevo/adapters/whatsapp/internal/relevotest"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const (
	appSecret   = "e2e-app-secret"
	verifyToken = "e2e-verify"
	adapterKey  = "adapter-key"
	number      = "106540352242922"
)

// env is one running adapter between a fake Graph API and a fake Relevo.
type env struct {
	graph  *graphtest.Server
	relevo *relevotest.Server
	client *relevo.Client
	url    string // base URL of the adapter's HTTP server
}

type envOptions struct {
	relevoAddr string // where the adapter dials Relevo; empty starts a fake
	cfg        func(*config.Config)
}

func start(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{graph: graphtest.New(t)}
	addr := o.relevoAddr
	if addr == "" {
		e.relevo = relevotest.Start(t, "127.0.0.1:0")
		addr = e.relevo.Addr
	}
	client, err := relevo.Dial(context.Background(), addr, relevo.WithToken(adapterKey), relevo.WithDialOptions(
		// Reconnect quickly in tests where the server comes up late. A zero
		// MinConnectTimeout would bound each connection attempt by the
		// backoff delay, 10 ms: on a loaded host the handshake takes longer
		// and the first calls fail with Unavailable.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.6, MaxDelay: 100 * time.Millisecond},
			MinConnectTimeout: 5 * time.Second,
		}),
	))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	e.client = client

	cfg := config.Config{
		Listen: "127.0.0.1:0", Server: addr, Token: adapterKey, VerifyToken: verifyToken, AppSecret: appSecret,
		AccessToken: e.graph.Token, GraphURL: e.graph.URL, GraphVersion: e.graph.Version,
		MaxBody: 4 << 20, SendConcurrency: 4,
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	// The adapter's log is the test's output: shown when a test fails or with -v.
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	a := app.New(cfg, client.Channels, nil, log, relevo.OutboundBackoff(5*time.Millisecond, 50*time.Millisecond))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v on shutdown, want nil", err)
		}
	})
	return e
}

func (e *env) postWebhook(t *testing.T, body []byte) int {
	t.Helper()
	req, err := graphtest.NewWebhookRequest(e.url+"/webhook", appSecret, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("expected body is not JSON: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}

var user = &relevov1.Contact{Channel: "whatsapp", Address: "16505551234", Phone: "16505551234", DisplayName: "Sheena"}

func ack(id, provider string) *relevov1.StreamOutboundRequest {
	return &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Ack{Ack: &relevov1.Ack{OutboundId: id, ProviderMessageId: provider}}}
}

func TestOutboundMessagesReachTheCloudAPI(t *testing.T) {
	longText := strings.Repeat("Una frase larga de la respuesta del especialista. ", 100) // 5,000 characters
	tests := []struct {
		name      string
		cfg       func(*config.Config)
		script    []graphtest.Response
		msg       *relevov1.OutboundMessage
		want      []string // exact bodies of the messages calls
		result    *relevov1.StreamOutboundRequest
		retryWith *relevov1.StreamOutboundRequest // result of a second attempt, if any
	}{
		{
			name: "a text reply is sent and acked with its wamid",
			msg: &relevov1.OutboundMessage{Id: "o1", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT,
				Text: "¡Hola! ¿En qué te ayudo?", ReplyToMessageId: "wamid.IN1", Attempt: 1},
			want:   []string{`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","context":{"message_id":"wamid.IN1"},"type":"text","text":{"body":"¡Hola! ¿En qué te ayudo?"}}`},
			result: ack("o1", graphtest.MessageID(1)),
		},
		{
			name: "a long text is split in two sends and acked with the last wamid",
			msg: &relevov1.OutboundMessage{Id: "o2", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT,
				Text: longText, Attempt: 1},
			want: []string{
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":` + jsonString(strings.TrimSpace(strings.Repeat("Una frase larga de la respuesta del especialista. ", 81))) + `}}`,
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":` + jsonString(strings.TrimSpace(strings.Repeat("Una frase larga de la respuesta del especialista. ", 19))) + `}}`,
			},
			result: ack("o2", graphtest.MessageID(2)),
		},
		{
			name: "buttons are sent as interactive reply buttons",
			msg: &relevov1.OutboundMessage{Id: "o3", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT,
				Text: "¿Te sirvió la respuesta?", Buttons: []*relevov1.Button{{Id: "yes", Title: "Sí"}, {Id: "human", Title: "Hablar con alguien"}}, Attempt: 1},
			want: []string{`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"interactive","interactive":{"type":"button",
				"body":{"text":"¿Te sirvió la respuesta?"},"action":{"buttons":[{"type":"reply","reply":{"id":"yes","title":"Sí"}},{"type":"reply","reply":{"id":"human","title":"Hablar con alguien"}}]}}}`},
			result: ack("o3", graphtest.MessageID(1)),
		},
		{
			name: "mark-read marks the message read with the typing indicator",
			msg: &relevov1.OutboundMessage{Id: "o4", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ,
				ReplyToMessageId: "wamid.IN1", Attempt: 1},
			want:   []string{`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN1","typing_indicator":{"type":"text"}}`},
			result: ack("o4", ""),
		},
		{
			name:   "a reply outside the 24-hour window is reported for the server to hold, after the fallback template",
			cfg:    func(c *config.Config) { c.FallbackTemplate, c.FallbackTemplateLang = "seguimiento_ticket", "es" },
			script: []graphtest.Response{graphtest.ErrorResponse(400, 131047, "Re-engagement message", "More than 24 hours have passed since the recipient last replied to the sender number.")},
			msg: &relevov1.OutboundMessage{Id: "o5", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT,
				Text: "Tu consulta fue respondida", Attempt: 1},
			want: []string{
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"Tu consulta fue respondida"}}`,
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"template","template":{"name":"seguimiento_ticket","language":{"code":"es"}}}`,
			},
			result: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{Failure: &relevov1.Failure{
				OutboundId: "o5", Code: "131047", OutsideWindow: true,
				Reason: "outside the 24-hour customer service window ((#131047) Re-engagement message: More than 24 hours have passed since the recipient last replied to the sender number.): held until the user writes again",
			}}},
		},
		{
			name:   "a rate limit is reported as retryable and the retry is sent",
			script: []graphtest.Response{withRetryAfter(graphtest.ErrorResponse(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached."), "2")},
			msg: &relevov1.OutboundMessage{Id: "o6", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT,
				Text: "Un momento", Attempt: 1},
			want: []string{
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"Un momento"}}`,
				`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"Un momento"}}`,
			},
			result: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{Failure: &relevov1.Failure{
				OutboundId: "o6", Retryable: true, Code: "130429", Reason: "(#130429) Rate limit hit: Cloud API message throughput has been reached.",
				RetryAfter: durationpb.New(2 * time.Second),
			}}},
			retryWith: ack("o6", graphtest.MessageID(2)),
		},
		{
			name:   "an invalid parameter is a permanent failure",
			script: []graphtest.Response{graphtest.ErrorResponse(400, 100, "Invalid parameter", "Parameter value is not valid")},
			msg: &relevov1.OutboundMessage{Id: "o7", ConversationId: "c1", To: user, BusinessAddress: number, Kind: relevov1.OutboundKind_OUTBOUND_KIND_TEXT,
				Text: "Hola", Attempt: 1},
			want: []string{`{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"Hola"}}`},
			result: &relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{Failure: &relevov1.Failure{
				OutboundId: "o7", Code: "100", Reason: "(#100) Invalid parameter: Parameter value is not valid",
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, envOptions{cfg: tt.cfg})
			sub := e.relevo.WaitSubscribe(t)
			if sub.GetChannel() != "whatsapp" {
				t.Errorf("subscribed to %q, want whatsapp", sub.GetChannel())
			}
			e.graph.Queue(tt.script...)
			e.relevo.Push(tt.msg)
			if got := e.relevo.NextResult(t); !proto.Equal(got, tt.result) {
				t.Errorf("result = %v, want %v", got, tt.result)
			}
			if tt.retryWith != nil {
				retry := proto.Clone(tt.msg).(*relevov1.OutboundMessage)
				retry.Attempt++
				e.relevo.Push(retry)
				if got := e.relevo.NextResult(t); !proto.Equal(got, tt.retryWith) {
					t.Errorf("retry result = %v, want %v", got, tt.retryWith)
				}
			}
			reqs := e.graph.MessageRequests()
			if len(reqs) != len(tt.want) {
				t.Fatalf("Cloud API got %d messages calls, want %d", len(reqs), len(tt.want))
			}
			for i, r := range reqs {
				if r.Path != "/v24.0/"+number+"/messages" {
					t.Errorf("call %d went to %s", i, r.Path)
				}
				if r.Header.Get("Authorization") != "Bearer "+e.graph.Token || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("call %d headers: Authorization %q, Content-Type %q", i, r.Header.Get("Authorization"), r.Header.Get("Content-Type"))
				}
				if !sameJSON(t, r.Body, tt.want[i]) {
					t.Errorf("call %d body:\n got %s\nwant %s", i, r.Body, tt.want[i])
				}
			}
		})
	}
}

func withRetryAfter(r graphtest.Response, v string) graphtest.Response {
	r.Header = r.Header.Clone()
	r.Header.Set("Retry-After", v)
	return r
}

func ts(sec int64) *timestamppb.Timestamp { return &timestamppb.Timestamp{Seconds: sec} }

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestAWebhookDeliveredTwiceIsHandedOverTwiceWithTheSameID(t *testing.T) {
	e := start(t, envOptions{})
	body := graphtest.TextWebhook(graphtest.DefaultBusiness, "16505551234", "Sheena", "wamid.TWICE", "¿Tienen envío a domicilio?", time.Unix(1760000000, 0))
	for i := range 2 {
		if code := e.postWebhook(t, body); code != http.StatusOK {
			t.Fatalf("delivery %d answered %d, want 200", i+1, code)
		}
	}
	handled := e.relevo.Handled()
	if len(handled) != 2 {
		t.Fatalf("HandleMessage called %d times, want 2", len(handled))
	}
	want := &relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{
		Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "16505551234", DisplayName: "Sheena", Phone: "16505551234"},
		ChannelMessageId: "wamid.TWICE", BusinessAddress: number, SentAt: ts(1760000000),
		Kind: relevov1.InboundKind_INBOUND_KIND_TEXT, Text: "¿Tienen envío a domicilio?",
	}}
	for i, h := range handled {
		if !proto.Equal(h, want) {
			t.Errorf("call %d = %v, want %v", i, h, want)
		}
	}
	for i, a := range e.relevo.Authorizations() {
		if a != "Bearer "+adapterKey {
			t.Errorf("call %d authorization = %q, want the adapter key", i, a)
		}
	}
}

func TestAWebhookWhileTheServerIsDownIsRetriedByMeta(t *testing.T) {
	// Reserve an address with nothing listening on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	e := start(t, envOptions{relevoAddr: addr})
	body := graphtest.TextWebhook(graphtest.DefaultBusiness, "16505551234", "Sheena", "wamid.LATE", "hola", time.Unix(1760000000, 0))
	if code := e.postWebhook(t, body); code != http.StatusServiceUnavailable {
		t.Fatalf("with the server down the webhook got %d, want 503", code)
	}

	fake := relevotest.Start(t, addr)
	waitReady(t, e.client.Conn())
	if code := e.postWebhook(t, body); code != http.StatusOK {
		t.Fatalf("Meta's retry got %d, want 200", code)
	}
	if h := fake.Handled(); len(h) != 1 || h[0].GetMessage().GetChannelMessageId() != "wamid.LATE" {
		t.Errorf("server received %v, want the message once", h)
	}
}

// waitReady waits until the connection to the server is up.
func waitReady(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			return
		}
		conn.Connect()
		if !conn.WaitForStateChange(ctx, s) {
			t.Fatalf("connection to the server not ready: %v", s)
		}
	}
}

func TestReceiptsAndBusinessAppMessagesReachTheServer(t *testing.T) {
	e := start(t, envOptions{})
	at := time.Unix(1760000100, 0)
	for _, body := range [][]byte{
		graphtest.StatusWebhook(graphtest.DefaultBusiness, "wamid.OUT1", "delivered", "16505551234", at),
		graphtest.FailedStatusWebhook(graphtest.DefaultBusiness, "wamid.OUT2", "16505551234", 131047, "Re-engagement message", "More than 24 hours", at),
		graphtest.EchoWebhook(graphtest.DefaultBusiness, "16505551234", "wamid.ECHO1", "Te respondo yo, soy Marta", at),
	} {
		if code := e.postWebhook(t, body); code != http.StatusOK {
			t.Fatalf("webhook answered %d, want 200", code)
		}
	}
	wantReceipts := []*relevov1.ReportDeliveryRequest{
		{Channel: "whatsapp", ProviderMessageId: "wamid.OUT1", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_DELIVERED, Timestamp: ts(at.Unix())},
		{Channel: "whatsapp", ProviderMessageId: "wamid.OUT2", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED, Timestamp: ts(at.Unix()),
			ErrorCode: "131047", ErrorReason: "Re-engagement message: More than 24 hours", OutsideWindow: true},
	}
	got := e.relevo.Receipts()
	if len(got) != len(wantReceipts) {
		t.Fatalf("got %d receipts, want %d", len(got), len(wantReceipts))
	}
	for i := range got {
		if !proto.Equal(got[i], wantReceipts[i]) {
			t.Errorf("receipt %d = %v, want %v", i, got[i], wantReceipts[i])
		}
	}
	wantHuman := &relevov1.SendHumanMessageRequest{
		Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "16505551234", Phone: "16505551234"},
		ChannelMessageId: "wamid.ECHO1", BusinessAddress: number, Text: "Te respondo yo, soy Marta", SentAt: ts(at.Unix()),
	}
	if h := e.relevo.HumanMessages(); len(h) != 1 || !proto.Equal(h[0], wantHuman) {
		t.Errorf("human messages = %v, want %v", h, wantHuman)
	}
}

func TestHealthAndVerificationEndpoints(t *testing.T) {
	e := start(t, envOptions{})
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{name: "health answers ok", path: "/healthz", wantCode: http.StatusOK, wantBody: "ok\n"},
		{name: "Meta's handshake gets the challenge", path: "/webhook?hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1158201444",
			wantCode: http.StatusOK, wantBody: "1158201444"},
		{name: "a wrong verify token is forbidden", path: "/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", wantCode: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(e.url + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode || (tt.wantBody != "" && string(body) != tt.wantBody) {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}
