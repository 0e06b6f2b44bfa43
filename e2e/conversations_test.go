//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// TestConversationsAsPeopleHaveThem plays, through the WhatsApp adapter and
// the fake Graph API, what customers do that a request-response bot gets
// wrong: writing in fragments, repeating themselves and losing patience,
// and getting a specialist's answer the next day, after WhatsApp's 24-hour
// window has closed.
func TestConversationsAsPeopleHaveThem(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { conversations(t, t.TempDir()+"/relevo.db") })
	t.Run("postgres", func(t *testing.T) { conversations(t, postgresURL(t)) })
}

// startWhatsAppRig starts the server (its clock ahead by the duration in
// clockFile) and the WhatsApp adapter against the fake Graph API.
func startWhatsAppRig(t *testing.T, database, clockFile string) *journeyRig {
	r := &journeyRig{t: t, graph: graphtest.New(t)}
	r.server = startServer(t, ServerConfig{
		Database: database,
		APIKeys:  []string{"admin:" + journeyAdminKey, "adapter:" + journeyAdapterKey},
		Flags:    []string{"--lease=5s", "--outbox-ack-timeout=5s", "--test-clock-offset-file=" + clockFile},
	})
	waAddr := freeAddr(t)
	r.waURL = "http://" + waAddr + "/webhook"
	r.whatsapp = startProc(t, ProcSpec{Name: "whatsapp", Binary: binary(t, "./adapters/whatsapp"), Args: []string{
		"--listen=" + waAddr, "--server=" + r.server.GRPCAddr, "--token=" + journeyAdapterKey,
		"--verify-token=" + journeyVerify, "--app-secret=" + journeyAppSecret,
		"--access-token=" + graphtest.DefaultToken, "--graph-url=" + r.graph.URL,
	}})
	c := r.server.Dial(t, journeyAdminKey)
	r.admin = &Client{tickets: c.Tickets, convs: c.Conversations, kb: c.Knowledge}
	r.waitHTTP(r.waURL + "?hub.mode=subscribe&hub.verify_token=" + journeyVerify + "&hub.challenge=ready")
	return r
}

// templates returns the body parameters of the templates sent to a user.
func (r *journeyRig) templates(waID string) [][]string {
	var out [][]string
	for _, req := range r.graph.MessageRequests() {
		v, err := req.JSON()
		if err != nil || strings.TrimPrefix(fmt.Sprint(v["to"]), "+") != waID || v["type"] != "template" {
			continue
		}
		var params []string
		tmpl, _ := v["template"].(map[string]any)
		comps, _ := tmpl["components"].([]any)
		for _, c := range comps {
			ps, _ := c.(map[string]any)["parameters"].([]any)
			for _, p := range ps {
				params = append(params, fmt.Sprint(p.(map[string]any)["text"]))
			}
		}
		out = append(out, params)
	}
	return out
}

func (r *journeyRig) conversation(waID string) *relevov1.GetConversationResponse {
	r.t.Helper()
	resp, err := r.admin.convs.GetConversation(context.Background(), &relevov1.GetConversationRequest{
		Contact: &relevov1.Contact{Channel: "whatsapp", Address: waID}})
	if err != nil {
		r.t.Fatalf("GetConversation(%s): %v", waID, err)
	}
	return resp
}

func conversations(t *testing.T, database string) {
	clockFile := filepath.Join(t.TempDir(), "clock-offset")
	r := startWhatsAppRig(t, database, clockFile)
	ctx := context.Background()

	// 1. Three fragments one second apart are one turn: one answer, no
	// ticket, and "typing…" shown while the bot waits.
	step(t, 1, "three fragments one second apart get one answer and no ticket")
	ana := "56911110001"
	r.say(ana, "Ana", "wamid.frag.1", "Hola")
	time.Sleep(time.Second) // the behaviour under test: the customer typing, a real gap shorter than the quiet window
	r.say(ana, "Ana", "wamid.frag.2", "tengo una duda")
	time.Sleep(time.Second) // the behaviour under test, as above
	r.say(ana, "Ana", "wamid.frag.3", "¿Cómo recupero mi contraseña?")
	r.waitMarkedRead("wamid.frag.1")
	answer := r.waitReply(ana, 1)
	if !strings.Contains(answer, "contraseña") {
		t.Fatalf("step 1: answer %q", answer)
	}
	eventually(t, 20*time.Second, "the three fragments processed", func() error {
		conv := r.conversation(ana)
		if n := len(conv.GetRuns()); n != 1 || len(conv.GetRuns()[0].GetMessageIds()) != 3 {
			return fmt.Errorf("%d runs: %v", n, conv.GetRuns())
		}
		return nil
	})
	if got := r.texts(ana); len(got) != 1 {
		t.Fatalf("step 1: Ana received %d texts, want one answer: %q", len(got), got)
	}
	open, err := r.admin.tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{})
	if err != nil || len(open.GetTickets()) != 0 {
		t.Fatalf("step 1: tickets %v %v, want none", open.GetTickets(), err)
	}

	// 2. The same question twice gets the same answer twice; then the
	// customer loses patience: a ticket with the reason.
	step(t, 2, "frustration after two identical answers opens a ticket with the reason")
	beto := "56911110002"
	r.say(beto, "Beto", "wamid.beto.1", "¿Cómo recupero mi contraseña?")
	first := r.waitReply(beto, 1)
	r.say(beto, "Beto", "wamid.beto.2", "¿Cómo recupero mi contraseña?")
	if second := r.waitReply(beto, 2); second != first {
		t.Fatalf("step 2: second answer %q differs from the first %q", second, first)
	}
	r.say(beto, "Beto", "wamid.beto.3", "NO SIRVE!!")
	if notice := r.waitReply(beto, 3); !strings.Contains(notice, "especialista") {
		t.Fatalf("step 2: hand-off notice %q", notice)
	}
	ticket := r.openTicket()
	if ticket.GetHandoffReason() != "frustration" {
		t.Fatalf("step 2: ticket reason %q, want frustration", ticket.GetHandoffReason())
	}
	conv := r.conversation(beto)
	runs := conv.GetRuns()
	if last := runs[len(runs)-1]; last.GetReason() != "frustration" || last.GetTicketId() != ticket.GetId() {
		t.Fatalf("step 2: last run %v, want the hand-off for frustration", last)
	}
	if conv.GetConversation().GetOwner() != relevov1.Owner_OWNER_WAITING_FOR_HUMAN {
		t.Fatalf("step 2: owner %v", conv.GetConversation().GetOwner())
	}

	// 3. The specialist answers 25 hours after the customer's last message:
	// the template goes out with the start of the answer, the answer waits,
	// and arrives as soon as the customer writes again.
	step(t, 3, "an answer 25 hours later goes as the template, then in full when the customer replies")
	r.server.Stop(t)
	if err := os.WriteFile(clockFile, []byte("25h"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.server.Restart(t)
	specialist := "Puedes restablecerla desde el enlace que te enviamos por correo. Si no llega, revisa la carpeta de spam."
	if _, err := r.admin.tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: ticket.GetId(), Answer: specialist, AnsweredBy: "Marta"}); err != nil {
		t.Fatalf("step 3: AnswerTicket: %v", err)
	}
	eventually(t, 30*time.Second, "the window template sent", func() error {
		if tm := r.templates(beto); len(tm) != 1 || len(tm[0]) != 1 || !strings.HasPrefix(specialist, strings.TrimSuffix(tm[0][0], "…")) {
			return fmt.Errorf("templates %q", tm)
		}
		return nil
	})
	if got := r.texts(beto); len(got) != 3 {
		t.Fatalf("step 3: the answer was sent as text outside the window: %q", got)
	}
	waiting := false
	for _, m := range r.conversation(beto).GetMessages() {
		if m.GetText() == specialist && m.GetDeliveryStatus() == relevov1.DeliveryStatus_DELIVERY_STATUS_WAITING_FOR_WINDOW {
			waiting = true
		}
	}
	if !waiting {
		t.Fatalf("step 3: the answer is not waiting for the window: %v", r.conversation(beto).GetMessages())
	}
	r.say(beto, "Beto", "wamid.beto.4", "¿Cuál es la respuesta?")
	if got := r.waitReply(beto, 4); got != specialist {
		t.Fatalf("step 3: after the customer wrote they got %q, want the specialist's answer", got)
	}

	// The outcomes are counted by conversation.
	stats, err := r.admin.convs.GetResolutionStats(ctx, &relevov1.GetResolutionStatsRequest{})
	if err != nil || stats.GetResolvedByPerson() != 1 {
		t.Fatalf("resolution stats %v %v, want one resolved by a person", stats, err)
	}
}
