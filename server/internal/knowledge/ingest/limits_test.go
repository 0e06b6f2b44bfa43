package ingest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestQAListOverTheEntryLimitIsRefused(t *testing.T) {
	// 100,000 questions in under a megabyte: each would be embedded and
	// indexed.
	var b strings.Builder
	b.WriteString("question,answer\n")
	for i := range 100_000 {
		fmt.Fprintf(&b, "q%d,a\n", i)
	}
	_, err := Parse("faq.csv", "", []byte(b.String()))
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "holds 100000 questions, more than the 20000 allowed") {
		t.Fatalf("err = %v, want ErrUnreadable naming the entry limit", err)
	}
	if p, err := ParseLimited("faq.csv", "", []byte(b.String()), Limits{MaxEntries: 100_000}); err != nil || len(p.Entries) != 100_000 {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestDocumentOverTheBlockLimitIsRefused(t *testing.T) {
	// 150,000 one-letter sections in 1.2 MB: each heading starts a chunk
	// the server embeds, indexes and stores, far more than the characters
	// say.
	src := []byte(strings.Repeat("# a\n\nb\n\n", 75_000))
	_, err := Parse("tiny.md", "", src)
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "holds 150000 headings, paragraphs and list items, more than the 100000 allowed") {
		t.Fatalf("err = %v, want ErrUnreadable naming the block limit", err)
	}
	if p, err := ParseLimited("tiny.md", "", src, Limits{MaxBlocks: 150_000}); err != nil || len(p.Blocks) != 150_000 {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestQAEntryLongerThanAnEntryMayBeIsRefused(t *testing.T) {
	// An entry made through the API holds at most 32 KiB of question and of
	// answer; one from a file may not hold more.
	long := strings.Repeat("respuesta ", 4000)
	for _, tc := range []struct{ name, data, want string }{
		{"faq.csv", "question,answer\n¿Horario?,De 9 a 18.\n¿Largo?," + long + "\n", "entry 2: the answer is longer than 32 KiB"},
		{"faq.json", `[{"question":"` + long + `","answer":"a"}]`, "entry 1: the question is longer than 32 KiB"},
	} {
		_, err := Parse(tc.name, "", []byte(tc.data))
		if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrUnreadable containing %q", tc.name, err, tc.want)
		}
	}
}

// A page of many titles costs the reader in proportion to its size: the
// titles' text is joined once, not re-read with each title (which took
// seconds of CPU for a third of a megabyte).
func TestManyHTMLTitlesAreReadInLinearMemory(t *testing.T) {
	src := strings.Repeat("<title>ab</title>", 10_000) + "<p>texto</p>"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	blocks := ParseHTML(src)
	runtime.ReadMemStats(&after)
	if len(blocks) != 2 || blocks[0].Kind != Heading || len(blocks[0].Text) != len("ab ")*10_000-1 {
		t.Fatalf("blocks = %d, first %v of %d bytes", len(blocks), blocks[0].Kind, len(blocks[0].Text))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Fatalf("reading %d bytes allocated %d MiB", len(src), n>>20)
	}
}
