package knowledge

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
	"github.com/relevo/relevo/server/internal/store"
)

// synthCorpus makes n chunks of about 60 words drawn from a Zipf
// distribution over a vocabulary of pseudo-Spanish words, so posting lists
// have realistic skew.
func synthCorpus(n int) (chunks []store.Chunk, queries []string) {
	r := rand.New(rand.NewPCG(1, 2))
	syll := []string{"ca", "de", "pa", "go", "ri", "to", "men", "sa", "lu", "cion", "tra", "bi", "mo", "fe", "nu", "dar", "les", "qui", "vo", "ple"}
	vocab := make([]string, 20000)
	for i := range vocab {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		vocab[i] = b.String()
	}
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	for i := range n {
		words := make([]string, 60)
		for j := range words {
			words[j] = vocab[z.Uint64()]
		}
		chunks = append(chunks, store.Chunk{ID: fmt.Sprint("c", i), Ordinal: i, Text: strings.Join(words, " ")})
		if i%max(1, n/200) == 0 {
			q := []string{words[3], words[17], words[29], words[41], vocab[r.IntN(len(vocab))]}
			queries = append(queries, strings.Join(q, " "))
		}
	}
	return chunks, queries
}

func buildIndex(tb testing.TB, n int) (*Base, []string) {
	tb.Helper()
	chunks, queries := synthCorpus(n)
	b := New(Options{Language: "es"})
	ctx := context.Background()
	const per = 1000
	for i := 0; i < len(chunks); i += per {
		part := chunks[i:min(i+per, len(chunks))]
		if err := b.PutDocument(ctx, store.Document{ID: fmt.Sprint("d", i), Filename: fmt.Sprint("doc", i, ".md")}, part); err != nil {
			tb.Fatal(err)
		}
	}
	return b, queries
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprint(n/1000, "k"), func(b *testing.B) {
			base, queries := buildIndex(b, n)
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			// Measure searches, not the collection of what building the
			// index left behind.
			runtime.GC()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, err := base.Search(ctx, queries[i%len(queries)], 5); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(1), "max-ms")
		})
	}
}

// BenchmarkSearchWithTypo100k searches with a misspelt word in every
// query, which sends the lexical side to the vocabulary for words one edit
// away.
func BenchmarkSearchWithTypo100k(b *testing.B) {
	base, queries := buildIndex(b, 100_000)
	ctx := context.Background()
	for i, q := range queries {
		w := strings.Fields(q)
		// Swap two letters of the first word and double a letter of the
		// second: neither is in the vocabulary any more.
		r := []rune(w[0])
		if len(r) > 3 {
			r[1], r[2] = r[2], r[1]
		}
		w[0] = string(r) + "x"
		w[1] = w[1][:2] + "zz" + w[1][2:]
		queries[i] = strings.Join(w, " ")
	}
	runtime.GC()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := base.Search(ctx, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVectorScan100k(b *testing.B) {
	base, queries := buildIndex(b, 100_000)
	h := embed.NewHash(analysis.New("es"), embed.DefaultHashDims)
	q := h.Vector(queries[0])
	ix := base.Index()
	s := ix.getScratch()
	defer ix.putScratch(s)
	for b.Loop() {
		ix.mu.RLock()
		ix.vec.nearest(q, 32, s)
		ix.mu.RUnlock()
	}
}

// BenchmarkVectorScanExact100k is the float32 scan of every row that the
// quantised scan replaces, for comparison.
func BenchmarkVectorScanExact100k(b *testing.B) {
	base, queries := buildIndex(b, 100_000)
	h := embed.NewHash(analysis.New("es"), embed.DefaultHashDims)
	q := h.Vector(queries[0])
	ix := base.Index()
	for b.Loop() {
		ix.mu.RLock()
		exactNearest(ix.vec, q, 32)
		ix.mu.RUnlock()
	}
}

func BenchmarkIngestPDF(b *testing.B) {
	path := filepath.Join("..", "..", "sampledata", "kb", "13-guia-de-soporte.pdf")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	base := New(Options{})
	ctx := context.Background()
	pages := 0
	for b.Loop() {
		in, err := base.Ingest(ctx, "guia.pdf", "", data)
		if err != nil {
			b.Fatal(err)
		}
		pages += in.Document.Pages
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkIndexMemory10k(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		base, _ := buildIndex(b, 10_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/10k-chunks")
		runtime.KeepAlive(base)
	}
}
