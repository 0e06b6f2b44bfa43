package knowledge

import (
	"math"
	"runtime"
	"sync"
)

// blockSize is how many slots share a block of int8 codes. A block stores
// its codes dimension-major, so one query dimension is a run of 1 KiB that
// the CPU prefetches as it streams; short runs (a cache line per block)
// made the scan wait on memory latency instead.
const blockSize = 1024

// vectors holds the index's embeddings twice: float32 rows, read only to
// rescore the few best candidates exactly, and int8 codes with a scale per
// slot, scanned for every query. The codes are a quarter of the memory
// traffic of the rows, and the scan reads only the dimensions where the
// query is not zero: a query embedded by the hashing embedder touches a few
// dozen of 256.
type vectors struct {
	dims int
	// rows holds slot s at rows[s*dims:(s+1)*dims]; zero for free slots.
	rows []float32
	// codes holds slot s, dimension d at
	// codes[((s/blockSize)*dims+d)*blockSize+s%blockSize].
	codes []int8
	// scales[s] turns slot s's codes back into its vector: x ≈ code ×
	// scale. Zero for free slots and slots without a vector, which the
	// scan skips.
	scales []float32
}

func newVectors(dims int) *vectors { return &vectors{dims: dims} }

// grow makes room for slot s.
func (v *vectors) grow(s int32) {
	for int(s) >= len(v.scales) {
		v.codes = append(v.codes, make([]int8, blockSize*v.dims)...)
		v.scales = append(v.scales, make([]float32, blockSize)...)
	}
	if n := (int(s) + 1) * v.dims; n > len(v.rows) {
		v.rows = append(v.rows, make([]float32, n-len(v.rows))...)
	}
}

// set stores vec at slot s; a vector of another size (or nil) clears it.
func (v *vectors) set(s int32, vec []float32) {
	v.grow(s)
	row := v.row(s)
	base, lane := v.codeBase(s)
	if len(vec) != v.dims {
		v.clear(s)
		return
	}
	copy(row, vec)
	maxAbs := float32(0)
	for _, x := range vec {
		maxAbs = max(maxAbs, abs32(x))
	}
	if maxAbs == 0 {
		v.clear(s)
		return
	}
	inv := 127 / maxAbs
	for d, x := range vec {
		v.codes[base+d*blockSize+lane] = int8(math.Round(float64(x * inv)))
	}
	v.scales[s] = maxAbs / 127
}

func (v *vectors) clear(s int32) {
	clear(v.row(s))
	base, lane := v.codeBase(s)
	for d := range v.dims {
		v.codes[base+d*blockSize+lane] = 0
	}
	v.scales[s] = 0
}

func (v *vectors) row(s int32) []float32 {
	return v.rows[int(s)*v.dims : int(s+1)*v.dims : int(s+1)*v.dims]
}

func (v *vectors) codeBase(s int32) (base, lane int) {
	return int(s) / blockSize * v.dims * blockSize, int(s) % blockSize
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// queryDim is one non-zero dimension of a quantised query.
type queryDim struct {
	offset int // d × blockSize: where the dimension starts in a block
	weight int32
}

// quantizeQuery returns the query's non-zero dimensions as 16-bit integer
// weights, and the factor that turns an integer dot product with a slot's
// codes into an approximate dot product (times the slot's scale). Sixteen
// bits keep the query's own rounding error negligible; the sum of 1536
// products of 16- and 8-bit values still fits in an int32.
func quantizeQuery(q []float32, buf []queryDim) ([]queryDim, float32) {
	maxAbs := float32(0)
	for _, x := range q {
		maxAbs = max(maxAbs, abs32(x))
	}
	buf = buf[:0]
	if maxAbs == 0 {
		return buf, 0
	}
	inv := 32767 / maxAbs
	for d, x := range q {
		if w := int32(math.Round(float64(x * inv))); w != 0 {
			buf = append(buf, queryDim{offset: d * blockSize, weight: w})
		}
	}
	return buf, maxAbs / 32767
}

// scanParallelMin is the number of slots below which one goroutine scans
// faster than several.
const scanParallelMin = 8192

// rescoreFactor: the scan keeps this many times k candidates by the
// quantised dot product and rescores them exactly, which absorbs the
// quantisation error (see TestQuantisedScanMatchesTheExactScan).
const rescoreFactor = 4

// nearest returns the k slots with the highest exact dot product with q,
// best first. It scans the int8 codes, split across the CPUs for large
// indexes, keeps rescoreFactor × k candidates and rescores those in
// float32. Slots without a vector are never returned.
func (v *vectors) nearest(q []float32, k int, s *scratch) []scored {
	if k <= 0 || len(q) != v.dims {
		return nil
	}
	dims, qscale := quantizeQuery(q, s.qdims[:0])
	s.qdims = dims
	if len(dims) == 0 {
		return nil
	}
	pool := rescoreFactor * k
	blocks := len(v.scales) / blockSize
	parts := runtime.GOMAXPROCS(0)
	var cands []scored
	if len(v.scales) < scanParallelMin || parts < 2 {
		cands = v.scanBlocks(dims, qscale, pool, 0, blocks, s.heaps(1)[0], s.accs(1)[0])
	} else {
		parts = min(parts, 4)
		heaps, accs := s.heaps(parts), s.accs(parts)
		step := (blocks + parts - 1) / parts
		var wg sync.WaitGroup
		for p := range parts {
			lo, hi := p*step, min((p+1)*step, blocks)
			if lo >= hi {
				heaps[p] = heaps[p][:0]
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				heaps[p] = v.scanBlocks(dims, qscale, pool, lo, hi, heaps[p], accs[p])
			}()
		}
		wg.Wait()
		cands = s.cands[:0]
		for _, h := range heaps {
			cands = append(cands, h...)
		}
		s.cands = cands
	}
	// Rescore exactly and keep the k best.
	out := minHeap(s.out[:0])
	for _, c := range cands {
		out.offer(scored{c.slot, dot(q, v.row(c.slot))}, k)
	}
	s.out = out
	res := make([]scored, len(out))
	copy(res, out)
	sortScored(res)
	return res
}

// scanBlocks offers every live slot of blocks [lo, hi) to a heap of the k
// best approximate scores, reusing h's storage and acc as the block's
// accumulators.
func (v *vectors) scanBlocks(dims []queryDim, qscale float32, k, lo, hi int, h minHeap, acc *[blockSize]int32) minHeap {
	h = h[:0]
	stride := v.dims * blockSize
	for b := lo; b < hi; b++ {
		clear(acc[:])
		block := v.codes[b*stride : (b+1)*stride : (b+1)*stride]
		for _, qd := range dims {
			col := (*[blockSize]int8)(block[qd.offset : qd.offset+blockSize])
			w := qd.weight
			for j := 0; j < blockSize; j += 8 {
				acc[j] += w * int32(col[j])
				acc[j+1] += w * int32(col[j+1])
				acc[j+2] += w * int32(col[j+2])
				acc[j+3] += w * int32(col[j+3])
				acc[j+4] += w * int32(col[j+4])
				acc[j+5] += w * int32(col[j+5])
				acc[j+6] += w * int32(col[j+6])
				acc[j+7] += w * int32(col[j+7])
			}
		}
		scales := (*[blockSize]float32)(v.scales[b*blockSize : (b+1)*blockSize])
		for j, a := range acc {
			sc := scales[j]
			if sc == 0 {
				continue
			}
			score := float32(a) * sc * qscale
			if len(h) < k || score > h[0].score {
				h.offer(scored{int32(b*blockSize + j), score}, k)
			}
		}
	}
	return h
}
