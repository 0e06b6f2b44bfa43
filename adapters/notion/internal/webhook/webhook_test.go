package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jomei/notionapi"
	"google.golang.org/grpc/codes"

	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/internal/relevotest"
	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	"github.com/relevo/relevo/adapters/notion/notiontest"
	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const (
	dbID      = "8c1e4f5a-2b3d-4e6f-9a1b-3c5d7e9f1a2b"
	secret    = "a-long-enough-shared-secret"
	docsToken = "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"
)

type env struct {
	notion  *notiontest.Server
	tickets *relevotest.Server
	desk    *ticketdb.DB
	srv     *httptest.Server
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{notion: notiontest.New(t), tickets: relevotest.Start(t)}
	e.notion.AddDatabase(dbID, notiontest.TicketSchema("status"))
	u, _ := url.Parse(e.notion.URL)
	api := notionapi.NewClient(notiontest.Token, notionapi.WithRetry(1), notionapi.WithHTTPClient(&http.Client{
		Transport: notionhttp.New(notionhttp.Options{BaseURL: u}),
	}))
	var err error
	if e.desk, err = ticketdb.Open(context.Background(), api, dbID, ticketdb.DefaultNames(), ticketdb.DefaultLabels()); err != nil {
		t.Fatal(err)
	}
	client, err := relevo.Dial(context.Background(), e.tickets.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.srv = httptest.NewServer(New(cfg, client.Tickets, e.desk, log))
	t.Cleanup(e.srv.Close)
	return e
}

// ticketPage opens a ticket and creates its page, linked or not.
func (e *env) ticketPage(t *testing.T, id string, linked bool) string {
	t.Helper()
	e.tickets.Open(&relevov1.Ticket{Id: id, Question: "¿Abren el domingo?"})
	page, err := e.desk.CreatePage(context.Background(), e.tickets.Ticket(id))
	if err != nil {
		t.Fatal(err)
	}
	if linked {
		if _, err := e.tickets.LinkTicket(context.Background(), &relevov1.LinkTicketRequest{TicketId: id, ExternalRef: page}); err != nil {
			t.Fatal(err)
		}
	}
	return page
}

func (e *env) post(t *testing.T, body []byte, header map[string]string) (int, Result) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res Result
	_ = json.NewDecoder(resp.Body).Decode(&res)
	return resp.StatusCode, res
}

func withSecret(v string) map[string]string { return map[string]string{DefaultSecretHeader: v} }

func TestWebhookAuthentication(t *testing.T) {
	eventBody := []byte(`{"id":"e-1","type":"page.created","entity":{"id":"1e4bdf9f-f5fd-8077-a1c2-d3e4f5a6b7c8","type":"page"},"authors":[{"id":"u","type":"person"}],"data":{}}`)
	verification := []byte(`{"verification_token":"` + docsToken + `"}`)
	tests := []struct {
		name   string
		cfg    Config
		body   []byte // nil: a button press on a linked page with an answer
		header map[string]string
		want   int
	}{
		{name: "a button press without the secret header is refused", cfg: Config{Secret: secret}, want: 401},
		{name: "a button press with a wrong secret is refused", cfg: Config{Secret: secret}, header: withSecret(secret + "x"), want: 401},
		{name: "a button press with the secret is accepted", cfg: Config{Secret: secret}, header: withSecret(secret), want: 200},
		{name: "the header name is configurable", cfg: Config{Secret: secret, SecretHeader: "X-Mesa"}, header: map[string]string{"X-Mesa": secret}, want: 200},
		{name: "the secret under another header name is refused", cfg: Config{Secret: secret, SecretHeader: "X-Mesa"}, header: withSecret(secret), want: 401},
		{name: "a signed integration event is accepted", cfg: Config{Secret: secret, VerificationToken: docsToken}, body: eventBody,
			header: map[string]string{"X-Notion-Signature": Sign(docsToken, eventBody)}, want: 200},
		{name: "an integration event with a wrong signature is refused", cfg: Config{Secret: secret, VerificationToken: docsToken}, body: eventBody,
			header: map[string]string{"X-Notion-Signature": Sign("other", eventBody)}, want: 401},
		{name: "a signed event is refused when no verification token is configured", cfg: Config{Secret: secret}, body: eventBody,
			header: map[string]string{"X-Notion-Signature": Sign(docsToken, eventBody)}, want: 401},
		{name: "an unsigned integration event is refused", cfg: Config{VerificationToken: docsToken}, body: eventBody, want: 401},
		{name: "the verification handshake is answered 200", cfg: Config{Secret: secret}, body: verification, want: 200},
		{name: "insecure mode accepts a press without a secret", cfg: Config{Insecure: true}, want: 200},
		{name: "a body over the limit is refused with 413", cfg: Config{Secret: secret, MaxBody: 1024},
			body: []byte(`{"pad":"` + strings.Repeat("x", 2048) + `"}`), header: withSecret(secret), want: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.cfg)
			body := tt.body
			if body == nil {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Sí, de 10 a 14.")
				body = e.notion.SendWebhookBody(page, nil)
			}
			code, res := e.post(t, body, tt.header)
			if code != tt.want {
				t.Fatalf("status = %d (%+v), want %d", code, res, tt.want)
			}
			answered := len(e.tickets.Answers()) > 0
			if code != 200 && answered {
				t.Error("a refused request reached AnswerTicket")
			}
		})
	}
}

func TestSignMatchesNotionsDocumentedExample(t *testing.T) {
	dir := sharedFixtures(t)
	tests := map[string]string{
		"integration_webhook_verification.json":        "sha256=461e8cbcba8a75c3edd866f0e71280f5a85cbf21eff040ebd10fe266df38a735",
		"integration_webhook_page_created_ticket.json": "sha256=74c6db6817b60b6198b29682fea17a0bb9b227a76d4c285c47b1830eecc4970c",
	}
	for file, want := range tests {
		body, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if got := Sign(docsToken, body); got != want {
			t.Errorf("Sign(%s) = %s, want %s", file, got, want)
		}
		if !validSignature(docsToken, body, strings.ToUpper(want[:6])+want[6:]) {
			t.Errorf("%s: a valid signature with an upper-case prefix was refused", file)
		}
	}
}

func TestWebhookAnswers(t *testing.T) {
	tests := []struct {
		name string
		// prepare returns the body to post, given a fresh env.
		prepare     func(t *testing.T, e *env) []byte
		want        int
		wantAnswer  string // "" for no AnswerTicket call
		wantFetched bool   // the page was read through the API
	}{
		{
			name: "an answer in several rich text parts is sent joined",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Abrimos ", "**de 10 a 14**", " los domingos.")
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 200, wantAnswer: "Abrimos de 10 a 14 los domingos.",
		},
		{
			name: "a payload without the answer property fetches the page",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Sí, ", "abrimos.")
				return e.notion.SendWebhookBody(page, []string{"Pregunta", "Estado"})
			},
			want: 200, wantAnswer: "Sí, abrimos.", wantFetched: true,
		},
		{
			name: "a payload without properties fetches the page",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Sí.")
				return e.notion.SendWebhookBody(page, []string{})
			},
			want: 200, wantAnswer: "Sí.", wantFetched: true,
		},
		{
			name: "an empty answer is refused with 422",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "  ")
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 422,
		},
		{
			name: "an unlinked page is matched by its ticket id and linked",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", false)
				e.notion.SetText(page, "Respuesta", "Hola.")
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 200, wantAnswer: "Hola.",
		},
		{
			name: "a page of no ticket is 404",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.notion.AddPage(dbID, map[string]string{"Pregunta": "¿?", "Respuesta": "Algo"})
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 404,
		},
		{
			name: "a page naming an unknown ticket is 404",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.notion.AddPage(dbID, map[string]string{"Pregunta": "¿?", "Respuesta": "Algo", "ID": "T-404"})
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 404,
		},
		{
			name: "a copy of a ticket page is refused with 409",
			prepare: func(t *testing.T, e *env) []byte {
				e.ticketPage(t, "T-1", true)
				copied := e.notion.AddPage(dbID, map[string]string{"Pregunta": "¿?", "Respuesta": "Algo", "ID": "T-1"})
				return e.notion.SendWebhookBody(copied, nil)
			},
			want: 409,
		},
		{
			name: "a closed ticket is refused with 409",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.tickets.Close("T-1")
				e.notion.SetText(page, "Respuesta", "Tarde.")
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 409, wantAnswer: "Tarde.",
		},
		{
			name: "an unavailable server is 503 so that Notion may retry",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Sí.")
				e.tickets.FailNext("AnswerTicket", codes.Unavailable)
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 503, wantAnswer: "Sí.",
		},
		{
			name: "an answer the server finds invalid is 422",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Sí.")
				e.tickets.FailNext("AnswerTicket", codes.InvalidArgument)
				return e.notion.SendWebhookBody(page, nil)
			},
			want: 422, wantAnswer: "Sí.",
		},
		{
			name: "setting Estado to Enviado answers through an integration event",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Listo.")
				e.notion.SetText(page, "Estado", "Enviado")
				return []byte(`{"id":"e-1","type":"page.properties_updated","entity":{"id":"` + page + `","type":"page"},"authors":[{"id":"u-9","type":"person"}],"data":{"updated_properties":["x"]}}`)
			},
			want: 200, wantAnswer: "Listo.", wantFetched: true,
		},
		{
			name: "editing Respuesta alone does not answer",
			prepare: func(t *testing.T, e *env) []byte {
				page := e.ticketPage(t, "T-1", true)
				e.notion.SetText(page, "Respuesta", "Borrador a medias")
				return []byte(`{"id":"e-2","type":"page.properties_updated","entity":{"id":"` + page + `","type":"page"},"authors":[{"id":"u-9","type":"person"}],"data":{}}`)
			},
			want: 200, wantFetched: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{Secret: secret, VerificationToken: docsToken})
			body := tt.prepare(t, e)
			header := withSecret(secret)
			if bytes.Contains(body, []byte(`"entity"`)) {
				header = map[string]string{"X-Notion-Signature": Sign(docsToken, body)}
			}
			gets := e.notion.CountRequests(http.MethodGet, "/v1/pages/")
			code, res := e.post(t, body, header)
			if code != tt.want {
				t.Fatalf("status = %d (%+v), want %d", code, res, tt.want)
			}
			if code >= 400 && res.Error == "" {
				t.Error("an error answer has no reason")
			}
			answers := e.tickets.Answers()
			switch {
			case tt.wantAnswer == "" && len(answers) > 0:
				t.Errorf("AnswerTicket called with %q, want no call", answers[0].GetAnswer())
			case tt.wantAnswer != "" && (len(answers) != 1 || answers[0].GetAnswer() != tt.wantAnswer):
				t.Errorf("AnswerTicket calls = %v, want one with %q", answers, tt.wantAnswer)
			}
			if fetched := e.notion.CountRequests(http.MethodGet, "/v1/pages/") > gets; fetched != tt.wantFetched {
				t.Errorf("page fetched = %v, want %v", fetched, tt.wantFetched)
			}
			if code == 200 && tt.wantAnswer != "" {
				page := e.tickets.Ticket("T-1").GetExternalRef()
				if got := e.notion.Text(page, "Estado"); got != "Enviado" {
					t.Errorf("Estado = %q after the answer, want Enviado", got)
				}
			}
		})
	}
}
