package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/agents"
	"github.com/relevo/relevo/server/internal/store"
)

// fakeDecider answers questions about prices and hands off the rest, with
// the detail the offline agent records.
type fakeDecider struct{}

func (fakeDecider) Decide(_ context.Context, q string) (agents.Action, error) {
	check := &agents.AnswerCheck{Asked: "amount", Covered: []string{"precio"}, Confidence: 0.2, Threshold: 0.5, Reason: "confidence below the answer threshold"}
	if strings.Contains(q, "precio") {
		check = &agents.AnswerCheck{Answer: true, Asked: "amount", Held: true, Covered: []string{"precio"}, Confidence: 0.9, Threshold: 0.5, Reason: "the passage answers the question", Source: "faq.md"}
		return agents.Action{Reply: "Cuesta 10 €.", Outcome: agents.OutcomeAnswer, Reason: "answered", Steps: []agents.Step{{Kind: "decision", Check: check}}}, nil
	}
	return agents.Action{Handoff: agents.RoleHuman, Reason: "below threshold", Steps: []agents.Step{{Kind: "decision", Check: check}}}, nil
}

type consoleStub struct{}

func (consoleStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte("console " + r.URL.Path))
}

func TestSearchReturnsWhatTheBotWouldDecide(t *testing.T) {
	ts := startServer(t)
	kc := relevov1.NewKnowledgeServiceClient(ts.conn(t))
	ctx := context.Background()

	plain, err := kc.Search(ctx, &relevov1.SearchRequest{Query: "precio del curso"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.GetDecision() != nil {
		t.Fatalf("decision without decide: %v", plain.GetDecision())
	}
	yes, err := kc.Search(ctx, &relevov1.SearchRequest{Query: "precio del curso", Decide: true})
	if err != nil {
		t.Fatal(err)
	}
	d := yes.GetDecision()
	if !d.GetAnswer() || d.GetReply() != "Cuesta 10 €." || !d.GetDetail().GetKindHeld() || d.GetDetail().GetSource() != "faq.md" {
		t.Fatalf("decision to answer: %v", d)
	}
	no, err := kc.Search(ctx, &relevov1.SearchRequest{Query: "convenio", Decide: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := no.GetDecision(); d.GetAnswer() || d.GetReply() != "" || d.GetDetail().GetConfidence() != 0.2 || d.GetDetail().GetThreshold() != 0.5 {
		t.Fatalf("decision to hand off: %v", d)
	}
}

func TestPreviewAnswerShowsWhatWouldBeLearnedAndChangesNothing(t *testing.T) {
	ts := startServer(t)
	tc := relevov1.NewTicketServiceClient(ts.conn(t))
	ctx := context.Background()
	id := openTicket(t, ts.st, "34600000001", "¿Tienen convenio con la Universidad de Chile?")

	p, err := tc.PreviewAnswer(ctx, &relevov1.PreviewAnswerRequest{
		TicketId: id, AnsweredBy: "Marta", Answer: "Hola Ana 34600000001. Sí, con la U. de Chile hay 20% de descuento. Saludos, Marta",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !p.GetLearned() || p.GetPendingReview() || !strings.Contains(p.GetAnswer(), "20% de descuento") {
		t.Fatalf("preview: %v", p)
	}
	for _, personal := range []string{"34600000001", "Marta"} {
		if strings.Contains(p.GetAnswer(), personal) {
			t.Fatalf("preview keeps %q: %q", personal, p.GetAnswer())
		}
	}
	skip, err := tc.PreviewAnswer(ctx, &relevov1.PreviewAnswerRequest{TicketId: id, Answer: "Sí.", Learn: relevov1.LearnDecision_LEARN_DECISION_DO_NOT_LEARN})
	if err != nil {
		t.Fatal(err)
	}
	if skip.GetLearned() || skip.GetNotLearnedReason() == "" {
		t.Fatalf("preview of an answer not to learn: %v", skip)
	}
	got, err := ts.st.GetTicket(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := ts.st.ListEntries(ctx, store.EntryFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.TicketOpen || len(entries) != 0 {
		t.Fatalf("a preview changed something: ticket %s, %d entries", got.Status, len(entries))
	}

	if _, err := tc.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: id, Answer: "Sí, hay 20% de descuento."}); err != nil {
		t.Fatal(err)
	}
	_, err = tc.PreviewAnswer(ctx, &relevov1.PreviewAnswerRequest{TicketId: id, Answer: "Otra cosa."})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("preview on an answered ticket: %v, want FailedPrecondition", err)
	}
	code, body := restCall(t, "POST", ts.httpURL+"/v1/tickets/"+id+":preview", "", `{"answer":""}`)
	if code != 400 || !strings.Contains(body["message"].(string), "answer") {
		t.Fatalf("REST preview without answer: %d %v", code, body)
	}
}

func TestContentGapsGroupSimilarQuestionsMostFrequentFirst(t *testing.T) {
	ts := startServer(t)
	kc := relevov1.NewKnowledgeServiceClient(ts.conn(t))
	ctx := context.Background()
	for i, q := range []string{
		"¿Tienen convenio con la Universidad de Chile?",
		"convenio universidad de chile",
		"¿Hay convenio con la universidad católica?",
		"¿Puedo pagar con PayPal?",
	} {
		openTicket(t, ts.st, "3460000000"+string(rune('1'+i)), q)
	}
	resp, err := kc.ListContentGaps(ctx, &relevov1.ListContentGapsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetQuestions() != 4 || len(resp.GetGaps()) != 2 {
		t.Fatalf("gaps: %v", resp)
	}
	first := resp.GetGaps()[0]
	if first.GetCount() != 3 || first.GetHandedOff() != 3 || len(first.GetConversationIds()) != 3 || len(first.GetTicketIds()) != 3 || !strings.Contains(strings.ToLower(first.GetQuestion()), "convenio") {
		t.Fatalf("first gap: %v", first)
	}
	if resp.GetGaps()[1].GetCount() != 1 || !strings.Contains(resp.GetGaps()[1].GetQuestion(), "PayPal") {
		t.Fatalf("second gap: %v", resp.GetGaps()[1])
	}
	later, err := kc.ListContentGaps(ctx, &relevov1.ListContentGapsRequest{Since: timestamppb.New(time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if len(later.GetGaps()) != 0 {
		t.Fatalf("gaps of a period without questions: %v", later.GetGaps())
	}
	code, body := restCall(t, "GET", ts.httpURL+"/v1/content-gaps?lowConfidenceBelow=2", "", "")
	if code != 400 || !strings.Contains(body["message"].(string), "low_confidence_below") {
		t.Fatalf("REST gaps with a bad bound: %d %v", code, body)
	}
}

func TestConsoleIsServedBesideTheAPI(t *testing.T) {
	ts := startServer(t)
	resp, err := http.Get(ts.httpURL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/console/" {
		t.Fatalf("/console: %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
}
