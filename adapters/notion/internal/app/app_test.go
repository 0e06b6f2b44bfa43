package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/relevo/relevo/adapters/notion/internal/config"
	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/internal/relevotest"
	"github.com/relevo/relevo/adapters/notion/internal/webhook"
	"github.com/relevo/relevo/adapters/notion/notiontest"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const (
	testDatabaseID = "8c1e4f5a-2b3d-4e6f-9a1b-3c5d7e9f1a2b"
	testSecret     = "s3cret-header-value-for-tests"
)

// harness runs the adapter against a fake Notion and a fake Relevo server.
type harness struct {
	t       *testing.T
	notion  *notiontest.Server
	tickets *relevotest.Server
	cfg     config.Config
	url     string // webhook base URL of the running adapter
	stop    func()
}

func newHarness(t *testing.T, statusType string) *harness {
	t.Helper()
	h := &harness{t: t, notion: notiontest.New(t), tickets: relevotest.Start(t)}
	h.notion.AddDatabase(testDatabaseID, notiontest.TicketSchema(statusType))
	env := map[string]string{
		"RELEVO_NOTION_TOKEN":          notiontest.Token,
		"RELEVO_NOTION_URL":            h.notion.URL,
		"RELEVO_NOTION_DATABASE_ID":    testDatabaseID,
		"RELEVO_NOTION_SERVER":         h.tickets.Addr,
		"RELEVO_NOTION_WEBHOOK_SECRET": testSecret,
		"RELEVO_NOTION_RATE":           "1000", // pacing itself is the transport's test
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	h.cfg = cfg
	return h
}

// start runs the adapter until stop or the end of the test.
func (h *harness) start() {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	h.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(h.t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	api, err := notionhttp.NewClient(notionhttp.ClientOptions{
		Token: h.cfg.NotionToken, BaseURL: h.cfg.NotionURL, Version: h.cfg.NotionVersion, Rate: h.cfg.NotionRate, Logger: log,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	client, err := relevo.Dial(ctx, h.cfg.Server, relevo.WithToken(h.cfg.Token))
	if err != nil {
		h.t.Fatal(err)
	}
	go func() {
		defer client.Close()
		done <- New(h.cfg, client.Tickets, api, log).Serve(ctx, ln)
	}()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				h.t.Errorf("adapter stopped with %v", err)
			}
		})
	}
	h.t.Cleanup(h.stop)
}

func (h *harness) waitNotion(what string, cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.notion.WaitFor(ctx, cond); err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (h *harness) waitTickets(what string, cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.tickets.WaitFor(ctx, cond); err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// pageOf waits until the ticket is linked to a page and returns its id.
func (h *harness) pageOf(ticketID string) string {
	h.t.Helper()
	h.waitTickets("ticket "+ticketID+" linked", func() bool { return h.tickets.Ticket(ticketID).GetExternalRef() != "" })
	return h.tickets.Ticket(ticketID).GetExternalRef()
}

// sync opens a marker ticket and waits for its page: the event stream is in
// order, so every earlier event has been handled.
func (h *harness) sync(id string) {
	h.t.Helper()
	h.tickets.Open(&relevov1.Ticket{Id: id, Question: "marker"})
	h.pageOf(id)
}

func (h *harness) post(body []byte, secret string) (int, webhook.Result) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/notion/webhook", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "NotionAutomation")
	if secret != "" {
		req.Header.Set(webhook.DefaultSecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var res webhook.Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		h.t.Fatalf("webhook answer is not JSON: %v", err)
	}
	return resp.StatusCode, res
}

func TestAdapterEndToEnd(t *testing.T) {
	h := newHarness(t, "status")
	long := strings.Repeat("Necesito ayuda con mi pedido número 12345. ", 110) // ~4,700 characters
	h.tickets.Open(&relevov1.Ticket{
		Id:       "T-1",
		Contact:  &relevov1.Contact{Channel: "whatsapp", Address: "5215512345678", DisplayName: "Ana", Phone: "5215512345678"},
		Question: "¿Cuál es el horario de atención los sábados?",
		Context: []*relevov1.ConversationMessage{
			{Id: "m-1", Author: relevov1.Author_AUTHOR_USER, Text: "Hola"},
			{Id: "m-2", Author: relevov1.Author_AUTHOR_BOT, Text: "¡Hola! ¿En qué te ayudo?"},
			{Id: "m-3", Author: relevov1.Author_AUTHOR_USER, Text: long},
		},
	})
	h.start()

	page1 := h.pageOf("T-1")
	t.Run("a new ticket becomes a page with its properties and conversation", func(t *testing.T) {
		want := map[string]string{
			"Pregunta":  "¿Cuál es el horario de atención los sábados?",
			"Respuesta": "",
			"Celular":   "+5215512345678",
			"ID":        "T-1",
			"Estado":    "Pendiente",
		}
		for prop, v := range want {
			if got := h.notion.Text(page1, prop); got != v {
				t.Errorf("%s = %q, want %q", prop, got, v)
			}
		}
		blocks := h.notion.BlockTexts(page1)
		if len(blocks) != 3 {
			t.Fatalf("page has %d blocks, want one per context message: %q", len(blocks), blocks)
		}
		if !strings.HasPrefix(blocks[0], "Usuario: Hola") || !strings.HasPrefix(blocks[1], "Bot: ¡Hola!") {
			t.Errorf("blocks do not carry the author prefixes: %q", blocks[:2])
		}
		if !strings.Contains(blocks[2], long) {
			t.Error("the long message was not kept whole across rich text objects")
		}
	})

	t.Run("a follow-up is appended to the page", func(t *testing.T) {
		h.tickets.FollowUp("T-1", "m-10", "¿Siguen ahí?")
		h.waitNotion("follow-up block", func() bool { return countContaining(h.notion.BlockTexts(page1), "¿Siguen ahí?") == 1 })
	})

	t.Run("a restart replays the log without a second page or a second follow-up", func(t *testing.T) {
		h.stop()
		h.start()
		h.sync("T-SYNC-1")
		if got := h.notion.FindPages(testDatabaseID, "ID", "T-1"); len(got) != 1 {
			t.Errorf("pages for T-1 after restart = %v, want exactly one", got)
		}
		if n := countContaining(h.notion.BlockTexts(page1), "¿Siguen ahí?"); n != 1 {
			t.Errorf("follow-up appears %d times after replay, want 1", n)
		}
	})

	t.Run("a page created just before a crash is found by ticket id and linked", func(t *testing.T) {
		h.stop()
		orphan := h.notion.AddPage(testDatabaseID, map[string]string{"Pregunta": "¿Hacen factura?", "ID": "T-3", "Estado": "Pendiente"})
		h.tickets.Open(&relevov1.Ticket{Id: "T-3", Question: "¿Hacen factura?"})
		h.start()
		if got := h.pageOf("T-3"); got != orphan {
			t.Errorf("T-3 linked to %s, want the existing page %s", got, orphan)
		}
		if got := h.notion.FindPages(testDatabaseID, "ID", "T-3"); len(got) != 1 {
			t.Errorf("pages for T-3 = %v, want only the existing one", got)
		}
	})

	t.Run("pressing Enviar answers the ticket with the whole multi-part answer, once", func(t *testing.T) {
		h.notion.SetText(page1, "Respuesta", "Los sábados atendemos de ", "**9:00 a 14:00**", ". Más detalles en nuestra web.")
		const want = "Los sábados atendemos de 9:00 a 14:00. Más detalles en nuestra web."
		body := h.notion.SendWebhookBody(page1, nil)
		code, res := h.post(body, testSecret)
		if code != http.StatusOK || res.Status != "sent" || res.TicketID != "T-1" {
			t.Fatalf("webhook = %d %+v, want 200 sent for T-1", code, res)
		}
		answers := h.tickets.Answers()
		if len(answers) != 1 || answers[0].GetAnswer() != want || answers[0].GetTicketId() != "T-1" {
			t.Fatalf("AnswerTicket calls = %v, want one with %q", answers, want)
		}
		if !strings.HasPrefix(answers[0].GetAnsweredBy(), "notion:") {
			t.Errorf("answered_by = %q, want the Notion user", answers[0].GetAnsweredBy())
		}
		h.waitNotion("Estado Enviado", func() bool { return h.notion.Text(page1, "Estado") == "Enviado" })

		code, res = h.post(body, testSecret)
		if code != http.StatusOK || res.Status != "already_answered" {
			t.Errorf("second press = %d %+v, want 200 already_answered", code, res)
		}
		if n := h.tickets.Deliveries("T-1"); n != 1 {
			t.Errorf("answer delivered %d times, want 1", n)
		}
		h.sync("T-SYNC-2")
		if parts := h.notion.RichTextParts(page1, "Respuesta"); len(parts) != 3 {
			t.Errorf("Respuesta has %d parts after the ANSWERED event, want the specialist's 3 kept", len(parts))
		}
	})

	t.Run("a 429 with Retry-After is waited out and the page create is resent intact", func(t *testing.T) {
		before := len(h.notion.Requests())
		h.notion.FailNext(notiontest.Failure{Method: http.MethodPost, Path: "/v1/pages", Status: http.StatusTooManyRequests, RetryAfter: "0"})
		h.tickets.Open(&relevov1.Ticket{Id: "T-5", Question: "¿Envían a Monterrey?"})
		page5 := h.pageOf("T-5")
		var creates [][]byte
		for _, r := range h.notion.Requests()[before:] {
			if r.Method == http.MethodPost && r.Path == "/v1/pages" {
				creates = append(creates, r.Body)
			}
		}
		if len(creates) != 2 || !bytes.Equal(creates[0], creates[1]) || len(creates[1]) == 0 {
			t.Fatalf("page creates = %d, want the rate-limited one and an identical retry", len(creates))
		}
		if got := h.notion.Text(page5, "Pregunta"); got != "¿Envían a Monterrey?" {
			t.Errorf("Pregunta = %q", got)
		}
		if got := h.notion.FindPages(testDatabaseID, "ID", "T-5"); len(got) != 1 {
			t.Errorf("pages for T-5 = %v, want one", got)
		}
	})

	t.Run("answers and closings from elsewhere update the page", func(t *testing.T) {
		page3 := h.pageOf("T-3")
		if _, err := h.tickets.AnswerTicket(context.Background(), &relevov1.AnswerTicketRequest{TicketId: "T-3", Answer: "Sí, pídela al pagar.", AnsweredBy: "relevoctl"}); err != nil {
			t.Fatal(err)
		}
		h.waitNotion("answer copied to T-3's page", func() bool {
			return h.notion.Text(page3, "Respuesta") == "Sí, pídela al pagar." && h.notion.Text(page3, "Estado") == "Enviado"
		})
		page5 := h.pageOf("T-5")
		h.tickets.Close("T-5")
		h.waitNotion("T-5 closed", func() bool { return h.notion.Text(page5, "Estado") == "Cerrado" })
	})

	t.Run("a different answer to an answered ticket is refused and shown on the page", func(t *testing.T) {
		page3 := h.pageOf("T-3")
		h.notion.SetText(page3, "Respuesta", "Otra respuesta")
		code, res := h.post(h.notion.SendWebhookBody(page3, nil), testSecret)
		if code != http.StatusConflict {
			t.Fatalf("webhook = %d %+v, want 409", code, res)
		}
		if n := h.tickets.Deliveries("T-3"); n != 1 {
			t.Errorf("T-3 delivered %d times, want 1", n)
		}
		if countContaining(h.notion.BlockTexts(page3), "No se envió") != 1 {
			t.Errorf("no note on the page: %q", h.notion.BlockTexts(page3))
		}
		if h.tickets.Ticket("T-3").GetLastError() == "" {
			t.Error("the refused answer is not recorded on the ticket")
		}
	})

	t.Run("an answer the server refuses as invalid is shown on the page", func(t *testing.T) {
		h.tickets.Open(&relevov1.Ticket{Id: "T-6", Question: "¿Tienen catálogo?"})
		page6 := h.pageOf("T-6")
		h.notion.SetText(page6, "Respuesta", "Sí, este es el catálogo completo…")
		h.tickets.FailNext("AnswerTicket", codes.InvalidArgument)
		code, res := h.post(h.notion.SendWebhookBody(page6, nil), testSecret)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("webhook = %d %+v, want 422", code, res)
		}
		if countContaining(h.notion.BlockTexts(page6), "No se envió") != 1 {
			t.Errorf("no note on the page: %q", h.notion.BlockTexts(page6))
		}
		if h.tickets.Ticket("T-6").GetLastError() == "" {
			t.Error("the refused answer is not recorded on the ticket")
		}
	})
}

func TestAdapterArchivesTheErasedTicketsPage(t *testing.T) {
	h := newHarness(t, "status")
	h.tickets.Open(&relevov1.Ticket{
		Id:       "T-1",
		Contact:  &relevov1.Contact{Channel: "whatsapp", Address: "5215512345678", DisplayName: "Ana", Phone: "5215512345678"},
		Question: "¿Dónde está mi pedido 4711?",
	})
	h.tickets.Open(&relevov1.Ticket{Id: "T-2", Question: "¿Horario?"})
	h.start()
	page1, page2 := h.pageOf("T-1"), h.pageOf("T-2")

	h.tickets.Erase("T-1")
	h.waitNotion("the erased ticket's page archived", func() bool { return h.notion.Archived(page1) })
	if h.notion.Archived(page2) {
		t.Error("another ticket's page was archived")
	}

	// After a restart the log holds only the erased event of T-1: no page
	// is made again and the archived one is left as it is.
	h.stop()
	patches := h.notion.CountRequests(http.MethodPatch, "/v1/pages/")
	h.start()
	h.sync("T-SYNC")
	if got := h.notion.FindPages(testDatabaseID, "ID", "T-1"); len(got) != 0 {
		t.Errorf("pages of the erased ticket after a restart: %v", got)
	}
	if n := h.notion.CountRequests(http.MethodPatch, "/v1/pages/") - patches; n != 0 {
		t.Errorf("the replay patched pages %d times", n)
	}
}

func countContaining(texts []string, sub string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}
