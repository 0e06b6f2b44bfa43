package sqlstore

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"
)

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case topic, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return topic
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
		return ""
	}
}

func TestSubscriptionCoalescesUntilTaken(t *testing.T) {
	t.Parallel()
	sub := &subscription{topics: []string{"inbox", "outbox"}, wake: make(chan struct{}, 1)}
	for range 100 {
		sub.offer([]string{"inbox"})
		sub.offer([]string{"outbox", "tickets"})
	}
	if got := sub.take(); len(got) != 2 || got[0] != "inbox" || got[1] != "outbox" {
		t.Fatalf("pending %q, want inbox and outbox once", got)
	}
	if got := sub.take(); len(got) != 0 {
		t.Errorf("pending after take %q", got)
	}
	select {
	case <-sub.wake:
	default:
		t.Error("offers did not wake the subscription")
	}
}

func TestBrokerDeliversPublishedTopics(t *testing.T) {
	t.Parallel()
	b := newBroker()
	t.Cleanup(b.close)
	ch := b.subscribe(t.Context(), []string{"outbox"})
	b.publish("inbox")
	b.publish("outbox")
	if got := next(t, ch); got != "outbox" {
		t.Errorf("received %q, want outbox", got)
	}
}

func TestBrokerSubscriptionWithoutTopicsGetsAll(t *testing.T) {
	t.Parallel()
	b := newBroker()
	t.Cleanup(b.close)
	ch := b.subscribe(t.Context(), nil)
	for _, topic := range allTopics {
		b.publish(topic)
		if got := next(t, ch); got != topic {
			t.Errorf("received %q, want %q", got, topic)
		}
	}
}

func TestBrokerClosesSubscriptions(t *testing.T) {
	t.Parallel()
	b := newBroker()
	ctx, cancel := context.WithCancel(t.Context())
	byCtx := b.subscribe(ctx, nil)
	byClose := b.subscribe(t.Context(), nil)
	cancel()
	for range byCtx {
	}
	b.close()
	for range byClose {
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) != 0 {
		t.Errorf("%d subscriptions left registered", len(b.subs))
	}
}

func TestNotifierCoalescesTopicsOfManyCommits(t *testing.T) {
	t.Parallel()
	sent := make(chan []string, 10)
	sending := make(chan struct{}, 10)
	release := make(chan struct{})
	n := newNotifier(func(_ context.Context, topics []string) error {
		sending <- struct{}{}
		<-release
		sent <- topics
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.run(ctx, slog.New(slog.DiscardHandler)) }()

	n.add([]string{"inbox"})
	// Wait until the first send holds "inbox", then commit more meanwhile.
	<-sending
	for range 100 {
		n.add([]string{"outbox", "inbox"})
		n.add([]string{"tickets"})
	}
	close(release)
	if got := <-sent; !slices.Equal(got, []string{"inbox"}) {
		t.Fatalf("first notification %q, want inbox", got)
	}
	if got := <-sent; !slices.Equal(got, []string{"outbox", "inbox", "tickets"}) {
		t.Fatalf("second notification %q, want the 200 later commits' topics once each", got)
	}
	n.add([]string{"knowledge"})
	cancel()
	<-done
	// What was pending at the end went out before run returned, or in the loop.
	select {
	case got := <-sent:
		if !slices.Equal(got, []string{"knowledge"}) {
			t.Fatalf("last notification %q, want knowledge", got)
		}
	default:
		t.Fatal("the topics pending at close were not sent")
	}
}
