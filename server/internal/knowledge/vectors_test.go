package knowledge

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
)

// exactNearest is the exhaustive search of the vectors as stored: the dot
// product of q with every slot's codes.
func exactNearest(v *vectors, q []float32, k int) []scored {
	var all []scored
	for s := range len(v.scales) {
		if v.has(int32(s)) {
			all = append(all, scored{int32(s), v.score(q, int32(s))})
		}
	}
	sortScored(all)
	return all[:min(k, len(all))]
}

func TestVectorRecall(t *testing.T) {
	// recall@5 against the exact float32 scan, averaged over the queries,
	// must be at least 0.99 on vectors without structure, on vectors
	// around topics, and on the local embedder's sparse vectors.
	an := analysis.New("es")
	h := embed.NewHash(an, embed.DefaultHashDims)
	// long: whole passages as queries, with most dimensions non-zero,
	// which take the sketch pass over the hashed vectors.
	hashed := func(n int, long bool) *denseSet {
		chunks, queries := synthCorpus(n)
		if long {
			queries = queries[:0]
			for i := 0; i < n; i += n / 50 {
				queries = append(queries, chunks[(i*7919)%n].Text+" "+chunks[i].Text)
			}
		}
		d := &denseSet{dims: h.Dimensions(), rows: make([]float32, 0, n*h.Dimensions())}
		for _, c := range chunks {
			d.rows = append(d.rows, h.Vector(c.Text)...)
		}
		for _, q := range queries {
			d.queries = append(d.queries, h.Vector(q))
		}
		return d
	}
	tests := []struct {
		name string
		set  func() *denseSet
	}{
		{"uniform 100k × 256", func() *denseSet { return uniformSet(11, 100_000, 256, 50) }},
		{"clustered 100k × 256", func() *denseSet { return clusteredSet(11, 100_000, 256, 50) }},
		{"uniform 30k × 1536", func() *denseSet { return uniformSet(12, 30_000, 1536, 50) }},
		{"clustered 30k × 1536", func() *denseSet { return clusteredSet(12, 30_000, 1536, 50) }},
		{"local embedder 10k", func() *denseSet { return hashed(10_000, false) }},
		{"local embedder 10k, long queries", func() *denseSet { return hashed(10_000, true) }},
		{"uniform 5k × 384", func() *denseSet { return uniformSet(13, 5_000, 384, 100) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("large vector sets")
			}
			set := tt.set()
			v := newVectors(set.dims)
			for i := range set.len() {
				v.set(int32(i), set.row(i))
			}
			s := &scratch{}
			var sum float64
			for _, q := range set.queries {
				sum += recall(v.nearest(q, 5, s), set.exactTop(q, 5, 1))
			}
			if r := sum / float64(len(set.queries)); r < 0.99 {
				t.Errorf("recall@5 = %.3f, want ≥ 0.99", r)
			} else {
				t.Logf("recall@5 = %.4f", r)
			}
		})
	}
}

func TestSmallIndexesAreSearchedExactly(t *testing.T) {
	// Up to exactBelow slots every vector is rescored: the result is the
	// exhaustive search of the codes, with free slots and slots without a
	// vector never returned.
	r := rand.New(rand.NewPCG(3, 4))
	v := newVectors(100)
	for i := range exactBelow {
		x := make([]float32, 100)
		gaussian(r, x, nil, 1)
		v.set(int32(i), x)
	}
	v.clear(7)
	v.set(8, nil)
	v.set(9, make([]float32, 100))
	s := &scratch{}
	for range 20 {
		q := make([]float32, 100)
		gaussian(r, q, nil, 1)
		for _, k := range []int{1, 5, 32} {
			got, want := v.nearest(q, k, s), exactNearest(v, q, k)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("k=%d: got %v\nwant %v", k, got, want)
			}
			for _, g := range got {
				if g.slot >= 7 && g.slot <= 9 {
					t.Fatalf("returned the empty slot %d", g.slot)
				}
			}
		}
	}
}

func TestStoredScoresAreCloseToTheExactDotProduct(t *testing.T) {
	// The int8 codes are the only copy of the vectors: the cosine the
	// index reports must stay within a fraction of a percent of the
	// float32 one.
	r := rand.New(rand.NewPCG(5, 6))
	for _, dims := range []int{16, 256, 1536} {
		v := newVectors(dims)
		x, q := make([]float32, dims), make([]float32, dims)
		for i := range 200 {
			gaussian(r, x, nil, 1)
			gaussian(r, q, x, 1) // a related query: a cosine of about 0.7
			v.set(int32(i), x)
			if got, want := v.score(q, int32(i)), dot(q, x); abs32(got-want) > 0.01 {
				t.Fatalf("%d dims: score %v, exact %v", dims, got, want)
			}
		}
	}
}

func TestVectorSearchSplitsLargeIndexesAcrossGoroutines(t *testing.T) {
	// Above scanParallelMin the search runs in parts; nearest vectors
	// crowded into one part must still all be found.
	set := clusteredSet(21, scanParallelMin*4+17, 64, 0)
	v := newVectors(64)
	for i := range set.len() {
		v.set(int32(i), set.row(i))
	}
	q := set.row(3)
	got, want := v.nearest(q, 10, &scratch{}), exactNearest(v, q, 10)
	if r := recall(got, want); r < 1 {
		t.Fatalf("recall %.2f\ngot %v\nwant %v", r, got, want)
	}
}

func TestTopBufKeepsTheBestWhateverTheOrder(t *testing.T) {
	// The passes' selection must keep exactly the c best (ties by slot),
	// however the offers were split between goroutines: that is what
	// makes a search's result independent of the scheduling.
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{10, 999, 5000} {
		all := make([]scored, n)
		for i := range all {
			all[i] = scored{int32(i), float32(r.IntN(50))} // many ties
		}
		const c = 100
		want := slices.Clone(all)
		sortScored(want)
		want = want[:min(c, n)]
		for parts := 1; parts <= 3; parts++ {
			bufs := make([]topBuf, parts)
			for p := range bufs {
				bufs[p].reset(c)
			}
			for _, i := range r.Perm(n) {
				bufs[i%parts].offer(all[i])
			}
			var got []scored
			for _, b := range bufs {
				got = append(got, b.items...)
			}
			if len(got) > c {
				selectTop(got, c)
				got = got[:c]
			}
			sortScored(got)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("n=%d parts=%d: got %v\nwant %v", n, parts, got, want)
			}
		}
	}
}

func TestBulkLoadSketchesOnceAtTheEnd(t *testing.T) {
	// While a bulk load defers the sketches, searches are exact; once it
	// ends, every vector is sketched around the mean of them all and the
	// search finds the nearest as an index built one vector at a time does.
	set := clusteredSet(31, scanParallelMin*2, 128, 20)
	v := newVectors(128)
	v.deferSketches()
	for i := range set.len() {
		v.set(int32(i), set.row(i))
	}
	s := &scratch{}
	q := set.queries[0]
	if got, want := v.nearest(q, 5, s), exactNearest(v, q, 5); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("during the load: got %v, want the exact %v", got, want)
	}
	v.endDeferred()
	if v.mean == nil || v.live != set.len() {
		t.Fatalf("not centred after the load: mean %v, live %d", v.mean != nil, v.live)
	}
	// The dimension-major copy, which sparse queries read, holds the
	// high bytes of every vector.
	for slot := range set.len() {
		hi, cols := v.hiCode(int32(slot)), v.cols[slot/blockSize]
		for d, h := range hi {
			if c := cols[d*blockSize+slot%blockSize]; int(c) != int(h)+codeBias {
				t.Fatalf("slot %d dimension %d: column byte %d, high byte %d", slot, d, c, h)
			}
		}
	}
	var sum float64
	for _, q := range set.queries {
		sum += recall(v.nearest(q, 5, s), exactNearest(v, q, 5))
	}
	if r := sum / float64(len(set.queries)); r < 0.99 {
		t.Fatalf("recall@5 after the load = %.3f", r)
	}
}
