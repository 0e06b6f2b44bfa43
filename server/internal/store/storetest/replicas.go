package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/store"
)

// ReplicaOpener returns n stores on one new, empty database, as n server
// processes would open it; it registers closing them with t.Cleanup.
type ReplicaOpener func(t *testing.T, n int) []store.Store

// RunReplicas runs the tests of several stores sharing one database.
// sharedNotifications says whether a change made through one store
// notifies the subscribers of the others (PostgreSQL) or not (SQLite).
func RunReplicas(t *testing.T, open ReplicaOpener, sharedNotifications bool) {
	tests := []struct {
		name string
		run  func(t *testing.T, replicas []store.Store)
	}{
		{"a message sent to two replicas at once is stored once", replicaDuplicateInbound},
		{"replicas never process a message twice", replicaClaims},
		{"replicas never deliver an outbound message twice", replicaOutbound},
		{"a follower of the ticket events misses none written concurrently", replicaTicketEvents},
		{"an entry approved through one replica answers from the other's index", replicaApproval},
	}
	if sharedNotifications {
		tests = append(tests, struct {
			name string
			run  func(t *testing.T, replicas []store.Store)
		}{"a change through one replica notifies the others", replicaNotifications})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t, 2))
		})
	}
}

func replicaDuplicateInbound(t *testing.T, rs []store.Store) {
	ctx := testContext(t)
	in := inbound(contact("whatsapp", "1"), "hola")
	const n = 10
	results := make([]store.AcceptResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = rs[i%len(rs)].AcceptInbound(ctx, in) })
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		noErr(t, "AcceptInbound", errs[i])
		if !results[i].Duplicate {
			fresh++
		}
		if results[i].MessageID != results[0].MessageID {
			t.Errorf("replica call %d got message %s, call 0 %s", i, results[i].MessageID, results[0].MessageID)
		}
	}
	if fresh != 1 {
		t.Errorf("%d calls stored the message, want 1", fresh)
	}
}

func replicaClaims(t *testing.T, rs []store.Store) {
	ctx := testContext(t)
	const convs, perConv, workersPerReplica = 8, 6, 2
	var ids []string
	for i := range perConv {
		for c := range convs {
			ids = append(ids, accept(t, rs[c%len(rs)], inbound(contact("whatsapp", fmt.Sprint(c)), fmt.Sprint(i))).MessageID)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, len(rs)*workersPerReplica)
	for r, st := range rs {
		for w := range workersPerReplica {
			owner := fmt.Sprintf("r%d-w%d", r, w)
			wg.Go(func() {
				for {
					cl, err := st.ClaimConversation(ctx, owner, time.Minute)
					if err != nil || cl == nil {
						if err != nil {
							errs <- err
						}
						return
					}
					mu.Lock()
					for _, m := range cl.Messages {
						seen[m.ID]++
					}
					mu.Unlock()
					if err := st.CompleteRun(ctx, cl, store.RunResult{Replies: []store.OutboundDraft{reply("ok")}}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("message %s processed %d times", id, seen[id])
		}
		if _, processed, err := rs[0].RepliesTo(ctx, id); err != nil || !processed {
			t.Errorf("message %s: processed %v, %v", id, processed, err)
		}
	}
}

func replicaOutbound(t *testing.T, rs []store.Store) {
	ctx := testContext(t)
	const convs = 12
	for c := range convs {
		queue(t, rs[0], contact("whatsapp", fmt.Sprint(c)), reply(fmt.Sprint(c, "a")), reply(fmt.Sprint(c, "b")))
	}
	var mu sync.Mutex
	sent := map[string][]string{} // conversation -> texts in delivery order
	count := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(rs))
	for r, st := range rs {
		for range 2 {
			wg.Go(func() {
				idle := 0
				for idle < 20 {
					out, err := st.ClaimOutbound(ctx, "whatsapp", 4, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if len(out) == 0 {
						idle++
						time.Sleep(2 * time.Millisecond)
						continue
					}
					idle = 0
					for _, m := range out {
						mu.Lock()
						count[m.ID]++
						sent[m.ConversationID] = append(sent[m.ConversationID], m.Text)
						mu.Unlock()
						if err := st.AckOutbound(ctx, m.ID, fmt.Sprintf("wamid.%d.%s", r, m.ID)); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(count) != 2*convs {
		t.Errorf("delivered %d messages, want %d", len(count), 2*convs)
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	for conv, texts := range sent {
		if len(texts) != 2 || texts[0][len(texts[0])-1] != 'a' || texts[1][len(texts[1])-1] != 'b' {
			t.Errorf("conversation %s delivered %q, want a then b", conv, texts)
		}
	}
}

func replicaTicketEvents(t *testing.T, rs []store.Store) {
	ctx := testContext(t)
	const tickets = 16
	var ids []string
	for i := range tickets {
		ids = append(ids, openTicket(t, rs[0], fmt.Sprint(i), "q").ID)
	}
	start, err := rs[0].TicketEvents(ctx, 0, 1000)
	noErr(t, "TicketEvents", err)
	after := start[len(start)-1].Sequence

	done := make(chan struct{})
	var followed []int64
	var followErr error
	var fwg sync.WaitGroup
	fwg.Go(func() {
		last := after
		for {
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			page, err := rs[1].TicketEvents(ctx, last, 1000)
			if err != nil {
				followErr = err
				return
			}
			for _, e := range page {
				followed = append(followed, e.Sequence)
				last = e.Sequence
			}
			if len(page) == 0 {
				if finished {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, tickets)
	for i, id := range ids {
		st := rs[i%len(rs)]
		wg.Go(func() {
			if _, err := st.LinkTicket(ctx, id, "ref-"+id, ""); err != nil {
				errs <- err
				return
			}
			if _, err := st.CloseTicket(ctx, id, "done"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(done)
	fwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	noErr(t, "follow", followErr)
	all, err := rs[0].TicketEvents(ctx, after, 1000)
	noErr(t, "TicketEvents", err)
	if len(all) != 2*tickets {
		t.Fatalf("%d events, want %d", len(all), 2*tickets)
	}
	if len(followed) != len(all) {
		t.Fatalf("the follower saw %d of %d events: it skipped some", len(followed), len(all))
	}
	for i := range all {
		if followed[i] != all[i].Sequence {
			t.Fatalf("follower saw %v, log holds %v", followed, all)
		}
	}
}

func replicaNotifications(t *testing.T, rs []store.Store) {
	ctx := testContext(t)
	ch := rs[1].Subscribe(ctx, store.TopicInbox)
	ExpectNotifications(t, ch, 3, func(i int) {
		accept(t, rs[0], inbound(contact("whatsapp", fmt.Sprint(i)), "x"))
	})
}

// ExpectNotifications calls write until n notifications arrived on ch,
// waiting for each before writing again. A listener that (re)connects
// reports every topic once, so n > 1 proves that writes are notified.
func ExpectNotifications(t *testing.T, ch <-chan string, n int, write func(i int)) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	got := 0
	for i := 0; got < n; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d notifications", got, n)
		}
		write(i)
		select {
		case _, ok := <-ch:
			if !ok {
				t.Fatal("subscription closed")
			}
			got++
		case <-time.After(100 * time.Millisecond):
		}
	}
}
