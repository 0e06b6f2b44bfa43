package sqlstore

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

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

// notifier publishes topics to other processes after the commits that
// changed them, outside every write transaction. PostgreSQL serialises the
// commits of all transactions that NOTIFY on one database-wide lock; sent
// from inside each write they queued accepts behind one another. Topics
// that pile up while a notification is being sent go out together in the
// next one.
//
// A process that dies between a commit and its notification leaves the
// other replicas to find the change on their next poll: notifications only
// make work start sooner, they never carry it.
type notifier struct {
	send func(ctx context.Context, topics []string) error
	mu   sync.Mutex
	pend []string
	wake chan struct{}
}

func newNotifier(send func(ctx context.Context, topics []string) error) *notifier {
	return &notifier{send: send, wake: make(chan struct{}, 1)}
}

// add queues topics for the next notification; it never blocks.
func (n *notifier) add(topics []string) {
	if len(topics) == 0 {
		return
	}
	n.mu.Lock()
	for _, t := range topics {
		if !slices.Contains(n.pend, t) {
			n.pend = append(n.pend, t)
		}
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.pend
	n.pend = nil
	return p
}

// run sends notifications until ctx ends, then sends what is still
// pending, briefly.
func (n *notifier) run(ctx context.Context, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			if topics := n.take(); len(topics) > 0 {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				_ = n.send(fctx, topics)
				cancel()
			}
			return
		case <-n.wake:
		}
		if topics := n.take(); len(topics) > 0 {
			if err := n.send(ctx, topics); err != nil && ctx.Err() == nil {
				// The other replicas' polls find the change; say so once per failure.
				log.WarnContext(ctx, "notify other replicas", "topics", topics, "err", err)
			}
		}
	}
}
