package gaps

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
)

func TestLowConfidenceReadsTheDecisionOfTheSearchedQuestion(t *testing.T) {
	t.Parallel()
	trace := func(conf float64) []byte {
		b, err := json.Marshal([]agents.Step{
			{Kind: "search", Detail: "¿cuánto cuesta el curso?"},
			{Kind: "decision", Confidence: conf},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if q, ok := lowConfidence(trace(0.55), 0.6); !ok || q != "¿cuánto cuesta el curso?" {
		t.Fatalf("below the bound: %q %v", q, ok)
	}
	if _, ok := lowConfidence(trace(0.9), 0.6); ok {
		t.Fatal("a confident answer counted as low confidence")
	}
	llm, _ := json.Marshal([]agents.Step{{Kind: "tool_call", Detail: "search_knowledge_base"}})
	if _, ok := lowConfidence(llm, 0.6); ok {
		t.Fatal("a run without a decision step counted")
	}
}

func TestClusterGroupsByContentWordsAndSynonymsNotByFraming(t *testing.T) {
	t.Parallel()
	now := time.Now()
	qs := []Question{
		{Text: "¿Cuánto cuesta el diplomado?", ConversationID: "c1", At: now.Add(-3 * time.Minute)},
		{Text: "precio del diplomado", ConversationID: "c2", HandedOff: true, TicketID: "T-2", At: now.Add(-2 * time.Minute)},
		{Text: "¿Cuánto cuesta el diplomado?", ConversationID: "c3", At: now.Add(-time.Minute)},
		{Text: "¿Cómo cambio mi correo?", ConversationID: "c4", HandedOff: true, TicketID: "T-4", At: now},
	}
	gs := Cluster(analysis.New("es"), qs)
	if len(gs) != 2 {
		t.Fatalf("%d groups: %+v", len(gs), gs)
	}
	g := gs[0]
	if g.Count != 3 || g.HandedOff != 1 || g.LowConfidence != 2 || len(g.Examples) != 2 || g.ConversationIDs[0] != "c3" || g.TicketIDs[0] != "T-2" {
		t.Fatalf("first group: %+v", g)
	}
	if gs[1].Question != "¿Cómo cambio mi correo?" || !gs[1].LastAskedAt.Equal(now) {
		t.Fatalf("second group: %+v", gs[1])
	}
}

func TestQuestionsReadHandOffsAndLowConfidenceAnswersOfThePeriod(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/relevo.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// run stores a message from address and commits its run.
	run := func(address, text string, result store.RunResult) {
		t.Helper()
		if _, err := st.AcceptInbound(ctx, store.InboundMessage{
			Contact: store.Contact{Channel: "webchat", Address: address}, ChannelMessageID: address + text, Kind: "text", Text: text,
		}); err != nil {
			t.Fatal(err)
		}
		claim, err := st.ClaimConversation(ctx, "test", time.Minute)
		if err != nil || claim == nil {
			t.Fatalf("claim: %v %v", claim, err)
		}
		result.Run.StartedAt = time.Now()
		if err := st.CompleteRun(ctx, claim, result); err != nil {
			t.Fatal(err)
		}
	}
	trace := func(query string, conf float64) []byte {
		b, _ := json.Marshal([]agents.Step{{Kind: "search", Detail: query}, {Kind: "decision", Confidence: conf}})
		return b
	}
	run("a", "¿Tienen convenio con la universidad?", store.RunResult{Run: store.RunRecord{Outcome: "escalate"}, OpenTicket: &store.TicketDraft{Question: "¿Tienen convenio con la universidad?"}})
	run("b", "quiero hablar con una persona", store.RunResult{Run: store.RunRecord{Outcome: "escalate"}, OpenTicket: &store.TicketDraft{Question: "quiero hablar con una persona", Personal: true}})
	run("c", "¿cuánto dura el curso?", store.RunResult{Run: store.RunRecord{Outcome: "answer", Trace: trace("cuanto dura el curso", 0.62)}})
	run("d", "¿cómo cambio mi clave?", store.RunResult{Run: store.RunRecord{Outcome: "answer", Trace: trace("como cambio mi clave", 0.95)}})

	f := New(st, "es")
	qs, err := f.Questions(ctx, Query{Since: time.Now().Add(-time.Hour), LowConfidenceBelow: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range qs {
		got = append(got, fmt.Sprintf("%s handed=%v ticket=%v", q.Text, q.HandedOff, q.TicketID != ""))
	}
	slices.Sort(got)
	want := []string{"cuanto dura el curso handed=false ticket=false", "¿Tienen convenio con la universidad? handed=true ticket=true"}
	if !slices.Equal(got, want) {
		t.Fatalf("questions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	later, err := f.Questions(ctx, Query{Since: time.Now().Add(time.Hour), LowConfidenceBelow: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != 0 {
		t.Fatalf("questions after the period began: %v", later)
	}
}
