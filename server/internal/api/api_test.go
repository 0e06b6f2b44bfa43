package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/tickets"
)

const (
	adminKey   = "admin-key-0123456789"
	adapterKey = "adapter-key-0123456789"
)

type nopEngine struct{}

func (nopEngine) Kick() {}
func (nopEngine) WaitProcessed(ctx context.Context, _ string) ([]store.Message, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

type nopMetrics struct{}

func (nopMetrics) MessageAccepted(string, bool)  {}
func (nopMetrics) OutboundResult(string, string) {}

// fakeKnowledge stands in for the knowledge base: these tests are about the
// API surface, not retrieval.
type fakeKnowledge struct{ st store.Store }

func (f fakeKnowledge) Upload(ctx context.Context, name, mediaType string, content []byte) (store.PutDocumentResult, error) {
	if strings.TrimSpace(string(content)) == "" {
		return store.PutDocumentResult{}, fmt.Errorf("%s: no text: %w", name, ErrUnreadable)
	}
	return f.st.PutDocument(ctx, store.Document{Filename: name, MediaType: mediaType, SHA256: fmt.Sprintf("%x", len(content)), SizeBytes: int64(len(content)), Pages: 1},
		[]store.Chunk{{Ordinal: 0, Text: string(content)}})
}
func (f fakeKnowledge) Delete(ctx context.Context, id string) error {
	return f.st.DeleteDocument(ctx, id)
}
func (f fakeKnowledge) Search(context.Context, string, int) ([]Hit, error) {
	return []Hit{{Score: 0.9, Source: "faq.md", Text: "Hola"}}, nil
}
func (f fakeKnowledge) PrepareEntry(_ context.Context, q, a, src string) (store.Entry, error) {
	return store.Entry{Question: q, Answer: a, Source: src}, nil
}
func (f fakeKnowledge) Refresh(context.Context) error { return nil }
func (f fakeKnowledge) AnswerThreshold() float64      { return 0.5 }

type testServer struct {
	st       store.Store
	grpcAddr string
	httpURL  string
}

func startServer(t *testing.T, keySpecs ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, t.TempDir()+"/relevo.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := ParseKeys(keySpecs)
	if err != nil {
		t.Fatal(err)
	}
	kb := fakeKnowledge{st: st}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := New(Deps{
		Store: st, Engine: nopEngine{}, Desk: tickets.New(st, kb, tickets.PolicyAuto, nil), Knowledge: kb, Keys: keys, Metrics: nopMetrics{},
		Outbox:        OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute},
		TakeoverPause: time.Hour, Log: log,
	})
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.GRPC().Serve(gl) }()
	t.Cleanup(srv.GRPC().Stop)
	h, err := srv.HTTPHandler(ctx, gl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(hl) }()
	t.Cleanup(func() { hs.Close() })
	return &testServer{st: st, grpcAddr: gl.Addr().String(), httpURL: "http://" + hl.Addr().String()}
}

func (ts *testServer) conn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	c, err := grpc.NewClient(ts.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func withKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

func inbound(id string) *relevov1.InboundMessage {
	return &relevov1.InboundMessage{
		Contact:          &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"},
		ChannelMessageId: id,
		Text:             "Hola",
	}
}

func TestAuthMatrixOnGRPC(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+adapterKey)
	conn := ts.conn(t)
	channels := relevov1.NewChannelServiceClient(conn)
	kb := relevov1.NewKnowledgeServiceClient(conn)
	ticketsC := relevov1.NewTicketServiceClient(conn)

	calls := map[string]func(ctx context.Context) error{
		"HandleMessage (adapter RPC)": func(ctx context.Context) error {
			_, err := channels.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: inbound("wamid.auth." + fmt.Sprint(time.Now().UnixNano()))})
			return err
		},
		"ListTickets (adapter RPC)": func(ctx context.Context) error {
			_, err := ticketsC.ListTickets(ctx, &relevov1.ListTicketsRequest{})
			return err
		},
		"ListDocuments (admin RPC)": func(ctx context.Context) error {
			_, err := kb.ListDocuments(ctx, &relevov1.ListDocumentsRequest{})
			return err
		},
		"CloseTicket (admin RPC)": func(ctx context.Context) error {
			_, err := ticketsC.CloseTicket(ctx, &relevov1.CloseTicketRequest{TicketId: "T-NOPE00"})
			if status.Code(err) == codes.NotFound {
				return nil // authorized; the ticket just does not exist
			}
			return err
		},
	}
	want := map[string]map[string]codes.Code{
		"no key":      {"HandleMessage (adapter RPC)": codes.Unauthenticated, "ListTickets (adapter RPC)": codes.Unauthenticated, "ListDocuments (admin RPC)": codes.Unauthenticated, "CloseTicket (admin RPC)": codes.Unauthenticated},
		"wrong key":   {"HandleMessage (adapter RPC)": codes.Unauthenticated, "ListTickets (adapter RPC)": codes.Unauthenticated, "ListDocuments (admin RPC)": codes.Unauthenticated, "CloseTicket (admin RPC)": codes.Unauthenticated},
		"adapter key": {"HandleMessage (adapter RPC)": codes.OK, "ListTickets (adapter RPC)": codes.OK, "ListDocuments (admin RPC)": codes.PermissionDenied, "CloseTicket (admin RPC)": codes.PermissionDenied},
		"admin key":   {"HandleMessage (adapter RPC)": codes.OK, "ListTickets (adapter RPC)": codes.OK, "ListDocuments (admin RPC)": codes.OK, "CloseTicket (admin RPC)": codes.OK},
	}
	keyOf := map[string]string{"no key": "", "wrong key": "not-a-key-0123456789", "adapter key": adapterKey, "admin key": adminKey}
	for who, methods := range want {
		for name, code := range methods {
			t.Run(who+" calling "+name, func(t *testing.T) {
				err := calls[name](withKey(context.Background(), keyOf[who]))
				if got := status.Code(err); got != code {
					t.Fatalf("got %v (%v), want %v", got, err, code)
				}
			})
		}
	}
	t.Run("health needs no key", func(t *testing.T) {
		_, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func restCall(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAuthMatrixOnREST(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+adapterKey)
	for _, tc := range []struct {
		name, key, method, path, body string
		want                          int
	}{
		{"no key is 401", "", "GET", "/v1/tickets", "", 401},
		{"a wrong key is 401", "wrong-key-0123456789", "GET", "/v1/tickets", "", 401},
		{"the adapter role on an admin route is 403", adapterKey, "GET", "/v1/documents", "", 403},
		{"the adapter role on a channel route is 200", adapterKey, "POST", "/v1/messages", `{"message":{"contact":{"channel":"webchat","address":"u1"},"channelMessageId":"m-rest-1","text":"hola"}}`, 200},
		{"the admin role on an admin route is 200", adminKey, "GET", "/v1/documents", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := restCall(t, tc.method, ts.httpURL+tc.path, tc.key, tc.body)
			if code != tc.want {
				t.Fatalf("status %d (%v), want %d", code, body, tc.want)
			}
			if code >= 400 && body["message"] == "" {
				t.Fatalf("error body without a message: %v", body)
			}
		})
	}
}

func TestErrorsMapToStatusCodesAndHTTP(t *testing.T) {
	ts := startServer(t)
	conn := ts.conn(t)
	ctx := context.Background()
	_, err := relevov1.NewTicketServiceClient(conn).GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: "T-UNKNOWN"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown ticket: got %v, want NotFound", err)
	}
	_, err = relevov1.NewChannelServiceClient(conn).HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{
		Contact: &relevov1.Contact{Channel: "whatsapp", Address: "1"}, Text: "hola",
	}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "message.channel_message_id") {
		t.Errorf("missing message id: got %v, want InvalidArgument naming message.channel_message_id", err)
	}
	_, err = relevov1.NewKnowledgeServiceClient(conn).UploadDocument(ctx, &relevov1.UploadDocumentRequest{Filename: "../etc/passwd", Content: []byte("x")})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "filename") {
		t.Errorf("path in file name: got %v, want InvalidArgument naming filename", err)
	}
	_, err = relevov1.NewKnowledgeServiceClient(conn).UploadDocument(ctx, &relevov1.UploadDocumentRequest{Filename: "blank.txt", Content: []byte("   ")})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("unreadable upload: got %v, want InvalidArgument", err)
	}

	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"an unknown ticket is 404", "GET", "/v1/tickets/T-UNKNOWN", "", 404},
		{"a missing field is 400", "POST", "/v1/messages", `{"message":{"contact":{"channel":"whatsapp","address":"1"}}}`, 400},
		{"an empty answer is 400", "POST", "/v1/tickets/T-UNKNOWN:answer", `{"answer":" "}`, 400},
		{"malformed JSON is 400", "POST", "/v1/messages", `{"message":`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := restCall(t, tc.method, ts.httpURL+tc.path, "", tc.body)
			if code != tc.want {
				t.Fatalf("status %d (%v), want %d", code, body, tc.want)
			}
		})
	}
}

func TestToStatus(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		err  error
		want codes.Code
	}{
		{invalid("message.text", "too long"), codes.InvalidArgument},
		{fmt.Errorf("wrapped: %w", store.ErrNotFound), codes.NotFound},
		{fmt.Errorf("ticket answered: %w", store.ErrConflict), codes.FailedPrecondition},
		{fmt.Errorf("pdf: %w", ErrUnreadable), codes.InvalidArgument},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{errors.New("disk on fire"), codes.Internal},
		{status.Error(codes.AlreadyExists, "x"), codes.AlreadyExists},
	} {
		if got := status.Code(toStatus(context.Background(), log, tc.err)); got != tc.want {
			t.Errorf("toStatus(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if msg := status.Convert(toStatus(context.Background(), log, errors.New("db password is hunter2"))).Message(); strings.Contains(msg, "hunter2") {
		t.Errorf("internal error details leaked to the caller: %q", msg)
	}
}

func TestHandleMessageIsIdempotentOnTheChannelMessageID(t *testing.T) {
	ts := startServer(t)
	c := relevov1.NewChannelServiceClient(ts.conn(t))
	ctx := context.Background()
	first, err := c.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: inbound("wamid.same")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: inbound("wamid.same")})
	if err != nil {
		t.Fatal(err)
	}
	if first.GetDuplicate() || !again.GetDuplicate() || again.GetMessageId() != first.GetMessageId() {
		t.Fatalf("first %v, again %v: want the same id, duplicate only the second time", first, again)
	}
}

func TestAMangledPageTokenIsTheCallersError(t *testing.T) {
	ts := startServer(t)
	_, err := relevov1.NewTicketServiceClient(ts.conn(t)).ListTickets(context.Background(), &relevov1.ListTicketsRequest{PageToken: "not-a-token"})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
}
