package knowledge

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkDenseSearch puts the index's vector search beside the plain
// float32 scan it replaces, on one and two goroutines, over the same 100k
// random unit vectors of 256 and 1,536 dimensions (uniform, and clustered
// around topics), top 5. Each reports latency percentiles and recall@5
// against the exact scan and the CPU time per search (all goroutines: on a
// shared machine wall time says mostly how long a search waited for a
// core); the index also its memory per vector.
//
//	go test ./server/internal/knowledge -run XXX -bench DenseSearch -benchtime 1000x
func BenchmarkDenseSearch(b *testing.B) {
	const n, k = 100_000, 5
	for _, dims := range []int{256, 1536} {
		for _, kind := range []string{"uniform", "clustered"} {
			b.Run(fmt.Sprintf("%d/%s", dims, kind), func(b *testing.B) { benchmarkDense(b, dims, kind, n, k) })
		}
	}
}

func benchmarkDense(b *testing.B, dims int, kind string, n, k int) {
	var set *denseSet
	if kind == "uniform" {
		set = uniformSet(7, n, dims, 200)
	} else {
		set = clusteredSet(7, n, dims, 200)
	}
	want := make([][]scored, len(set.queries))
	for i, q := range set.queries {
		want[i] = set.exactTop(q, k, 2)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := newVectors(dims)
	for i := range n {
		v.set(int32(i), set.row(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perVector := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	s := &scratch{}
	engines := []struct {
		name   string
		search func(q []float32) []scored
	}{
		{"float32-scan-1", func(q []float32) []scored { return set.exactTop(q, k, 1) }},
		{"float32-scan-2", func(q []float32) []scored { return set.exactTop(q, k, 2) }},
		{"index", func(q []float32) []scored { return v.nearest(q, k, s) }},
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			var found float64
			searches := 0
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				qi := i % len(set.queries)
				start := time.Now()
				got := e.search(set.queries[qi])
				lat = append(lat, time.Since(start))
				found += recall(got, want[qi])
				searches++
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu)/float64(searches)/1e6, "cpu-ms/op")
			reportLatency(b, lat)
			b.ReportMetric(found/float64(searches), "recall@5")
			if e.name == "index" {
				b.ReportMetric(perVector, "B/vector")
			}
		})
	}
	runtime.KeepAlive(v)
}

// reportLatency reports the p50, p99 and maximum of lat in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
