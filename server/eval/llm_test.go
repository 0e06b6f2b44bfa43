package eval

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/modes"
	"github.com/relevo/relevo/server/openaitest"
)

// scriptedModel plays both llm roles by rules a test can read: Triage
// greets, sends requests for an advisor to a person and everything else
// to Knowledge; Knowledge searches the question, then answers from the
// first passage citing it — except that it invents a price for the
// warranty and declines gift cards.
func scriptedModel(req *openaitest.ChatRequest) openaitest.Reply {
	user := strings.ToLower(req.LastUser())
	if _, triage := req.Tool("transfer_to_knowledge"); triage {
		switch {
		case strings.Contains(user, "buenas"):
			return openaitest.Text("¡Buenas tardes! ¿En qué te ayudo?")
		case strings.Contains(user, "asesor"):
			return openaitest.Call("transfer_to_human", `{"reason":"pide un asesor"}`)
		}
		return openaitest.Call("transfer_to_knowledge", `{"reason":"pregunta específica"}`)
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "tool" {
		q, _ := json.Marshal(map[string]string{"query": req.LastUser()})
		return openaitest.Call("search_knowledge_base", string(q))
	}
	var out struct {
		Results []struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(last.Content), &out); err != nil || len(out.Results) == 0 || strings.Contains(user, "tarjetas") {
		return openaitest.Call("transfer_to_human", `{"reason":"la base no lo responde"}`)
	}
	first := out.Results[0]
	if strings.Contains(user, "garantía") {
		return openaitest.Text("La garantía extendida cuesta $15.000 [" + first.ID + "].")
	}
	return openaitest.Text(first.Text + " [" + first.ID + "]")
}

func writeSet(t *testing.T) (docs, queries string) {
	t.Helper()
	docs = t.TempDir()
	files := map[string]string{
		"envios.md":   "# Envíos\n\nLos envíos nacionales tardan de 3 a 5 días hábiles y son gratis sobre 50 euros.\n",
		"garantia.md": "# Garantía\n\nTodos los productos tienen dos años de garantía. Para usarla escribe a garantia@tienda.example.\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(docs, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	queries = filepath.Join(t.TempDir(), "q.jsonl")
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
	return docs, queries
}

func llmProfile(baseURL string) *agents.Profile {
	p := agents.DefaultProfile()
	p.Triage.Mode, p.Knowledge.Mode = "llm", "llm"
	p.LLM.BaseURL, p.LLM.APIKeyEnv = baseURL, "EVAL_TEST_MODEL_KEY"
	return p
}

func TestRunInLLMModeFollowsTheModelAndTheGroundingCheck(t *testing.T) {
	t.Parallel()
	model := openaitest.NewServer()
	t.Cleanup(model.Close)
	model.OnChat(scriptedModel)
	docs, queries := writeSet(t)

	rep, err := Run(context.Background(), Options{
		DocsDir: docs, QueriesFile: queries, Profile: llmProfile(model.BaseURL()),
		Getenv: func(k string) string {
			if k == "EVAL_TEST_MODEL_KEY" {
				return model.APIKey()
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Modes != "triage=llm knowledge=llm" {
		t.Errorf("modes = %q", rep.Modes)
	}
	want := []struct {
		outcome agents.Outcome
		reason  string
	}{
		{outcome: agents.OutcomeSmalltalk},
		{outcome: agents.OutcomeAnswer},
		// The model invented a price: the grounding check hands it off.
		{outcome: agents.OutcomeEscalate, reason: "grounding: amount $15.000 not in cited passages P1"},
		{outcome: agents.OutcomeEscalate, reason: "pide un asesor"},
		{outcome: agents.OutcomeEscalate, reason: "la base no lo responde"},
	}
	for i, w := range want {
		r := rep.Results[i]
		if r.Outcome != w.outcome || r.Reason != w.reason {
			t.Errorf("%q: outcome %s, reason %q; want %s, %q", r.Query, r.Outcome, r.Reason, w.outcome, w.reason)
		}
	}
	if r := rep.Results[1]; !strings.Contains(r.Answer, "3 a 5 días") || !strings.Contains(r.Answer, "(Fuente: envios.md)") || len(r.Sources) != 1 || r.Sources[0] != "envios.md" {
		t.Errorf("answer %q, sources %v: want the passage's text citing envios.md", r.Answer, r.Sources)
	}
	if tot := rep.Totals; tot.Correct != 4 || tot.RightAnswers != 1 || tot.WrongAnswers != 0 {
		t.Errorf("totals %+v, want 4 of 5 expected outcomes, 1 right answer, no wrong one", tot)
	}
	if n := len(model.ChatRequests()); n < 8 {
		t.Errorf("%d model calls: the run did not go through the profile's model", n)
	}
}

func TestRunInLLMModeWithoutAKeyFailsLikeTheServer(t *testing.T) {
	t.Parallel()
	docs, queries := writeSet(t)
	_, err := Run(context.Background(), Options{
		DocsDir: docs, QueriesFile: queries, Profile: llmProfile("http://127.0.0.1:1/v1"),
		Getenv: func(string) string { return "" },
	})
	if !errors.Is(err, modes.ErrNoAPIKey) || !strings.Contains(err.Error(), "EVAL_TEST_MODEL_KEY") {
		t.Fatalf("err = %v, want a refusal naming the key's variable", err)
	}
}
