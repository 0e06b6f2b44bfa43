package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

var conversationTests = []test{
	{"unknown conversations are not found", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		_, err := st.GetConversation(ctx, "nope")
		wantErr(t, "GetConversation", err, store.ErrNotFound)
		_, err = st.FindConversation(ctx, "whatsapp", "nobody")
		wantErr(t, "FindConversation", err, store.ErrNotFound)
		_, err = st.SetPausedUntil(ctx, "nope", time.Now())
		wantErr(t, "SetPausedUntil", err, store.ErrNotFound)
		_, err = st.ListMessages(ctx, "nope", 10)
		wantErr(t, "ListMessages", err, store.ErrNotFound)
	}},
	{"messages list the most recent oldest first", func(t *testing.T, st store.Store) {
		c := contact("whatsapp", "1")
		var conv string
		for i := range 5 {
			conv = accept(t, st, inbound(c, fmt.Sprint(i))).ConversationID
		}
		msgs, err := st.ListMessages(testContext(t), conv, 3)
		noErr(t, "ListMessages", err)
		if got := texts(msgs); !equalStrings(got, []string{"2", "3", "4"}) {
			t.Errorf("ListMessages(3) = %q", got)
		}
	}},
	{"pausing and resuming the bot", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		conv := accept(t, st, inbound(contact("whatsapp", "1"), "x")).ConversationID
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		c, err := st.SetPausedUntil(ctx, conv, until)
		noErr(t, "SetPausedUntil", err)
		if !c.PausedUntil.Equal(until) || !c.Paused(time.Now()) {
			t.Fatalf("paused conversation = %+v", c)
		}
		c, err = st.SetPausedUntil(ctx, conv, time.Time{})
		noErr(t, "SetPausedUntil(zero)", err)
		if !c.PausedUntil.IsZero() || c.Paused(time.Now()) {
			t.Fatalf("resumed conversation = %+v", c)
		}
	}},
	{"conversations page most recently active first with filters", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		var ids []string
		for i := range 7 {
			ids = append(ids, accept(t, st, inbound(contact("whatsapp", fmt.Sprint(i)), "x")).ConversationID)
		}
		other := accept(t, st, inbound(contact("telegram", "t"), "x")).ConversationID
		// Activity order: the last accepted is the most recent; touch ids[0].
		accept(t, st, inbound(contact("whatsapp", "0"), "again"))
		var got []string
		cursor := ""
		pages := 0
		for {
			list, next, err := st.ListConversations(ctx, store.ConversationFilter{Channel: "whatsapp", Limit: 3, Cursor: cursor})
			noErr(t, "ListConversations", err)
			pages++
			for _, c := range list {
				got = append(got, c.ID)
			}
			if next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			cursor = next
		}
		want := []string{ids[0], ids[6], ids[5], ids[4], ids[3], ids[2], ids[1]}
		if !equalStrings(got, want) || pages != 3 {
			t.Errorf("pages %d, order %v, want %v", pages, got, want)
		}
		all, _, err := st.ListConversations(ctx, store.ConversationFilter{})
		noErr(t, "ListConversations(all)", err)
		if len(all) != 8 || all[1].ID != other {
			t.Errorf("all conversations: %d, second %s, want 8 with %s second", len(all), all[1].ID, other)
		}
		_, _, err = st.ListConversations(ctx, store.ConversationFilter{Cursor: "not a cursor!"})
		if err == nil {
			t.Error("a malformed cursor was accepted")
		}
	}},
	{"conversations filter by state and pause", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		bot := accept(t, st, inbound(contact("whatsapp", "bot"), "x")).ConversationID
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{})
		paused := accept(t, st, inbound(contact("whatsapp", "paused"), "x")).ConversationID
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{})
		_, err := st.SetPausedUntil(ctx, paused, time.Now().Add(time.Hour))
		noErr(t, "SetPausedUntil", err)
		expired := accept(t, st, inbound(contact("whatsapp", "expired"), "x")).ConversationID
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{})
		_, err = st.SetPausedUntil(ctx, expired, time.Now().Add(-time.Hour))
		noErr(t, "SetPausedUntil", err)
		ticket := accept(t, st, inbound(contact("whatsapp", "ticket"), "x")).ConversationID
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: "x"}})
		cases := []struct {
			state string
			want  []string
		}{
			{"bot", []string{expired, bot}},
			{"paused", []string{paused}},
			{"ticket_open", []string{ticket}},
			{"", []string{ticket, expired, paused, bot}},
		}
		for _, tc := range cases {
			list, _, err := st.ListConversations(ctx, store.ConversationFilter{State: tc.state})
			noErr(t, "ListConversations", err)
			ids := make([]string, len(list))
			for i, c := range list {
				ids[i] = c.ID
			}
			if !equalStrings(ids, tc.want) {
				t.Errorf("state %q: %v, want %v", tc.state, ids, tc.want)
			}
		}
	}},
	{"conversations filter by owner, a run-out pause counting as the owner it gives back to", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		byState := map[store.ConversationState]string{}
		for _, s := range store.States {
			byState[s] = intoState(t, st, contact("whatsapp", string(s)), s).ID
		}
		// A person's pause that has run out: without a ticket the bot owns
		// the conversation again, with one the ticket's queue does.
		back := contact("whatsapp", "back-to-bot")
		backToBot := intoState(t, st, back, store.StateBot).ID
		_, _, err := st.RecordHumanMessage(ctx, back, uniq("wamid.echo"), "biz-1", "Listo.", "Ana", time.Now(), time.Now().Add(-time.Minute))
		noErr(t, "RecordHumanMessage", err)
		queue := contact("whatsapp", "back-to-queue")
		backToQueue := intoState(t, st, queue, store.StateWaitingForHuman).ID
		_, _, err = st.RecordHumanMessage(ctx, queue, uniq("wamid.echo"), "biz-1", "Ya vuelvo.", "Ana", time.Now(), time.Now().Add(-time.Minute))
		noErr(t, "RecordHumanMessage", err)
		want := map[store.ConversationState][]string{
			store.StateBot:             {byState[store.StateBot], backToBot},
			store.StateWaitingForHuman: {byState[store.StateWaitingForHuman], backToQueue},
			store.StateHuman:           {byState[store.StateHuman]},
			store.StateResolved:        {byState[store.StateResolved]},
		}
		for owner, ids := range want {
			list, _, err := st.ListConversations(ctx, store.ConversationFilter{Owner: owner})
			noErr(t, "ListConversations", err)
			got := make([]string, len(list))
			for i, c := range list {
				got[i] = c.ID
				if c.Owner(time.Now()) != owner {
					t.Errorf("owner %s: listed %s, whose owner is %s", owner, c.ID, c.Owner(time.Now()))
				}
			}
			slices.Sort(got)
			slices.Sort(ids)
			if !slices.Equal(got, ids) {
				t.Errorf("owner %s: %v, want %v", owner, got, ids)
			}
		}
		if _, _, err := st.ListConversations(ctx, store.ConversationFilter{Owner: "nobody"}); err == nil {
			t.Error("an unknown owner was accepted")
		}
	}},
	{"erasing a contact deletes its conversation, messages, runs and tickets", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		q := accept(t, st, inbound(c, "question"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{
			OpenTicket: &store.TicketDraft{Question: "question"}, Replies: []store.OutboundDraft{reply("notice")},
		})
		conv, _ := st.GetConversation(ctx, q.ConversationID)
		f := accept(t, st, inbound(c, "more"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{FollowUpTicketID: conv.OpenTicketID})
		_, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: conv.OpenTicketID, Answer: "yes", Deliver: true,
			Learn: &store.Entry{Question: "question", Answer: "yes"}})
		noErr(t, "AnswerTicket", err)
		keep := accept(t, st, inbound(contact("whatsapp", "2"), "other"))
		events, _ := st.TicketEvents(ctx, 0, 100)
		lastSeq := events[len(events)-1].Sequence

		e, err := st.EraseContact(ctx, "whatsapp", "1")
		noErr(t, "EraseContact", err)
		if want := (store.Erasure{Conversations: 1, Messages: 4, Runs: 2, Tickets: 1, Entries: 1}); e != want {
			t.Errorf("erased %+v, want %+v", e, want)
		}
		_, err = st.GetConversation(ctx, q.ConversationID)
		wantErr(t, "GetConversation", err, store.ErrNotFound)
		for _, id := range []string{q.MessageID, f.MessageID} {
			_, err = st.GetMessage(ctx, id)
			wantErr(t, "GetMessage", err, store.ErrNotFound)
		}
		_, err = st.GetTicket(ctx, conv.OpenTicketID)
		wantErr(t, "GetTicket", err, store.ErrNotFound)
		if runs, _ := st.ListRuns(ctx, q.ConversationID, 10); len(runs) != 0 {
			t.Errorf("runs left: %d", len(runs))
		}
		events, _ = st.TicketEvents(ctx, 0, 100)
		if len(events) != 1 || events[0].Type != store.EventErased || events[0].TicketID != conv.OpenTicketID {
			t.Errorf("ticket events left: %+v, want only the erased event", events)
		}
		if learned, _, _ := st.ListEntries(ctx, store.EntryFilter{LearnedOnly: true, Limit: 10}); len(learned) != 0 {
			t.Errorf("learned entries = %+v, want the entry learned from the ticket erased", learned)
		}
		if _, err := st.GetMessage(ctx, keep.MessageID); err != nil {
			t.Errorf("another contact's message was erased: %v", err)
		}
		// Sequences are never reused after an erasure.
		accept(t, st, inbound(contact("whatsapp", "3"), "q"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: "q"}})
		events, _ = st.TicketEvents(ctx, 0, 100)
		if last := events[len(events)-1]; last.Type != store.EventCreated || last.Sequence <= lastSeq+1 {
			t.Errorf("new event %+v, want after %d and the erased event", last, lastSeq)
		}
		e, err = st.EraseContact(ctx, "whatsapp", "nobody")
		if err != nil || e != (store.Erasure{}) {
			t.Errorf("erasing an unknown contact = %+v, %v", e, err)
		}
	}},
}
