// Package clock holds the server's clock seam: the system clock, or for
// end-to-end tests a clock running ahead of it by an offset read from a
// file, so that a test can let a day pass without waiting for it.
package clock

import (
	"os"
	"strings"
	"sync"
	"time"
)

// Func returns the current time.
type Func func() time.Time

// System is the system clock.
func System() time.Time { return time.Now() }

// refresh bounds how stale the offset read from the file may be.
const refresh = 50 * time.Millisecond

// OffsetFile returns a clock ahead of the system clock by the duration
// written in the file at path (e.g. "25h"; a missing, empty or unreadable
// file means no offset). The file is re-read at most every 50ms. The clock
// never runs backwards, even when the offset shrinks.
func OffsetFile(path string) Func {
	var mu sync.Mutex
	var offset time.Duration
	var readAt, last time.Time
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if now.Sub(readAt) >= refresh {
			readAt = now
			offset = 0
			if b, err := os.ReadFile(path); err == nil {
				if d, err := time.ParseDuration(strings.TrimSpace(string(b))); err == nil {
					offset = d
				}
			}
		}
		t := now.Add(offset)
		if t.Before(last) {
			t = last
		}
		last = t
		return t
	}
}
