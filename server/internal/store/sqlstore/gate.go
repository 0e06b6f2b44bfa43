package sqlstore

import (
	"context"
	"sync"
)

// lane is a write's priority at the single writer.
type lane int

const (
	// laneAccept is a webhook waiting to store a message: it should not
	// queue behind a wave of workers committing their runs.
	laneAccept lane = iota
	// laneDeliver is the outbox draining (claims and acks of outbound
	// messages): what the workers produced reaches the users before the
	// workers produce more, so a backlog of replies cannot grow without end.
	laneDeliver
	// laneWork is everything else: workers' claims and runs, admin writes.
	laneWork
	lanes
)

// regions name a lane's hold of the single writer in execution traces
// (runtime/trace): go tool trace then shows who held the writer, and for
// how long, while accepts waited for it.
var regions = [lanes]string{"writer: accept", "writer: deliver", "writer: work"}

// gate serialises write transactions in three lanes, where the engine has
// one writer (SQLite). Lanes are served in order, except that the accept
// lane never gets two turns in a row while another writer waits: under a
// stream of accepts it is never empty, and the writes that deliver replies
// starved. Accepts share transactions (see acceptGrouped), so alternating
// costs them at most one short write per batch. Within one lane, writers
// are served in arrival order.
type gate struct {
	mu         sync.Mutex
	held       bool
	lastAccept bool // the last grant went to the accept lane
	queues     [lanes][]chan struct{}
}

// acquire waits for the gate; it fails only when ctx ends first.
func (g *gate) acquire(ctx context.Context, l lane) error {
	ch := g.enter(l)
	if ch == nil {
		return nil
	}
	return g.await(ctx, ch)
}

// enter takes the gate when it is free (nil) or queues in lane l and
// returns the channel that closes when the gate is granted.
func (g *gate) enter(l lane) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.held {
		g.held = true
		g.lastAccept = l == laneAccept
		return nil
	}
	ch := make(chan struct{})
	g.queues[l] = append(g.queues[l], ch)
	return ch
}

// await waits until the queued ch is granted; it fails only when ctx ends
// first, leaving the queue.
func (g *gate) await(ctx context.Context, ch chan struct{}) error {
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
	for l := range g.queues {
		q := &g.queues[l]
		for i, c := range *q {
			if c == ch {
				*q = append((*q)[:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}

// release hands the gate to the next waiter.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	first := laneAccept
	if g.lastAccept && (len(g.queues[laneDeliver]) > 0 || len(g.queues[laneWork]) > 0) {
		first = laneDeliver
	}
	for l := first; l < lanes; l++ {
		if q := &g.queues[l]; len(*q) > 0 {
			next := (*q)[0]
			*q = (*q)[1:]
			g.lastAccept = l == laneAccept
			close(next)
			return
		}
	}
	g.held = false
}
