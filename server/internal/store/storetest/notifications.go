package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// receive waits for the next notification.
func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case topic, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return topic
	case <-time.After(waitLimit):
		t.Fatal("no notification")
		return ""
	}
}

// receiveTopics waits until each topic arrived, in any order, skipping
// others (notifications may repeat, e.g. once in process and once from the
// database).
func receiveTopics(t *testing.T, ch <-chan string, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	for len(missing) > 0 {
		delete(missing, receive(t, ch))
	}
}

var notificationTests = []test{
	{"writes notify their topics", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		ch := st.Subscribe(ctx)
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "q"))
		receiveTopics(t, ch, store.TopicInbox)
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: "q"}, Replies: []store.OutboundDraft{reply("r")}})
		receiveTopics(t, ch, store.TopicOutbox, store.TopicTickets)
		_, err := st.CreateEntry(ctx, store.Entry{Question: "q", Answer: "a"})
		noErr(t, "CreateEntry", err)
		receiveTopics(t, ch, store.TopicKnowledge)
	}},
	{"a subscription receives only its topics", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		ch := st.Subscribe(ctx, store.TopicTickets)
		accept(t, st, inbound(contact("whatsapp", "1"), "q"))
		complete(t, st, mustClaim(t, st, "w1"), store.RunResult{OpenTicket: &store.TicketDraft{Question: "q"}, Replies: []store.OutboundDraft{reply("r")}})
		if topic := receive(t, ch); topic != store.TopicTickets {
			t.Errorf("received %q, want only %q", topic, store.TopicTickets)
		}
	}},
	{"a subscription closes when its context ends", func(t *testing.T, st store.Store) {
		ctx, cancel := context.WithCancel(testContext(t))
		ch := st.Subscribe(ctx, store.TopicInbox)
		cancel()
		select {
		case _, ok := <-ch:
			for ok {
				_, ok = <-ch
			}
		case <-time.After(waitLimit):
			t.Fatal("subscription still open")
		}
	}},
	{"ping answers", func(t *testing.T, st store.Store) {
		noErr(t, "Ping", st.Ping(testContext(t)))
	}},
}
