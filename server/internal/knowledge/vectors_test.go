package knowledge

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/relevo/relevo/server/internal/knowledge/analysis"
	"github.com/relevo/relevo/server/internal/knowledge/embed"
)

// exactNearest is the reference the quantised scan must agree with: the
// float32 dot product with every stored vector.
func exactNearest(v *vectors, q []float32, k int) []scored {
	var all []scored
	for s := range len(v.scales) {
		if v.scales[s] == 0 {
			continue
		}
		all = append(all, scored{int32(s), dot(q, v.row(int32(s)))})
	}
	sortScored(all)
	return all[:min(k, len(all))]
}

func TestQuantisedScanMatchesTheExactScan(t *testing.T) {
	an := analysis.New("es")
	h := embed.NewHash(an, embed.DefaultHashDims)
	chunks, queries := synthCorpus(6_000)
	r := rand.New(rand.NewPCG(3, 4))
	dense := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		embed.Normalize(v)
		return v
	}
	tests := []struct {
		name    string
		dims    int
		vector  func(i int) []float32
		queries [][]float32
	}{
		{"sparse hashed vectors of the local embedder", embed.DefaultHashDims,
			func(i int) []float32 { return h.Vector(chunks[i].Text) }, nil},
		{"dense vectors like a model's", 384,
			func(int) []float32 { return dense(384) }, nil},
	}
	for _, q := range queries[:30] {
		tests[0].queries = append(tests[0].queries, h.Vector(q))
	}
	for range 30 {
		tests[1].queries = append(tests[1].queries, dense(384))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVectors(tt.dims)
			for i := range chunks {
				v.set(int32(i), tt.vector(i))
			}
			// Free slots and slots without a vector are never returned.
			v.clear(7)
			v.set(8, nil)
			s := &scratch{}
			for qi, q := range tt.queries {
				for _, k := range []int{5, 32} {
					got, want := v.nearest(q, k, s), exactNearest(v, q, k)
					if len(got) != len(want) {
						t.Fatalf("query %d k=%d: %d results, want %d", qi, k, len(got), len(want))
					}
					for i := range want {
						// Equal scores may come in either order; the
						// scores must be the exact ones.
						if got[i].score != want[i].score {
							t.Fatalf("query %d k=%d rank %d: %v, want %v", qi, k, i, got, want)
						}
						if got[i].slot == 7 || got[i].slot == 8 {
							t.Fatalf("returned the cleared slot %d", got[i].slot)
						}
					}
				}
			}
		})
	}
}

func TestQuantisedScanSplitsLargeIndexesAcrossGoroutines(t *testing.T) {
	// Above scanParallelMin the scan runs in parts; the parts' results
	// must merge into the same answer as the exact scan.
	v := newVectors(16)
	r := rand.New(rand.NewPCG(5, 6))
	n := scanParallelMin*2 + 17
	for i := range n {
		x := make([]float32, 16)
		for d := range x {
			x[d] = float32(r.NormFloat64())
		}
		embed.Normalize(x)
		v.set(int32(i), x)
	}
	q := make([]float32, 16)
	q[3], q[9] = 0.6, -0.8
	got, want := v.nearest(q, 10, &scratch{}), exactNearest(v, q, 10)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}
