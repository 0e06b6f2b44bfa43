package sqlstore

import (
	"context"
	"testing"
	"time"
)

func TestGateServesUrgentWritersFirstAndInOrder(t *testing.T) {
	var g gate
	ctx := context.Background()
	if err := g.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 4)
	queued := func(name string, urgent bool) {
		g.mu.Lock()
		before := len(g.urgent) + len(g.normal)
		g.mu.Unlock()
		go func() {
			if err := g.acquire(ctx, urgent); err != nil {
				t.Error(err)
				return
			}
			order <- name
			g.release()
		}()
		// Return once it is queued, so the arrival order is the call order.
		for {
			g.mu.Lock()
			n := len(g.urgent) + len(g.normal)
			g.mu.Unlock()
			if n > before {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	queued("worker-1", false)
	queued("webhook-1", true)
	queued("worker-2", false)
	queued("webhook-2", true)
	g.release()
	want := []string{"webhook-1", "webhook-2", "worker-1", "worker-2"}
	for i, w := range want {
		if got := <-order; got != w {
			t.Fatalf("grant %d went to %s, want %s", i, got, w)
		}
	}
}

func TestGateWaiterThatGivesUpLeavesTheQueue(t *testing.T) {
	var g gate
	if err := g.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.acquire(ctx, true); err == nil {
		t.Fatal("acquire succeeded while the gate was held")
	}
	g.release()
	if err := g.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.urgent)+len(g.normal) != 0 {
		t.Fatalf("a waiter that gave up is still queued")
	}
}
