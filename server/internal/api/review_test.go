package api

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

// pendingEntry stores a learned entry waiting for review, as the ticket
// desk does under the review policy.
func pendingEntry(t *testing.T, st store.Store, ticketID string) store.Entry {
	t.Helper()
	e, err := st.CreateEntry(context.Background(), store.Entry{
		Question: "¿Puedo pagar desde Perú?", Answer: "Sí, con transferencia.", Source: "learned",
		TicketID: ticketID, Learned: true, Status: store.EntryPending, AnsweredBy: "Carla",
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestReviewQueueListsPendingEntriesWithTheirProvenance(t *testing.T) {
	ts := startServer(t)
	kc := relevov1.NewKnowledgeServiceClient(ts.conn(t))
	ctx := context.Background()
	if _, err := ts.st.CreateEntry(ctx, store.Entry{Question: "¿Horario?", Answer: "9 a 18"}); err != nil {
		t.Fatal(err)
	}
	pending := pendingEntry(t, ts.st, "T-AAAAAA")

	resp, err := kc.ListEntries(ctx, &relevov1.ListEntriesRequest{Status: relevov1.EntryStatus_ENTRY_STATUS_PENDING})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetEntries()) != 1 {
		t.Fatalf("review queue = %v, want the pending entry only", resp.GetEntries())
	}
	e := resp.GetEntries()[0]
	if e.GetId() != pending.ID || e.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_PENDING || e.GetTicketId() != "T-AAAAAA" ||
		e.GetAnsweredBy() != "Carla" || !e.GetLearned() || e.GetLearnedAt() == nil || e.GetReviewedAt() != nil {
		t.Errorf("pending entry = %v", e)
	}

	all, err := kc.ListEntries(ctx, &relevov1.ListEntriesRequest{})
	if err != nil || len(all.GetEntries()) != 2 {
		t.Fatalf("all entries = %v, %v; want both", all, err)
	}
	if s := all.GetEntries()[1].GetStatus(); s != relevov1.EntryStatus_ENTRY_STATUS_LIVE {
		t.Errorf("manual entry status = %v, want LIVE", s)
	}
	_, err = kc.ListEntries(ctx, &relevov1.ListEntriesRequest{Status: 42})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "status") {
		t.Errorf("unknown status filter: %v, want InvalidArgument naming status", err)
	}
}

func TestApproveAndRejectEntryStatusCodes(t *testing.T) {
	ts := startServer(t)
	kc := relevov1.NewKnowledgeServiceClient(ts.conn(t))
	ctx := context.Background()
	toApprove := pendingEntry(t, ts.st, "T-AAAAAA")
	toEdit := pendingEntry(t, ts.st, "T-BBBBBB")
	toReject := pendingEntry(t, ts.st, "T-CCCCCC")

	ok, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: toApprove.ID})
	if err != nil {
		t.Fatal(err)
	}
	if e := ok.GetEntry(); e.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_LIVE || e.GetReviewedAt() == nil ||
		e.GetQuestion() != toApprove.Question || e.GetAnsweredBy() != "Carla" {
		t.Errorf("approved entry = %v", e)
	}

	edited, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: toEdit.ID, Answer: proto.String("  Sí, por transferencia internacional.  ")})
	if err != nil {
		t.Fatal(err)
	}
	if e := edited.GetEntry(); e.GetAnswer() != "Sí, por transferencia internacional." || e.GetQuestion() != toEdit.Question ||
		e.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_LIVE {
		t.Errorf("entry approved with an edited answer = %v", e)
	}

	rejected, err := kc.RejectEntry(ctx, &relevov1.RejectEntryRequest{EntryId: toReject.ID})
	if err != nil {
		t.Fatal(err)
	}
	if e := rejected.GetEntry(); e.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_REJECTED || e.GetReviewedAt() == nil {
		t.Errorf("rejected entry = %v", e)
	}
	if _, err := kc.RejectEntry(ctx, &relevov1.RejectEntryRequest{EntryId: toReject.ID}); err != nil {
		t.Errorf("rejecting twice: %v, want no error", err)
	}

	stillPending := pendingEntry(t, ts.st, "T-DDDDDD")
	for _, tc := range []struct {
		name string
		call func() error
		want codes.Code
		says string
	}{
		{"approve an unknown id", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: "nope"})
			return err
		}, codes.NotFound, "nope"},
		{"reject an unknown id", func() error {
			_, err := kc.RejectEntry(ctx, &relevov1.RejectEntryRequest{EntryId: "nope"})
			return err
		}, codes.NotFound, "nope"},
		{"approve without an id", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{})
			return err
		}, codes.InvalidArgument, "entry_id"},
		{"approve a live entry", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: toApprove.ID})
			return err
		}, codes.FailedPrecondition, "already live"},
		{"approve a rejected entry", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: toReject.ID})
			return err
		}, codes.FailedPrecondition, "rejected"},
		{"reject a live entry", func() error {
			_, err := kc.RejectEntry(ctx, &relevov1.RejectEntryRequest{EntryId: toApprove.ID})
			return err
		}, codes.FailedPrecondition, "delete"},
		{"approve with a blank question", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: stillPending.ID, Question: proto.String(" ")})
			return err
		}, codes.InvalidArgument, "question"},
		{"approve with an empty answer", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: stillPending.ID, Answer: proto.String("")})
			return err
		}, codes.InvalidArgument, "answer"},
		{"approve with an edit too long", func() error {
			_, err := kc.ApproveEntry(ctx, &relevov1.ApproveEntryRequest{EntryId: stillPending.ID, Answer: proto.String(strings.Repeat("a", maxEntryBytes+1))})
			return err
		}, codes.InvalidArgument, "answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if status.Code(err) != tc.want || !strings.Contains(status.Convert(err).Message(), tc.says) {
				t.Fatalf("got %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
	// The refused edits left the entry waiting, as it was.
	e, err := ts.st.GetEntry(ctx, stillPending.ID)
	if err != nil || e.Status != store.EntryPending || e.Answer != stillPending.Answer {
		t.Errorf("entry after refused approvals = %+v, %v", e, err)
	}
}

func TestReviewOverRESTIsForAdminsOnly(t *testing.T) {
	ts := startServer(t, "admin:"+adminKey, "adapter:"+adapterKey)
	a := pendingEntry(t, ts.st, "T-AAAAAA")
	b := pendingEntry(t, ts.st, "T-BBBBBB")
	for _, tc := range []struct {
		name, key, method, path, body string
		want                          int
		status                        string
	}{
		{"the adapter role cannot list the review queue", adapterKey, "GET", "/v1/entries?status=ENTRY_STATUS_PENDING", "", 403, ""},
		{"the adapter role cannot approve", adapterKey, "POST", "/v1/entries/" + a.ID + ":approve", `{}`, 403, ""},
		{"the adapter role cannot reject", adapterKey, "POST", "/v1/entries/" + a.ID + ":reject", `{}`, 403, ""},
		{"an admin approves with an edited question", adminKey, "POST", "/v1/entries/" + a.ID + ":approve", `{"question":"¿Aceptan pagos desde Perú?"}`, 200, "ENTRY_STATUS_LIVE"},
		{"an admin rejects", adminKey, "POST", "/v1/entries/" + b.ID + ":reject", `{}`, 200, "ENTRY_STATUS_REJECTED"},
		{"approving again is 409", adminKey, "POST", "/v1/entries/" + a.ID + ":approve", `{}`, 409, ""},
		{"an unknown entry is 404", adminKey, "POST", "/v1/entries/nope:reject", `{}`, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := restCall(t, tc.method, ts.httpURL+tc.path, tc.key, tc.body)
			if code != tc.want {
				t.Fatalf("status %d (%v), want %d", code, body, tc.want)
			}
			if tc.status != "" {
				entry, _ := body["entry"].(map[string]any)
				if entry["status"] != tc.status {
					t.Fatalf("entry %v, want status %s", entry, tc.status)
				}
			}
		})
	}
	e, err := ts.st.GetEntry(context.Background(), a.ID)
	if err != nil || e.Question != "¿Aceptan pagos desde Perú?" || e.Status != store.EntryLive {
		t.Errorf("entry approved over REST = %+v, %v", e, err)
	}
}

func TestAnswerTicketTakesTheSpecialistsLearnDecision(t *testing.T) {
	ts := startServer(t)
	tc := relevov1.NewTicketServiceClient(ts.conn(t))
	ctx := context.Background()

	learned := openTicket(t, ts.st, "1", "¿Abren los domingos por la mañana?")
	resp, err := tc.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: learned, Answer: "Sí, de 10 a 14.", AnsweredBy: "Carla",
		Learn: relevov1.LearnDecision_LEARN_DECISION_LEARN})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetLearnedEntryId() == "" || resp.GetTicket().GetNotLearnedReason() != "" {
		t.Fatalf("ticket answered with LEARN = %v", resp.GetTicket())
	}
	e, err := ts.st.GetEntry(ctx, resp.GetTicket().GetLearnedEntryId())
	if err != nil || e.Status != store.EntryLive || e.AnsweredBy != "Carla" || e.LearnedAt.IsZero() {
		t.Errorf("learned entry = %+v, %v; want it live with its provenance", e, err)
	}

	declined := openTicket(t, ts.st, "2", "¿Abren los sábados por la tarde?")
	resp, err = tc.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: declined, Answer: "No.",
		Learn: relevov1.LearnDecision_LEARN_DECISION_DO_NOT_LEARN})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetLearnedEntryId() != "" || !strings.Contains(resp.GetTicket().GetNotLearnedReason(), "specialist") {
		t.Errorf("ticket answered with DO_NOT_LEARN = %v, want no entry and the reason", resp.GetTicket())
	}

	contradicted := openTicket(t, ts.st, "3", "¿Tienen estacionamiento?")
	for _, req := range []*relevov1.AnswerTicketRequest{
		{TicketId: contradicted, Answer: "Sí.", SkipLearning: true, Learn: relevov1.LearnDecision_LEARN_DECISION_LEARN},
		{TicketId: contradicted, Answer: "Sí.", Learn: 9},
	} {
		_, err := tc.AnswerTicket(ctx, req)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "learn") {
			t.Errorf("AnswerTicket(%v) = %v, want InvalidArgument naming learn", req, err)
		}
	}
	if tk, _ := ts.st.GetTicket(ctx, contradicted); tk.Status != store.TicketOpen {
		t.Errorf("a refused answer changed the ticket: %+v", tk)
	}
}
