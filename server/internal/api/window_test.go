package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/message"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
	"github.com/relevo/relevo/server/internal/tickets"
)

// windowEngine has WhatsApp's 24-hour window and a window template.
type windowEngine struct{ nopEngine }

func (windowEngine) AcceptPolicy(channel string, _ bool) (time.Duration, time.Duration, time.Duration) {
	if channel == "whatsapp" {
		return 0, 0, 24 * time.Hour
	}
	return 0, 0, 0
}

func (windowEngine) WindowTemplate(text string) *store.OutboundDraft {
	return &store.OutboundDraft{Kind: "template", Text: "plantilla: " + text,
		Details: message.Details{Template: &message.Template{Name: "respuesta_pendiente", Language: "es", BodyParams: []string{text}}}}
}

func startWindowServer(t *testing.T) *testServer {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/relevo.db", sqlite.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, _ := ParseKeys(nil)
	kb := fakeKnowledge{st: st}
	srv := New(Deps{
		Stores: storesOf(st), Engine: windowEngine{}, Desk: tickets.New(st, kb, tickets.PolicyAuto, nil), Knowledge: kb, Keys: keys, Metrics: nopMetrics{},
		Outbox: OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute}, TakeoverPause: time.Hour, Log: log,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.GRPC().Serve(ln) }()
	t.Cleanup(srv.Stop)
	h, err := srv.HTTPHandler(context.Background())
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
	return &testServer{st: st, grpcAddr: ln.Addr().String(), httpURL: "http://" + hl.Addr().String()}
}

func TestAReplyRefusedOutsideTheWindowWaitsForTheCustomerWithTheTemplateMeanwhile(t *testing.T) {
	for _, via := range []string{"stream failure", "status receipt"} {
		t.Run(via, func(t *testing.T) {
			ts := startWindowServer(t)
			conv, ids := queueReplies(t, ts.st, "56911112222", "Sí, con la U. de Chile hay 20% de descuento.")
			a := subscribe(t, ts, 10)
			m := a.next(t)
			if via == "stream failure" {
				a.fail(t, &relevov1.Failure{OutboundId: m.GetId(), Code: "131047", Reason: "re-engagement", OutsideWindow: true})
			} else {
				a.ack(t, m.GetId(), "wamid.out.1")
				waitMessage(t, ts.st, ids[0], "sent", func(m store.Message) bool { return m.Status == store.StatusSent })
				resp, err := relevov1.NewChannelServiceClient(ts.conn(t)).ReportDelivery(context.Background(), &relevov1.ReportDeliveryRequest{
					Channel: "whatsapp", ProviderMessageId: "wamid.out.1", Status: relevov1.ReceiptStatus_RECEIPT_STATUS_FAILED,
					ErrorCode: "131047", OutsideWindow: true})
				if err != nil || !resp.GetMatched() {
					t.Fatalf("ReportDelivery: %v %v", resp, err)
				}
			}
			waitMessage(t, ts.st, ids[0], "waiting for the window", func(m store.Message) bool { return m.Status == store.StatusWaitingWindow })
			if d := deliveryOf(t, ts, conv, ids[0]); d.GetDeliveryStatus() != relevov1.DeliveryStatus_DELIVERY_STATUS_WAITING_FOR_WINDOW {
				t.Fatalf("GetConversation shows %v", d)
			}
			tmpl := a.next(t)
			if tmpl.GetKind() != relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE || tmpl.GetTemplate().GetBodyParams()[0] != "Sí, con la U. de Chile hay 20% de descuento." {
				t.Fatalf("offered %v, want the template with the answer", tmpl)
			}
			a.ack(t, tmpl.GetId(), "wamid.tmpl")
			// The customer writes: the window reopens and the answer goes.
			if _, err := relevov1.NewChannelServiceClient(ts.conn(t)).HandleMessage(context.Background(), &relevov1.HandleMessageRequest{
				Message: &relevov1.InboundMessage{Contact: &relevov1.Contact{Channel: "whatsapp", Address: "56911112222"},
					ChannelMessageId: "wamid.in.again", Text: "¿cuál es la respuesta?"}}); err != nil {
				t.Fatal(err)
			}
			again := a.next(t)
			if again.GetId() != ids[0] || again.GetKind() != relevov1.OutboundKind_OUTBOUND_KIND_TEXT {
				t.Fatalf("after the customer wrote, offered %v, want the held answer", again)
			}
		})
	}
}

func restGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestResolutionsAndOwnerChangesOverREST(t *testing.T) {
	ts := startWindowServer(t)
	ctx := context.Background()
	conv, _ := queueReplies(t, ts.st, "56900000001", "Desde el menú Cuenta.")
	// The customer taps "Sí, gracias".
	if _, err := ts.st.AcceptInbound(ctx, store.InboundMessage{Contact: store.Contact{Channel: "whatsapp", Address: "56900000001"},
		ChannelMessageID: "wamid.yes", Kind: "choice", Text: "Sí, gracias"}); err != nil {
		t.Fatal(err)
	}
	cl, err := ts.st.ClaimConversation(ctx, "w", time.Minute)
	if err != nil || cl == nil {
		t.Fatalf("claim %v %v", cl, err)
	}
	if err := ts.st.CompleteRun(ctx, cl, store.RunResult{Run: store.RunRecord{Outcome: "smalltalk"}, Confirmation: "Sí, gracias",
		Events: []store.Event{{Cause: store.CauseConfirmed, Actor: "customer"}}}); err != nil {
		t.Fatal(err)
	}

	code, body := restGet(t, ts.httpURL+"/v1/resolutions?outcome=CONVERSATION_OUTCOME_RESOLVED_BY_BOT&from=2020-01-01T00:00:00Z")
	var list struct {
		Resolutions []struct {
			ConversationID string   `json:"conversationId"`
			RunIDs         []string `json:"runIds"`
			Confirmation   string   `json:"confirmation"`
		} `json:"resolutions"`
	}
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil || len(list.Resolutions) != 1 ||
		list.Resolutions[0].ConversationID != conv || len(list.Resolutions[0].RunIDs) != 2 || list.Resolutions[0].Confirmation != "Sí, gracias" {
		t.Fatalf("GET /v1/resolutions: %d %s", code, body)
	}
	code, body = restGet(t, ts.httpURL+"/v1/resolutions:stats?from=2020-01-01T00:00:00Z")
	if code != http.StatusOK || !strings.Contains(body, `"resolvedByBot":1`) || !strings.Contains(body, `"botRate":1`) {
		t.Fatalf("GET /v1/resolutions:stats: %d %s", code, body)
	}
	code, body = restGet(t, ts.httpURL+"/v1/resolutions:stats?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z")
	if code != http.StatusBadRequest || !strings.Contains(body, "to") {
		t.Fatalf("a period ending before it starts: %d %s", code, body)
	}
	code, body = restGet(t, ts.httpURL+"/v1/conversations/"+conv)
	if code != http.StatusOK || !strings.Contains(body, `"owner":"OWNER_RESOLVED"`) || !strings.Contains(body, `"cause":"confirmed"`) ||
		!strings.Contains(body, `"windowUntil"`) {
		t.Fatalf("GET /v1/conversations/%s: %d %s", conv, code, body)
	}

	// The list filters by owner: the confirmed conversation is resolved,
	// another one still belongs to the bot.
	other, _ := queueReplies(t, ts.st, "56900000002", "Abrimos a las 9.")
	for owner, want := range map[string]string{"OWNER_RESOLVED": conv, "OWNER_BOT": other} {
		code, body = restGet(t, ts.httpURL+"/v1/conversations?owner="+owner)
		var page struct {
			Conversations []struct {
				ID    string `json:"id"`
				Owner string `json:"owner"`
			} `json:"conversations"`
		}
		if err := json.Unmarshal([]byte(body), &page); code != http.StatusOK || err != nil || len(page.Conversations) != 1 ||
			page.Conversations[0].ID != want || page.Conversations[0].Owner != owner {
			t.Errorf("GET /v1/conversations?owner=%s: %d %s, want only %s", owner, code, body, want)
		}
	}
	code, body = restGet(t, ts.httpURL+"/v1/conversations?owner=OWNER_HUMAN")
	if code != http.StatusOK || strings.Contains(body, `"id"`) {
		t.Errorf("GET /v1/conversations?owner=OWNER_HUMAN: %d %s, want none", code, body)
	}
	code, body = restGet(t, ts.httpURL+"/v1/conversations?owner=42")
	if code != http.StatusBadRequest || !strings.Contains(body, "owner") {
		t.Errorf("an unknown owner: %d %s", code, body)
	}
}
