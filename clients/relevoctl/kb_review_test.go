package main

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// reviewFake is a server with two learned entries waiting for review, one
// rejected and one live.
func reviewFake(t *testing.T) *fakeRelevo {
	f := startFake(t)
	pending, live, rejected := relevov1.EntryStatus_ENTRY_STATUS_PENDING, relevov1.EntryStatus_ENTRY_STATUS_LIVE, relevov1.EntryStatus_ENTRY_STATUS_REJECTED
	learnedAt := timestamppb.New(time.Now().Add(-time.Hour))
	f.entries = []*relevov1.Entry{
		{Id: "E-4", Question: "¿Puedo pagar desde Perú?", Answer: "Sí, con transferencia internacional.", Source: "learned", TicketId: "T-PERU01", AnsweredBy: "Carla", Learned: true, Status: pending, LearnedAt: learnedAt},
		{Id: "E-3", Question: "¿Tienen app?", Answer: "Sí, Teach1.", Source: "learned", TicketId: "T-APP002", AnsweredBy: "notion:7f3c", Learned: true, Status: pending, LearnedAt: learnedAt},
		{Id: "E-2", Question: "¿Cuánto debo?", Answer: "Nada.", Source: "learned", TicketId: "T-DEBT03", Learned: true, Status: rejected},
		{Id: "E-1", Question: "¿Horario?", Answer: "9 a 18", Source: "manual", Status: live},
	}
	return f
}

func TestReviewListsPendingEntriesWithTheirTicketAndSpecialist(t *testing.T) {
	f := reviewFake(t)
	res := f.run(t, "", "kb", "entries", "review")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	req := f.requests("ListEntries")[0].(*relevov1.ListEntriesRequest)
	if req.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_PENDING {
		t.Errorf("request %v, want the PENDING filter", req)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "ANSWERED BY") {
		t.Fatalf("review table:\n%s\nwant a header and the two pending entries", res.stdout)
	}
	for i, want := range [][]string{{"E-4", "T-PERU01", "Carla", "¿Puedo pagar desde Perú?"}, {"E-3", "T-APP002", "notion:7f3c", "¿Tienen app?"}} {
		for _, s := range want {
			if !strings.Contains(lines[i+1], s) {
				t.Errorf("row %d %q lacks %q", i+1, lines[i+1], s)
			}
		}
	}
	if strings.Contains(res.stdout, "E-1") || strings.Contains(res.stdout, "E-2") {
		t.Errorf("review lists entries that are not pending:\n%s", res.stdout)
	}

	res = f.run(t, "", "-o", "json", "kb", "entries", "review")
	if n := strings.Count(res.stdout, "\n"); res.code != 0 || n != 2 || !strings.Contains(res.stdout, `"status":"ENTRY_STATUS_PENDING"`) ||
		!strings.Contains(res.stdout, `"answeredBy":"Carla"`) {
		t.Errorf("json review (exit %d, %d lines):\n%s", res.code, n, res.stdout)
	}
}

func TestListFiltersByStatusAndShowsIt(t *testing.T) {
	f := reviewFake(t)
	res := f.run(t, "", "kb", "entries", "list", "--status", "rejected")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if req := f.requests("ListEntries")[0].(*relevov1.ListEntriesRequest); req.GetStatus() != relevov1.EntryStatus_ENTRY_STATUS_REJECTED {
		t.Errorf("request %v, want the REJECTED filter", req)
	}
	if !strings.Contains(res.stdout, "STATUS") || !strings.Contains(res.stdout, "E-2") || !strings.Contains(res.stdout, "rejected") || strings.Contains(res.stdout, "E-4") {
		t.Errorf("list --status rejected:\n%s", res.stdout)
	}
	res = f.run(t, "", "kb", "entries", "list", "--status", "maybe")
	if res.code != 2 || !strings.Contains(res.stderr, "live, pending, rejected") {
		t.Errorf("unknown status: exit %d, stderr %q; want a usage error listing the statuses", res.code, res.stderr)
	}
}

func TestApproveSendsOnlyTheEditsGiven(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  *relevov1.ApproveEntryRequest
	}{
		{"as learned", "", []string{"E-4"}, &relevov1.ApproveEntryRequest{EntryId: "E-4"}},
		{"with an edited question", "", []string{"E-4", "--question", "¿Aceptan pagos desde Perú?"},
			&relevov1.ApproveEntryRequest{EntryId: "E-4", Question: proto.String("¿Aceptan pagos desde Perú?")}},
		{"with the answer from stdin", "Sí, desde cualquier país.\n", []string{"E-4", "--answer", "-"},
			&relevov1.ApproveEntryRequest{EntryId: "E-4", Answer: proto.String("Sí, desde cualquier país.")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := reviewFake(t)
			res := f.run(t, tt.stdin, append([]string{"kb", "entries", "approve"}, tt.args...)...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			reqs := f.requests("ApproveEntry")
			if len(reqs) != 1 || !proto.Equal(reqs[0], tt.want) {
				t.Fatalf("requests %v, want %v", reqs, tt.want)
			}
			for _, s := range []string{"Entry     E-4", "Status    live", "Ticket    T-PERU01", "by Carla"} {
				if !strings.Contains(res.stdout, s) {
					t.Errorf("stdout %q lacks %q", res.stdout, s)
				}
			}
		})
	}
}

func TestApproveAndRejectRefuseMistakes(t *testing.T) {
	f := reviewFake(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"a blank question is a usage error", []string{"approve", "E-4", "--question", " "}, 2, "--question is empty"},
		{"a blank answer is a usage error", []string{"approve", "E-4", "--answer", ""}, 2, "--answer is empty"},
		{"approve needs an id", []string{"approve"}, 2, "accepts 1 arg"},
		{"an unknown entry", []string{"approve", "E-404"}, 1, "approve entry E-404: NotFound"},
		{"a rejected entry cannot be approved", []string{"approve", "E-2"}, 1, "FailedPrecondition"},
		{"a live entry cannot be rejected", []string{"reject", "E-1"}, 1, "reject entry E-1: FailedPrecondition: entry E-1 is live"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.run(t, "", append([]string{"kb", "entries"}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tc.code, tc.stderr)
			}
		})
	}
	if n := len(f.requests("ApproveEntry")); n != 2 {
		t.Errorf("%d approvals sent, want only the two the server refused", n)
	}

	res := f.run(t, "", "kb", "entries", "reject", "E-3")
	if res.code != 0 || res.stdout != "rejected entry E-3\n" {
		t.Errorf("reject: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if req := f.requests("RejectEntry"); !proto.Equal(req[len(req)-1], &relevov1.RejectEntryRequest{EntryId: "E-3"}) {
		t.Errorf("reject request %v", req[len(req)-1])
	}
}

func TestTicketsAnswerRefusesContradictoryLearningFlags(t *testing.T) {
	f := startFake(t)
	f.tickets = []*relevov1.Ticket{openTicket("T-1")}
	res := f.run(t, "", "tickets", "answer", "T-1", "--text", "Sí.", "--learn", "--skip-learning")
	if res.code != 2 || !strings.Contains(res.stderr, "--learn and --skip-learning") || len(f.requests("AnswerTicket")) != 0 {
		t.Errorf("exit %d, stderr %q, %d calls; want a usage error and no call", res.code, res.stderr, len(f.requests("AnswerTicket")))
	}
}

func TestTicketsShowSaysWhyAnAnswerWasNotLearned(t *testing.T) {
	f := startFake(t)
	tk := openTicket("T-8")
	tk.Status, tk.Answer, tk.NotLearnedReason = relevov1.TicketStatus_TICKET_STATUS_ANSWERED, "No.", "learning.policy is off"
	f.tickets = []*relevov1.Ticket{tk}
	res := f.run(t, "", "tickets", "show", "T-8")
	if res.code != 0 || !strings.Contains(res.stdout, "Not learned: learning.policy is off") || strings.Contains(res.stdout, "Learned as entry") {
		t.Errorf("exit %d, stdout:\n%s\nwant the reason and no learned entry", res.code, res.stdout)
	}
}
