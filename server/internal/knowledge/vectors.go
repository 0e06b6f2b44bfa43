package knowledge

import (
	"encoding/binary"
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
//
// Both are allocated a block at a time, so the index holds no more than
// one block of spare room, where appending to one growing slice would hold
// up to as much again as it uses.
type vectors struct {
	dims int
	// rows[b] holds slot s = b×blockSize+i at rows[b][i*dims:(i+1)*dims];
	// zero for free slots.
	rows [][]float32
	// codes[b] holds slot s = b×blockSize+i, dimension d at
	// codes[b][d*blockSize+i], as the int8 code plus 128 so that eight of
	// them can be multiplied at once (see scanBlocks).
	codes [][]uint8
	// scales[s] turns slot s's codes back into its vector: x ≈ code ×
	// scale. Zero for free slots and slots without a vector, which the
	// scan skips.
	scales []float32
}

func newVectors(dims int) *vectors { return &vectors{dims: dims} }

// grow makes room for slot s.
func (v *vectors) grow(s int32) {
	for int(s) >= len(v.scales) {
		v.rows = append(v.rows, make([]float32, blockSize*v.dims))
		v.codes = append(v.codes, make([]uint8, blockSize*v.dims))
		v.scales = append(v.scales, make([]float32, blockSize)...)
	}
}

// set stores vec at slot s; a vector of another size (or nil) clears it.
func (v *vectors) set(s int32, vec []float32) {
	v.grow(s)
	row := v.row(s)
	codes, lane := v.codes[s/blockSize], int(s%blockSize)
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
		codes[d*blockSize+lane] = uint8(int(math.Round(float64(x*inv))) + codeBias)
	}
	v.scales[s] = maxAbs / 127
}

func (v *vectors) clear(s int32) {
	clear(v.row(s))
	codes, lane := v.codes[s/blockSize], int(s%blockSize)
	for d := range v.dims {
		codes[d*blockSize+lane] = codeBias
	}
	v.scales[s] = 0
}

func (v *vectors) row(s int32) []float32 {
	i := int(s%blockSize) * v.dims
	return v.rows[s/blockSize][i : i+v.dims : i+v.dims]
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// codeBias is added to the int8 codes to store them unsigned.
const codeBias = 128

// queryMax is the largest quantised query weight. Twelve bits keep the
// query's own rounding error small, while a sum of 2,048 products of a
// weight and a biased code (255) stays inside the 32-bit lanes of the scan.
const queryMax = 2047

// queryDim is one non-zero dimension of a quantised query.
type queryDim struct {
	offset int // d × blockSize: where the dimension starts in a block
	weight int64
}

// quantizeQuery returns the query's non-zero dimensions as integer
// weights of at most queryMax, the factor that turns an integer dot
// product with a slot's codes into an approximate dot product (times the
// slot's scale), and the sum of the weights, which removes the codes' bias.
func quantizeQuery(q []float32, buf []queryDim) ([]queryDim, float32, int64) {
	maxAbs := float32(0)
	for _, x := range q {
		maxAbs = max(maxAbs, abs32(x))
	}
	buf = buf[:0]
	if maxAbs == 0 {
		return buf, 0, 0
	}
	inv := queryMax / maxAbs
	var sum int64
	for d, x := range q {
		if w := int64(math.Round(float64(x * inv))); w != 0 {
			buf = append(buf, queryDim{offset: d * blockSize, weight: w})
			sum += w
		}
	}
	return buf, maxAbs / queryMax, sum
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
	dims, qscale, wsum := quantizeQuery(q, s.qdims[:0])
	s.qdims = dims
	if len(dims) == 0 || len(dims) > 2048 {
		return exactScan(v, q, k, s)
	}
	bias := codeBias * wsum
	pool := rescoreFactor * k
	blocks := len(v.scales) / blockSize
	parts := runtime.GOMAXPROCS(0)
	var cands []scored
	if len(v.scales) < scanParallelMin || parts < 2 {
		cands = v.scanBlocks(dims, qscale, bias, pool, 0, blocks, s.heaps(1)[0])
	} else {
		parts = min(parts, 4)
		heaps := s.heaps(parts)
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
				heaps[p] = v.scanBlocks(dims, qscale, bias, pool, lo, hi, heaps[p])
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
// best approximate scores, reusing h's storage.
//
// It multiplies eight codes at a time: one 64-bit load holds the biased
// codes of eight neighbouring slots for one dimension, and four masks
// spread them into the two 32-bit lanes of four words, so one 64-bit
// multiplication by the query weight does two slots' work. The lanes are
// the two halves of one integer, lo + hi×2³², so sums of signed products
// stay exact as long as each lane's total fits in 32 bits, which queryMax
// ensures. Summing over the query's dimensions in the inner loop keeps the
// four words in registers.
func (v *vectors) scanBlocks(dims []queryDim, qscale float32, bias int64, k, lo, hi int, h minHeap) minHeap {
	const lanes = 0x000000FF000000FF
	h = h[:0]
	var acc [8]int64
	for b := lo; b < hi; b++ {
		block := v.codes[b]
		scales := (*[blockSize]float32)(v.scales[b*blockSize : (b+1)*blockSize])
		for g := 0; g < blockSize; g += 8 {
			var a0, a1, a2, a3 int64
			for _, qd := range dims {
				x := binary.LittleEndian.Uint64(block[qd.offset+g:])
				w := qd.weight
				a0 += int64(x&lanes) * w
				a1 += int64(x>>8&lanes) * w
				a2 += int64(x>>16&lanes) * w
				a3 += int64(x>>24&lanes) * w
			}
			acc[0], acc[4] = splitLanes(a0)
			acc[1], acc[5] = splitLanes(a1)
			acc[2], acc[6] = splitLanes(a2)
			acc[3], acc[7] = splitLanes(a3)
			for j, a := range acc {
				sc := scales[g+j]
				if sc == 0 {
					continue
				}
				score := float32(a-bias) * sc * qscale
				if len(h) < k || score > h[0].score {
					h.offer(scored{int32(b*blockSize + g + j), score}, k)
				}
			}
		}
	}
	return h
}

// splitLanes returns the two signed 32-bit lanes of x = lo + hi×2³².
func splitLanes(x int64) (lo, hi int64) {
	lo = int64(int32(x))
	return lo, (x - lo) >> 32
}

// exactScan is the float32 scan of every row, for queries too dense to
// quantise safely.
func exactScan(v *vectors, q []float32, k int, s *scratch) []scored {
	h := minHeap(s.out[:0])
	for slot := range len(v.scales) {
		if v.scales[slot] != 0 {
			h.offer(scored{int32(slot), dot(q, v.row(int32(slot)))}, k)
		}
	}
	s.out = h
	res := make([]scored, len(h))
	copy(res, h)
	sortScored(res)
	return res
}
