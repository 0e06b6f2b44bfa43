package llm_test

import (
	"context"
	"testing"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/agents/llm"
	"github.com/relevo/relevo/server/openaitest"
)

// BenchmarkChainAnswer measures the agents' own cost per answered question
// (three model calls: triage, search, answer) against the simulated model
// with no latency, so the number is the overhead Relevo adds to the model.
func BenchmarkChainAnswer(b *testing.B) {
	srv := openaitest.NewServer(openaitest.WithoutRecording())
	b.Cleanup(srv.Close)
	p := testProfile()
	c := llm.NewClient(srv.BaseURL(), srv.APIKey(), nil)
	chain := agents.NewChain(p, llm.NewTriage(p, c), llm.NewKnowledge(p, c, &fakeSearcher{passages: []llm.Passage{pricePassage}}))
	in := agents.Input{ConversationID: "c1", Text: "¿Cuánto cuesta el curso de Python?"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := chain.Run(context.Background(), in); res.Outcome != agents.OutcomeAnswer {
				b.Fatalf("outcome = %s: %s", res.Outcome, res.HandoffReason)
			}
		}
	})
	b.ReportMetric(float64(srv.Stats().Chat)/float64(b.N), "model-calls/op")
}
