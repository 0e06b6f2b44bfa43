package app

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/relevo/relevo/internal/pgtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// The identifiers of the first customer and of the specialist, none of
// which may ever reach another customer.
var privateBits = []string{"Juan", "Pérez", "12.345.678-5", "juan.perez@gmail.com", "123456789", "Carla", "56911112222"}

func TestLearningNeverCarriesOneCustomersDataToAnother(t *testing.T) {
	for _, engine := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(*testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"--database", pgtest.URL(t, "app")} }},
	} {
		t.Run(engine.name, func(t *testing.T) {
			_, c := startAppWith(t, io.Discard, nil, engine.args(t)...)
			ctx := context.Background()
			juan := &chatter{t: t, c: c, address: "56911112222"}
			question := "Hola, soy Juan Pérez, RUT 12.345.678-5, correo juan.perez@gmail.com: ¿puedo pagar la matrícula desde Perú con transferencia?"
			juan.say(question)
			open, err := c.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
			if err != nil || len(open.GetTickets()) != 1 {
				t.Fatalf("open tickets %v %v: want the question's ticket", open, err)
			}
			answer := "Hola Juan, te escribí a juan.perez@gmail.com; la cuenta es BancoEstado 123456789. " +
				"Sí, desde Perú puedes pagar la matrícula con transferencia internacional o con tarjeta de crédito. Saludos, Carla"
			resp, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: open.GetTickets()[0].GetId(), Answer: answer, AnsweredBy: "Carla"})
			if err != nil || resp.GetTicket().GetLearnedEntryId() == "" {
				t.Fatalf("answer: %v %v: want a learned entry", resp, err)
			}

			learned, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{LearnedOnly: true})
			if err != nil || len(learned.GetEntries()) != 1 {
				t.Fatalf("learned entries %v %v", learned, err)
			}
			e := learned.GetEntries()[0]
			for _, bit := range privateBits {
				if strings.Contains(e.GetQuestion(), bit) || strings.Contains(e.GetAnswer(), bit) {
					t.Errorf("learned entry holds %q: %q / %q", bit, e.GetQuestion(), e.GetAnswer())
				}
			}
			if !strings.Contains(e.GetAnswer(), "transferencia internacional") {
				t.Errorf("learned answer %q lost its general part", e.GetAnswer())
			}

			// Another customer asks the same in other words: the general part only.
			ana := &chatter{t: t, c: c, address: "56933334444"}
			got := replyText(ana.say("se puede pagar la matricula desde peru por transferencia?"))
			if !strings.Contains(got, "transferencia internacional") {
				t.Fatalf("paraphrase got %q, want the learned answer", got)
			}
			for _, bit := range privateBits {
				if strings.Contains(got, bit) {
					t.Errorf("the next customer received %q: %q", bit, got)
				}
			}

			// A different question does not match the learned entry.
			beto := &chatter{t: t, c: c, address: "56955556666"}
			got = replyText(beto.say("¿Tienen descuento para bomberos voluntarios del Instituto Saturno?"))
			if strings.Contains(got, "transferencia") {
				t.Fatalf("an unrelated question got the learned answer: %q", got)
			}
		})
	}
}

func TestAnAnswerAboutOneCustomersCaseIsNotLearned(t *testing.T) {
	_, c := startApp(t)
	ctx := context.Background()
	ch := &chatter{t: t, c: c, address: "56977778888"}
	ch.say("¿Por qué me cobraron dos veces la suscripción este mes?")
	open, err := c.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
	if err != nil || len(open.GetTickets()) != 1 {
		t.Fatalf("open tickets %v %v", open, err)
	}
	resp, err := c.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{
		TicketId: open.GetTickets()[0].GetId(), AnsweredBy: "Marta",
		Answer: "Revisamos tu cuenta: fue un error nuestro y ya reembolsamos tu segundo cobro.",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetLearnedEntryId() != "" {
		t.Fatalf("an answer about one customer's own case was learned: %v", resp.GetTicket())
	}
}
