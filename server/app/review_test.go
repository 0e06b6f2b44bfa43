package app

import (
	"context"
	"io"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
)

// startWithPolicy runs the app with the sample profile under a learning
// policy.
func startWithPolicy(t *testing.T, policy string) *relevo.Client {
	t.Helper()
	p := agents.DefaultProfile()
	p.Learning.Policy = policy
	_, c := startAppWith(t, io.Discard, []Option{WithProfile(p)})
	return c
}

// openOneTicket has a customer ask what the sample knowledge base does not
// cover and returns the ticket that opened.
func openOneTicket(t *testing.T, c *relevo.Client, address, question string) *relevov1.Ticket {
	t.Helper()
	(&chatter{t: t, c: c, address: address}).say(question)
	open, err := c.Tickets.ListTickets(context.Background(), &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range open.GetTickets() {
		if tk.GetQuestion() == question {
			return tk
		}
	}
	t.Fatalf("no open ticket for %q among %v", question, open.GetTickets())
	return nil
}

func searchHas(t *testing.T, c *relevo.Client, query, entryID string) bool {
	t.Helper()
	resp, err := c.Knowledge.Search(context.Background(), &relevov1.SearchRequest{Query: query, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.GetResults() {
		if r.GetId() == entryID {
			return true
		}
	}
	return false
}

func TestUnderReviewALearnedAnswerWaitsForApprovalBeforeItAnswersAnyone(t *testing.T) {
	c := startWithPolicy(t, agents.LearnReview)
	ctx := context.Background()
	const (
		question   = "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?"
		answer     = "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula presentando tu credencial."
		paraphrase = "hay descuento en la matricula si estudio en la universidad de antofagasta?"
	)
	ticket := openOneTicket(t, c, "ana", question)
	resp, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: ticket.GetId(), Answer: answer, AnsweredBy: "Marta"})
	if err != nil {
		t.Fatal(err)
	}
	entryID := resp.GetTicket().GetLearnedEntryId()
	if entryID == "" || resp.GetTicket().GetNotLearnedReason() != "" {
		t.Fatalf("answered ticket %v: want a learned entry waiting for review", resp.GetTicket())
	}

	queue, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{Status: relevov1.EntryStatus_ENTRY_STATUS_PENDING})
	if err != nil || len(queue.GetEntries()) != 1 {
		t.Fatalf("review queue %v %v: want the learned answer", queue, err)
	}
	if e := queue.GetEntries()[0]; e.GetId() != entryID || e.GetTicketId() != ticket.GetId() || e.GetAnsweredBy() != "Marta" || e.GetLearnedAt() == nil {
		t.Errorf("queued entry %v: want its ticket, specialist and time", e)
	}

	// The next customer asking the same is not answered from it: the
	// question goes to a person again.
	beto := &chatter{t: t, c: c, address: "beto"}
	if got := replyText(beto.say(paraphrase)); strings.Contains(got, "20%") {
		t.Fatalf("an answer waiting for review reached a customer: %q", got)
	}
	open, err := c.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
	if err != nil || len(open.GetTickets()) != 1 {
		t.Fatalf("open tickets %v %v: want beto's", open, err)
	}
	if searchHas(t, c, paraphrase, entryID) {
		t.Fatal("Search returns the pending entry")
	}

	// An admin approves it with a clearer answer: the next customer gets it.
	approved := "Sí: estudiantes de la Universidad de Antofagasta tienen un 20% de descuento en la matrícula presentando su credencial."
	ok, err := c.Knowledge.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: entryID, Answer: proto.String(approved)})
	if err != nil {
		t.Fatal(err)
	}
	if ok.GetEntry().GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_LIVE || ok.GetEntry().GetAnswer() != approved {
		t.Fatalf("approved entry %v", ok.GetEntry())
	}
	carla := &chatter{t: t, c: c, address: "carla"}
	if got := replyText(carla.say(paraphrase)); !strings.Contains(got, "estudiantes de la Universidad de Antofagasta") {
		t.Fatalf("after approval got %q, want the approved answer", got)
	}
	if !searchHas(t, c, paraphrase, entryID) {
		t.Fatal("Search does not return the approved entry")
	}
}

func TestUnderReviewARejectedAnswerNeverAnswersAndATickedOneAnswersAtOnce(t *testing.T) {
	c := startWithPolicy(t, agents.LearnReview)
	ctx := context.Background()

	// Rejected: stays out.
	q1 := "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?"
	t1 := openOneTicket(t, c, "ana", q1)
	resp, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: t1.GetId(), AnsweredBy: "Marta",
		Answer: "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula presentando tu credencial."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Knowledge.RejectEntry(ctx, &relevov1.RejectEntryRequest{EntryId: resp.GetTicket().GetLearnedEntryId()}); err != nil {
		t.Fatal(err)
	}
	if got := replyText((&chatter{t: t, c: c, address: "beto"}).say("hay descuento en la matricula si estudio en la universidad de antofagasta?")); strings.Contains(got, "20%") {
		t.Fatalf("a rejected answer reached a customer: %q", got)
	}

	// Ticked by the specialist (the Notion "Aprender" box): live at once.
	q2 := "¿Puedo llevar a mi perro a las clases presenciales del campus de Viña del Mar?"
	t2 := openOneTicket(t, c, "dora", q2)
	_, err = c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: t2.GetId(), AnsweredBy: "Marta",
		Answer: "Sí, en el campus de Viña del Mar se admiten perros con correa en las clases presenciales.", Learn: relevov1.LearnDecision_LEARN_DECISION_LEARN})
	if err != nil {
		t.Fatal(err)
	}
	if got := replyText((&chatter{t: t, c: c, address: "eva"}).say("se puede ir con perro a las clases presenciales en viña del mar?")); !strings.Contains(got, "perros con correa") {
		t.Fatalf("an approved-by-the-specialist answer did not answer at once: %q", got)
	}
	// Left unticked under review: not learned, and the ticket says why.
	q3 := "¿Organizan viajes de estudio a Japón durante el verano?"
	t3 := openOneTicket(t, c, "fede", q3)
	resp, err = c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: t3.GetId(), AnsweredBy: "Marta",
		Answer: "Sí, cada enero hay un viaje de estudio a Tokio de dos semanas.", Learn: relevov1.LearnDecision_LEARN_DECISION_NOT_APPROVED})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetLearnedEntryId() != "" || !strings.Contains(resp.GetTicket().GetNotLearnedReason(), "review") {
		t.Fatalf("unticked answer under review: %v, want nothing learned and the reason", resp.GetTicket())
	}
}

func TestWithLearningOffNothingIsLearnedAndTheTicketSaysWhy(t *testing.T) {
	c := startWithPolicy(t, agents.LearnOff)
	ctx := context.Background()
	tk := openOneTicket(t, c, "ana", "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?")
	resp, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: tk.GetId(), AnsweredBy: "Marta",
		Answer: "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula.", Learn: relevov1.LearnDecision_LEARN_DECISION_LEARN})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetLearnedEntryId() != "" || resp.GetTicket().GetNotLearnedReason() != "learning.policy is off" {
		t.Fatalf("ticket %v: want no learned entry and the policy as the reason", resp.GetTicket())
	}
	learned, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{LearnedOnly: true})
	if err != nil || len(learned.GetEntries()) != 0 {
		t.Fatalf("learned entries %v %v, want none", learned, err)
	}
}
