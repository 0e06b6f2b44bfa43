package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

func eraseContact(t *testing.T, ts *testServer, address string) *relevov1.EraseContactResponse {
	t.Helper()
	resp, err := relevov1.NewConversationServiceClient(ts.conn(t)).EraseContact(context.Background(),
		&relevov1.EraseContactRequest{Contact: &relevov1.Contact{Channel: "whatsapp", Address: address}})
	if err != nil {
		t.Fatalf("EraseContact: %v", err)
	}
	return resp
}

// An adapter holding a message of a contact being erased acks it after the
// erasure: the ack is a no-op, the stream stays up and delivers the others'
// messages, and the contact's other replies are never offered.
func TestErasureWithAMessageInFlightKeepsTheStreamWorking(t *testing.T) {
	ts := startOutboxServer(t, OutboxPolicy{AckTimeout: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute, Poll: 50 * time.Millisecond})
	_, erased := queueReplies(t, ts.st, "56900000001", "uno", "dos")
	_, kept := queueReplies(t, ts.st, "56900000002", "otro")
	a := subscribe(t, ts, 10)
	got := map[string]bool{a.next(t).GetId(): true, a.next(t).GetId(): true}
	if !got[erased[0]] || !got[kept[0]] {
		t.Fatalf("offered %v, want %s and %s", got, erased[0], kept[0])
	}

	resp := eraseContact(t, ts, "56900000001")
	if resp.GetMessagesDeleted() != 3 || resp.GetConversationsDeleted() != 1 || resp.GetRunsDeleted() != 1 {
		t.Errorf("EraseContact = %v", resp)
	}
	a.ack(t, erased[0], "wamid.out.erased")
	a.ack(t, kept[0], "wamid.out.kept")
	waitMessage(t, ts.st, kept[0], "sent", func(m store.Message) bool { return m.Status == store.StatusSent })

	_, later := queueReplies(t, ts.st, "56900000003", "después")
	m := a.next(t)
	if m.GetId() != later[0] {
		t.Fatalf("offered %s (%q), want the new reply %s: the erased contact's second reply must not be offered", m.GetId(), m.GetText(), later[0])
	}
	a.ack(t, m.GetId(), "wamid.out.later")
	waitMessage(t, ts.st, later[0], "sent", func(m store.Message) bool { return m.Status == store.StatusSent })
	if _, err := ts.st.GetMessage(context.Background(), erased[1]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the erased contact's queued reply: %v, want it deleted", err)
	}
}

// openTicket stores a message from address and opens a ticket for it.
func openTicket(t *testing.T, st store.Store, address, question string) string {
	t.Helper()
	ctx := context.Background()
	in, err := st.AcceptInbound(ctx, store.InboundMessage{
		Contact:          store.Contact{Channel: "whatsapp", Address: address, DisplayName: "Ana " + address},
		ChannelMessageID: "wamid.in." + address, Kind: "text", Text: question,
	})
	if err != nil {
		t.Fatal(err)
	}
	claim, err := st.ClaimConversation(ctx, "test-worker", time.Minute)
	if err != nil || claim == nil {
		t.Fatalf("claim: %v, %v", claim, err)
	}
	if err := st.CompleteRun(ctx, claim, store.RunResult{OpenTicket: &store.TicketDraft{Question: question}}); err != nil {
		t.Fatal(err)
	}
	conv, err := st.GetConversation(ctx, in.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	return conv.OpenTicketID
}

// ticketEvents follows StreamTicketEvents from the start.
func ticketEvents(t *testing.T, ts *testServer) <-chan *relevov1.TicketEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamBound)
	t.Cleanup(cancel)
	s, err := relevov1.NewTicketServiceClient(ts.conn(t)).StreamTicketEvents(ctx, &relevov1.StreamTicketEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *relevov1.TicketEvent, 100)
	go func() {
		defer close(ch)
		for {
			resp, err := s.Recv()
			if err != nil {
				return
			}
			ch <- resp.GetEvent()
		}
	}()
	return ch
}

func nextEvent(t *testing.T, ch <-chan *relevov1.TicketEvent) *relevov1.TicketEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the ticket event stream ended")
		}
		return ev
	case <-time.After(streamBound):
		t.Fatal("no ticket event")
		return nil
	}
}

// A desk following the event log learns that a ticket was erased, with the
// reference of its copy and nothing personal; one that starts afterwards
// sees only that.
func TestErasedTicketsAreStreamedWithTheirReferenceOnly(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	erased := openTicket(t, ts.st, "56900000001", "¿Mi pedido 4711?")
	if _, err := ts.st.LinkTicket(ctx, erased, "page-1", ""); err != nil {
		t.Fatal(err)
	}
	kept := openTicket(t, ts.st, "56900000002", "¿Horario?")
	live := ticketEvents(t, ts)
	for _, want := range []struct {
		typ relevov1.TicketEventType
		id  string
	}{
		{relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, erased},
		{relevov1.TicketEventType_TICKET_EVENT_TYPE_LINKED, erased},
		{relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED, kept},
	} {
		if ev := nextEvent(t, live); ev.GetType() != want.typ || ev.GetTicket().GetId() != want.id {
			t.Fatalf("event %v of %s, want %v of %s", ev.GetType(), ev.GetTicket().GetId(), want.typ, want.id)
		}
	}

	resp := eraseContact(t, ts, "56900000001")
	if resp.GetTicketsDeleted() != 1 {
		t.Errorf("EraseContact = %v, want one ticket deleted", resp)
	}
	check := func(what string, ev *relevov1.TicketEvent) {
		t.Helper()
		if ev.GetType() != relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED {
			t.Fatalf("%s: event %v, want ERASED", what, ev.GetType())
		}
		want := &relevov1.Ticket{Id: erased, ExternalRef: "page-1", Status: relevov1.TicketStatus_TICKET_STATUS_OPEN}
		if got := ev.GetTicket(); got.GetId() != want.Id || got.GetExternalRef() != want.ExternalRef || got.GetStatus() != want.Status ||
			got.GetContact() != nil || got.GetQuestion() != "" || got.GetConversationId() != "" || len(got.GetContext()) != 0 {
			t.Errorf("%s: erased ticket = %v, want only %v", what, got, want)
		}
		if ev.GetFollowUp() != nil || ev.GetSequence() == 0 || ev.GetCreatedAt() == nil {
			t.Errorf("%s: event = %v", what, ev)
		}
	}
	check("live", nextEvent(t, live))

	replay := ticketEvents(t, ts)
	first := nextEvent(t, replay)
	if first.GetType() != relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED || first.GetTicket().GetId() != kept {
		t.Fatalf("replay starts with %v of %s, want the other ticket's creation: the erased ticket's events must be gone", first.GetType(), first.GetTicket().GetId())
	}
	check("replay", nextEvent(t, replay))
	if _, err := relevov1.NewTicketServiceClient(ts.conn(t)).GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: erased}); status.Code(err) != codes.NotFound {
		t.Errorf("GetTicket of the erased ticket: %v, want NotFound", err)
	}
}

// A purge that could not finish is the caller's cue to call again.
func TestUnavailableAsksTheCallerToCallAgain(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("erase contact: rows deleted, but sqlite still holds copies of them: %w: %w", store.ErrUnavailable, errors.New("database is locked"))
	got := toStatus(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), err)
	if status.Code(got) != codes.Unavailable {
		t.Errorf("toStatus = %v, want Unavailable", got)
	}
}
