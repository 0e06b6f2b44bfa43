package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// startApp runs a server in-process on free loopback ports with a fresh
// SQLite database and the sample knowledge base.
func startApp(t *testing.T, args ...string) (*App, *relevo.Client) {
	t.Helper()
	return startAppWith(t, io.Discard, nil, args...)
}

// startAppWith is startApp with the server's log written to logw and
// assembly options.
func startAppWith(t *testing.T, logw io.Writer, opts []Option, args ...string) (*App, *relevo.Client) {
	t.Helper()
	base := []string{"--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--database", t.TempDir() + "/relevo.db"}
	cfg, err := ParseConfig(append(base, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(logw, nil)), opts...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	c, err := relevo.Dial(ctx, a.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return a, c
}

type chatter struct {
	t       *testing.T
	c       *relevo.Client
	address string
	n       int
}

func (ch *chatter) say(text string) *relevov1.ConverseResponse {
	ch.t.Helper()
	ch.n++
	resp, err := ch.c.Channels.Converse(context.Background(), &relevov1.ConverseRequest{
		Message: &relevov1.InboundMessage{
			Contact:          &relevov1.Contact{Channel: "webchat", Address: ch.address},
			ChannelMessageId: ch.address + "-" + string(rune('a'+ch.n)),
			Text:             text,
		},
		Timeout: durationpb.New(20 * time.Second),
	})
	if err != nil {
		ch.t.Fatalf("converse %q: %v", text, err)
	}
	if resp.GetTimedOut() {
		ch.t.Fatalf("converse %q timed out", text)
	}
	return resp
}

func replyText(r *relevov1.ConverseResponse) string {
	var parts []string
	for _, m := range r.GetReplies() {
		parts = append(parts, m.GetText())
	}
	return strings.Join(parts, "\n")
}

func TestTheLearningLoopAnswersTheNextUserFromTheSpecialistsAnswer(t *testing.T) {
	_, c := startApp(t)
	ctx := context.Background()
	ana := &chatter{t: t, c: c, address: "ana"}

	if got := replyText(ana.say("Hola")); !strings.Contains(got, "Hola") {
		t.Fatalf("greeting reply %q", got)
	}
	if got := replyText(ana.say("¿Cómo recupero mi contraseña?")); !strings.Contains(got, "contraseña") || !strings.Contains(got, "Fuente") {
		t.Fatalf("knowledge answer %q, want the sample KB's password answer with its source", got)
	}

	// Something the knowledge base does not cover opens a ticket.
	question := "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?"
	r := ana.say(question)
	tickets, err := c.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets.GetTickets()) != 1 || tickets.GetTickets()[0].GetQuestion() != question {
		t.Fatalf("open tickets %v after %q (reply %q)", tickets.GetTickets(), question, replyText(r))
	}
	ticket := tickets.GetTickets()[0]

	// While it is open the bot stays silent.
	if got := ana.say("¿alguna novedad?"); len(got.GetReplies()) != 0 {
		t.Fatalf("bot answered during an open ticket: %q", replyText(got))
	}

	answer := "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula presentando tu credencial."
	resp, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: ticket.GetId(), Answer: answer, AnsweredBy: "Marta"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetStatus() != relevov1.TicketStatus_TICKET_STATUS_ANSWERED || resp.GetTicket().GetLearnedEntryId() == "" {
		t.Fatalf("answered ticket %v: want ANSWERED with a learned entry", resp.GetTicket())
	}
	again, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: ticket.GetId(), Answer: answer, AnsweredBy: "Marta"})
	if err != nil || !again.GetAlreadyAnswered() {
		t.Fatalf("second identical answer: %v %v, want already_answered", again, err)
	}

	// A second user asks the same thing in other words: answered at once.
	beto := &chatter{t: t, c: c, address: "beto"}
	got := replyText(beto.say("hay descuento en la matricula si estudio en la universidad de antofagasta?"))
	if !strings.Contains(got, "20%") {
		t.Fatalf("paraphrase got %q, want the learned answer", got)
	}
	open, err := c.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
	if err != nil {
		t.Fatal(err)
	}
	if len(open.GetTickets()) != 0 {
		t.Fatalf("a ticket was opened for a learned question: %v", open.GetTickets())
	}
	learned, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{LearnedOnly: true})
	if err != nil || len(learned.GetEntries()) != 1 || learned.GetEntries()[0].GetAnswer() != answer {
		t.Fatalf("learned entries %v %v", learned, err)
	}
}

func TestARequestForAPersonOpensATicketAtOnce(t *testing.T) {
	_, c := startApp(t)
	ch := &chatter{t: t, c: c, address: "carla"}
	r := ch.say("quiero hablar con una persona por favor")
	conv, err := c.Conversations.GetConversation(context.Background(), &relevov1.GetConversationRequest{ConversationId: r.GetConversationId()})
	if err != nil {
		t.Fatal(err)
	}
	if conv.GetConversation().GetOpenTicketId() == "" {
		t.Fatalf("no ticket after asking for a person; reply %q", replyText(r))
	}
	runs := conv.GetRuns()
	if len(runs) != 1 || runs[0].GetOutcome() != relevov1.RunOutcome_RUN_OUTCOME_ESCALATE || len(runs[0].GetSteps()) == 0 {
		t.Fatalf("run record %v: want one escalate run with its trace", runs)
	}
}

func TestAHumanWritingOnTheChannelAnswersTheTicketAndPausesTheBot(t *testing.T) {
	_, c := startApp(t)
	ctx := context.Background()
	ch := &chatter{t: t, c: c, address: "dora"}
	r := ch.say("necesito hablar con un asesor por mi cobro duplicado")
	conv, err := c.Conversations.GetConversation(ctx, &relevov1.GetConversationRequest{ConversationId: r.GetConversationId()})
	if err != nil || conv.GetConversation().GetOpenTicketId() == "" {
		t.Fatalf("no open ticket: %v %v", conv, err)
	}
	ticketID := conv.GetConversation().GetOpenTicketId()

	// The specialist answers from the business app on the phone.
	resp, err := c.Channels.SendHumanMessage(ctx, &relevov1.SendHumanMessageRequest{
		Contact:          &relevov1.Contact{Channel: "webchat", Address: "dora"},
		ChannelMessageId: "echo-1",
		Text:             "Hola Dora, ya revertimos el segundo cobro; lo verás en 3 días hábiles.",
		AuthorName:       "Marta",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAnsweredTicketId() != ticketID || resp.GetPausedUntil() == nil {
		t.Fatalf("takeover response %v: want ticket %s answered and the bot paused", resp, ticketID)
	}
	again, err := c.Channels.SendHumanMessage(ctx, &relevov1.SendHumanMessageRequest{
		Contact: &relevov1.Contact{Channel: "webchat", Address: "dora"}, ChannelMessageId: "echo-1", Text: "Hola Dora, ya revertimos el segundo cobro; lo verás en 3 días hábiles.",
	})
	if err != nil || !again.GetDuplicate() {
		t.Fatalf("repeated echo: %v %v, want a duplicate", again, err)
	}
	tk, err := c.Tickets.GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: ticketID})
	if err != nil || tk.GetTicket().GetStatus() != relevov1.TicketStatus_TICKET_STATUS_ANSWERED {
		t.Fatalf("ticket %v %v: want ANSWERED", tk, err)
	}
	// Asking for a person about one's own charge is personal: answered, not
	// learned into the knowledge base.
	if !tk.GetTicket().GetPersonal() || tk.GetTicket().GetLearnedEntryId() != "" {
		t.Fatalf("ticket %v: want personal and not learned", tk.GetTicket())
	}
	// The human's message was already on the channel: it must not be queued
	// to the user again, and the paused bot stays silent.
	if got := ch.say("perfecto, gracias"); len(got.GetReplies()) != 0 {
		t.Fatalf("paused bot answered: %q", replyText(got))
	}
	full, err := c.Conversations.GetConversation(ctx, &relevov1.GetConversationRequest{ConversationId: r.GetConversationId()})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range full.GetMessages() {
		if m.GetAuthor() == relevov1.Author_AUTHOR_HUMAN && m.GetDeliveryStatus() == relevov1.DeliveryStatus_DELIVERY_STATUS_PENDING {
			t.Fatalf("the human's own message was queued for delivery: %v", m)
		}
	}
	if full.GetConversation().GetState() != relevov1.ConversationState_CONVERSATION_STATE_PAUSED {
		t.Fatalf("state %v, want PAUSED", full.GetConversation().GetState())
	}
}
