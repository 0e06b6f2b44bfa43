//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/adapters/notion/notiontest"
	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const (
	journeyAdminKey   = "journey-admin-key-0123456789"
	journeyAdapterKey = "journey-adapter-key-0123456789"
	journeyDeskKey    = "journey-desk-key-0123456789"
	journeyWebchatKey = "journey-webchat-key-0123456789"
	journeyAppSecret  = "journey-app-secret"
	journeyVerify     = "journey-verify-token"
	journeyNotionKey  = notiontest.Token
	journeyNotionDB   = "a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90"
	journeyHookSecret = "journey-notion-webhook-secret"
	journeyHookHeader = "X-Relevo-Secret"
)

// TestJourney plays what a customer and a specialist live, with every
// process real: the server, the WhatsApp adapter and the Notion adapter,
// against fake WhatsApp Graph and Notion APIs that speak their wire formats.
func TestJourney(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { journey(t, t.TempDir()+"/relevo.db") })
	t.Run("postgres", func(t *testing.T) { journey(t, postgresURL(t)) })
}

// freeAddr reserves a loopback port for a process that needs its address
// before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type journeyRig struct {
	t        *testing.T
	graph    *graphtest.Server
	notion   *notiontest.Server
	server   *Server
	whatsapp *Proc
	notionP  *Proc
	waURL    string
	notionWH string
	admin    *Client
}

// Client is the admin's view of the server.
type Client struct {
	tickets relevov1.TicketServiceClient
	convs   relevov1.ConversationServiceClient
	kb      relevov1.KnowledgeServiceClient
}

func step(t *testing.T, n int, what string) {
	t.Helper()
	t.Logf("step %d: %s", n, what)
}

// startJourney starts the server, both adapters and the fakes of WhatsApp
// and Notion on loopback ports.
func startJourney(t *testing.T, database string) *journeyRig {
	r := &journeyRig{t: t}
	r.graph = graphtest.New(t)
	r.notion = notiontest.New(t)
	r.notion.AddDatabase(journeyNotionDB, notiontest.TicketSchema("status"))

	r.server = startServer(t, ServerConfig{
		Database: database,
		APIKeys: []string{"admin:" + journeyAdminKey, "adapter:" + journeyAdapterKey + ":whatsapp", "adapter:" + journeyWebchatKey + ":webchat",
			"desk:" + journeyDeskKey},
		HTTP: true,
		// Short intervals so that work a killed process held comes back
		// quickly.
		Flags: []string{"--lease=5s", "--outbox-ack-timeout=5s", "--outbox-backoff-base=200ms", "--outbox-backoff-max=2s"},
	})
	waAddr, notionAddr := freeAddr(t), freeAddr(t)
	r.waURL = "http://" + waAddr + "/webhook"
	r.notionWH = "http://" + notionAddr + "/notion/webhook"
	r.whatsapp = startProc(t, ProcSpec{Name: "whatsapp", Binary: binary(t, "./adapters/whatsapp"), Args: []string{
		"--listen=" + waAddr, "--server=" + r.server.GRPCAddr, "--token=" + journeyAdapterKey,
		"--verify-token=" + journeyVerify, "--app-secret=" + journeyAppSecret,
		"--access-token=" + graphtest.DefaultToken, "--graph-url=" + r.graph.URL,
	}})
	r.notionP = startProc(t, ProcSpec{Name: "notion", Binary: binary(t, "./adapters/notion"), Args: []string{
		"--listen=" + notionAddr, "--server=" + r.server.GRPCAddr, "--token=" + journeyDeskKey,
		"--notion-token=" + journeyNotionKey, "--database-id=" + journeyNotionDB,
		"--webhook-secret=" + journeyHookSecret, "--notion-url=" + r.notion.URL,
	}})
	c := r.server.Dial(t, journeyAdminKey)
	r.admin = &Client{tickets: c.Tickets, convs: c.Conversations, kb: c.Knowledge}
	r.waitHTTP(r.waURL + "?hub.mode=subscribe&hub.verify_token=" + journeyVerify + "&hub.challenge=ready")

	return r
}

func journey(t *testing.T, database string) {
	r := startJourney(t, database)
	ana := "56911112222"
	// 1. A greeting: answered, and the message marked read with the typing
	// indicator.
	step(t, 1, `"Hola", delivered twice, is answered once with a greeting and marked read`)
	r.say(ana, "Ana", "wamid.ana.1", "Hola")
	// Meta re-delivers webhooks; the same message id must not be answered
	// twice (checked at the end, with every other reply).
	r.say(ana, "Ana", "wamid.ana.1", "Hola")
	greet := r.waitReply(ana, 1)
	if !strings.Contains(greet, "Hola") {
		t.Fatalf("step 1: greeting reply %q", greet)
	}
	r.waitMarkedRead("wamid.ana.1")

	// 2. A question the sample knowledge base answers. The server is killed
	// the moment the webhook is accepted, with the run possibly in flight,
	// and restarted: the answer arrives once.
	step(t, 2, "a knowledge-base question is answered, across a server SIGKILL")
	r.say(ana, "Ana", "wamid.ana.2", "¿Cómo recupero mi contraseña?")
	r.server.Kill(t)
	r.server.Restart(t)
	answer := r.waitReply(ana, 2)
	if !strings.Contains(answer, "contraseña") || !strings.Contains(answer, "soporte@c1do1.com") {
		t.Fatalf("step 2: answer %q lacks the document's facts", answer)
	}

	// 3. A question the knowledge base does not cover: a ticket, a Notion
	// page, the hand-off notice. The Notion adapter is killed right after
	// and restarted: still one page.
	step(t, 3, "an uncovered question opens a ticket and one Notion page, across a Notion adapter SIGKILL")
	question := "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?"
	r.say(ana, "Ana", "wamid.ana.3", question)
	notice := r.waitReply(ana, 3)
	if !strings.Contains(notice, "especialista") {
		t.Fatalf("step 3: hand-off notice %q", notice)
	}
	r.notionP.Kill(t)
	r.notionP.start(t, r.notionP.spec.Args)
	ticket := r.openTicket()
	page := r.waitPage(ticket.GetId())
	if got := r.notion.Text(page, "Pregunta"); got != question {
		t.Fatalf("step 3: page question %q", got)
	}
	if got := r.notion.Text(page, "Celular"); !strings.Contains(got, ana) {
		t.Fatalf("step 3: page contact %q, want %s", got, ana)
	}

	// The user writes again: no bot answer, the message goes to the ticket
	// and the page, and no second notice within the interval. The WhatsApp
	// adapter is killed and restarted meanwhile.
	step(t, 3, "a follow-up is attached to the ticket without a bot answer, across a WhatsApp adapter SIGKILL")
	r.say(ana, "Ana", "wamid.ana.4", "Estudio ingeniería allá, es para el próximo semestre")
	r.whatsapp.Kill(t)
	r.whatsapp.start(t, r.whatsapp.spec.Args)
	r.waitHTTP(r.waURL + "?hub.mode=subscribe&hub.verify_token=" + journeyVerify + "&hub.challenge=ready")
	eventually(t, 30*time.Second, "the follow-up on the ticket and the page", func() error {
		tk, err := r.admin.tickets.GetTicket(context.Background(), &relevov1.GetTicketRequest{TicketId: ticket.GetId()})
		if err != nil {
			return err
		}
		if len(tk.GetTicket().GetFollowUps()) != 1 {
			return fmt.Errorf("%d follow-ups", len(tk.GetTicket().GetFollowUps()))
		}
		if !strings.Contains(strings.Join(r.notion.BlockTexts(page), "\n"), "próximo semestre") {
			return fmt.Errorf("page blocks %q", r.notion.BlockTexts(page))
		}
		return nil
	})

	// 4. The specialist answers in Notion and presses "Enviar".
	step(t, 4, `the specialist presses "Enviar" in Notion`)
	specialist := "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula presentando tu credencial."
	r.notion.SetText(page, "Respuesta", "Sí: con la Universidad de Antofagasta hay un 20% de descuento ", "en la matrícula presentando tu credencial.")
	if code := r.notionWebhook(page, journeyHookSecret); code != http.StatusOK {
		t.Fatalf("step 4: Enviar webhook answered %d", code)
	}
	if got := r.waitReply(ana, 4); got != specialist {
		t.Fatalf("step 4: the user got %q, want exactly the specialist's answer", got)
	}
	eventually(t, 30*time.Second, "the page marked Enviado", func() error {
		if s := r.notion.Text(page, "Estado"); s != "Enviado" {
			return fmt.Errorf("Estado %q", s)
		}
		return nil
	})
	tk, err := r.admin.tickets.GetTicket(context.Background(), &relevov1.GetTicketRequest{TicketId: ticket.GetId()})
	if err != nil || tk.GetTicket().GetStatus() != relevov1.TicketStatus_TICKET_STATUS_ANSWERED {
		t.Fatalf("step 4: ticket %v %v, want ANSWERED", tk, err)
	}
	// Pressing twice delivers once.
	if code := r.notionWebhook(page, journeyHookSecret); code != http.StatusOK {
		t.Fatalf("step 4: second press answered %d", code)
	}

	// 5. Another user asks the same in other words: answered from the
	// learned entry, no ticket.
	step(t, 5, "a second user is answered from the learned entry")
	beto := "56933334444"
	r.say(beto, "Beto", "wamid.beto.1", "hay descuento en la matricula si estudio en la universidad de antofagasta?")
	if got := r.waitReply(beto, 1); !strings.Contains(got, "20%") {
		t.Fatalf("step 5: second user got %q, want the learned answer", got)
	}
	open, err := r.admin.tickets.ListTickets(context.Background(), &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
	if err != nil || len(open.GetTickets()) != 0 {
		t.Fatalf("step 5: open tickets %v %v, want none", open.GetTickets(), err)
	}
	if pages := r.notion.PageIDs(journeyNotionDB); len(pages) != 1 {
		t.Fatalf("step 5: %d Notion pages, want 1", len(pages))
	}

	// 7. Bad actors are refused and change nothing.
	step(t, 7, "bad actors are refused")
	body := graphtest.TextWebhook(graphtest.DefaultBusiness, ana, "Ana", "wamid.evil.1", "hola", time.Now())
	req, _ := http.NewRequest(http.MethodPost, r.waURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", graphtest.Sign("wrong-secret", body))
	if code := do(t, req); code != http.StatusUnauthorized {
		t.Errorf("step 7: webhook with a wrong signature answered %d, want 401", code)
	}
	if code := r.notionWebhook(page, ""); code != http.StatusUnauthorized {
		t.Errorf("step 7: Notion webhook without the secret answered %d, want 401", code)
	}
	anon := r.server.Dial(t, "")
	if _, err := anon.Tickets.ListTickets(context.Background(), &relevov1.ListTicketsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("step 7: RPC without a key: %v, want Unauthenticated", err)
	}
	huge := make([]byte, 5<<20)
	req, _ = http.NewRequest(http.MethodPost, r.waURL, bytes.NewReader(huge))
	req.Header.Set("X-Hub-Signature-256", graphtest.Sign(journeyAppSecret, huge))
	if code := do(t, req); code != http.StatusRequestEntityTooLarge {
		t.Errorf("step 7: 5 MB webhook answered %d, want 413", code)
	}

	// 6. Nothing lost, nothing sent twice: every user message got exactly
	// the replies above and no more.
	step(t, 6, "nothing was lost or sent twice across the kills")
	r.waitRepliesSettled(ana, beto)
	if got := r.texts(ana); len(got) != 4 {
		t.Errorf("Ana received %d texts, want 4: %q", len(got), got)
	}
	if got := r.texts(beto); len(got) != 1 {
		t.Errorf("Beto received %d texts, want 1: %q", len(got), got)
	}
}

// waitRepliesSettled waits until no message to the contacts is pending, in
// flight or waiting to be retried. A reply is sent twice only when the
// outbox offers it again (its ack lost in a kill); once every reply is
// settled, no stray duplicate can still show up.
func (r *journeyRig) waitRepliesSettled(waIDs ...string) {
	r.t.Helper()
	eventually(r.t, 30*time.Second, "every reply settled", func() error {
		for _, waID := range waIDs {
			for _, m := range r.conversation(waID).GetMessages() {
				switch m.GetDeliveryStatus() {
				case relevov1.DeliveryStatus_DELIVERY_STATUS_PENDING, relevov1.DeliveryStatus_DELIVERY_STATUS_IN_FLIGHT,
					relevov1.DeliveryStatus_DELIVERY_STATUS_RETRYING:
					return fmt.Errorf("reply %s to %s is %s", m.GetId(), waID, m.GetDeliveryStatus())
				}
			}
		}
		return nil
	})
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// waitHTTP waits until the URL answers 200.
func (r *journeyRig) waitHTTP(url string) {
	eventually(r.t, 30*time.Second, url+" to answer", func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
}

// say delivers a user's message as Meta would: signed, and retried until
// the adapter answers 200 (Meta retries non-200 answers).
func (r *journeyRig) say(waID, name, wamid, text string) {
	r.t.Helper()
	body := graphtest.TextWebhook(graphtest.DefaultBusiness, waID, name, wamid, text, time.Now())
	eventually(r.t, 30*time.Second, "the webhook of "+wamid+" to be accepted", func() error {
		req, err := graphtest.NewWebhookRequest(r.waURL, journeyAppSecret, body)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
}

// texts returns the text messages sent to a user, in order.
func (r *journeyRig) texts(waID string) []string {
	var out []string
	for _, req := range r.graph.MessageRequests() {
		v, err := req.JSON()
		if err != nil || strings.TrimPrefix(fmt.Sprint(v["to"]), "+") != waID || v["type"] != "text" && v["type"] != "interactive" {
			continue
		}
		switch v["type"] {
		case "text":
			out = append(out, v["text"].(map[string]any)["body"].(string))
		case "interactive":
			body, _ := v["interactive"].(map[string]any)["body"].(map[string]any)
			text, _ := body["text"].(string)
			out = append(out, text)
		}
	}
	return out
}

// waitReply waits for the n-th text sent to a user and returns it.
func (r *journeyRig) waitReply(waID string, n int) string {
	r.t.Helper()
	var got []string
	eventually(r.t, 20*time.Second, fmt.Sprintf("reply %d to %s", n, waID), func() error {
		got = r.texts(waID)
		if len(got) < n {
			var all []string
			for _, req := range r.graph.MessageRequests() {
				all = append(all, string(req.Body))
			}
			return fmt.Errorf("%d texts so far: %q; Graph API calls: %s", len(got), got, strings.Join(all, " | "))
		}
		return nil
	})
	return got[n-1]
}

func (r *journeyRig) waitMarkedRead(wamid string) {
	r.t.Helper()
	eventually(r.t, 30*time.Second, wamid+" marked read with the typing indicator", func() error {
		for _, req := range r.graph.MessageRequests() {
			v, err := req.JSON()
			if err == nil && v["status"] == "read" && v["message_id"] == wamid && v["typing_indicator"] != nil {
				return nil
			}
		}
		return fmt.Errorf("no read receipt yet")
	})
}

func (r *journeyRig) openTicket() *relevov1.Ticket {
	r.t.Helper()
	var ticket *relevov1.Ticket
	eventually(r.t, 30*time.Second, "an open ticket", func() error {
		resp, err := r.admin.tickets.ListTickets(context.Background(), &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
		if err != nil {
			return err
		}
		if len(resp.GetTickets()) != 1 {
			return fmt.Errorf("%d open tickets", len(resp.GetTickets()))
		}
		ticket = resp.GetTickets()[0]
		return nil
	})
	return ticket
}

// waitPage waits for the ticket's Notion page and checks there is only one.
func (r *journeyRig) waitPage(ticketID string) string {
	r.t.Helper()
	var page string
	eventually(r.t, 60*time.Second, "the Notion page of "+ticketID, func() error {
		pages := r.notion.FindPages(journeyNotionDB, "ID", ticketID)
		if len(pages) == 0 {
			return fmt.Errorf("no page yet")
		}
		if len(pages) > 1 {
			r.t.Fatalf("%d pages for ticket %s, want 1", len(pages), ticketID)
		}
		page = pages[0]
		tk, err := r.admin.tickets.GetTicket(context.Background(), &relevov1.GetTicketRequest{TicketId: ticketID})
		if err != nil {
			return err
		}
		if tk.GetTicket().GetExternalRef() != page {
			return fmt.Errorf("ticket linked to %q, page %q", tk.GetTicket().GetExternalRef(), page)
		}
		return nil
	})
	return page
}

// notionWebhook posts the "Send webhook" payload of the page's Enviar
// button, with the secret header when secret is not empty.
func (r *journeyRig) notionWebhook(page, secret string) int {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.notionWH, bytes.NewReader(r.notion.SendWebhookBody(page, nil)))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(journeyHookHeader, secret)
	}
	return do(r.t, req)
}
