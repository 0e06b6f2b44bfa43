package sqlstore

import (
	"context"
	"sync"
)

// gate serialises write transactions with two priorities. Where the engine
// has one writer (SQLite), a webhook waiting to store a message should not
// queue behind a wave of workers committing their runs: urgent writers go
// first, and a worker waits at most for the transaction in progress plus the
// urgent ones. Within one priority, writers are served in arrival order.
type gate struct {
	mu     sync.Mutex
	held   bool
	urgent []chan struct{}
	normal []chan struct{}
}

// acquire waits for the gate; it fails only when ctx ends first.
func (g *gate) acquire(ctx context.Context, urgent bool) error {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if urgent {
		g.urgent = append(g.urgent, ch)
	} else {
		g.normal = append(g.normal, ch)
	}
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		if g.remove(ch) {
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Unlock()
		// Granted while giving up: pass it on.
		g.release()
		return ctx.Err()
	}
}

// remove takes a waiter out of its queue; false when it was already granted.
func (g *gate) remove(ch chan struct{}) bool {
	for _, q := range []*[]chan struct{}{&g.urgent, &g.normal} {
		for i, c := range *q {
			if c == ch {
				*q = append((*q)[:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}

// release hands the gate to the next waiter, urgent ones first.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, q := range []*[]chan struct{}{&g.urgent, &g.normal} {
		if len(*q) > 0 {
			next := (*q)[0]
			*q = (*q)[1:]
			close(next)
			return
		}
	}
	g.held = false
}
