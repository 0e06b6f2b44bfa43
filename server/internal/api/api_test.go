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
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/gaps"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/tickets"
)

const (
	adminKey   = "admin-key-0123456789"
	adapterKey = "adapter-key-0123456789"
	// whatsappKey is an adapter key bound to the whatsapp channel.
	whatsappKey = "whatsapp-key-0123456789"
	deskKey     = "desk-key-0123456789"
	metricsKey  = "metrics-key-0123456789"
)

type nopEngine struct{}

func (nopEngine) Kick() {}
func (nopEngine) AcceptPolicy(string, bool) (time.Duration, time.Duration, time.Duration) {
	return 0, 0, 0
}
func (nopEngine) Typing(context.Context, string, string, string, string) {}
func (nopEngine) WindowTemplate(string) *store.OutboundDraft             { return nil }
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
		[]store.Chunk{{Ordinal: 0, Text: string(content)}}, nil)
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

// storesOf gives every service its role of one store, as the server's
// assembly does.
func storesOf(st store.Store) Stores {
	return Stores{Channel: st, Ticket: st, Knowledge: st, Conversation: st, Health: st}
}

type testServer struct {
	srv      *Server
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
		Stores: storesOf(st), Engine: nopEngine{}, Desk: tickets.New(st, kb, tickets.PolicyAuto, nil), Knowledge: kb, Keys: keys, Metrics: nopMetrics{},
		Decider: fakeDecider{}, Gaps: gaps.New(st, "es"), Console: consoleStub{},
		MetricsPage:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "relevo_up 1\n") }),
		Outbox:        OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute},
		TakeoverPause: time.Hour, Log: log,
		Profile: ChannelProfile{CompanyName: "C1DO1", Language: "es", Greeting: "¡Hola! Soy el asistente de C1DO1."},
	})
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.GRPC().Serve(gl) }()
	t.Cleanup(srv.Stop)
	h, err := srv.HTTPHandler(ctx)
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
	return &testServer{srv: srv, st: st, grpcAddr: gl.Addr().String(), httpURL: "http://" + hl.Addr().String()}
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
	ts := startServer(t, "admin:"+adminKey, "adapter:"+adapterKey, "adapter:"+whatsappKey+":whatsapp", "desk:"+deskKey, "metrics:"+metricsKey)
	conn := ts.conn(t)
	channels := relevov1.NewChannelServiceClient(conn)
	kb := relevov1.NewKnowledgeServiceClient(conn)
	ticketsC := relevov1.NewTicketServiceClient(conn)
	notFoundIsOK := func(err error) error {
		if status.Code(err) == codes.NotFound {
			return nil // authorized; the ticket just does not exist
		}
		return err
	}
	message := func(channel string) *relevov1.HandleMessageRequest {
		m := inbound("wamid.auth." + fmt.Sprint(time.Now().UnixNano()))
		m.Contact.Channel = channel
		return &relevov1.HandleMessageRequest{Message: m}
	}

	const (
		hmWA, hmTG, list, answer, docs, closeT, refl = "HandleMessage whatsapp", "HandleMessage telegram", "ListTickets", "AnswerTicket", "ListDocuments", "CloseTicket", "reflection"
		profile                                      = "GetChannelProfile"
	)
	calls := map[string]func(ctx context.Context) error{
		hmWA: func(ctx context.Context) error {
			_, err := channels.HandleMessage(ctx, message("whatsapp"))
			return err
		},
		hmTG: func(ctx context.Context) error {
			_, err := channels.HandleMessage(ctx, message("telegram"))
			return err
		},
		list: func(ctx context.Context) error {
			_, err := ticketsC.ListTickets(ctx, &relevov1.ListTicketsRequest{})
			return err
		},
		profile: func(ctx context.Context) error {
			_, err := channels.GetChannelProfile(ctx, &relevov1.GetChannelProfileRequest{})
			return err
		},
		answer: func(ctx context.Context) error {
			_, err := ticketsC.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: "T-NOPE00", Answer: "Sí"})
			return notFoundIsOK(err)
		},
		docs: func(ctx context.Context) error {
			_, err := kb.ListDocuments(ctx, &relevov1.ListDocumentsRequest{})
			return err
		},
		closeT: func(ctx context.Context) error {
			_, err := ticketsC.CloseTicket(ctx, &relevov1.CloseTicketRequest{TicketId: "T-NOPE00"})
			return notFoundIsOK(err)
		},
		refl: func(ctx context.Context) error {
			stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			// A refused stream ends the send side; Recv carries the status.
			_ = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
			_, err = stream.Recv()
			return err
		},
	}
	U, P, O := codes.Unauthenticated, codes.PermissionDenied, codes.OK
	want := map[string]map[string]codes.Code{
		"no key":             {hmWA: U, hmTG: U, list: U, answer: U, docs: U, closeT: U, refl: U, profile: U},
		"wrong key":          {hmWA: U, hmTG: U, list: U, answer: U, docs: U, closeT: U, refl: U, profile: U},
		"adapter key":        {hmWA: O, hmTG: O, list: P, answer: P, docs: P, closeT: P, refl: P, profile: O},
		"whatsapp adapter":   {hmWA: O, hmTG: P, list: P, answer: P, docs: P, closeT: P, refl: P, profile: O},
		"desk key":           {hmWA: P, hmTG: P, list: O, answer: O, docs: P, closeT: O, refl: P, profile: P},
		"metrics key":        {hmWA: P, hmTG: P, list: P, answer: P, docs: P, closeT: P, refl: P, profile: P},
		"admin key":          {hmWA: O, hmTG: O, list: O, answer: O, docs: O, closeT: O, refl: O, profile: O},
		"admin, bearer case": {hmWA: O, list: O},
	}
	keyOf := map[string]string{"no key": "", "wrong key": "not-a-key-0123456789", "adapter key": adapterKey,
		"whatsapp adapter": whatsappKey, "desk key": deskKey, "metrics key": metricsKey, "admin key": adminKey}
	for who, methods := range want {
		for name, code := range methods {
			t.Run(who+" calling "+name, func(t *testing.T) {
				ctx := withKey(context.Background(), keyOf[who])
				if who == "admin, bearer case" {
					ctx = metadata.AppendToOutgoingContext(context.Background(), "authorization", "bEaReR "+adminKey)
				}
				err := calls[name](ctx)
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
	t.Parallel()
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

// TestChannelProfileIsTheCompanyProfiles: a channel reads the company's
// name, language and greeting from the server, on gRPC and REST.
func TestChannelProfileIsTheCompanyProfiles(t *testing.T) {
	ts := startServer(t, "adapter:"+adapterKey)
	got, err := relevov1.NewChannelServiceClient(ts.conn(t)).GetChannelProfile(withKey(context.Background(), adapterKey), &relevov1.GetChannelProfileRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCompanyName() != "C1DO1" || got.GetLanguage() != "es" || got.GetGreeting() != "¡Hola! Soy el asistente de C1DO1." {
		t.Fatalf("GetChannelProfile = %v", got)
	}
	code, body := restCall(t, http.MethodGet, ts.httpURL+"/v1/channel-profile", adapterKey, "")
	if code != http.StatusOK || body["companyName"] != "C1DO1" || body["language"] != "es" {
		t.Fatalf("GET /v1/channel-profile = %d %v", code, body)
	}
}

// TestListDeliveriesOnREST: the states are query parameters, a foreign one
// is a 400 naming the field.
func TestListDeliveriesOnREST(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey)
	code, body := restCall(t, http.MethodGet, ts.httpURL+"/v1/deliveries?statuses=DELIVERY_STATUS_FAILED&statuses=DELIVERY_STATUS_RETRYING&pageSize=10", adminKey, "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/deliveries = %d %v", code, body)
	}
	code, body = restCall(t, http.MethodGet, ts.httpURL+"/v1/deliveries?statuses=99", adminKey, "")
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["message"]), "statuses") {
		t.Fatalf("GET /v1/deliveries with an unknown state = %d %v, want 400 naming statuses", code, body)
	}
}
