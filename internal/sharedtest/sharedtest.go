// Package sharedtest locates the reference material that lives beside the
// repository in ../shared (real webhook payloads, provider API examples,
// evaluation sets), for the tests that read it. It is not part of the
// repository, so a clone without it skips those tests, saying why; under
// CI=true they fail instead, since a CI run must not pass by skipping.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared joined with parts, or skips the test when that path
// does not exist.
func Dir(t testing.TB, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			absent(t, "repository root (go.mod) not found; cannot locate the shared reference material")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		absent(t, "shared reference material "+p+" is absent")
	}
	return p
}

// absent skips the test, or fails it under CI=true.
func absent(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (CI=true: failing instead of skipping)")
	}
	t.Skip(why + "; skipping")
}
