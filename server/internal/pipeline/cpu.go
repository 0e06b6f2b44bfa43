package pipeline

import (
	"context"
	"net/http"
	"sync"
)

// cpuSlots bounds how many runs compute at once. Accepting a message and
// delivering a reply are short and must not wait; answering can. With
// every core taken by runs (the rules agents, the knowledge search, the
// history read), accepts queued behind them for a CPU. A run holds a slot
// while it computes and gives it back while it waits for a model or a
// transcription (Yielding), so runs that mostly wait are not held back.
type cpuSlots struct{ ch chan struct{} }

func newCPUSlots(n int) *cpuSlots {
	if n <= 0 {
		return nil
	}
	return &cpuSlots{ch: make(chan struct{}, n)}
}

// slot is one run's hold on the CPU slots. A run's model calls are made
// one after another, but a slot is safe for concurrent waits all the same:
// it is given back while any wait is in progress, and taken again when the
// last one ends.
type slot struct {
	slots    *cpuSlots
	mu       sync.Mutex
	waiting  int
	released bool
}

// acquire takes a slot for a run; nil slots (no bound) never block.
func (s *cpuSlots) acquire(ctx context.Context) (*slot, error) {
	if s == nil {
		return nil, nil
	}
	select {
	case s.ch <- struct{}{}:
		return &slot{slots: s}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release gives the slot back for good, at the end of the run.
func (sl *slot) release() {
	if sl == nil {
		return
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if !sl.released && sl.waiting == 0 {
		<-sl.slots.ch
	}
	sl.released = true
}

// wait gives the slot back while the run waits, and returns the function
// that takes it again.
func (sl *slot) wait() (resume func()) {
	if sl == nil {
		return func() {}
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.released {
		return func() {}
	}
	sl.waiting++
	if sl.waiting == 1 {
		<-sl.slots.ch
	}
	return func() {
		sl.mu.Lock()
		defer sl.mu.Unlock()
		sl.waiting--
		if sl.waiting == 0 && !sl.released {
			sl.slots.ch <- struct{}{}
		}
	}
}

type slotKey struct{}

func withSlot(ctx context.Context, sl *slot) context.Context {
	if sl == nil {
		return ctx
	}
	return context.WithValue(ctx, slotKey{}, sl)
}

// Yielding wraps a transport so that a run's request gives the run's CPU
// slot back until the response headers arrive: a run waiting for a model
// holds no slot. Requests made outside a run pass through.
func Yielding(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return yielding{rt}
}

type yielding struct{ next http.RoundTripper }

// CloseIdleConnections passes http.Client.CloseIdleConnections on.
func (y yielding) CloseIdleConnections() {
	if c, ok := y.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (y yielding) RoundTrip(req *http.Request) (*http.Response, error) {
	sl, _ := req.Context().Value(slotKey{}).(*slot)
	resume := sl.wait()
	defer resume()
	return y.next.RoundTrip(req)
}
