package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

var claimTests = []test{
	{"there is nothing to claim in an empty store", func(t *testing.T, st store.Store) {
		if c := claim(t, st, "w1", time.Minute); c != nil {
			t.Fatalf("claim = %+v, want nil", c)
		}
	}},
	{"a claim takes all pending messages in channel order", func(t *testing.T, st store.Store) {
		c := contact("whatsapp", "1")
		base := time.Now().Add(-time.Hour).UTC()
		var want []string
		for i, offset := range []int{2, 0, 1, 1} {
			in := inbound(c, fmt.Sprintf("m%d", i))
			in.SentAt = base.Add(time.Duration(offset) * time.Second)
			accept(t, st, in)
		}
		want = []string{"m1", "m2", "m3", "m0"} // by sent time, then arrival
		cl := mustClaim(t, st, "w1")
		if got := texts(cl.Messages); !equalStrings(got, want) {
			t.Errorf("claimed %q, want %q", got, want)
		}
		if cl.Owner != "w1" || !cl.LeaseUntil.After(time.Now()) || cl.Conversation.Contact != c {
			t.Errorf("claim = owner %q until %v conversation %+v", cl.Owner, cl.LeaseUntil, cl.Conversation)
		}
	}},
	{"conversations are offered oldest pending message first", func(t *testing.T, st store.Store) {
		var order []string
		for _, addr := range []string{"3", "1", "2"} {
			res := accept(t, st, inbound(contact("whatsapp", addr), "x"))
			order = append(order, res.ConversationID)
		}
		for i, want := range order {
			cl := mustClaim(t, st, fmt.Sprintf("w%d", i))
			if cl.Conversation.ID != want {
				t.Fatalf("claim %d got conversation %s, want %s", i, cl.Conversation.ID, want)
			}
		}
		if cl := claim(t, st, "w9", time.Minute); cl != nil {
			t.Fatalf("claimed %s while all conversations are leased", cl.Conversation.ID)
		}
	}},
	{"a leased conversation is not offered to another owner", func(t *testing.T, st store.Store) {
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "a"))
		mustClaim(t, st, "w1")
		accept(t, st, inbound(c, "b"))
		if cl := claim(t, st, "w2", time.Minute); cl != nil {
			t.Fatalf("w2 claimed %+v while w1 holds the lease", cl.Messages)
		}
	}},
	{"an expired lease is taken over and the old owner's result refused", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		res := accept(t, st, inbound(contact("whatsapp", "1"), "a"))
		old := claim(t, st, "w1", 50*time.Millisecond)
		if old == nil {
			t.Fatal("no claim")
		}
		var taken *store.Claim
		eventually(t, "lease expiry", func() bool {
			taken = claim(t, st, "w2", time.Minute)
			return taken != nil
		})
		if taken.Conversation.ID != old.Conversation.ID || !equalStrings(messageIDs(taken.Messages), messageIDs(old.Messages)) {
			t.Fatalf("takeover claimed %v, want %v", messageIDs(taken.Messages), messageIDs(old.Messages))
		}
		err := st.CompleteRun(ctx, old, store.RunResult{
			Run: store.RunRecord{Outcome: "answer"}, Replies: []store.OutboundDraft{reply("stale")},
		})
		wantErr(t, "old owner's CompleteRun", err, store.ErrLeaseLost)
		if _, processed, err := st.RepliesTo(ctx, res.MessageID); err != nil || processed {
			t.Fatalf("after refused run: processed %v, err %v", processed, err)
		}
		if runs, _ := st.ListRuns(ctx, res.ConversationID, 10); len(runs) != 0 {
			t.Fatalf("refused run was recorded: %+v", runs)
		}
		if out, _ := st.ClaimOutbound(ctx, "whatsapp", 10, time.Minute); len(out) != 0 {
			t.Fatalf("refused run queued %q", texts(out))
		}
		wantErr(t, "old owner's ReleaseClaim", st.ReleaseClaim(ctx, old, 0), store.ErrLeaseLost)
		complete(t, st, taken, store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: []store.OutboundDraft{reply("fresh")}})
		replies, processed, err := st.RepliesTo(ctx, res.MessageID)
		noErr(t, "RepliesTo", err)
		if !processed || !equalStrings(texts(replies), []string{"fresh"}) {
			t.Errorf("RepliesTo = %q processed %v", texts(replies), processed)
		}
	}},
	{"messages arriving during a run wait for the next claim", func(t *testing.T, st store.Store) {
		c := contact("whatsapp", "1")
		accept(t, st, inbound(c, "first"))
		cl := mustClaim(t, st, "w1")
		accept(t, st, inbound(c, "second"))
		complete(t, st, cl, store.RunResult{Run: store.RunRecord{Outcome: "smalltalk"}})
		next := mustClaim(t, st, "w2")
		if got := texts(next.Messages); !equalStrings(got, []string{"second"}) {
			t.Fatalf("next claim = %q, want [second]", got)
		}
		complete(t, st, next, store.RunResult{Run: store.RunRecord{Outcome: "smalltalk"}})
		if cl := claim(t, st, "w3", time.Minute); cl != nil {
			t.Fatalf("work left after both runs: %q", texts(cl.Messages))
		}
	}},
	{"a released conversation is claimable again after the delay", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		accept(t, st, inbound(contact("whatsapp", "1"), "a"))
		cl := mustClaim(t, st, "w1")
		noErr(t, "ReleaseClaim", st.ReleaseClaim(ctx, cl, time.Hour))
		if again := claim(t, st, "w2", time.Minute); again != nil {
			t.Fatal("claimed before the retry delay")
		}
		accept(t, st, inbound(contact("whatsapp", "2"), "b"))
		other := mustClaim(t, st, "w2")
		noErr(t, "ReleaseClaim", st.ReleaseClaim(ctx, other, 0))
		again := mustClaim(t, st, "w3")
		if again.Conversation.ID != other.Conversation.ID || len(again.Messages) != 1 {
			t.Fatalf("after release without delay claimed %s %q", again.Conversation.ID, texts(again.Messages))
		}
	}},
	{"concurrent workers process every message exactly once", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		const convs, perConv, workers = 6, 8, 4
		want := map[string]bool{}
		for i := range perConv {
			for c := range convs {
				res := accept(t, st, inbound(contact("whatsapp", fmt.Sprint(c)), fmt.Sprint(i)))
				want[res.MessageID] = true
			}
		}
		var mu sync.Mutex
		processed := map[string]int{}
		held := map[string]string{}
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			owner := fmt.Sprintf("w%d", w)
			wg.Go(func() {
				for {
					cl, err := st.ClaimConversation(ctx, owner, time.Minute)
					if err != nil {
						errs <- err
						return
					}
					if cl == nil {
						return
					}
					mu.Lock()
					if other, ok := held[cl.Conversation.ID]; ok {
						mu.Unlock()
						errs <- fmt.Errorf("%s claimed %s held by %s", owner, cl.Conversation.ID, other)
						return
					}
					held[cl.Conversation.ID] = owner
					for _, m := range cl.Messages {
						processed[m.ID]++
					}
					mu.Unlock()
					var drafts []store.OutboundDraft
					for _, m := range cl.Messages {
						drafts = append(drafts, store.OutboundDraft{Text: "re " + m.Text, DedupeKey: m.ID + ":0"})
					}
					if err := st.CompleteRun(ctx, cl, store.RunResult{Run: store.RunRecord{Outcome: "answer"}, Replies: drafts}); err != nil {
						errs <- err
						return
					}
					// All messages were stored before the workers started, so
					// nobody may claim this conversation again, even now.
					mu.Lock()
					delete(held, cl.Conversation.ID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for id := range want {
			if processed[id] != 1 {
				t.Errorf("message %s processed %d times", id, processed[id])
			}
			replies, done, err := st.RepliesTo(ctx, id)
			noErr(t, "RepliesTo", err)
			own := 0
			for _, r := range replies {
				if r.DedupeKey == id+":0" {
					own++
				}
			}
			if !done || own != 1 {
				t.Errorf("message %s: processed %v, %d replies of its own", id, done, own)
			}
		}
	}},
	{"claims respect per-conversation order under concurrency", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		c := contact("whatsapp", "1")
		const n = 12
		var wg sync.WaitGroup
		var mu sync.Mutex
		var seen []string
		errs := make(chan error, 3)
		// Producers and workers race; each claim must hold only unseen
		// messages in order, and none may be held twice.
		wg.Go(func() {
			for i := range n {
				in := inbound(c, fmt.Sprintf("%02d", i))
				in.SentAt = time.Now().UTC().Add(time.Duration(i) * time.Millisecond)
				if _, err := st.AcceptInbound(ctx, in); err != nil {
					errs <- err
					return
				}
			}
		})
		for w := range 2 {
			wg.Go(func() {
				deadline := time.Now().Add(waitLimit)
				for time.Now().Before(deadline) {
					mu.Lock()
					done := len(seen) == n
					mu.Unlock()
					if done {
						return
					}
					cl, err := st.ClaimConversation(ctx, fmt.Sprintf("w%d", w), time.Minute)
					if err != nil {
						errs <- err
						return
					}
					if cl == nil {
						time.Sleep(time.Millisecond)
						continue
					}
					mu.Lock()
					seen = append(seen, texts(cl.Messages)...)
					mu.Unlock()
					if err := st.CompleteRun(ctx, cl, store.RunResult{Run: store.RunRecord{Outcome: "silent"}}); err != nil {
						errs <- err
						return
					}
				}
				errs <- errors.New("gave up waiting for all messages")
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i, s := range seen {
			if s != fmt.Sprintf("%02d", i) {
				t.Fatalf("processing order %q, want 00..%02d", seen, n-1)
			}
		}
	}},
	{"claiming needs an owner and a lease", func(t *testing.T, st store.Store) {
		if _, err := st.ClaimConversation(testContext(t), "", time.Minute); err == nil {
			t.Error("claim without owner succeeded")
		}
		if _, err := st.ClaimConversation(testContext(t), "w1", 0); err == nil {
			t.Error("claim without lease succeeded")
		}
	}},
}
