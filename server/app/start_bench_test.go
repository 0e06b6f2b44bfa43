//go:build unix

package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
	"github.com/relevo/relevo/server/internal/store"
	"github.com/relevo/relevo/server/internal/store/sqlite"
)

// BenchmarkStart100k measures a restart: from New on a SQLite database
// holding 100,000 chunks (1,000 documents of 100 chunks of about 60 words,
// embedded by the local embedder) to the first 200 from /healthz. The
// first start, untimed, is the one after an upgrade (it may analyse and
// persist what later starts read).
//
//	go test ./server/app -run XXX -bench Start100k -benchtime 3x
func BenchmarkStart100k(b *testing.B) {
	const docs, perDoc = 1000, 100
	path := b.TempDir() + "/relevo.db"
	populate(b, path, docs, perDoc)
	var cpu []time.Duration
	start := func() time.Duration {
		begin, cpuBegin := time.Now(), cpuTime()
		cfg, err := ParseConfig([]string{"--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--database", path}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		awaitHealthy(b, "http://"+a.HTTPAddr()+"/healthz", done)
		took := time.Since(begin)
		cpu = append(cpu, cpuTime()-cpuBegin)
		if n := a.kb.base.Index().Len(); n != docs*perDoc {
			b.Fatalf("index holds %d items, want %d", n, docs*perDoc)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		return took
	}
	first := start()
	var took []time.Duration
	for b.Loop() {
		took = append(took, start())
	}
	slices.Sort(took)
	b.ReportMetric(first.Seconds(), "first-s")
	b.ReportMetric(took[0].Seconds(), "min-s")
	b.ReportMetric(took[len(took)/2].Seconds(), "median-s")
	b.ReportMetric(took[len(took)-1].Seconds(), "max-s")
	// CPU time (all goroutines) of the timed starts: on a shared machine
	// wall time says mostly how long the start waited for a core.
	cpu = cpu[1:]
	slices.Sort(cpu)
	b.ReportMetric(cpu[len(cpu)/2].Seconds(), "median-cpu-s")
}

// awaitHealthy polls url every millisecond (the resolution of the start
// time measured) until it answers 200. It fails the benchmark when the
// server stops first or is not healthy within a minute.
func awaitHealthy(b *testing.B, url string, done <-chan error) {
	b.Helper()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			b.Fatalf("the server stopped before it was healthy: %v", err)
		case <-deadline.C:
			b.Fatalf("%s not healthy within a minute: %v", url, err)
		case <-poll.C:
		}
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// populate stores docs documents of perDoc synthetic chunks each, embedded
// by the local embedder as an upload would be.
func populate(b *testing.B, path string, docs, perDoc int) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := embed.NewHash(analysis.New("es"), embed.DefaultHashDims)
	r := rand.New(rand.NewPCG(1, 2))
	syll := []string{"ca", "de", "pa", "go", "ri", "to", "men", "sa", "lu", "cion", "tra", "bi", "mo", "fe", "nu", "dar", "les", "qui", "vo", "ple"}
	vocab := make([]string, 20000)
	for i := range vocab {
		var w strings.Builder
		for range 2 + r.IntN(3) {
			w.WriteString(syll[r.IntN(len(syll))])
		}
		vocab[i] = w.String()
	}
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	for d := range docs {
		chunks := make([]store.Chunk, perDoc)
		for i := range chunks {
			words := make([]string, 60)
			for j := range words {
				words[j] = vocab[z.Uint64()]
			}
			chunks[i] = store.Chunk{Ordinal: i, Page: 1 + i/5, Heading: fmt.Sprint("Sección ", i/10+1), Text: strings.Join(words, " ")}
		}
		var wg sync.WaitGroup
		for p := range 2 {
			wg.Go(func() {
				for i := p; i < len(chunks); i += 2 {
					chunks[i].Embedding = h.Vector(chunks[i].Heading + "\n\n" + chunks[i].Text)
					chunks[i].EmbeddingModel = h.Model()
				}
			})
		}
		wg.Wait()
		doc := store.Document{Filename: fmt.Sprintf("manual-%04d.pdf", d), MediaType: "application/pdf", SHA256: fmt.Sprint(d), Pages: perDoc / 5}
		if _, err := st.PutDocument(ctx, doc, chunks, nil); err != nil {
			b.Fatal(err)
		}
	}
}
