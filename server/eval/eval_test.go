package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relevo/relevo/internal/sharedtest"
	"github.com/relevo/relevo/server/internal/agents"
)

// sharedDir finds ../shared next to the repository root.
func sharedDir(t *testing.T) string {
	t.Helper()
	return sharedtest.Dir(t)
}

func TestSeedKnowledgeBase(t *testing.T) {
	t.Parallel()
	seed := filepath.Join(sharedDir(t), "seed-kb")
	rep, err := Run(context.Background(), Options{DocsDir: seed, QueriesFile: filepath.Join(seed, "queries.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteText(&out, rep)
	tot := rep.Totals
	if tot.Correct != tot.Queries || tot.Queries != 15 {
		t.Errorf("expected outcomes %d/%d, want 15/15\n%s", tot.Correct, tot.Queries, out.String())
	}
	if tot.WrongAnswers != 0 {
		t.Errorf("%d answers to questions for a human\n%s", tot.WrongAnswers, out.String())
	}
	if tot.ContainingExpected != tot.WithExpectedFacts {
		t.Errorf("answers with the expected facts: %d/%d\n%s", tot.ContainingExpected, tot.WithExpectedFacts, out.String())
	}
	for _, r := range rep.Results {
		if r.Outcome == agents.OutcomeAnswer && (len(r.Sources) == 0 || !strings.Contains(r.Answer, "Fuente: "+r.Sources[0])) {
			t.Errorf("answer without citation: %q", r.Answer)
		}
	}
}

func TestSyntheticSetAndPrinters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("envios.md", "# Envíos\n\nLos envíos nacionales tardan de 3 a 5 días hábiles y son gratis sobre 50 euros.\n")
	write("garantia.md", "# Garantía\n\nTodos los productos tienen dos años de garantía. Para usarla escribe a garantia@tienda.example.\n")
	queries := filepath.Join(t.TempDir(), "q.jsonl")
	lines := []string{
		`{"query": "buenas tardes", "expect": "smalltalk"}`,
		`{"query": "¿cuántos días tarda el envío?", "expect": "answer", "doc": "envios.md", "must_contain_any": ["3 a 5 días"]}`,
		`{"query": "¿cuánto dura la garantía de los productos?", "expect": "answer", "doc": "garantia.md", "must_contain_any": ["dos años"]}`,
		`{"query": "quiero hablar con un asesor", "expect": "escalate"}`,
		`{"query": "¿venden tarjetas de regalo para cumpleaños?", "expect": "not_answer"}`,
	}
	if err := os.WriteFile(queries, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{DocsDir: dir, QueriesFile: queries})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Correct != 5 || rep.Totals.ContainingExpected != 2 || rep.Totals.WrongAnswers != 0 {
		var b bytes.Buffer
		WriteText(&b, rep)
		t.Fatalf("totals %+v\n%s", rep.Totals, b.String())
	}

	var jl bytes.Buffer
	if err := WriteJSONLines(&jl, rep); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(jl.String()), "\n")
	if len(got) != 5 {
		t.Fatalf("%d JSON lines", len(got))
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(got[1]), &line); err != nil {
		t.Fatal(err)
	}
	if line["outcome"] != "answer" || line["sources"].([]any)[0] != "envios.md" || !strings.Contains(line["answer"].(string), "3 a 5") {
		t.Fatalf("line = %v", line)
	}
	for _, k := range []string{"query", "outcome", "answer", "sources", "check"} {
		if _, ok := line[k]; !ok || len(line) != 5 {
			t.Fatalf("line keys = %v", line)
		}
	}
	// Why it was answered: the kind asked and the words the passage covers.
	if check := line["check"].(map[string]any); check["held"] != true || len(check["covered"].([]any)) == 0 {
		t.Fatalf("check = %v", check)
	}
}

func TestSweepTradesCoverageForSafety(t *testing.T) {
	t.Parallel()
	results := []Result{
		{Expect: ExpectAnswer, Doc: "a.md", Searched: true, TopScore: 0.9, TopSource: "a.md"},
		{Expect: ExpectAnswer, Doc: "a.md", Searched: true, TopScore: 0.4, TopSource: "b.md"},
		{Expect: ExpectEscalate, Searched: true, TopScore: 0.5, TopSource: "a.md"},
		{Expect: ExpectSmalltalk, Outcome: agents.OutcomeSmalltalk},
	}
	pts := Sweep(results, []float64{0.3, 0.6})
	low, high := pts[0], pts[1]
	if low.RightAnswers != 1 || low.WrongAnswers != 2 || low.FalseAnswers != 1 {
		t.Fatalf("at 0.3: %+v", low)
	}
	if high.RightAnswers != 1 || high.WrongAnswers != 0 || high.Accuracy != 0.75 {
		t.Fatalf("at 0.6: %+v", high)
	}
	if Best(pts).Threshold != 0.6 {
		t.Fatalf("best = %+v", Best(pts))
	}
}
