package ingest

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
	"github.com/relevo/relevo/internal/pdftest"
)

func TestPDFPageTreeThatContainsItselfIsRefused(t *testing.T) {
	// Before the page walk was ours, this 244-byte file never finished.
	_, _, err := ParsePDF(pdftest.SelfReferencingTree())
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "contains itself") {
		t.Fatalf("err = %v, want ErrUnreadable naming the cycle", err)
	}
}

func TestPDFPageCountComesFromTheTreeNotTheClaim(t *testing.T) {
	blocks, pages, err := ParsePDF(pdftest.LyingPageCount(2_000_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if pages != 1 {
		t.Fatalf("pages = %d, want the 1 page the tree holds", pages)
	}
	if len(blocks) == 0 || blocks[0].Text != "Section 1" {
		t.Fatalf("blocks = %+v", blocks)
	}
}

func TestPDFInflatingContentIsRefusedAtTheCharacterLimit(t *testing.T) {
	// A few KB that draw 10 million glyphs: the reader kept every one and the
	// process died out of memory.
	data := pdftest.InflatingContent(10_000_000)
	if len(data) > 64<<10 {
		t.Fatalf("test file is %d bytes; it should be small", len(data))
	}
	_, _, err := ParsePDF(data)
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "more than 100000 characters") {
		t.Fatalf("err = %v, want ErrUnreadable naming the per-page character limit", err)
	}
}

func TestPDFLimitsAreEnforced(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"pages", pdftest.Honest(30), Limits{MaxPages: 20}, "more than 20 pages"},
		{"document text", pdftest.Honest(30), Limits{MaxChars: 5000}, "more than 5000 characters of text"},
		{"inflated content", pdftest.InflatingContent(200_000), Limits{MaxStreamBytes: 64 << 10}, "inflates to more than 65536 bytes"},
		{"inflated document", pdftest.Honest(30), Limits{MaxTotalStreamBytes: 20 << 10}, "the document's streams inflate to more than 20480 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParsePDFLimited(tt.data, tt.lim)
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrUnreadable containing %q", err, tt.want)
			}
		})
	}
	if _, pages, err := ParsePDFLimited(pdftest.Honest(20), Limits{MaxPages: 20}); err != nil || pages != 20 {
		t.Fatalf("a document at the page limit: pages = %d, err = %v", pages, err)
	}
}

func TestPDFPagesInDocumentOrderWhateverTheTreeShape(t *testing.T) {
	for _, fanout := range []int{2, 5, 1000} {
		t.Run(fmt.Sprint(fanout), func(t *testing.T) {
			blocks, pages, err := ParsePDF(pdftest.HonestTree(37, fanout))
			if err != nil {
				t.Fatal(err)
			}
			if pages != 37 {
				t.Fatalf("pages = %d, want 37", pages)
			}
			next := 1
			for _, b := range blocks {
				if b.Kind != Heading {
					continue
				}
				if want := fmt.Sprintf("Section %d", next); b.Text != want || b.Page != next {
					t.Fatalf("heading %q on page %d, want %q on page %d", b.Text, b.Page, want, next)
				}
				next++
			}
			if next != 38 {
				t.Fatalf("found %d section headings, want 37", next-1)
			}
		})
	}
}

func TestObjectIdentityIsReadable(t *testing.T) {
	// The cycle check relies on reading the reader's object numbers.
	data := pdftest.Honest(2)
	r, err := pdf.NewReader(strings.NewReader(string(data)), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	root := r.Trailer().Key("Root").Key("Pages")
	a, ok1 := identify(root.Key("Kids").Index(0))
	b, ok2 := identify(root.Key("Kids").Index(1))
	if !ok1 || !ok2 || a == b || a.id == 0 {
		t.Fatalf("identify = %v %v, %v %v; want two distinct object numbers", a, ok1, b, ok2)
	}
}

// BenchmarkPDFIngest reads honest PDFs of 100, 1,000 and 5,000 pages; the
// cost per page should not grow with the document. Besides pages per
// second of wall time it reports pages per second of the process's CPU
// time, steadier on a shared host.
func BenchmarkPDFIngest(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		data := pdftest.Honest(n)
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			cpu0 := cpuTime()
			for b.Loop() {
				if _, pages, err := ParsePDF(data); err != nil || pages != n {
					b.Fatalf("pages = %d, err = %v", pages, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(n*b.N)/(cpuTime()-cpu0).Seconds(), "pages/cpu-s")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestPDFCrossReferenceLoopIsRefused(t *testing.T) {
	// The reader follows /Prev without end; the file is refused first.
	_, _, err := ParsePDF(pdftest.CyclicXref())
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "in a loop") {
		t.Fatalf("err = %v, want ErrUnreadable naming the loop", err)
	}
	if xrefLoops(pdftest.Honest(3)) || xrefLoops(pdftest.LyingPageCount(5)) {
		t.Fatal("a file without /Prev loop taken for one")
	}
}
