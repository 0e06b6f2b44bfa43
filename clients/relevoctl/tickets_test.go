package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func openTicket(id string) *relevov1.Ticket {
	return &relevov1.Ticket{
		Id:             id,
		ConversationId: "C-" + id,
		Contact:        &relevov1.Contact{Channel: "whatsapp", Address: "34600111222", DisplayName: "Lucía"},
		Question:       "¿Puedo cambiar la dirección de envío?",
		Status:         relevov1.TicketStatus_TICKET_STATUS_OPEN,
	}
}

func TestTicketsAnswerSendsTheAnswer(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  *relevov1.AnswerTicketRequest
	}{
		{
			name: "flags make the request",
			args: []string{"--text", "Sí, hasta el envío.", "--by", "Marta", "--skip-learning"},
			want: &relevov1.AnswerTicketRequest{TicketId: "T-1", Answer: "Sí, hasta el envío.", AnsweredBy: "Marta", SkipLearning: true},
		},
		{
			name:  "--text - reads the answer from stdin",
			stdin: "Sí.\nEscríbenos el pedido.\n",
			args:  []string{"--text", "-", "--by", "Marta"},
			want:  &relevov1.AnswerTicketRequest{TicketId: "T-1", Answer: "Sí.\nEscríbenos el pedido.", AnsweredBy: "Marta"},
		},
		{
			name: "--learn approves the answer for the knowledge base",
			args: []string{"--text", "Sí.", "--by", "Marta", "--learn"},
			want: &relevov1.AnswerTicketRequest{TicketId: "T-1", Answer: "Sí.", AnsweredBy: "Marta", Learn: relevov1.LearnDecision_LEARN_DECISION_LEARN},
		},
		{
			name: "--by defaults to the user",
			args: []string{"--text", "Sí."},
			want: &relevov1.AnswerTicketRequest{TicketId: "T-1", Answer: "Sí.", AnsweredBy: "ana"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			f.tickets = []*relevov1.Ticket{openTicket("T-1")}
			res := f.run(t, tt.stdin, append([]string{"tickets", "answer", "T-1"}, tt.args...)...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			reqs := f.requests("AnswerTicket")
			if len(reqs) != 1 || !proto.Equal(reqs[0], tt.want) {
				t.Fatalf("requests %v, want %v", reqs, tt.want)
			}
			if !strings.Contains(res.stdout, "answered T-1") {
				t.Errorf("stdout %q, want a confirmation", res.stdout)
			}
		})
	}
}

func TestTicketsAnswerTwice(t *testing.T) {
	f := startFake(t)
	f.tickets = []*relevov1.Ticket{openTicket("T-1")}
	f.run(t, "", "tickets", "answer", "T-1", "--text", "Sí.")

	res := f.run(t, "", "tickets", "answer", "T-1", "--text", "Sí.")
	if res.code != 0 || !strings.Contains(res.stdout, "nothing was sent again") {
		t.Errorf("same answer again: exit %d, stdout %q; want 0 and a note that nothing was sent", res.code, res.stdout)
	}
	res = f.run(t, "", "tickets", "answer", "T-1", "--text", "No.")
	if res.code != 1 || !strings.Contains(res.stderr, "FailedPrecondition") {
		t.Errorf("another answer: exit %d, stderr %q; want 1 and FailedPrecondition", res.code, res.stderr)
	}
}

func TestTicketsListFollowsPagesWithAll(t *testing.T) {
	f := startFake(t)
	for i := 5; i >= 1; i-- {
		f.tickets = append(f.tickets, openTicket(fmt.Sprintf("T-%d", i)))
	}
	f.tickets[1].Status = relevov1.TicketStatus_TICKET_STATUS_CLOSED // T-4

	res := f.run(t, "", "-o", "json", "tickets", "list", "--status", "open", "--page-size", "2", "--all")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var tk relevov1.Ticket
		if err := protojson.Unmarshal([]byte(line), &tk); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, tk.GetId())
	}
	if got := strings.Join(ids, " "); got != "T-5 T-3 T-2 T-1" {
		t.Errorf("tickets %s, want the open ones across pages: T-5 T-3 T-2 T-1", got)
	}
	var tokens []string
	for _, r := range f.requests("ListTickets") {
		req := r.(*relevov1.ListTicketsRequest)
		if req.GetStatus() != relevov1.TicketStatus_TICKET_STATUS_OPEN || req.GetPageSize() != 2 {
			t.Errorf("request %v, want status OPEN and page size 2", req)
		}
		tokens = append(tokens, req.GetPageToken())
	}
	if got := strings.Join(tokens, ","); got != ",2" {
		t.Errorf("page tokens %q, want the first page then the server's token", got)
	}
	if res.stderr != "" {
		t.Errorf("stderr %q, want nothing", res.stderr)
	}
}

func TestTicketsListWithoutAllTellsHowToGoOn(t *testing.T) {
	f := startFake(t)
	for i := 3; i >= 1; i-- {
		f.tickets = append(f.tickets, openTicket(fmt.Sprintf("T-%d", i)))
	}
	res := f.run(t, "", "tickets", "list", "--page-size", "2", "--conversation", "C-T-2")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	req := f.requests("ListTickets")[0].(*relevov1.ListTicketsRequest)
	if req.GetConversationId() != "C-T-2" {
		t.Errorf("conversation filter %q, want C-T-2", req.GetConversationId())
	}
	if !strings.Contains(res.stdout, "T-2") || strings.Contains(res.stdout, "T-3") {
		t.Errorf("stdout %q, want only T-2", res.stdout)
	}

	res = f.run(t, "", "tickets", "list", "--page-size", "2")
	if n := strings.Count(res.stdout, "\nT-"); n != 2 {
		t.Errorf("stdout %q, want 2 tickets of the first page", res.stdout)
	}
	if !strings.Contains(res.stderr, "--page-token 2") {
		t.Errorf("stderr %q, want the next page token", res.stderr)
	}
}

func TestTicketsShow(t *testing.T) {
	f := startFake(t)
	tk := openTicket("T-7")
	tk.HandoffReason = "no relevant passage above threshold"
	tk.Context = []*relevov1.ConversationMessage{{Author: relevov1.Author_AUTHOR_USER, Text: "Hola"}, {Author: relevov1.Author_AUTHOR_BOT, AuthorName: "Asistente Inicial", Text: "¡Hola!"}}
	tk.FollowUps = []*relevov1.TicketFollowUp{{MessageId: "M-9", Text: "Es urgente"}}
	tk.Status, tk.Answer, tk.AnsweredBy, tk.LearnedEntryId = relevov1.TicketStatus_TICKET_STATUS_ANSWERED, "Sí, hasta el envío.", "Marta", "E-3"
	f.tickets = []*relevov1.Ticket{tk}

	res := f.run(t, "", "tickets", "show", "T-7")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	for _, s := range []string{
		"Status        answered", "whatsapp:34600111222 (Lucía)", "no relevant passage above threshold",
		"¿Puedo cambiar la dirección de envío?", "bot (Asistente Inicial): ¡Hola!", "Es urgente",
		"Answer (by Marta", "Sí, hasta el envío.", "Learned as entry E-3",
	} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("stdout %q, want %q", res.stdout, s)
		}
	}
}

func TestTicketsCloseSendsTheReason(t *testing.T) {
	f := startFake(t)
	f.tickets = []*relevov1.Ticket{openTicket("T-1")}
	res := f.run(t, "", "tickets", "close", "T-1", "--reason", "spam")
	want := &relevov1.CloseTicketRequest{TicketId: "T-1", Reason: "spam"}
	if reqs := f.requests("CloseTicket"); res.code != 0 || len(reqs) != 1 || !proto.Equal(reqs[0], want) {
		t.Errorf("exit %d, requests %v; want 0 and %v", res.code, reqs, want)
	}
}

func ticketEvents() []*relevov1.TicketEvent {
	tk := openTicket("T-1")
	return []*relevov1.TicketEvent{
		{Sequence: 1, Type: relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, Ticket: tk},
		{Sequence: 2, Type: relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP, Ticket: tk, FollowUp: &relevov1.TicketFollowUp{Text: "¿Hola?"}},
		{Sequence: 3, Type: relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED, Ticket: &relevov1.Ticket{Id: "T-1", CloseReason: "spam"}},
	}
}

// watch runs "tickets watch" until it has printed want lines, then
// interrupts it as Ctrl-C would.
func watch(t *testing.T, f *fakeRelevo, want int, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := newLineWaiter(want)
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"--server", f.addr, "tickets", "watch"}, args...), strings.NewReader(""), out, &errb, testEnv(nil))
	}()
	select {
	case <-out.reach:
		cancel()
		code = <-done
	case code = <-done:
	}
	return code, out.String(), errb.String()
}

func TestTicketsWatchPrintsEventsUntilInterrupted(t *testing.T) {
	f := startFake(t)
	f.events = ticketEvents()

	code, stdout, stderr := watch(t, f, 2, "--after", "1")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	req := f.requests("StreamTicketEvents.request")[0].(*relevov1.StreamTicketEventsRequest)
	if req.GetAfterSequence() != 1 {
		t.Errorf("after_sequence %d, want 1", req.GetAfterSequence())
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "2\t") || !strings.Contains(lines[0], "follow_up") ||
		!strings.Contains(lines[0], "¿Hola?") || !strings.Contains(lines[1], "closed") || !strings.Contains(lines[1], "spam") {
		t.Errorf("stdout %q, want the follow-up and the close", stdout)
	}
}

func TestTicketsWatchShowsErasedTicketsByReferenceOnly(t *testing.T) {
	f := startFake(t)
	f.events = []*relevov1.TicketEvent{{Sequence: 9, Type: relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED,
		Ticket: &relevov1.Ticket{Id: "T-1", ExternalRef: "page-1", Status: relevov1.TicketStatus_TICKET_STATUS_ANSWERED}}}
	code, stdout, stderr := watch(t, f, 1)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if fields := strings.Split(strings.TrimSpace(stdout), "\t"); len(fields) != 5 || strings.TrimSpace(fields[2]) != "erased" ||
		fields[3] != "T-1" || fields[4] != "page-1" {
		t.Errorf("stdout %q, want the erased ticket and its reference", stdout)
	}
}

func TestTicketsWatchJSON(t *testing.T) {
	f := startFake(t)
	f.events = ticketEvents()
	code, stdout, stderr := watch(t, f, 3, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for i, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev relevov1.TicketEvent
		if err := protojson.Unmarshal([]byte(line), &ev); err != nil || !proto.Equal(&ev, f.events[i]) {
			t.Errorf("line %d %q (%v), want event %v", i, line, err, f.events[i])
		}
	}
}

func TestTicketsWatchStopsWhenRefused(t *testing.T) {
	f := startFake(t)
	f.streamErr = status.Error(codes.PermissionDenied, "the adapter role cannot do that")
	code, _, stderr := watch(t, f, 1)
	if code != 1 || !strings.Contains(stderr, "PermissionDenied: the adapter role cannot do that") {
		t.Errorf("exit %d, stderr %q; want 1 and the status", code, stderr)
	}
}
