package sqlstore

import (
	"context"
	"slices"
	"sync"

	"github.com/relevo/relevo/server/internal/store"
)

// allTopics is what a subscription without topics receives, and what a
// listener publishes after it reconnects (it may have missed changes).
var allTopics = []string{store.TopicInbox, store.TopicOutbox, store.TopicTickets, store.TopicKnowledge}

// AllTopics returns every notification topic.
func AllTopics() []string { return slices.Clone(allTopics) }

// broker fans notifications out to the subscriptions of this process.
type broker struct {
	mu     sync.Mutex
	subs   map[*subscription]struct{}
	closed chan struct{}
	once   sync.Once
}

// subscription coalesces: a topic is pending at most once until its reader
// takes it, so a slow reader never blocks writers nor loses a topic.
type subscription struct {
	topics  []string
	mu      sync.Mutex
	pending []string
	wake    chan struct{}
}

func newBroker() *broker {
	return &broker{subs: make(map[*subscription]struct{}), closed: make(chan struct{})}
}

func (b *broker) publish(topics ...string) {
	if len(topics) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs {
		sub.offer(topics)
	}
}

func (sub *subscription) offer(topics []string) {
	sub.mu.Lock()
	added := false
	for _, t := range topics {
		if slices.Contains(sub.topics, t) && !slices.Contains(sub.pending, t) {
			sub.pending = append(sub.pending, t)
			added = true
		}
	}
	sub.mu.Unlock()
	if added {
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
}

func (sub *subscription) take() []string {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	p := sub.pending
	sub.pending = nil
	return p
}

func (b *broker) subscribe(ctx context.Context, topics []string) <-chan string {
	if len(topics) == 0 {
		topics = allTopics
	}
	sub := &subscription{topics: slices.Clone(topics), wake: make(chan struct{}, 1)}
	out := make(chan string)
	b.mu.Lock()
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	go func() {
		defer func() {
			b.mu.Lock()
			delete(b.subs, sub)
			b.mu.Unlock()
			close(out)
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.closed:
				return
			case <-sub.wake:
			}
			for _, t := range sub.take() {
				select {
				case out <- t:
				case <-ctx.Done():
					return
				case <-b.closed:
					return
				}
			}
		}
	}()
	return out
}

func (b *broker) close() { b.once.Do(func() { close(b.closed) }) }
