package clock

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOffsetFileMovesTheClockForwardAndNeverBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offset")
	now := OffsetFile(path)
	if d := time.Until(now()); d > time.Second || d < -time.Second {
		t.Fatalf("without a file the clock is off by %v", d)
	}
	if err := os.WriteFile(path, []byte("25h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	await(t, "the clock 25h ahead", func() bool { return time.Until(now()) > 24*time.Hour })
	later := now()
	if err := os.WriteFile(path, []byte("0s"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * refresh) // the behaviour under test: the file is re-read only once refresh has passed in real time
	if got := now(); got.Before(later) {
		t.Fatalf("clock went back from %v to %v", later, got)
	}
}

// await polls cond until it holds and fails the test when it does not
// within 5 seconds.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-poll.C:
		}
	}
}
