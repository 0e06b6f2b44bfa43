package sqlstore

import (
	"context"
	"runtime"
	"testing"
)

// TestGroupQueueLeaders checks that a queue lets as many batches lead at
// once as it allows, queues the next caller, and hands it the lead when a
// batch ends with nobody else waiting.
func TestGroupQueueLeaders(t *testing.T) {
	q := &groupQueue[*writeCall]{leaders: 2}
	call := func() *writeCall {
		return &writeCall{waiter: waiter{ctx: context.Background(), done: make(chan struct{})}}
	}
	for i := range 2 {
		if lead, err := q.join(call()); !lead || err != nil {
			t.Fatalf("caller %d: lead %v, err %v; want to lead at once", i, lead, err)
		}
	}
	third := call()
	led := make(chan bool, 1)
	go func() {
		lead, _ := q.join(third)
		led <- lead
	}()
	// The third caller queues: both leads are taken.
	for {
		q.mu.Lock()
		n := len(q.waiting)
		q.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	q.handOff()
	if !<-led {
		t.Fatal("third caller: answered without the lead; want the lead handed to it")
	}
	q.handOff()
	q.handOff()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy != 0 || len(q.waiting) != 0 {
		t.Fatalf("after every batch: busy %d, waiting %d; want 0, 0", q.busy, len(q.waiting))
	}
}
