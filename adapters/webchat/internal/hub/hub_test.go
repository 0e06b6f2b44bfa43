package hub

import "testing"

func TestPublishReachesOnlyTheVisitorsTabs(t *testing.T) {
	h := New()
	a1, a2, b := h.Subscribe("v_a"), h.Subscribe("v_a"), h.Subscribe("v_b")
	if n := h.Publish("v_a", Event{Type: "message", Data: []byte(`{}`)}); n != 2 {
		t.Fatalf("published to %d tabs, want 2", n)
	}
	for _, s := range []*Sub{a1, a2} {
		if e := <-s.C; e.Type != "message" {
			t.Fatalf("got %q", e.Type)
		}
	}
	select {
	case e := <-b.C:
		t.Fatalf("another visitor got %v", e)
	default:
	}
	h.Unsubscribe(a1)
	h.Unsubscribe(a1) // twice is harmless
	if h.Count("v_a") != 1 {
		t.Fatalf("count = %d", h.Count("v_a"))
	}
}

func TestSlowTabIsToldItLagged(t *testing.T) {
	h := New()
	s := h.Subscribe("v_a")
	for i := 0; i < cap(s.C)+1; i++ {
		h.Publish("v_a", Event{Type: "typing"})
	}
	select {
	case <-s.Lagged:
	default:
		t.Fatal("a full stream was not marked lagged")
	}
}
