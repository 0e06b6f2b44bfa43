package knowledge

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/relevo/relevo/server/internal/knowledge/embed"
)

// denseSet is a reproducible set of unit vectors like a model's
// embeddings, with queries drawn the same way.
type denseSet struct {
	dims    int
	rows    []float32 // n × dims, row-major
	queries [][]float32
}

func (d *denseSet) len() int            { return len(d.rows) / d.dims }
func (d *denseSet) row(i int) []float32 { return d.rows[i*d.dims : (i+1)*d.dims : (i+1)*d.dims] }

// uniformSet draws every vector and query uniformly on the sphere: no
// structure at all, the hardest case for an approximate search.
func uniformSet(seed uint64, n, dims, queries int) *denseSet {
	r := rand.New(rand.NewPCG(seed, 1))
	d := &denseSet{dims: dims, rows: make([]float32, n*dims)}
	for i := range n {
		gaussian(r, d.row(i), nil, 1)
	}
	for range queries {
		q := make([]float32, dims)
		gaussian(r, q, nil, 1)
		d.queries = append(d.queries, q)
	}
	return d
}

// clusteredSet draws vectors around n/100 random topics, with a spread
// that leaves a topic's vectors at a cosine of about 0.5 from each other,
// and queries around the same topics: texts about one subject.
func clusteredSet(seed uint64, n, dims, queries int) *denseSet {
	r := rand.New(rand.NewPCG(seed, 2))
	topics := make([][]float32, max(1, n/100))
	for i := range topics {
		topics[i] = make([]float32, dims)
		gaussian(r, topics[i], nil, 1)
	}
	d := &denseSet{dims: dims, rows: make([]float32, n*dims)}
	for i := range n {
		gaussian(r, d.row(i), topics[r.IntN(len(topics))], 1)
	}
	for range queries {
		q := make([]float32, dims)
		gaussian(r, q, topics[r.IntN(len(topics))], 1.2)
		d.queries = append(d.queries, q)
	}
	return d
}

// gaussian fills v with centre plus isotropic noise whose norm is about
// spread, normalised.
func gaussian(r *rand.Rand, v, centre []float32, spread float64) {
	sd := spread / math.Sqrt(float64(len(v)))
	for i := range v {
		v[i] = float32(r.NormFloat64() * sd)
		if centre != nil {
			v[i] += centre[i]
		}
	}
	embed.Normalize(v)
}

// exactTop is the reference: the float32 dot product with every row, k
// best, split over parts goroutines.
func (d *denseSet) exactTop(q []float32, k, parts int) []scored {
	n := d.len()
	heaps := make([]minHeap, parts)
	step := (n + parts - 1) / parts
	scan := func(p int) {
		h := make(minHeap, 0, k)
		for i := p * step; i < min(n, (p+1)*step); i++ {
			h.offer(scored{int32(i), dot(q, d.row(i))}, k)
		}
		heaps[p] = h
	}
	if parts == 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { scan(p) })
		}
		wg.Wait()
	}
	var out minHeap
	for _, h := range heaps {
		for _, x := range h {
			out.offer(x, k)
		}
	}
	res := []scored(out)
	sortScored(res)
	return res
}

// recall is the share of want's slots found in got.
func recall(got, want []scored) float64 {
	if len(want) == 0 {
		return 1
	}
	found := 0
	for _, w := range want {
		for _, g := range got {
			if g.slot == w.slot {
				found++
				break
			}
		}
	}
	return float64(found) / float64(len(want))
}
