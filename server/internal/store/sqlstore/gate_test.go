package sqlstore

import (
	"context"
	"testing"
)

func TestGateServesLanesInOrderButAcceptsNeverTwiceWhileOthersWait(t *testing.T) {
	t.Parallel()
	var g gate
	ctx := context.Background()
	if err := g.acquire(ctx, laneWork); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 7)
	// Each writer is queued before the next arrives, so the arrival order
	// is the call order; it then waits for its turn on a goroutine.
	queued := func(name string, l lane) {
		ch := g.enter(l)
		if ch == nil {
			t.Fatalf("%s took a gate that is held", name)
		}
		go func() {
			if err := g.await(ctx, ch); err != nil {
				t.Error(err)
				return
			}
			order <- name
			g.release()
		}()
	}
	queued("worker-1", laneWork)
	queued("webhook-1", laneAccept)
	queued("worker-2", laneWork)
	queued("ack-1", laneDeliver)
	queued("webhook-2", laneAccept)
	queued("ack-2", laneDeliver)
	queued("webhook-3", laneAccept)
	g.release()
	// The webhooks jump the queue, deliveries go before the workers, and
	// every other turn goes to a writer that is not a webhook.
	want := []string{"webhook-1", "ack-1", "webhook-2", "ack-2", "webhook-3", "worker-1", "worker-2"}
	for i, w := range want {
		if got := <-order; got != w {
			t.Fatalf("grant %d went to %s, want %s", i, got, w)
		}
	}
}

func TestGateWaiterThatGivesUpLeavesTheQueue(t *testing.T) {
	t.Parallel()
	var g gate
	if err := g.acquire(context.Background(), laneWork); err != nil {
		t.Fatal(err)
	}
	// A caller whose context ends while it waits: it queues, then leaves.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.acquire(ctx, laneAccept); err == nil {
		t.Fatal("acquire succeeded while the gate was held")
	}
	g.release()
	if err := g.acquire(context.Background(), laneWork); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queues[laneAccept])+len(g.queues[laneDeliver])+len(g.queues[laneWork]) != 0 {
		t.Fatalf("a waiter that gave up is still queued")
	}
}
