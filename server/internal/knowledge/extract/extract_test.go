package extract

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/internal/pdftest"
	"github.com/relevo/relevo/server/internal/knowledge/ingest"
)

// The test binary is its own extraction child, as the server binary is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Subcommand {
		Main()
	}
	os.Exit(m.Run())
}

func newIsolated(t *testing.T, cfg Config) *Isolated {
	t.Helper()
	cfg.Command = []string{os.Args[0], Subcommand}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.CPU == 0 {
		cfg.CPU = 30 * time.Second
	}
	if cfg.Memory == 0 {
		cfg.Memory = 1 << 30
	}
	x, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestIsolatedReadsDocumentsAndQA(t *testing.T) {
	x := newIsolated(t, Config{})
	p, err := x.Parse(context.Background(), "manual.pdf", "application/pdf", pdftest.Honest(50))
	if err != nil {
		t.Fatal(err)
	}
	if p.Pages != 50 || p.Format != ingest.FormatPDF || len(p.Blocks) == 0 || p.Blocks[0].Text != "Section 1" {
		t.Fatalf("parsed = %d pages, format %s, first block %+v", p.Pages, p.Format, p.Blocks[:min(1, len(p.Blocks))])
	}
	q, err := x.Parse(context.Background(), "faq.csv", "", []byte("question,answer\n¿Horario?,De 9 a 18.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Entries) != 1 || q.Entries[0].Answer != "De 9 a 18." {
		t.Fatalf("entries = %+v", q.Entries)
	}
}

func TestIsolatedHostileFilesAreUnreadable(t *testing.T) {
	x := newIsolated(t, Config{Timeout: 10 * time.Second, CPU: 5 * time.Second})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"page tree contains itself", pdftest.SelfReferencingTree(), "contains itself"},
		{"inflating content", pdftest.InflatingContent(10_000_000), "more than 100000 characters"},
		{"cross-reference loop", pdftest.CyclicXref(), "in a loop"},
		{"not a pdf", []byte("%PDF-1.4\ngarbage"), "corrupt PDF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := x.Parse(context.Background(), "x.pdf", "application/pdf", tt.data)
			if !errors.Is(err, ingest.ErrUnreadable) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrUnreadable containing %q", err, tt.want)
			}
		})
	}
	if p, err := x.Parse(context.Background(), "x.pdf", "application/pdf", pdftest.LyingPageCount(2_000_000_000)); err != nil || p.Pages != 1 {
		t.Fatalf("lying page count: %v, %v; want the 1 real page", p, err)
	}
}

// slowFile costs the reader about 15 s of CPU: its font's character map is
// scanned whole for each of a page's 100,000 glyphs.
func slowFile() []byte { return pdftest.SlowCharacterMap(1, 60_000, 100_000) }

func TestIsolatedCPULimitEndsASlowRead(t *testing.T) {
	x := newIsolated(t, Config{CPU: time.Second, Timeout: time.Minute})
	_, err := x.Parse(context.Background(), "x.pdf", "application/pdf", slowFile())
	if !errors.Is(err, ingest.ErrUnreadable) || !strings.Contains(err.Error(), "CPU time") {
		t.Fatalf("err = %v, want ErrUnreadable naming the CPU time", err)
	}
}

func TestIsolatedTimeoutEndsASlowRead(t *testing.T) {
	x := newIsolated(t, Config{CPU: time.Minute, Timeout: time.Second})
	_, err := x.Parse(context.Background(), "x.pdf", "application/pdf", slowFile())
	if !errors.Is(err, ingest.ErrUnreadable) || !strings.Contains(err.Error(), "took longer than 1s") {
		t.Fatalf("err = %v, want ErrUnreadable naming the time limit", err)
	}
}

func TestIsolatedMemoryLimitIsAnUploadError(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory does not fit an address-space limit")
	}
	// With the text limits lifted, keeping 15 million glyphs needs more
	// than the child's address space.
	lifted := ingest.Limits{MaxPageChars: 1 << 30, MaxChars: 1 << 30, MaxStreamBytes: 1 << 30, MaxTotalStreamBytes: 1 << 30}
	x := newIsolated(t, Config{Memory: 768 << 20, Limits: lifted})
	_, err := x.Parse(context.Background(), "x.pdf", "application/pdf", pdftest.InflatingContent(15_000_000))
	if !errors.Is(err, ingest.ErrUnreadable) || !strings.Contains(err.Error(), "MiB of memory") {
		t.Fatalf("err = %v, want ErrUnreadable naming the memory limit", err)
	}
}

func TestIsolatedCancelledUploadStopsTheChild(t *testing.T) {
	x := newIsolated(t, Config{CPU: time.Minute, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := x.Parse(ctx, "x.pdf", "application/pdf", slowFile())
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
