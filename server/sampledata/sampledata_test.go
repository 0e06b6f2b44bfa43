package sampledata

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/rules"
	"github.com/relevo/relevo/server/internal/knowledge"
)

func loadSample(t *testing.T) *knowledge.Base {
	t.Helper()
	ctx := context.Background()
	b := knowledge.New(knowledge.Options{Language: "es"})
	files, err := fs.ReadDir(KB(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("%d sample files", len(files))
	}
	for _, f := range files {
		data, err := fs.ReadFile(KB(), f.Name())
		if err != nil {
			t.Fatal(err)
		}
		in, err := b.Ingest(ctx, f.Name(), "", data)
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		if strings.HasSuffix(f.Name(), ".pdf") && (in.Document.Pages != 2 || in.Chunks[len(in.Chunks)-1].Page != 2) {
			t.Errorf("%s: pages %d, last chunk on page %d", f.Name(), in.Document.Pages, in.Chunks[len(in.Chunks)-1].Page)
		}
		if err := b.Put(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestSampleKnowledgeBaseAnswersItsCustomers(t *testing.T) {
	b := loadSample(t)
	p := agents.DefaultProfile()
	chain := agents.NewChain(p, rules.NewTriage(p), rules.NewKnowledge(p, b))
	tests := []struct {
		query   string
		outcome agents.Outcome
		source  string
		fact    string
	}{
		{"¿cómo pido el reembolso de un curso?", agents.OutcomeAnswer, "03-suscripciones-y-reembolsos.md", "10 días"},
		{"olvide mi contrasena", agents.OutcomeAnswer, "01-cuenta-y-acceso.md", "Olvidaste tu contraseña"},
		{"¿puedo pagar en cuotas?", agents.OutcomeAnswer, "02-pagos-y-facturacion.md", "6 cuotas"},
		{"¿qué tamaño máximo puede tener el archivo de una tarea?", agents.OutcomeAnswer, "13-guia-de-soporte.pdf, p. 2", "50 MB"},
		{"¿los cursos tienen subtítulos?", agents.OutcomeAnswer, "11-preguntas-rapidas.csv", "subtítulos en español"},
		{"¿Quién es el CEO?", agents.OutcomeAnswer, "07-empresa.md", "Julián Varas"},
		{"Hola!", agents.OutcomeSmalltalk, "", ""},
		{"quiero hablar con una persona", agents.OutcomeEscalate, "", ""},
		{"¿tienen convenio con la universidad de Concepción?", agents.OutcomeEscalate, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := chain.Run(context.Background(), agents.Input{Text: tt.query})
			if res.Outcome != tt.outcome {
				t.Fatalf("outcome %s (%s), want %s", res.Outcome, res.HandoffReason, tt.outcome)
			}
			if tt.source != "" && (len(res.Sources) == 0 || res.Sources[0] != tt.source) {
				t.Errorf("sources %v, want %s", res.Sources, tt.source)
			}
			if !strings.Contains(res.Reply, tt.fact) {
				t.Errorf("reply %q lacks %q", res.Reply, tt.fact)
			}
		})
	}
}
