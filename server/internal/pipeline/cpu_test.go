package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// busy reports whether every slot is taken: an acquire gives up at once.
func busy(t *testing.T, s *cpuSlots) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	sl, err := s.acquire(ctx)
	if err != nil {
		return true
	}
	sl.release()
	return false
}

func TestCPUSlotsBoundTheRunsComputing(t *testing.T) {
	t.Parallel()
	s := newCPUSlots(1)
	first, err := s.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !busy(t, s) {
		t.Fatal("a second run computed while the only slot was held")
	}
	first.release()
	first.release() // a second release gives back nothing more
	if busy(t, s) {
		t.Fatal("the slot was not given back at the end of the run")
	}
	if len(s.ch) != 0 {
		t.Fatalf("%d slots held after every run ended", len(s.ch))
	}
	if sl, err := newCPUSlots(0).acquire(context.Background()); err != nil || sl != nil {
		t.Fatalf("no bound: acquire = %v, %v; want nil, nil", sl, err)
	}
}

// A run waiting for the model holds no slot: another run computes
// meanwhile, and the first takes its slot again when the answer arrives.
func TestARunWaitingForTheModelHoldsNoSlot(t *testing.T) {
	t.Parallel()
	s := newCPUSlots(1)
	inFlight := make(chan struct{})
	answer := make(chan struct{})
	var once sync.Once
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(inFlight) })
		<-answer
	}))
	defer model.Close()
	client := &http.Client{Transport: Yielding(model.Client().Transport)}

	run, err := s.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(withSlot(context.Background(), run), http.MethodPost, model.URL, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-inFlight
	if busy(t, s) {
		t.Fatal("the slot stayed held while the run waited for the model")
	}
	close(answer)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !busy(t, s) {
		t.Fatal("the run did not take its slot again when the model answered")
	}
	run.release()
	if busy(t, s) {
		t.Fatal("the slot was not given back at the end of the run")
	}
	// A request made outside any run passes through.
	resp, err := client.Get(model.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if busy(t, s) {
		t.Fatal("a request outside a run took a slot")
	}
}
