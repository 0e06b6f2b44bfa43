package rules_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/relevo/relevo/server/eval"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/internal/knowledge"
)

// BenchmarkRulesChain runs the offline chain (triage, then the knowledge
// agent's search and decision) on the sample knowledge base, over questions
// of every shape: answered, near misses, several questions in one message,
// English, small talk.
func BenchmarkRulesChain(b *testing.B) {
	ctx := context.Background()
	p := agents.DefaultProfile()
	base := knowledge.New(knowledge.Options{Language: p.Company.Language})
	if _, _, err := eval.LoadDocs(ctx, base, "../../../sampledata/kb"); err != nil {
		b.Fatal(err)
	}
	chain, err := modes.Build(p, base, modes.Options{})
	if err != nil {
		b.Fatal(err)
	}
	questions := []string{
		"¿cómo recupero mi contraseña?",
		"hola, una consulta: ¿en cuántas cuotas puedo pagar?",
		"¿cuál es el correo del gerente general?",
		"¿cuánto cuesta el plan mensual?",
		"¿quién es el CEO? gracias",
		"¿cuántos días tengo para pedir un reembolso? ¿y a qué correo escribo?",
		"how do I cancel my subscription?",
		"la app se me cierra sola, q hago",
		"¿tienen oficina en Lima?",
		"muchas gracias!",
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		chain.Run(ctx, agents.Input{ConversationID: "bench", Channel: "bench", Text: questions[i%len(questions)]})
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
