//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/internal/pdftest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// TestHostilePDFsCannotHurtTheServer uploads PDFs that used to hang the
// server (a page tree containing itself, a cross-reference table naming
// itself), kill it out of memory (a content stream inflating to millions
// of glyphs) or store a million pages (a page count that lies), one that
// costs the reader more CPU than the server allows (a character map it
// scans per glyph: only the child's limits stop it), and an honest 3,000-page manual. Each upload ends within 30 s, the server answers other calls
// meanwhile and stays alive, and its peak memory stays bounded: files are
// read in a child process with limits.
func TestHostilePDFsCannotHurtTheServer(t *testing.T) {
	// The slow file costs about 15 s of CPU, the default allowance: the
	// server here allows 4 s, so that only the limit can end its read.
	s := startServer(t, ServerConfig{Database: t.TempDir() + "/relevo.db", Flags: []string{"--sample-kb=false", "--extract-cpu=4s"}})
	c := s.Dial(t, "")
	tests := []struct {
		name  string
		data  []byte
		code  codes.Code
		say   string // in the error, or
		pages int32  // stored, when the upload succeeds
	}{
		{"page tree contains itself", pdftest.SelfReferencingTree(), codes.InvalidArgument, "contains itself", 0},
		{"inflating content stream", pdftest.InflatingContent(20_000_000), codes.InvalidArgument, "inflates to more than", 0},
		{"lying page count", pdftest.LyingPageCount(2_000_000_000), codes.OK, "", 1},
		{"cross-reference table naming itself", pdftest.CyclicXref(), codes.InvalidArgument, "in a loop", 0},
		{"character map scanned per glyph", pdftest.SlowCharacterMap(1, 60_000, 100_000), codes.InvalidArgument, "reading the file", 0},
		{"honest 3000 pages", pdftest.Honest(3000), codes.OK, "", 3000},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// Other calls are answered while the file is read.
			var answered, failed atomic.Int32
			stop := make(chan struct{})
			pinged := make(chan struct{})
			go func() {
				defer close(pinged)
				for {
					select {
					case <-stop:
						return
					default:
					}
					pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
					_, err := c.Knowledge.ListDocuments(pctx, &relevov1.ListDocumentsRequest{})
					pcancel()
					if err != nil {
						failed.Add(1)
					} else {
						answered.Add(1)
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			resp, err := c.Knowledge.UploadDocument(ctx, &relevov1.UploadDocumentRequest{
				Filename: fmt.Sprintf("file-%d.pdf", i), MediaType: "application/pdf", Content: tt.data})
			close(stop)
			<-pinged
			if got := status.Code(err); got != tt.code {
				t.Fatalf("upload: %v; want %s", err, tt.code)
			}
			if err != nil && !strings.Contains(status.Convert(err).Message(), tt.say) {
				t.Errorf("error %q does not say %q", status.Convert(err).Message(), tt.say)
			}
			if err == nil && resp.GetDocument().GetPages() != tt.pages {
				t.Errorf("stored %d pages, want %d", resp.GetDocument().GetPages(), tt.pages)
			}
			if failed.Load() > 0 {
				t.Errorf("%d calls failed while the file was read (%d answered)", failed.Load(), answered.Load())
			}
			if _, err := c.Knowledge.ListDocuments(context.Background(), &relevov1.ListDocumentsRequest{}); err != nil {
				t.Fatalf("server does not answer after the upload: %v", err)
			}
		})
	}
	select {
	case <-s.Exited():
		t.Fatal("the server exited")
	default:
	}
	// The server's own peak memory: the files were read elsewhere.
	peak := vmHWM(t, s.Pid())
	t.Logf("server peak RSS: %d MiB", peak>>20)
	if peak > 512<<20 {
		t.Errorf("server peak RSS %d MiB, want at most 512 MiB", peak>>20)
	}
	// The children's, as the server logged them (--extract-memory is 1 GiB).
	var childPeak, reads int64
	for _, line := range strings.Split(s.Logs(), "\n") {
		var l struct {
			Msg    string `json:"msg"`
			MaxRSS int64  `json:"max_rss_kib"`
		}
		if i := strings.Index(line, "{"); i >= 0 && json.Unmarshal([]byte(line[i:]), &l) == nil && l.Msg == "document read" {
			reads++
			childPeak = max(childPeak, l.MaxRSS<<10)
		}
	}
	t.Logf("%d files read by children, their peak RSS: %d MiB", reads, childPeak>>20)
	if reads < int64(len(tests)) {
		t.Errorf("%d files read by children, want %d", reads, len(tests))
	}
	if childPeak > 1<<30 {
		t.Errorf("a child's peak RSS %d MiB, over its 1 GiB limit", childPeak>>20)
	}
}

// vmHWM is a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
