package rules

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge"
)

// FuzzDecide runs the rules agents on any message against any passage (a
// customer writes the one, a company uploads the other): they never panic,
// and an answer is only given above the threshold, from a passage that
// holds what was asked, with text from the passage.
func FuzzDecide(f *testing.F) {
	for _, s := range [][3]string{
		{"¿cuántas preguntas tiene la evaluación final?", "Calificaciones", "Apruebas con un 70%. Puedes repetir un cuestionario hasta 3 veces."},
		{"¿cuál es el correo del gerente?", "Contacto", "Reclamos: reclamos@example.com.\n\nSu gerente general es Rodrigo Alarcón."},
		{"¿Tienen oficina en Lima?", "Oficinas", "La oficina central está en Santiago."},
		{"¿dónde queda la oficina comercial?", "", "Mesa de ayuda: 600 410 2020. Oficina comercial: Av. Providencia 1234, Santiago. Dr."},
		{"who is the CEO?", "Team", "Our CEO is Marta Silva."},
		{"¿cuál es la tasa en 12 cuotas?", "Cuotas", "Paga en 3 o seis cuotas sin interés sobre $30.000; USD 5.000 por persona; de 9:00 a 18:00."},
		{"¿cuál es el RUT de la empresa?", "Datos", "Razón social: Casa SpA. RUT 76.543.210-K."},
		{"¿qué formatos aceptan?", "Tareas", "Entrega en PDF o DOCX."},
		{"¿a qué hora abren?", "", "Dirección: Los Aromos 1320, La Florida.\nHorario: lunes a sábado de 7:00 a 21:00."},
		{"hola", "", ""},
		{"¿quién es el", "", ":"},
	} {
		f.Add(s[0], s[1], s[2], false)
		f.Add(s[0], s[1], s[2], true)
	}
	p := agents.DefaultProfile()
	triage := NewTriage(p)
	// One agent for all inputs (a worker runs them one at a time): building
	// its analyser took most of each run.
	searcher := &fakeSearcher{}
	know := NewKnowledge(p, searcher)
	f.Fuzz(func(t *testing.T, question, heading, text string, entry bool) {
		if !utf8.ValidString(question) || !utf8.ValidString(heading) || !utf8.ValidString(text) {
			return
		}
		if _, err := triage.Act(context.Background(), agents.Input{Text: question}); err != nil {
			t.Fatalf("triage: %v", err)
		}
		r := knowledge.Result{Kind: knowledge.KindChunk, ID: "1", DocumentID: "d", Source: "doc.md", Score: 0.9, Relevance: 0.8,
			Heading: heading, Text: text, Rarity: map[string]float64{}}
		if entry {
			r.Kind, r.Question = knowledge.KindEntry, heading
		}
		searcher.results = []knowledge.Result{r}
		act, err := know.Act(context.Background(), agents.Input{Text: question})
		if err != nil {
			t.Fatalf("knowledge: %v", err)
		}
		check := act.Steps[len(act.Steps)-1].Check
		if check == nil || check.Confidence < 0 || check.Confidence > 1 {
			t.Fatalf("decision %+v", check)
		}
		if act.Outcome != agents.OutcomeAnswer {
			if act.Handoff != agents.RoleHuman {
				t.Fatalf("neither an answer nor a hand-off: %+v", act)
			}
			return
		}
		said, _, _ := strings.Cut(act.Reply, "\n\nFuente:")
		if !check.Answer || !check.Held || check.Confidence < check.Threshold || strings.TrimSpace(said) == "" {
			t.Fatalf("answered %q with decision %+v", act.Reply, check)
		}
	})
}
