//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// TestASpecialistsAnswerTeachesOnlyItsGeneralPart: a customer gives their
// name, national id and email with the question; the specialist answers in
// Notion with the customer's email and an account number around the
// general answer. The customer gets the whole answer; the next customer
// who asks the same gets only the general part.
func TestASpecialistsAnswerTeachesOnlyItsGeneralPart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { privacyJourney(t, t.TempDir()+"/relevo.db") })
	t.Run("postgres", func(t *testing.T) { privacyJourney(t, postgresURL(t)) })
}

func privacyJourney(t *testing.T, database string) {
	r := startJourney(t, database)
	juan := "56977770000"
	question := "Hola, soy Juan Pérez, RUT 12.345.678-5, correo juan.perez@gmail.com: ¿puedo pagar la matrícula desde Perú con transferencia?"
	r.say(juan, "Juan Pérez", "wamid.juan.1", question)
	if notice := r.waitReply(juan, 1); !strings.Contains(notice, "especialista") {
		t.Fatalf("hand-off notice %q", notice)
	}
	ticket := r.openTicket()
	page := r.waitPage(ticket.GetId())

	answer := "Hola Juan, te escribí a juan.perez@gmail.com; la cuenta es BancoEstado 123456789. " +
		"Sí, desde Perú puedes pagar la matrícula con transferencia internacional o con tarjeta de crédito. Saludos, Carla"
	r.notion.SetText(page, "Respuesta", answer)
	if code := r.notionWebhook(page, journeyHookSecret); code != http.StatusOK {
		t.Fatalf("Enviar webhook answered %d", code)
	}
	if got := r.waitReply(juan, 2); got != answer {
		t.Fatalf("the customer got %q, want the specialist's whole answer", got)
	}

	beto := "56988880000"
	r.say(beto, "Beto", "wamid.beto.p1", "se puede pagar la matricula desde peru por transferencia?")
	got := r.waitReply(beto, 1)
	if !strings.Contains(got, "transferencia internacional") {
		t.Fatalf("the next customer got %q, want the learned general answer", got)
	}
	for _, bit := range []string{"Juan", "Pérez", "12.345.678-5", "juan.perez@gmail.com", "123456789", "BancoEstado", "Carla", juan} {
		if strings.Contains(got, bit) {
			t.Errorf("the next customer received %q: %q", bit, got)
		}
	}
	learned, err := r.admin.kb.ListEntries(context.Background(), &relevov1.ListEntriesRequest{LearnedOnly: true})
	if err != nil || len(learned.GetEntries()) != 1 {
		t.Fatalf("learned entries %v %v", learned, err)
	}
	if e := learned.GetEntries()[0]; strings.Contains(e.GetQuestion()+e.GetAnswer(), "juan") {
		t.Errorf("learned entry holds the customer's data: %q / %q", e.GetQuestion(), e.GetAnswer())
	}
}
