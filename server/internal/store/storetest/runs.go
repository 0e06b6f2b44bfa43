package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

var runTests = []test{
	{"a completed run commits replies, run record and processed messages", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		a := accept(t, st, inbound(c, "hola"))
		b := accept(t, st, inbound(c, "¿horario?"))
		cl := mustClaim(t, st, "w1")
		started := time.Now().UTC().Add(-time.Second).Truncate(time.Microsecond)
		run := store.RunRecord{
			Outcome: "answer", Reason: "found", Agents: []string{"triage", "knowledge"},
			Trace: []byte(`[{"agent":"triage"}]`), PromptTokens: 10, CompletionTokens: 5,
			Reply: "De 9 a 18", StartedAt: started, Duration: 1500 * time.Millisecond,
		}
		complete(t, st, cl, store.RunResult{
			Run:        run,
			Replies:    []store.OutboundDraft{reply("¡Hola!"), {Kind: "text", Text: "De 9 a 18", Details: buttons, AuthorName: "Ana", ReplyTo: "wamid-x", DedupeKey: b.MessageID + ":1"}},
			NoticeSent: true,
		})
		for _, id := range []string{a.MessageID, b.MessageID} {
			replies, processed, err := st.RepliesTo(ctx, id)
			noErr(t, "RepliesTo", err)
			if !processed || !equalStrings(texts(replies), []string{"¡Hola!", "De 9 a 18"}) {
				t.Fatalf("RepliesTo(%s) = %q processed %v", id, texts(replies), processed)
			}
			r := replies[1]
			if r.Direction != store.Outbound || r.Author != store.AuthorBot || r.AuthorName != "Ana" || r.Status != store.StatusPending ||
				!reflect.DeepEqual(r.Details, buttons) || r.ReplyTo != "wamid-x" || r.DedupeKey != b.MessageID+":1" || r.ConversationID != a.ConversationID {
				t.Errorf("reply = %+v", r)
			}
		}
		m, err := st.GetMessage(ctx, a.MessageID)
		noErr(t, "GetMessage", err)
		if !m.Processed || m.RunID == "" {
			t.Fatalf("processed message = %+v", m)
		}
		got, err := st.GetRun(ctx, m.RunID)
		noErr(t, "GetRun", err)
		if got.ConversationID != a.ConversationID || got.Outcome != "answer" || got.Reason != "found" ||
			!equalStrings(got.Agents, run.Agents) || string(got.Trace) != string(run.Trace) || got.PromptTokens != 10 ||
			got.CompletionTokens != 5 || got.Reply != run.Reply || !got.StartedAt.Equal(started) || got.Duration != run.Duration ||
			!equalStrings(got.MessageIDs, []string{a.MessageID, b.MessageID}) {
			t.Errorf("run = %+v", got)
		}
		runs, err := st.ListRuns(ctx, a.ConversationID, 10)
		noErr(t, "ListRuns", err)
		if len(runs) != 1 || runs[0].ID != got.ID {
			t.Errorf("ListRuns = %+v", runs)
		}
		conv, err := st.GetConversation(ctx, a.ConversationID)
		noErr(t, "GetConversation", err)
		if conv.MessageCount != 4 || conv.LastNoticeAt.IsZero() {
			t.Errorf("conversation = %+v, want 4 messages and a notice time", conv)
		}
		_, err = st.GetRun(ctx, "nope")
		wantErr(t, "GetRun", err, store.ErrNotFound)
	}},
	{"runs list the most recent oldest first", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		var conv string
		for _, r := range []string{"r1", "r2", "r3"} {
			conv = accept(t, st, inbound(c, r)).ConversationID
			complete(t, st, mustClaim(t, st, "w1"), store.RunResult{Run: store.RunRecord{Outcome: "smalltalk", Reason: r}})
		}
		runs, err := st.ListRuns(ctx, conv, 2)
		noErr(t, "ListRuns", err)
		if len(runs) != 2 || runs[0].Reason != "r2" || runs[1].Reason != "r3" {
			t.Errorf("ListRuns(2) = %+v", runs)
		}
	}},
	{"a reply whose dedupe key exists is not queued twice", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "a"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{Replies: []store.OutboundDraft{{Text: "once", DedupeKey: "k1"}}})
		res := accept(t, st, inbound(c, "b"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{Replies: []store.OutboundDraft{{Text: "twice", DedupeKey: "k1"}, {Text: "other"}}})
		msgs, err := st.ListMessages(ctx, res.ConversationID, 100)
		noErr(t, "ListMessages", err)
		if got := texts(msgs); !equalStrings(got, []string{"a", "once", "b", "other"}) {
			t.Errorf("messages = %q", got)
		}
		noErr(t, "EnqueueOutbound", st.EnqueueOutbound(ctx, res.ConversationID, []store.OutboundDraft{{Text: "again", DedupeKey: "k1"}}))
		if msgs, _ := st.ListMessages(ctx, res.ConversationID, 100); len(msgs) != 4 {
			t.Errorf("EnqueueOutbound with a used key stored a message: %q", texts(msgs))
		}
	}},
	{"a run that opens a ticket hands the conversation to a human", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		q := accept(t, st, inbound(c, "¿Puedo pagar en cuotas?"))
		cl := mustClaim(t, st, "w1")
		contextMsgs := []store.Message{{ID: "earlier", Direction: store.Inbound, Author: store.AuthorUser, Text: "hola", SentAt: time.Now().UTC().Truncate(time.Microsecond)}}
		complete(t, st, cl, store.RunResult{
			Run:        store.RunRecord{Outcome: "escalate"},
			OpenTicket: &store.TicketDraft{Question: "¿Puedo pagar en cuotas?", HandoffReason: "no answer", Context: contextMsgs},
			Replies:    []store.OutboundDraft{reply("Un especialista te responderá")},
			NoticeSent: true,
		})
		conv, err := st.GetConversation(ctx, q.ConversationID)
		noErr(t, "GetConversation", err)
		if conv.State != store.StateTicketOpen || conv.OpenTicketID == "" {
			t.Fatalf("conversation = %+v, want ticket_open", conv)
		}
		tk, err := st.GetTicket(ctx, conv.OpenTicketID)
		noErr(t, "GetTicket", err)
		if tk.Status != store.TicketOpen || tk.Question != "¿Puedo pagar en cuotas?" || tk.HandoffReason != "no answer" ||
			tk.ConversationID != conv.ID || tk.Contact != c || len(tk.Context) != 1 || tk.Context[0].Text != "hola" ||
			!tk.Context[0].SentAt.Equal(contextMsgs[0].SentAt) || tk.CreatedAt.IsZero() || len(tk.FollowUps) != 0 {
			t.Errorf("ticket = %+v", tk)
		}
		if len(tk.ID) != 8 || tk.ID[:2] != "T-" {
			t.Errorf("ticket id %q, want T- and 6 characters", tk.ID)
		}
		m, _ := st.GetMessage(ctx, q.MessageID)
		run, err := st.GetRun(ctx, m.RunID)
		noErr(t, "GetRun", err)
		if run.TicketID != tk.ID || m.TicketID != tk.ID {
			t.Errorf("run ticket %q, message ticket %q, want %q", run.TicketID, m.TicketID, tk.ID)
		}
		replies, _, _ := st.RepliesTo(ctx, q.MessageID)
		if len(replies) != 1 || replies[0].TicketID != tk.ID {
			t.Errorf("notice = %+v, want it tied to the ticket", replies)
		}
		events, err := st.TicketEvents(ctx, 0, 10)
		noErr(t, "TicketEvents", err)
		if len(events) != 1 || events[0].Type != store.EventCreated || events[0].TicketID != tk.ID {
			t.Errorf("events = %+v", events)
		}
	}},
	{"a run may choose the id of the ticket it opens", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		accept(t, st, inbound(contact("whatsapp", "1"), "q1"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{
			Run: store.RunRecord{TicketID: "T-ABC123"}, OpenTicket: &store.TicketDraft{Question: "q1"},
		})
		if _, err := st.GetTicket(ctx, "T-ABC123"); err != nil {
			t.Fatalf("GetTicket(chosen id): %v", err)
		}
		accept(t, st, inbound(contact("whatsapp", "2"), "q2"))
		cl := mustClaim(t, st, "w1")
		err := st.CompleteRun(ctx, cl, store.RunResult{Run: store.RunRecord{TicketID: "T-ABC123"}, OpenTicket: &store.TicketDraft{Question: "q2"}})
		wantErr(t, "CompleteRun with a taken ticket id", err, store.ErrConflict)
	}},
	{"follow-up messages attach to the open ticket", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "question"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: "question"}})
		conv, _ := st.FindConversation(ctx, "whatsapp", "1")
		f1 := accept(t, st, inbound(c, "more detail"))
		f2 := accept(t, st, inbound(c, "and more"))
		cl := mustClaim(t, st, "w1")
		if cl.Conversation.OpenTicketID != conv.OpenTicketID || cl.Conversation.State != store.StateTicketOpen {
			t.Fatalf("claimed conversation = %+v", cl.Conversation)
		}
		complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "follow_up"}, FollowUpTicketID: conv.OpenTicketID})
		tk, err := st.GetTicket(ctx, conv.OpenTicketID)
		noErr(t, "GetTicket", err)
		if got := messageIDs(tk.FollowUps); !equalStrings(got, []string{f1.MessageID, f2.MessageID}) {
			t.Errorf("follow-ups = %v, want %v", got, []string{f1.MessageID, f2.MessageID})
		}
		for _, id := range []string{f1.MessageID, f2.MessageID} {
			if m, _ := st.GetMessage(ctx, id); m.TicketID != tk.ID || !m.Processed {
				t.Errorf("follow-up %s = %+v", id, m)
			}
		}
		events, _ := st.TicketEvents(ctx, 0, 10)
		var follow []string
		for _, e := range events {
			if e.Type == store.EventFollowUp {
				follow = append(follow, e.MessageID)
			}
		}
		if !equalStrings(follow, []string{f1.MessageID, f2.MessageID}) {
			t.Errorf("follow-up events for %v", follow)
		}
		list, _, err := st.ListTickets(ctx, store.TicketFilter{ConversationID: conv.ID})
		noErr(t, "ListTickets", err)
		if len(list) != 1 || len(list[0].FollowUps) != 2 {
			t.Errorf("ListTickets = %+v, want the ticket with its follow-ups", list)
		}
	}},
	{"a follow-up on a ticket answered meanwhile is a conflict and writes nothing", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "question"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: "question"}})
		conv, _ := st.FindConversation(ctx, "whatsapp", "1")
		f := accept(t, st, inbound(c, "hello?"))
		cl := mustClaim(t, st, "w1")
		_, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: conv.OpenTicketID, Answer: "yes", Deliver: true})
		noErr(t, "AnswerTicket", err)
		err = st.CompleteRun(ctx, cl, store.RunResult{FollowUpTicketID: conv.OpenTicketID})
		wantErr(t, "CompleteRun", err, store.ErrConflict)
		if m, _ := st.GetMessage(ctx, f.MessageID); m.Processed || m.TicketID != "" {
			t.Errorf("message after refused follow-up = %+v", m)
		}
		noErr(t, "ReleaseClaim", st.ReleaseClaim(ctx, cl, 0))
		again := mustClaim(t, st, "w2")
		if again.Conversation.State != store.StateResolved || !equalStrings(messageIDs(again.Messages), []string{f.MessageID}) {
			t.Errorf("re-claim = %+v %v", again.Conversation, messageIDs(again.Messages))
		}
	}},
	{"a claim cannot be completed twice", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		accept(t, st, inbound(contact("whatsapp", "1"), "a"))
		cl := mustClaim(t, st, "w1")
		complete(t, st, cl, store.RunResult{Replies: []store.OutboundDraft{reply("one")}})
		err := st.CompleteRun(ctx, cl, store.RunResult{Replies: []store.OutboundDraft{reply("two")}})
		wantErr(t, "second CompleteRun", err, store.ErrLeaseLost)
	}},
}
