// Package hub fans a visitor's events out to the browser tabs they have
// open on this adapter process. It holds connections, not messages: a tab
// that is closed or too slow loses nothing, because the widget reloads the
// conversation from the server whenever its event stream (re)connects.
package hub

import "sync"

// Event is one thing to show in a visitor's open tabs.
type Event struct {
	// Type is "message" or "typing".
	Type string
	// Data is the JSON payload.
	Data []byte
}

// Hub maps visitors to their open event streams.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[*Sub]struct{}
}

// Sub is one open event stream.
type Sub struct {
	// C receives the events; it is closed by Unsubscribe.
	C       chan Event
	subject string
	// Lagged is closed when an event was dropped because C was full: the
	// stream should end so that the widget reconnects and reloads.
	Lagged chan struct{}
	lagged bool
}

// New returns an empty hub.
func New() *Hub { return &Hub{subs: map[string]map[*Sub]struct{}{}} }

// Subscribe opens a stream for subject.
func (h *Hub) Subscribe(subject string) *Sub {
	s := &Sub{C: make(chan Event, 64), subject: subject, Lagged: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[subject] == nil {
		h.subs[subject] = map[*Sub]struct{}{}
	}
	h.subs[subject][s] = struct{}{}
	return s
}

// Unsubscribe closes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.subs[s.subject]; m != nil {
		if _, ok := m[s]; ok {
			delete(m, s)
			close(s.C)
		}
		if len(m) == 0 {
			delete(h.subs, s.subject)
		}
	}
}

// Publish sends e to every open stream of subject and returns how many
// received it. It never blocks.
func (h *Hub) Publish(subject string, e Event) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs[subject] {
		select {
		case s.C <- e:
			n++
		default:
			if !s.lagged {
				s.lagged = true
				close(s.Lagged)
			}
		}
	}
	return n
}

// Count returns the number of open streams of subject.
func (h *Hub) Count(subject string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[subject])
}
