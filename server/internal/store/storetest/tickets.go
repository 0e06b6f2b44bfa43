package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// openTicket stores a question from a new contact and opens a ticket for
// it; it returns the ticket.
func openTicket(t *testing.T, st store.Store, address, question string) store.Ticket {
	t.Helper()
	accept(t, st, inbound(contact("whatsapp", address), question))
	complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: question}})
	conv, err := st.FindConversation(testContext(t), "whatsapp", address)
	noErr(t, "FindConversation", err)
	tk, err := st.GetTicket(testContext(t), conv.OpenTicketID)
	noErr(t, "GetTicket", err)
	return tk
}

func eventTypes(events []store.TicketEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e.Type)
	}
	return out
}

var ticketTests = []test{
	{"answering a ticket delivers, learns and gives the conversation back", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		tk := openTicket(t, st, "1", "¿Cuotas?")
		learn := &store.Entry{Question: "¿Cuotas?", Answer: "Sí, hasta 12.", Source: "ticket", Embedding: []float32{0.5, -1}, EmbeddingModel: "m"}
		got, already, err := st.AnswerTicket(ctx, store.AnswerInput{
			TicketID: tk.ID, Answer: "Sí, hasta 12.", AnsweredBy: "Ana", Deliver: true, Learn: learn, ReplyDetails: buttons,
		})
		noErr(t, "AnswerTicket", err)
		if already || got.Status != store.TicketAnswered || got.Answer != "Sí, hasta 12." || got.AnsweredBy != "Ana" ||
			got.ResolvedAt.IsZero() || got.LearnedEntryID == "" {
			t.Fatalf("answered ticket = %+v already %v", got, already)
		}
		conv, _ := st.GetConversation(ctx, tk.ConversationID)
		if conv.State != store.StateResolved || conv.OpenTicketID != "" {
			t.Errorf("conversation after answer = %+v", conv)
		}
		e, err := st.GetEntry(ctx, got.LearnedEntryID)
		noErr(t, "GetEntry", err)
		if !e.Learned || e.TicketID != tk.ID || e.Answer != "Sí, hasta 12." || len(e.Embedding) != 2 || e.Embedding[1] != -1 {
			t.Errorf("learned entry = %+v", e)
		}
		out, err := st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute)
		noErr(t, "ClaimOutbound", err)
		if len(out) != 1 || out[0].Text != "Sí, hasta 12." || out[0].Author != store.AuthorHuman || out[0].AuthorName != "Ana" ||
			out[0].TicketID != tk.ID || !reflect.DeepEqual(out[0].Details, buttons) {
			t.Fatalf("queued answer = %+v", out)
		}
		// The same answer again (a double click) changes nothing.
		again, already, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: " Sí, hasta 12. ", Deliver: true, Learn: learn})
		noErr(t, "AnswerTicket again", err)
		if !already || again.LearnedEntryID != got.LearnedEntryID {
			t.Errorf("second answer: already %v, ticket %+v", already, again)
		}
		if entries, _, _ := st.ListEntries(ctx, store.EntryFilter{Limit: 10}); len(entries) != 1 {
			t.Errorf("%d entries, want 1", len(entries))
		}
		msgs, _ := st.ListMessages(ctx, tk.ConversationID, 100)
		if len(msgs) != 2 {
			t.Errorf("messages after two answers: %q", texts(msgs))
		}
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: "No.", Deliver: true})
		wantErr(t, "AnswerTicket with another text", err, store.ErrConflict)
		events, _ := st.TicketEvents(ctx, 0, 100)
		if got := eventTypes(events); !equalStrings(got, []string{"created", "answered"}) {
			t.Errorf("events = %q", got)
		}
	}},
	{"an answer given on the channel is not delivered again but may be learned", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		tk := openTicket(t, st, "1", "q")
		got, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: "a", Deliver: false, Learn: &store.Entry{}})
		noErr(t, "AnswerTicket", err)
		if out, _ := st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute); len(out) != 0 {
			t.Errorf("queued %q", texts(out))
		}
		e, err := st.GetEntry(ctx, got.LearnedEntryID)
		noErr(t, "GetEntry", err)
		if e.Question != "q" || e.Answer != "a" {
			t.Errorf("an entry without wording learned %q / %q, want the ticket's question and answer", e.Question, e.Answer)
		}
		other := openTicket(t, st, "2", "q2")
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: other.ID, Answer: "a2"})
		noErr(t, "AnswerTicket", err)
		if entries, _, _ := st.ListEntries(ctx, store.EntryFilter{Limit: 10}); len(entries) != 1 {
			t.Errorf("%d entries, want only the one asked for", len(entries))
		}
	}},
	{"unknown tickets are not found", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		_, err := st.GetTicket(ctx, "T-NOPE00")
		wantErr(t, "GetTicket", err, store.ErrNotFound)
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: "T-NOPE00", Answer: "a"})
		wantErr(t, "AnswerTicket", err, store.ErrNotFound)
		_, err = st.CloseTicket(ctx, "T-NOPE00", "")
		wantErr(t, "CloseTicket", err, store.ErrNotFound)
		_, err = st.LinkTicket(ctx, "T-NOPE00", "ref", "")
		wantErr(t, "LinkTicket", err, store.ErrNotFound)
	}},
	{"closing a ticket gives the conversation back once", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		tk := openTicket(t, st, "1", "q")
		closed, err := st.CloseTicket(ctx, tk.ID, "spam")
		noErr(t, "CloseTicket", err)
		if closed.Status != store.TicketClosed || closed.CloseReason != "spam" || closed.ResolvedAt.IsZero() {
			t.Fatalf("closed = %+v", closed)
		}
		if conv, _ := st.GetConversation(ctx, tk.ConversationID); conv.State != store.StateBot || conv.OpenTicketID != "" {
			t.Errorf("conversation = %+v", conv)
		}
		again, err := st.CloseTicket(ctx, tk.ID, "other")
		noErr(t, "CloseTicket again", err)
		if again.CloseReason != "spam" {
			t.Errorf("closing again changed the reason to %q", again.CloseReason)
		}
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: "late"})
		wantErr(t, "AnswerTicket on a closed ticket", err, store.ErrConflict)
		answered := openTicket(t, st, "2", "q2")
		_, _, err = st.AnswerTicket(ctx, store.AnswerInput{TicketID: answered.ID, Answer: "a"})
		noErr(t, "AnswerTicket", err)
		_, err = st.CloseTicket(ctx, answered.ID, "")
		wantErr(t, "CloseTicket on an answered ticket", err, store.ErrConflict)
		events, _ := st.TicketEvents(ctx, 0, 100)
		if got := eventTypes(events); !equalStrings(got, []string{"created", "closed", "created", "answered"}) {
			t.Errorf("events = %q", got)
		}
	}},
	{"a ticket links to one external reference", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		tk := openTicket(t, st, "1", "q")
		failed, err := st.LinkTicket(ctx, tk.ID, "", "notion: 502")
		noErr(t, "LinkTicket(error only)", err)
		if failed.ExternalRef != "" || failed.LastError != "notion: 502" {
			t.Errorf("after failed sync = %+v", failed)
		}
		linked, err := st.LinkTicket(ctx, tk.ID, "page-1", "")
		noErr(t, "LinkTicket", err)
		if linked.ExternalRef != "page-1" || linked.LastError != "" {
			t.Errorf("linked = %+v", linked)
		}
		_, err = st.LinkTicket(ctx, tk.ID, "page-1", "")
		noErr(t, "LinkTicket(same)", err)
		_, err = st.LinkTicket(ctx, tk.ID, "page-2", "")
		wantErr(t, "LinkTicket(other)", err, store.ErrConflict)
		byRef, _, err := st.ListTickets(ctx, store.TicketFilter{ExternalRef: "page-1"})
		noErr(t, "ListTickets", err)
		if len(byRef) != 1 || byRef[0].ID != tk.ID {
			t.Errorf("by reference = %+v", byRef)
		}
		events, _ := st.TicketEvents(ctx, 0, 100)
		if got := eventTypes(events); !equalStrings(got, []string{"created", "linked"}) {
			t.Errorf("events = %q", got)
		}
	}},
	{"ticket events page in strictly increasing sequence", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		for i := range 4 {
			tk := openTicket(t, st, fmt.Sprint(i), "q")
			_, err := st.LinkTicket(ctx, tk.ID, "ref-"+tk.ID, "")
			noErr(t, "LinkTicket", err)
		}
		var all []store.TicketEvent
		after := int64(0)
		for {
			page, err := st.TicketEvents(ctx, after, 3)
			noErr(t, "TicketEvents", err)
			if len(page) == 0 {
				break
			}
			if len(page) > 3 {
				t.Fatalf("page of %d, limit 3", len(page))
			}
			all = append(all, page...)
			after = page[len(page)-1].Sequence
		}
		if len(all) != 8 {
			t.Fatalf("%d events, want 8", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].Sequence <= all[i-1].Sequence {
				t.Fatalf("sequence %d after %d", all[i].Sequence, all[i-1].Sequence)
			}
		}
		if all[0].CreatedAt.IsZero() {
			t.Error("event without time")
		}
	}},
	{"tickets list newest first with filters and paging", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		var ids []string
		for i := range 5 {
			ids = append(ids, openTicket(t, st, fmt.Sprint(i), fmt.Sprint("q", i)).ID)
		}
		_, err := st.CloseTicket(ctx, ids[1], "")
		noErr(t, "CloseTicket", err)
		var got []string
		cursor := ""
		for range 5 {
			page, next, err := st.ListTickets(ctx, store.TicketFilter{Status: store.TicketOpen, Limit: 2, Cursor: cursor})
			noErr(t, "ListTickets", err)
			for _, tk := range page {
				got = append(got, tk.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if want := []string{ids[4], ids[3], ids[2], ids[0]}; !equalStrings(got, want) {
			t.Errorf("open tickets %v, want %v", got, want)
		}
		closed, _, err := st.ListTickets(ctx, store.TicketFilter{Status: store.TicketClosed})
		noErr(t, "ListTickets(closed)", err)
		if len(closed) != 1 || closed[0].ID != ids[1] {
			t.Errorf("closed tickets = %+v", closed)
		}
	}},
}
