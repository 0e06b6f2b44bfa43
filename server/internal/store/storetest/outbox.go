package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// queue stores an inbound message in a new conversation of the contact and
// completes a run with the given replies; it returns the conversation id.
func queue(t *testing.T, st store.Store, c store.Contact, replies ...store.OutboundDraft) string {
	t.Helper()
	res := accept(t, st, inbound(c, "q"))
	cl := mustClaim(t, st, "w-"+c.Address)
	complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: replies})
	return res.ConversationID
}

func claimOut(t *testing.T, st store.Store, limit int, ack time.Duration) []store.Message {
	t.Helper()
	out, err := st.ClaimOutbound(testContext(t), "whatsapp", limit, ack)
	if err != nil {
		t.Fatalf("ClaimOutbound: %v", err)
	}
	return out
}

var outboxTests = []test{
	{"replies of a conversation go out one at a time in order", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		queue(t, st, contact("whatsapp", "1"), reply("r1"), reply("r2"), reply("r3"))
		var got []string
		for range 3 {
			out := claimOut(t, st, 10, time.Minute)
			if len(out) != 1 {
				t.Fatalf("claimed %q, want exactly the next reply", texts(out))
			}
			m := out[0]
			if m.Status != store.StatusInFlight || m.Attempts != 1 || !m.NextAttemptAt.After(time.Now()) {
				t.Errorf("claimed message = %+v", m)
			}
			if again := claimOut(t, st, 10, time.Minute); len(again) != 0 {
				t.Fatalf("claimed %q while %q is in flight", texts(again), m.Text)
			}
			got = append(got, m.Text)
			noErr(t, "AckOutbound", st.AckOutbound(ctx, m.ID, "wamid.out."+m.Text))
		}
		if !equalStrings(got, []string{"r1", "r2", "r3"}) {
			t.Errorf("delivery order %q", got)
		}
		if out := claimOut(t, st, 10, time.Minute); len(out) != 0 {
			t.Errorf("claimed %q after all were acked", texts(out))
		}
	}},
	{"conversations do not wait for each other", func(t *testing.T, st store.Store) {
		queue(t, st, contact("whatsapp", "1"), reply("a1"), reply("a2"))
		queue(t, st, contact("whatsapp", "2"), reply("b1"))
		queue(t, st, contact("telegram", "3"), reply("c1"))
		out := claimOut(t, st, 10, time.Minute)
		if got := texts(out); !equalStrings(got, []string{"a1", "b1"}) {
			t.Errorf("claimed %q, want the first reply of each whatsapp conversation", got)
		}
	}},
	{"the limit caps a claim", func(t *testing.T, st store.Store) {
		for i := range 3 {
			queue(t, st, contact("whatsapp", fmt.Sprint(i)), reply(fmt.Sprint(i)))
		}
		if out := claimOut(t, st, 2, time.Minute); len(out) != 2 {
			t.Errorf("claimed %d, want 2", len(out))
		}
		if out := claimOut(t, st, 2, time.Minute); len(out) != 1 {
			t.Errorf("claimed %d, want the 1 left", len(out))
		}
	}},
	{"read receipts neither wait nor block", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		conv := queue(t, st, contact("whatsapp", "1"), reply("r1"), reply("r2"))
		noErr(t, "EnqueueOutbound", st.EnqueueOutbound(ctx, conv, []store.OutboundDraft{{Kind: "mark_read", ReplyTo: "wamid.in", DedupeKey: "read:1"}}))
		out := claimOut(t, st, 10, time.Minute)
		if got := texts(out); len(out) != 2 || out[0].Text != "r1" || out[1].Kind != "mark_read" {
			t.Fatalf("claimed %q, want r1 and the read receipt", got)
		}
		if c, _ := st.GetConversation(ctx, conv); c.MessageCount != 3 {
			t.Errorf("MessageCount = %d, want 3 (receipts do not count)", c.MessageCount)
		}
		// A read receipt retrying does not hold replies back either.
		_, err := st.FailOutbound(ctx, out[1].ID, true, "x", "y", store.FailPolicy{MaxAttempts: 5, RetryAt: time.Now().Add(time.Hour)})
		noErr(t, "FailOutbound", err)
		noErr(t, "AckOutbound", st.AckOutbound(ctx, out[0].ID, "wamid.r1"))
		if out := claimOut(t, st, 10, time.Minute); !equalStrings(texts(out), []string{"r2"}) {
			t.Errorf("claimed %q, want r2", texts(out))
		}
	}},
	{"enqueueing into an unknown conversation is not found", func(t *testing.T, st store.Store) {
		err := st.EnqueueOutbound(testContext(t), "nope", []store.OutboundDraft{reply("x")})
		wantErr(t, "EnqueueOutbound", err, store.ErrNotFound)
	}},
	{"a retryable failure waits for its retry time and holds newer replies", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		queue(t, st, contact("whatsapp", "1"), reply("r1"), reply("r2"))
		out := claimOut(t, st, 10, time.Minute)
		policy := store.FailPolicy{MaxAttempts: 2, RetryAt: time.Now().Add(time.Hour)}
		m, err := st.FailOutbound(ctx, out[0].ID, true, "131000", "try later", policy)
		noErr(t, "FailOutbound", err)
		if m.Status != store.StatusRetrying || m.FailureCode != "131000" || m.FailureReason != "try later" || m.Attempts != 1 ||
			!m.NextAttemptAt.Equal(policy.RetryAt.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("after retryable failure = %+v", m)
		}
		if out := claimOut(t, st, 10, time.Minute); len(out) != 0 {
			t.Fatalf("claimed %q before the retry time", texts(out))
		}
		// Due now: the second attempt is the last one MaxAttempts allows.
		m, err = st.FailOutbound(ctx, out[0].ID, true, "131000", "try later", store.FailPolicy{MaxAttempts: 2, RetryAt: time.Now().Add(-time.Second)})
		noErr(t, "FailOutbound", err)
		if m.Status != store.StatusRetrying {
			t.Fatalf("status %s, want retrying", m.Status)
		}
		out = claimOut(t, st, 10, time.Minute)
		if len(out) != 1 || out[0].Text != "r1" || out[0].Attempts != 2 {
			t.Fatalf("retry claimed %+v, want r1 on attempt 2", out)
		}
		m, err = st.FailOutbound(ctx, out[0].ID, true, "131000", "still failing", policy)
		noErr(t, "FailOutbound", err)
		if m.Status != store.StatusFailed || m.FailureReason != "still failing" {
			t.Fatalf("after the last attempt = %+v, want failed", m)
		}
		out = claimOut(t, st, 10, time.Minute)
		if !equalStrings(texts(out), []string{"r2"}) {
			t.Fatalf("claimed %q, want r2 once r1 failed for good", texts(out))
		}
		// A late report on a message that failed for good changes nothing.
		late, err := st.FailOutbound(ctx, m.ID, true, "other", "late", policy)
		noErr(t, "late FailOutbound", err)
		if late.Status != store.StatusFailed || late.FailureReason != "still failing" {
			t.Errorf("late failure changed the message: %+v", late)
		}
	}},
	{"a permanent failure is failed at once", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		queue(t, st, contact("whatsapp", "1"), reply("r1"))
		out := claimOut(t, st, 10, time.Minute)
		m, err := st.FailOutbound(ctx, out[0].ID, false, "131026", "not on whatsapp", store.FailPolicy{MaxAttempts: 5, RetryAt: time.Now()})
		noErr(t, "FailOutbound", err)
		if m.Status != store.StatusFailed {
			t.Errorf("status %s, want failed", m.Status)
		}
		_, err = st.FailOutbound(ctx, "nope", false, "", "", store.FailPolicy{})
		wantErr(t, "FailOutbound(unknown)", err, store.ErrNotFound)
	}},
	{"an unacknowledged message is delivered again after the ack timeout", func(t *testing.T, st store.Store) {
		queue(t, st, contact("whatsapp", "1"), reply("r1"), reply("r2"))
		first := claimOut(t, st, 10, 50*time.Millisecond)
		if len(first) != 1 {
			t.Fatalf("claimed %d", len(first))
		}
		var again []store.Message
		eventually(t, "ack timeout", func() bool {
			again = claimOut(t, st, 10, time.Minute)
			return len(again) > 0
		})
		if len(again) != 1 || again[0].ID != first[0].ID || again[0].Attempts != 2 {
			t.Errorf("after timeout claimed %+v, want r1 on attempt 2", again)
		}
	}},
	{"requeued messages are deliverable at once without counting the attempt", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		queue(t, st, contact("whatsapp", "1"), reply("r1"))
		out := claimOut(t, st, 10, time.Hour)
		noErr(t, "RequeueOutbound", st.RequeueOutbound(ctx, messageIDs(out)))
		m, err := st.GetMessage(ctx, out[0].ID)
		noErr(t, "GetMessage", err)
		if m.Status != store.StatusPending || m.Attempts != 0 {
			t.Errorf("requeued = %+v", m)
		}
		again := claimOut(t, st, 10, time.Hour)
		if len(again) != 1 || again[0].ID != out[0].ID || again[0].Attempts != 1 {
			t.Errorf("claimed after requeue %+v", again)
		}
		// Requeueing an acked message leaves it alone.
		noErr(t, "AckOutbound", st.AckOutbound(ctx, out[0].ID, "wamid.1"))
		noErr(t, "RequeueOutbound", st.RequeueOutbound(ctx, messageIDs(out)))
		if m, _ := st.GetMessage(ctx, out[0].ID); m.Status != store.StatusSent {
			t.Errorf("requeue moved an acked message to %s", m.Status)
		}
	}},
	{"acks are idempotent and receipts only move forward", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		queue(t, st, contact("whatsapp", "1"), reply("r1"))
		out := claimOut(t, st, 10, time.Minute)
		id := out[0].ID
		noErr(t, "AckOutbound", st.AckOutbound(ctx, id, "wamid.A"))
		noErr(t, "AckOutbound again", st.AckOutbound(ctx, id, "wamid.A"))
		wantErr(t, "AckOutbound(unknown)", st.AckOutbound(ctx, "nope", "x"), store.ErrNotFound)
		m, _ := st.GetMessage(ctx, id)
		if m.Status != store.StatusSent || m.ChannelMessageID != "wamid.A" {
			t.Fatalf("acked = %+v", m)
		}
		steps := []struct {
			status store.DeliveryStatus
			want   store.DeliveryStatus
		}{
			{store.StatusDelivered, store.StatusDelivered},
			{store.StatusSent, store.StatusDelivered},
			{store.StatusRead, store.StatusRead},
			{store.StatusDelivered, store.StatusRead},
			{store.StatusFailed, store.StatusFailed},
			{store.StatusRead, store.StatusFailed},
		}
		for _, s := range steps {
			matched, err := st.RecordReceipt(ctx, "whatsapp", "wamid.A", s.status, "c", "r")
			noErr(t, "RecordReceipt", err)
			m, _ := st.GetMessage(ctx, id)
			if !matched || m.Status != s.want {
				t.Fatalf("receipt %s: matched %v, status %s, want %s", s.status, matched, m.Status, s.want)
			}
		}
		if m, _ := st.GetMessage(ctx, id); m.FailureCode != "c" || m.FailureReason != "r" {
			t.Errorf("failed receipt did not record its reason: %+v", m)
		}
		matched, err := st.RecordReceipt(ctx, "whatsapp", "wamid.unknown", store.StatusRead, "", "")
		noErr(t, "RecordReceipt(unknown)", err)
		if matched {
			t.Error("receipt for an unknown id matched")
		}
		if matched, _ := st.RecordReceipt(ctx, "telegram", "wamid.A", store.StatusRead, "", ""); matched {
			t.Error("receipt on another channel matched")
		}
	}},
	{"concurrent claimers never share a message", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const convs, claimers = 16, 4
		for i := range convs {
			queue(t, st, contact("whatsapp", fmt.Sprint(i)), reply(fmt.Sprint(i)))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, claimers)
		for range claimers {
			wg.Go(func() {
				for {
					out, err := st.ClaimOutbound(ctx, "whatsapp", 3, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if len(out) == 0 {
						return
					}
					mu.Lock()
					for _, m := range out {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != convs {
			t.Errorf("claimed %d distinct messages, want %d", len(seen), convs)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("message %s claimed %d times", id, n)
			}
		}
	}},
	{"a human's message on the channel pauses the bot once", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "hola"))
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		conv, dup, err := st.RecordHumanMessage(ctx, c, "wamid.human.1", "biz-1", "Te ayudo yo", "Ana", time.Now(), until)
		noErr(t, "RecordHumanMessage", err)
		if dup || !conv.PausedUntil.Equal(until) || !conv.Paused(time.Now()) || conv.MessageCount != 2 {
			t.Fatalf("conversation = %+v duplicate %v", conv, dup)
		}
		again, dup, err := st.RecordHumanMessage(ctx, c, "wamid.human.1", "biz-1", "Te ayudo yo", "Ana", time.Now(), until.Add(time.Hour))
		noErr(t, "RecordHumanMessage again", err)
		if !dup || again.ID != conv.ID || again.MessageCount != 2 || !again.PausedUntil.Equal(until) {
			t.Errorf("repeat = %+v duplicate %v", again, dup)
		}
		msgs, _ := st.ListMessages(ctx, conv.ID, 10)
		last := msgs[len(msgs)-1]
		if len(msgs) != 2 || last.Author != store.AuthorHuman || last.AuthorName != "Ana" || last.Direction != store.Outbound ||
			last.Status != store.StatusSent || last.ChannelMessageID != "wamid.human.1" {
			t.Errorf("messages = %+v", msgs)
		}
		if out := claimOut(t, st, 10, time.Minute); len(out) != 0 {
			t.Errorf("a human's message was queued for delivery: %q", texts(out))
		}
		// A new contact writing first from the business app gets a conversation.
		fresh, dup, err := st.RecordHumanMessage(ctx, contact("whatsapp", "2"), "wamid.human.2", "biz-1", "Hola", "Ana", time.Time{}, until)
		noErr(t, "RecordHumanMessage(new contact)", err)
		if dup || fresh.ID == "" || fresh.MessageCount != 1 {
			t.Errorf("new contact conversation = %+v", fresh)
		}
	}},
	{"the echo of the bot's own message is not a human's", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		queue(t, st, c, reply("r1"))
		out := claimOut(t, st, 10, time.Minute)
		noErr(t, "AckOutbound", st.AckOutbound(ctx, out[0].ID, "wamid.bot.1"))
		conv, dup, err := st.RecordHumanMessage(ctx, c, "wamid.bot.1", "biz-1", "r1", "", time.Now(), time.Now().Add(time.Hour))
		noErr(t, "RecordHumanMessage", err)
		if !dup || conv.Paused(time.Now()) {
			t.Errorf("echo: duplicate %v, conversation %+v", dup, conv)
		}
	}},
}
